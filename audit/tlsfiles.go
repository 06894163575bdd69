package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// TLSFiles are the paths TLSInit wrote. The CA and the server's files are in Dir, where the
// daemon.json fragment points; the client's are in ClientDir under the names the docker CLI
// looks for in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), so that directory can be handed
// to a client without the CA's key or the daemon's.
type TLSFiles struct {
	Dir        string `json:"dir"`
	CA         string `json:"tlscacert"`
	CAKey      string `json:"ca_key"`
	ServerCert string `json:"server_cert"`
	ServerKey  string `json:"server_key"`
	ClientDir  string `json:"client_dir"`
	ClientCA   string `json:"client_ca"`
	ClientCert string `json:"client_cert"`
	ClientKey  string `json:"client_key"`
}

// ErrExists is returned (wrapped) when TLSInit would overwrite a file and Force is not set.
var ErrExists = errors.New("refusing to overwrite existing TLS files (use --force)")

// TLSFilesIn names the files of a TLS directory.
func TLSFilesIn(dir string) TLSFiles {
	p := func(name string) string { return filepath.Join(dir, name) }
	client := p("client")
	return TLSFiles{
		Dir: dir, CA: p("ca.pem"), CAKey: p("ca-key.pem"),
		ServerCert: p("server-cert.pem"), ServerKey: p("server-key.pem"),
		ClientDir: client, ClientCA: filepath.Join(client, "ca.pem"),
		ClientCert: filepath.Join(client, "cert.pem"), ClientKey: filepath.Join(client, "key.pem"),
	}
}

func (f TLSFiles) all() []string {
	return []string{f.CA, f.CAKey, f.ServerCert, f.ServerKey, f.ClientCA, f.ClientCert, f.ClientKey}
}

// privateDir creates dir (0700) when missing, and refuses one that someone else could change
// files in: a symlink (whose target nobody checked), a directory writable by group or
// others, or one owned by another user.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating TLS directory: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking TLS directory: %w", err)
	}
	refuse := func(why, fix string) error {
		return fmt.Errorf("refusing to write keys into %s: %s; %s, or give another --dir", dir, why, fix)
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return refuse("it is a symbolic link", "give the directory it points to (after checking who owns it)")
	case !st.IsDir():
		return refuse("it is not a directory", "remove it")
	case st.Mode().Perm()&0o022 != 0:
		return refuse(fmt.Sprintf("others can write to it (mode %04o) and replace the certificates", st.Mode().Perm()), "run chmod go-w "+dir)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return refuse(fmt.Sprintf("it belongs to uid %d, not to you (uid %d), who could replace the certificates", sys.Uid, os.Geteuid()), "chown it to yourself")
	}
	return nil
}

// writeFile writes through a temporary file and a rename, so a key is never visible with a
// wider mode, and an existing file is replaced only when overwrite is set.
func writeFile(path string, data []byte, mode os.FileMode, overwrite bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if !overwrite {
		// Link fails if path appeared meanwhile; rename would silently replace it.
		if err := os.Link(tmp.Name(), path); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// DaemonConfig is the daemon.json fragment that makes dockerd listen on hosts with TLS and
// verify client certificates against the CA.
func (f TLSFiles) DaemonConfig(hosts []string) ([]byte, error) {
	frag := struct {
		TLSVerify bool     `json:"tlsverify"`
		TLSCACert string   `json:"tlscacert"`
		TLSCert   string   `json:"tlscert"`
		TLSKey    string   `json:"tlskey"`
		Hosts     []string `json:"hosts"`
	}{true, f.CA, f.ServerCert, f.ServerKey, hosts}
	out, err := json.MarshalIndent(frag, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding daemon.json: %w", err)
	}
	return append(out, '\n'), nil
}

// ClientEnv is the environment that points the docker CLI (and sdocker) at host with the
// client certificate, verifying the daemon's. DOCKER_CERT_PATH is the client directory, which
// holds no private key but the client's.
func (f TLSFiles) ClientEnv(host string) []string {
	return []string{"DOCKER_HOST=" + host, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + f.ClientDir}
}

// ListenPort checks the TCP address dockerd is to listen on with TLS (tcp://ADDRESS:PORT) and
// returns its port, which clients use too.
func ListenPort(listen string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("--listen %q: %s; give tcp://ADDRESS:PORT, e.g. tcp://0.0.0.0:2376", listen, why)
	}
	rest, ok := strings.CutPrefix(listen, "tcp://")
	if !ok {
		return "", bad("dockerd listens with TLS on tcp:// only")
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", bad("no port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", bad("the port must be a number from 1 to 65535")
	}
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", bad("no valid address (0.0.0.0 is every address)")
	}
	return port, nil
}

package ci

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// Result is one check of a runner host.
type Result struct {
	Check string `json:"check"`
	// Status is ok, warn (works, but less than it could) or fail (a job can go around the
	// policy, or jobs will not run).
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// CheckInput is what checking a host needs.
type CheckInput struct {
	Runner Runner
	// User is the runner's account ("" is Runner.User); Config its configuration file ("" is
	// Runner.Config).
	User, Config string
	// Root is prefixed to every host path (tests lay a host out in a directory); "" is /.
	Root string
	// DaemonSocket is the daemon's own socket ("" is /run/docker.sock).
	DaemonSocket string
	// LookPath finds docker on the runner's PATH; nil skips that check.
	LookPath func(string) (string, error)
}

// Check reports, check by check, whether a host is set up for a runner: the policy, the proxy
// and its policed socket, the daemon's socket out of the runner's reach, the runner pointed at
// the proxy, and sdocker as its docker.
func Check(ctx context.Context, in CheckInput) []Result {
	r := in.Runner
	user, config := in.User, in.Config
	if user == "" {
		user = r.User
	}
	if config == "" {
		config = r.Config
	}
	host := func(p string) string { return filepath.Join("/", in.Root, p) }
	var out []Result
	add := func(check, status, detail, fix string) { out = append(out, Result{check, status, detail, fix}) }

	policed := PolicedSocket
	p, err := loadPolicy(host(PolicyPath))
	switch {
	case err != nil:
		add("policy", "fail", err.Error(), "sdocker policy preset "+r.Preset+" | sudo tee "+PolicyPath)
	case p.Runtime.DockerSocket.Policed == "" || len(p.Runtime.DockerSocket.Images) == 0:
		add("policy", "fail", PolicyPath+" gives job containers no policed socket: the runner's docker socket bind is refused",
			"set runtime.docker_socket (images, policed) as sdocker policy preset "+r.Preset+" does")
	case p.Mode == defaults.ModeWarn:
		add("policy", "fail", PolicyPath+" is in warn mode: the proxy reports what it would refuse and lets it through, privileged job containers included",
			"remove mode: warn from "+PolicyPath)
	default:
		policed = p.Runtime.DockerSocket.Policed
		add("policy", "ok", fmt.Sprintf("%s: job containers get the policed socket %s", PolicyPath, policed), "")
		if p.Runtime.Network.PublishAddress == "" {
			add("ports", "warn", "ports published without an address are reachable from the network", "set runtime.network.publish_address: 127.0.0.1")
		}
	}

	if err := ping(ctx, host(ProxySocket)); err != nil {
		add("proxy", "fail", fmt.Sprintf("nothing answers on %s: %v", ProxySocket, err), "systemctl enable --now sdocker-proxy")
	} else {
		add("proxy", "ok", "sdocker proxy answers on "+ProxySocket, "")
	}
	if wrapper.PolicedSocket(host(policed)) == "" {
		add("policed socket", "fail", policed+" is not served (or another user than root can replace it): job containers asking for the docker socket are refused",
			"the proxy makes it at start from runtime.docker_socket.policed: restart sdocker-proxy")
	} else {
		add("policed socket", "ok", policed+" is served by the proxy", "")
	}

	groups, err := groupsOf(host("/etc/passwd"), host("/etc/group"), user)
	if err != nil {
		add("account", "fail", err.Error(), "give --user the account the runner runs as")
		return out
	}
	daemon := in.DaemonSocket
	if daemon == "" {
		daemon = "/run/docker.sock"
	}
	if _, err := os.Stat(host(daemon)); err != nil {
		add("daemon socket", "fail", fmt.Sprintf("%s cannot be checked (%v): where the daemon listens, jobs may reach it", daemon, err),
			"give --daemon-socket the daemon's socket")
	} else if why := reaches(host(daemon), user, groups); why != "" {
		add("daemon socket", "fail", fmt.Sprintf("%s: %s, so its jobs can go around the proxy", daemon, why),
			"install contrib/systemd/docker.socket.d/sdocker.conf (the daemon's socket root's alone) and restart docker.socket")
	} else {
		add("daemon socket", "ok", daemon+" is out of "+user+"'s reach", "")
	}
	for _, l := range daemonListeners(host) {
		switch {
		case l.tcp && !l.tls:
			add("daemon listener", "fail", fmt.Sprintf("the daemon listens on %s (%s) without TLS verification: any job that reaches the address goes around the proxy", l.addr, l.from),
				"remove "+l.addr+" from the daemon's hosts, or require client certificates (tlsverify) that runners do not hold")
		case l.tcp:
			add("daemon listener", "warn", fmt.Sprintf("the daemon listens on %s (%s): whoever holds a client certificate of its CA goes around the proxy", l.addr, l.from),
				"keep the daemon's client certificates away from runner accounts and jobs")
		default:
			if why := reaches(host(l.addr), user, groups); why != "" {
				add("daemon listener", "fail", fmt.Sprintf("the daemon also listens on %s (%s): %s, so its jobs can go around the proxy", l.addr, l.from, why),
					"make "+l.addr+" root's alone, or remove it from the daemon's hosts")
			}
		}
	}
	if why := reaches(host(ProxySocket), user, groups); why == "" {
		add("proxy socket", "fail", user+" cannot reach "+ProxySocket, "usermod -aG docker "+user)
	} else {
		add("proxy socket", "ok", ProxySocket+": "+why, "")
	}

	if b, err := os.ReadFile(host(config)); err != nil {
		add("runner", "fail", fmt.Sprintf("reading %s: %v", config, err), "add "+strconv.Quote(r.Wiring)+" to "+config)
	} else if !hasLine(b, r.Wiring) {
		add("runner", "fail", config+" does not point "+r.Title+" at the proxy", "add "+strconv.Quote(r.Wiring)+" to "+config)
	} else {
		add("runner", "ok", config+" points "+r.Title+" at the proxy", "")
	}
	if !r.API && in.LookPath != nil {
		if p, err := in.LookPath("docker"); err != nil || !isSdocker(p) {
			add("docker on PATH", "warn", "docker on the runner's PATH is not sdocker: jobs still meet the policy at the proxy, with the daemon's words for refusals",
				"ln -sf /usr/local/bin/sdocker /usr/local/sbin/docker")
		} else {
			add("docker on PATH", "ok", p+" is sdocker", "")
		}
	}
	return out
}

// Failed reports whether any check failed.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == "fail" {
			return true
		}
	}
	return false
}

func loadPolicy(path string) (*defaults.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the policy: %w", err)
	}
	return defaults.Parse(b, path)
}

// ping asks the Engine API on a unix socket for /_ping.
func ping(ctx context.Context, sock string) error {
	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping: %s", resp.Status)
	}
	return nil
}

// account is a user's uid and the gids of its groups.
type account struct {
	uid  uint32
	gids map[uint32]bool
}

// groupsOf reads a user's uid, primary group and supplementary groups from passwd and group
// files.
func groupsOf(passwd, group, user string) (account, error) {
	a := account{gids: map[uint32]bool{}}
	pb, err := os.ReadFile(passwd)
	if err != nil {
		return a, err
	}
	found := false
	for _, f := range lines(pb) {
		if len(f) >= 4 && f[0] == user {
			uid, _ := strconv.ParseUint(f[2], 10, 32)
			gid, _ := strconv.ParseUint(f[3], 10, 32)
			a.uid, a.gids[uint32(gid)], found = uint32(uid), true, true
		}
	}
	if !found {
		return a, fmt.Errorf("no account %q on this host", user)
	}
	gb, err := os.ReadFile(group)
	if err != nil {
		return a, err
	}
	for _, f := range lines(gb) {
		if len(f) < 4 {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if m == user {
				gid, _ := strconv.ParseUint(f[2], 10, 32)
				a.gids[uint32(gid)] = true
			}
		}
	}
	return a, nil
}

func lines(b []byte) [][]string {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.Split(l, ":"))
		}
	}
	return out
}

// listener is an address the daemon serves its API on besides docker's default socket.
type listener struct {
	addr, from string
	tcp, tls   bool
}

// daemonListeners reads the addresses the daemon serves the API on: daemon.json's hosts, and
// the -H/--host flags of running dockerd processes. fd:// (systemd's socket, the default one,
// checked on its own) is left out.
func daemonListeners(host func(string) string) []listener {
	var out []listener
	add := func(addr, from string, tls bool) {
		switch {
		case addr == "" || strings.HasPrefix(addr, "fd://"):
		case strings.HasPrefix(addr, "unix://"):
			out = append(out, listener{addr: strings.TrimPrefix(addr, "unix://"), from: from})
		case strings.HasPrefix(addr, "/"):
			out = append(out, listener{addr: addr, from: from})
		default: // tcp://, or host:port, which dockerd reads as TCP
			out = append(out, listener{addr: addr, from: from, tcp: true, tls: tls})
		}
	}
	if b, err := os.ReadFile(host("/etc/docker/daemon.json")); err == nil {
		var cfg struct {
			Hosts     []string `json:"hosts"`
			TLSVerify bool     `json:"tlsverify"`
		}
		if json.Unmarshal(b, &cfg) == nil {
			for _, h := range cfg.Hosts {
				add(h, "/etc/docker/daemon.json", cfg.TLSVerify)
			}
		}
	}
	// containerd's sockets: whoever reaches one runs containers (privileged ones too) with no
	// dockerd in the way.
	for _, p := range []string{"/run/containerd/containerd.sock", "/run/docker/containerd/containerd.sock"} {
		if _, err := os.Stat(host(p)); err == nil {
			out = append(out, listener{addr: p, from: "containerd"})
		}
	}
	procs, _ := filepath.Glob(host("/proc/[0-9]*/cmdline"))
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 0 || filepath.Base(args[0]) != "dockerd" {
			continue
		}
		tls := false
		var hosts []string
		for i := 1; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "--tlsverify" || a == "--tlsverify=true":
				tls = true
			case a == "-H" || a == "--host":
				if i+1 < len(args) {
					hosts = append(hosts, args[i+1])
					i++
				}
			case strings.HasPrefix(a, "--host="):
				hosts = append(hosts, strings.TrimPrefix(a, "--host="))
			case strings.HasPrefix(a, "-H") && len(a) > 2:
				hosts = append(hosts, strings.TrimPrefix(strings.TrimPrefix(a, "-H"), "="))
			}
		}
		for _, h := range hosts {
			add(h, "dockerd "+filepath.Base(filepath.Dir(p)), tls)
		}
	}
	return out
}

// reaches says how an account can connect to a unix socket ("" where it cannot): as its owner,
// through its group, or as everyone. Root reaches every socket; runners do not run as root.
func reaches(sock string, user string, a account) string {
	fi, err := os.Stat(sock)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	mode := fi.Mode().Perm()
	switch {
	case a.uid == 0:
		return user + " is root"
	case st.Uid == a.uid && mode&0o200 != 0:
		return user + " owns it"
	case a.gids[st.Gid] && mode&0o020 != 0:
		return fmt.Sprintf("%s is in its group %d", user, st.Gid)
	case mode&0o002 != 0:
		return "everyone may connect to it"
	}
	return aclReaches(sock, user, a)
}

// aclReaches says how a POSIX ACL on a socket lets an account connect to it ("" where none
// does): an entry for the account or one of its groups with write permission, within the
// ACL's mask. (Connecting to a unix socket needs write permission on it.)
func aclReaches(sock, user string, a account) string {
	buf := make([]byte, 4096)
	n, err := syscall.Getxattr(sock, "system.posix_acl_access", buf)
	if err != nil || n < 4 {
		return ""
	}
	b := buf[4:n]
	mask := uint16(7)
	for i := 0; i+8 <= len(b); i += 8 {
		if tag := binary.LittleEndian.Uint16(b[i:]); tag == 0x10 {
			mask = binary.LittleEndian.Uint16(b[i+2:])
		}
	}
	for i := 0; i+8 <= len(b); i += 8 {
		tag, perm, id := binary.LittleEndian.Uint16(b[i:]), binary.LittleEndian.Uint16(b[i+2:]), binary.LittleEndian.Uint32(b[i+4:])
		if perm&mask&2 == 0 {
			continue
		}
		switch {
		case tag == 0x02 && id == a.uid:
			return "an ACL entry lets " + user + " connect to it"
		case tag == 0x08 && a.gids[id]:
			return fmt.Sprintf("an ACL entry lets its group %d, one of %s's, connect to it", id, user)
		}
	}
	return ""
}

// hasLine reports whether a file has a line equal to want, blanks aside.
func hasLine(b []byte, want string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, l := range strings.Split(string(b), "\n") {
		if norm(l) == norm(want) {
			return true
		}
	}
	return false
}

// isSdocker reports whether a docker found on PATH is sdocker (a link to it, or it).
func isSdocker(p string) bool {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	return filepath.Base(r) == "sdocker"
}

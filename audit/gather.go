package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sdocker/defaults"
	"sdocker/engineapi"
	"sdocker/wrapper"
)

// API is the part of the Engine API client the audit uses (*wrapper.Engine).
type API interface {
	Get(ctx context.Context, path string, out any) error
}

// Options say what to audit and how.
type Options struct {
	API      API
	Endpoint wrapper.Endpoint
	// Policy supplies the runtime rules applied to containers.
	Policy *defaults.Policy
	// DaemonConfig is the daemon.json to read instead of discovering the daemon's own (its
	// command line and --config-file, found through the socket's peer process).
	DaemonConfig string
	// GroupFile and PasswdFile default to /etc/group and /etc/passwd.
	GroupFile, PasswdFile string
	Getenv                func(string) string
	// Now decides whether policy exceptions have expired; zero means time.Now().
	Now time.Time
}

// Run gathers a snapshot and checks it.
func Run(ctx context.Context, o Options) (Report, error) {
	s, err := Gather(ctx, o)
	if err != nil {
		return Report{}, err
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	return Check(s, CheckOptions{Policy: o.Policy, Now: now, ResolvePath: resolver(s)}), nil
}

func resolver(s *Snapshot) func(string) (string, error) {
	if s.Host.Local {
		return filepath.EvalSymlinks
	}
	return nil
}

// Gather asks the daemon and the host for everything the checks read.
func Gather(ctx context.Context, o Options) (*Snapshot, error) {
	s := &Snapshot{Endpoint: o.Endpoint}
	if err := o.API.Get(ctx, "/info", &s.Info); err != nil {
		return nil, fmt.Errorf("asking the daemon for its configuration: %w", err)
	}
	if err := o.API.Get(ctx, "/version", &s.Version); err != nil {
		return nil, fmt.Errorf("asking the daemon for its version: %w", err)
	}
	var bridge struct{ Options map[string]string }
	switch err := o.API.Get(ctx, "/networks/bridge", &bridge); {
	case errors.Is(err, wrapper.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("inspecting the default bridge: %w", err)
	default:
		s.BridgeICC = bridge.Options["com.docker.network.bridge.enable_icc"]
		if s.BridgeICC == "" {
			s.BridgeICC = "true" // docker's default
		}
	}
	if err := o.API.Get(ctx, "/networks", &s.Networks); err != nil {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	var list []struct {
		ID string `json:"Id"`
	}
	if err := o.API.Get(ctx, "/containers/json?all=1", &list); err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	for _, c := range list {
		var ct Container
		err := o.API.Get(ctx, "/containers/"+url.PathEscape(c.ID)+"/json", &ct)
		if errors.Is(err, wrapper.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("inspecting container %s: %w", c.ID, err)
		}
		if err := gatherVolumes(ctx, o.API, s, ct); err != nil {
			return nil, err
		}
		if ct.State.Status == "running" {
			if err := gatherProcesses(ctx, o.API, &ct); err != nil {
				return nil, err
			}
		}
		s.Containers = append(s.Containers, ct)
	}

	users, groups := readAccounts(o)
	s.Host.DockerHost, s.Host.DockerTLSVerify = o.Getenv("DOCKER_HOST"), o.Getenv("DOCKER_TLS_VERIFY")
	sock := ""
	if o.Endpoint.Local() {
		s.Host.Local = true
		sock = strings.TrimPrefix(o.Endpoint.Host, "unix://")
		s.Host.Socket = statFile(sock, users, groups)
		s.Host.DockerGroup = groups.docker
	}
	gatherConfig(ctx, o, s, sock, users, groups)
	return s, nil
}

// gatherVolumes records what the daemon says of the named volumes a container mounts that
// were created with driver options, the way sdocker run resolves them.
func gatherVolumes(ctx context.Context, api API, s *Snapshot, c Container) error {
	hc := c.HostConfig
	mounts := containerMounts(c, engineapi.Mounts(&hc))
	if err := wrapper.ResolveVolumes(ctx, api, mounts); err != nil {
		return fmt.Errorf("inspecting the volumes of container %s: %w", c.Name, err)
	}
	for _, m := range mounts {
		if m.Type == "volume" && len(m.Options) > 0 {
			if s.Volumes == nil {
				s.Volumes = map[string]Volume{}
			}
			s.Volumes[m.Source] = Volume{Driver: m.Driver, Options: m.Options}
		}
	}
	return nil
}

// gatherProcesses asks the daemon for a running container's processes (GET
// /containers/{id}/top: the daemon reads them from the host, nothing runs in the container, so
// a container without ps is seen as well as any).
func gatherProcesses(ctx context.Context, api API, c *Container) error {
	var top struct {
		Titles    []string
		Processes [][]string
	}
	err := api.Get(ctx, "/containers/"+url.PathEscape(c.ID)+"/top", &top)
	if err != nil {
		// Stopped or removed meanwhile: it has no processes to judge.
		var apiErr *wrapper.APIError
		if errors.Is(err, wrapper.ErrNotFound) || errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
			return nil
		}
		return fmt.Errorf("listing the processes of container %s: %w", c.Name, err)
	}
	cmd := slices.Index(top.Titles, "CMD")
	if cmd < 0 {
		cmd = slices.Index(top.Titles, "COMMAND")
	}
	for _, p := range top.Processes {
		if cmd >= 0 && cmd < len(p) {
			c.Processes = append(c.Processes, p[cmd])
		}
	}
	if c.Processes == nil {
		c.Processes = []string{}
	}
	return nil
}

func gatherConfig(ctx context.Context, o Options, s *Snapshot, sock string, users, groups idNames) {
	if o.DaemonConfig != "" {
		cfg, found, err := LoadDaemonJSON(o.DaemonConfig)
		switch {
		case err != nil:
			s.ConfigNote = err.Error()
		case !found:
			s.ConfigNote = o.DaemonConfig + " does not exist"
		default:
			cfg.Sources = []string{o.DaemonConfig}
			s.Config, s.ConfigFile = &cfg, statFile(o.DaemonConfig, users, groups)
		}
		return
	}
	if sock == "" {
		s.ConfigNote = "the daemon is not on this machine (" + o.Endpoint.Host + "); give its daemon.json with --daemon-config"
		return
	}
	pid, err := socketPeer(ctx, sock)
	if err != nil {
		s.ConfigNote = err.Error()
		return
	}
	cfg, fi, err := dockerdConfig(pid)
	if err != nil {
		s.ConfigNote = err.Error()
		return
	}
	s.Config = cfg
	if fi != nil {
		s.ConfigFile = statFile(fi.Path, users, groups)
	}
}

// statFile returns a file's owner and mode, or nil when it cannot be read.
func statFile(path string, users, groups idNames) *FileInfo {
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	fi := &FileInfo{Path: path, Mode: st.Mode()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		fi.UID, fi.GID = int(sys.Uid), int(sys.Gid)
	}
	fi.Owner, fi.Group = users.name(fi.UID), groups.name(fi.GID)
	return fi
}

// idNames maps ids to names, and remembers the docker group.
type idNames struct {
	names  map[int]string
	docker *Group
}

func (n idNames) name(id int) string {
	if s, ok := n.names[id]; ok {
		return s
	}
	return strconv.Itoa(id)
}

// readAccounts reads users and groups; the docker group's users are its listed members and
// the users whose primary group it is.
func readAccounts(o Options) (users, groups idNames) {
	users, groups = idNames{names: map[int]string{}}, idNames{names: map[int]string{}}
	gf, pf := o.GroupFile, o.PasswdFile
	if gf == "" {
		gf = "/etc/group"
	}
	if pf == "" {
		pf = "/etc/passwd"
	}
	primary := map[int][]string{}
	eachLine(pf, func(f []string) {
		if len(f) >= 4 {
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			if err1 == nil && err2 == nil {
				users.names[uid] = f[0]
				primary[gid] = append(primary[gid], f[0])
			}
		}
	})
	eachLine(gf, func(f []string) {
		if len(f) < 4 {
			return
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			return
		}
		groups.names[gid] = f[0]
		if f[0] != "docker" {
			return
		}
		g := &Group{Name: f[0], GID: gid}
		seen := map[string]bool{}
		for _, m := range append(strings.Split(f[3], ","), primary[gid]...) {
			if m = strings.TrimSpace(m); m != "" && !seen[m] {
				seen[m] = true
				g.Members = append(g.Members, m)
			}
		}
		groups.docker = g
	})
	return users, groups
}

func eachLine(path string, fn func(fields []string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}

package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"sdocker/defaults"
	"sdocker/engineapi"
	"sdocker/wrapper"
)

func (s *Server) input(req defaults.Request, facts defaults.Facts) defaults.Input {
	return defaults.Input{Policy: s.opt.Policy, Request: req, Facts: facts, Now: s.opt.Now(), ResolvePath: s.opt.ResolvePath, Host: s.opt.Host,
		Homes: s.opt.Homes, Exists: s.opt.Exists}
}

// judgeCreate decides a container create and hardens its body. The hardened body is read
// back and judged again in require mode: what reaches the daemon is what was decided.
func (s *Server) judgeCreate(ctx context.Context, b []byte) (judged, error) {
	req, err := readCreate(b)
	if err != nil {
		return judged{}, &badInput{fmt.Errorf("reading the create body: %w", err)}
	}
	if b, err = s.pinContainerRefs(ctx, b); err != nil {
		return judged{image: req.Image}, err
	}
	if req, err = readCreate(b); err != nil {
		return judged{}, fmt.Errorf("reading the body back with its containers by ID: %w", err)
	}
	j := judged{image: req.Image}
	// The image's USER decides the capabilities given back; its ID, content-bound exceptions
	// and whether runtime.docker_socket names it.
	image, err := wrapper.InspectImage(ctx, s.opt.Daemon, req.Image)
	if err != nil {
		return j, err
	}
	b, bridged, err := s.defaultBridge(b, req, image)
	if err != nil {
		return j, err
	}
	if bridged != "" {
		if req, err = readCreate(b); err != nil {
			return j, fmt.Errorf("reading the body back on the policy's network: %w", err)
		}
	}
	b, substituted, err := s.substituteSocket(b, req, image)
	if err != nil {
		return j, err
	}
	if substituted {
		if req, err = readCreate(b); err != nil {
			return j, fmt.Errorf("reading the body back with the policed socket: %w", err)
		}
	}
	facts, err := s.daemonFacts(ctx)
	if err != nil {
		return j, fmt.Errorf("asking the daemon for its security options: %w", err)
	}
	s.ownFacts(&facts)
	if err := wrapper.ResolveDaemonRefs(ctx, s.opt.Daemon, &req); err != nil {
		return j, err
	}
	if err := s.markSwappable(ctx, &req); err != nil {
		return j, err
	}
	facts.Image = image
	j.d = defaults.Decide(s.input(req, facts))
	if !substituted {
		if vs := s.ownSocketViolations(req); len(vs) > 0 {
			j.d.Violations = append(j.d.Violations, vs...)
			j.d.Allowed = j.d.Mode == defaults.ModeWarn
		}
	}
	if substituted {
		j.d.Notes = append(j.d.Notes, "docker socket: the daemon's socket was replaced by the proxy's policed one")
	}
	if bridged != "" {
		j.d.Notes = append(j.d.Notes, bridged)
	}
	if !j.d.Allowed {
		return j, nil
	}
	if j.body, err = applyCreate(b, j.d.Change, nil); err != nil {
		return j, err
	}
	again, err := readCreate(j.body)
	if err != nil {
		return j, fmt.Errorf("reading the hardened body back: %w", err)
	}
	if err := wrapper.ResolveDaemonRefs(ctx, s.opt.Daemon, &again); err != nil {
		return j, err
	}
	in := s.input(again, facts)
	in.Require = true
	for _, v := range defaults.Decide(in).Violations {
		if v.Missing && v.Want != nil && v.Want.Replaces != "" {
			continue // the user's own seccomp profile, which the body carries as it was checked
		}
		if j.d.Mode != defaults.ModeWarn {
			return j, fmt.Errorf("the hardened body still fails the policy (%s: %s)", v.Rule, v.Message)
		}
	}
	var pinned string
	if j.body, pinned, err = s.gateCreate(ctx, j.body, req.Image); err != nil {
		return j, &imageRefused{image: req.Image, err: err}
	}
	j.pinned = pinned
	for _, a := range j.d.Change.Add {
		if a.Field == defaults.FieldNetworkMode && s.opt.Policy.Runtime.Network.Create {
			if err := wrapper.EnsureNetwork(ctx, s.opt.Daemon, a.Value, s.opt.Policy.Runtime.Network.Isolate); err != nil {
				return j, err
			}
		}
	}
	return j, nil
}

// imageOf is the image a container was created from, for the policy's exceptions.
func (s *Server) imageOf(ctx context.Context, id string) (string, error) {
	var c struct{ Config struct{ Image string } }
	err := s.opt.Daemon.Get(ctx, "/containers/"+url.PathEscape(id)+"/json", &c)
	if errors.Is(err, wrapper.ErrNotFound) {
		return "", &statusError{status: http.StatusNotFound, msg: "No such container: " + id}
	}
	if err != nil {
		return "", fmt.Errorf("inspecting container %s: %w", id, err)
	}
	return c.Config.Image, nil
}

// judgeExec refuses a privileged exec, as the CLI door refuses exec --privileged.
func (s *Server) judgeExec(ctx context.Context, rt route, b []byte) (judged, error) {
	var ec container.ExecCreateRequest
	if err := decodeStrict(b, &ec); err != nil {
		return judged{}, &badInput{fmt.Errorf("reading the exec body: %w", err)}
	}
	req := defaults.Request{Kind: defaults.KindExec}
	if ec.Privileged {
		req.Privileged = &defaults.Val[bool]{Value: true, From: "Privileged=true"}
		img, err := s.imageOf(ctx, rt.name)
		if err != nil {
			return judged{}, err
		}
		req.Image = img
	}
	return judged{d: defaults.Decide(s.input(req, defaults.AssumedFacts())), image: req.Image, body: b}, nil
}

// judgeUpdate refuses limits beyond the policy's maxima (and unlimited ones) on update, and a
// restart policy beside a host source anyone but root could swap.
func (s *Server) judgeUpdate(ctx context.Context, rt route, b []byte) (judged, error) {
	var uc container.UpdateConfig
	if err := decodeStrict(b, &uc); err != nil {
		return judged{}, &badInput{fmt.Errorf("reading the update body: %w", err)}
	}
	req := defaults.Request{Kind: defaults.KindUpdate}
	num := func(field string, v int64) *defaults.Val[int64] {
		if v == 0 {
			return nil // zero leaves the limit as it is
		}
		return &defaults.Val[int64]{Value: v, From: fmt.Sprintf("%s=%d", field, v)}
	}
	res := uc.Resources
	req.Memory, req.MemorySwap = num("Memory", res.Memory), num("MemorySwap", res.MemorySwap)
	req.NanoCPUs, req.CPUQuota, req.CPUPeriod = num("NanoCpus", res.NanoCPUs), num("CpuQuota", res.CPUQuota), num("CpuPeriod", res.CPUPeriod)
	if p := res.PidsLimit; p != nil {
		// 0 and -1 both mean unlimited on update.
		req.PidsLimit = &defaults.Val[int64]{Value: *p, From: fmt.Sprintf("PidsLimit=%d", *p)}
		if *p == 0 {
			req.PidsLimit.Value = -1
		}
	}
	img, err := s.imageOf(ctx, rt.name)
	if err != nil {
		return judged{}, err
	}
	req.Image = img
	if req, err = wrapper.WithCurrentLimits(ctx, s.opt.Daemon, req, rt.name); err != nil {
		return judged{}, err
	}
	// A restart policy lets the daemon mount the container's sources again on its own, with no
	// client in the loop: who but root could swap them counts, as at sdocker update --restart.
	if n := string(uc.RestartPolicy.Name); defaults.RestartsOnItsOwn(n) {
		req.RestartPolicy = &defaults.Val[string]{Value: n, From: "RestartPolicy.Name=" + n}
		var swap func(string) (string, error) // another host: every source counts as swappable
		if s.opt.Host.Identify != nil {
			swap = wrapper.Swappable
		}
		if req, err = wrapper.WithContainerMounts(ctx, s.opt.Daemon, req, rt.name, swap); err != nil {
			return judged{}, err
		}
	}
	return judged{d: defaults.Decide(s.input(req, defaults.AssumedFacts())), image: img, body: b}, nil
}

// judgeStart refuses a HostConfig given on start: the daemon ignores it from API 1.24, and
// only a client working around create would send one.
func judgeStart(b []byte) (judged, error) {
	switch string(bytes.TrimSpace(b)) {
	case "", "{}", "null":
		return judged{d: defaults.Decision{Allowed: true}, body: b}, nil
	}
	return judged{}, &badInput{fmt.Errorf("a container start carries a body (a HostConfig): give the configuration on create")}
}

// judgeConnect refuses joining the host's network or the default bridge, as create does.
func (s *Server) judgeConnect(ctx context.Context, rt route, b []byte) (judged, error) {
	var nc network.ConnectRequest
	if err := decodeStrict(b, &nc); err != nil {
		return judged{}, &badInput{fmt.Errorf("reading the network connect body: %w", err)}
	}
	img, err := s.imageOf(ctx, nc.Container)
	if err != nil {
		return judged{}, err
	}
	typed := rt.name
	if rt.typed != "" {
		typed = rt.typed
	}
	req := defaults.Request{Kind: defaults.KindCreate, Image: img,
		Networks: []defaults.Val[string]{{Value: rt.name, From: "network " + typed}}}
	if err := wrapper.ResolveDaemonRefs(ctx, s.opt.Daemon, &req); err != nil {
		return judged{}, err
	}
	d := defaults.Decide(s.input(req, defaults.AssumedFacts()))
	d.Change = defaults.Change{} // a connect adds nothing: only its network is judged
	return judged{d: d, image: img, body: b}, nil
}

// judgeBuild decides a classic build by its query as the CLI door decides docker build by its
// flags: each RUN step is a container with the build's network, cgroup parent and limits
// (networkmode, cgroupparent, memory, memswap, cpuquota, cpuperiod, read by the daemon as
// FormValue reads them: the first of each). It returns the query to forward, with the
// policy's limits where the build names none. (BuildKit's entitlements travel inside its gRPC
// session, which the proxy does not read.)
func (s *Server) judgeBuild(r *http.Request) (judged, string, error) {
	q := r.URL.Query()
	req := engineapi.BuildRequest(q)
	// container:NAME is followed to the network it shares, the host's among them.
	if err := wrapper.ResolveDaemonRefs(r.Context(), s.opt.Daemon, &req); err != nil {
		return judged{}, "", err
	}
	d := defaults.Decide(s.input(req, defaults.AssumedFacts()))
	for _, a := range d.Change.Add {
		switch a.Field {
		case defaults.FieldMemory:
			q.Set("memory", strconv.FormatInt(a.Int, 10))
		case defaults.FieldCPUQuota:
			q.Set("cpuquota", strconv.FormatInt(a.Int, 10))
		}
	}
	return judged{d: d, image: req.Image}, q.Encode(), nil
}

// judgeRefused refuses what the proxy never lets through: plugins (which run with whatever
// privileges they ask for), swarm services (whose specs it does not read), and the swarm
// itself (a manager it joins runs tasks here that no request describes).
func judgeRefused(rt route) judged {
	v := defaults.Violation{Rule: "plugins", From: "POST " + rt.path,
		Message: "a plugin runs with the privileges it asks for, outside every container decision",
		Hint:    "install, configure and enable plugins as an administrator on the daemon's own socket, not through sdocker's proxy"}
	switch rt.kind {
	case "service":
		v = defaults.Violation{Rule: "services", From: "POST " + rt.path,
			Message: "swarm service specs are not decided by sdocker, so they are not let through",
			Hint:    "create services as an administrator on the daemon's own socket, or run the containers with sdocker run or compose"}
	case "swarm":
		v = defaults.Violation{Rule: "services", From: "POST " + rt.path,
			Message: "a swarm's managers run service tasks on this daemon (host binds and capabilities included) without a request through the proxy, so joining, initialising, unlocking or changing a swarm and its nodes is not let through",
			Hint:    "manage the swarm as an administrator on the daemon's own socket"}
	}
	return judged{d: defaults.Decision{Violations: []defaults.Violation{v}}}
}

// statusError is an answer the daemon itself would give (no such container), given as it would.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// judgeMounts re-checks what the daemon will mount for a container it is about to start,
// restart or copy files to or from: the binds and volumes it stored at create, resolved as they
// are now (a source swapped for a link since is refused), and who could swap them meanwhile.
func (s *Server) judgeMounts(ctx context.Context, rt route) (judged, error) {
	in := wrapper.StartInput{Typed: rt.name}
	if s.opt.Host.Identify != nil { // the daemon shares this host
		in.Swappable = wrapper.Swappable
		// Without a restart policy the daemon mounts at once, as at create: the client's own
		// directories are its own (a client the kernel cannot name is anyone).
		if p := PeerOf(ctx); p.Known {
			in.SwappableByOthers = wrapper.SwappableByOthersThan(uint32(p.UID))
		}
	}
	req, err := wrapper.StartRequest(ctx, s.opt.Daemon, in)
	if errors.Is(err, wrapper.ErrNotFound) {
		return judged{d: defaults.Decision{Allowed: true}}, nil // the daemon says so itself
	}
	if err != nil {
		return judged{}, err
	}
	// The policed socket this proxy gave the container at create is its own, not the host's.
	if dir := s.opt.SocketDir; dir != "" {
		var kept []defaults.Mount
		for _, m := range req.Mounts {
			if m.Type == "bind" && ownSocketBind(m.Source, dir) {
				continue
			}
			kept = append(kept, m)
		}
		req.Mounts = kept
	}
	facts, err := s.daemonFacts(ctx)
	if err != nil {
		return judged{}, fmt.Errorf("asking the daemon for its security options: %w", err)
	}
	// The policed socket at the policy's path (runtime.docker_socket.policed), wherever it lies,
	// is judged as at create: the images the policy names may have it.
	s.ownFacts(&facts)
	return judged{image: req.Image, d: defaults.Decide(s.input(req, facts))}, nil
}

// ownSocketBind reports whether a bind source is the policed socket the proxy makes in
// socketDir, as only root can have made it: that very name (nothing else below the directory,
// which is only a directory), a socket or not there yet, on a path no one but root can change.
// A sockets directory someone else made first (beside a --listen in /tmp) is theirs to fill
// with links: what it holds is judged as any other source.
func ownSocketBind(source, socketDir string) bool {
	p := filepath.Clean(source)
	if p != filepath.Join(filepath.Clean(socketDir), "docker.sock") {
		return false
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSocket == 0 || err != nil && !errors.Is(err, os.ErrNotExist) {
		return false
	}
	who, err := wrapper.Swappable(p)
	return err == nil && who == ""
}

// judgeVolume decides POST /volumes/create as the CLI door decides docker volume create: a
// local volume whose options bind or mount the host is refused, so none exists for a later
// create to mount by name.
func (s *Server) judgeVolume(b []byte) (judged, error) {
	var v struct {
		Name       string
		Driver     string
		DriverOpts map[string]string
	}
	if err := decodeStrict(b, &v); err != nil {
		return judged{}, &badInput{fmt.Errorf("reading the volume body: %w", err)}
	}
	m := defaults.Mount{Type: "volume", Source: v.Name, Driver: v.Driver, Options: v.DriverOpts, From: "POST /volumes/create " + v.Name}
	if m.Driver == "" {
		m.Driver = "local"
	}
	return judged{body: b, d: defaults.Decide(s.input(defaults.Request{Kind: defaults.KindVolume, Mounts: []defaults.Mount{m}}, defaults.Facts{}))}, nil
}

// judgeNetwork decides POST /networks/create as docker network create is decided at the CLI
// door: a network on the host's own segment (macvlan, ipvlan, a host bridge by name) is refused.
func (s *Server) judgeNetwork(b []byte) (judged, error) {
	var n engineapi.NetworkCreate
	if err := decodeStrict(b, &n); err != nil {
		return judged{}, &badInput{fmt.Errorf("reading the network body: %w", err)}
	}
	return judged{body: b, d: defaults.Decide(s.input(n.Request(), defaults.Facts{}))}, nil
}

// markSwappable marks the sources of a create that someone could swap for a link before the
// daemon mounts them, as the CLI door does: with a restart policy (the daemon mounts them again
// on its own), anyone but root; without, anyone but root and the client (the kernel's peer
// credentials of its connection; a client it cannot name is anyone). Nothing is marked where
// the daemon is on another host.
func (s *Server) markSwappable(ctx context.Context, req *defaults.Request) error {
	if s.opt.Host.Identify == nil {
		return nil
	}
	swap := wrapper.Swappable
	if !req.RestartsOnItsOwn() {
		if p := PeerOf(ctx); p.Known {
			swap = wrapper.SwappableByOthersThan(uint32(p.UID))
		}
	}
	return wrapper.MarkSwappable(req.Mounts, swap)
}

// pinContainerRefs names the containers a create refers to (VolumesFrom, and container:NAME as
// NetworkMode, PidMode or IpcMode, in HostConfig or at the body's top level, where dockerd
// reads them too) by their full IDs, before anything is judged: a name (or an ID prefix) can be
// given to another container between the check and the daemon's create (docker rename), and the
// daemon would copy that one's binds (/etc among them) or share its namespaces, which no one
// judged. A container the daemon does not know is left as named: the daemon says so itself.
func (s *Server) pinContainerRefs(ctx context.Context, b []byte) ([]byte, error) {
	body, err := decodeObject(b)
	if err != nil {
		return nil, &badInput{fmt.Errorf("reading the create body: %w", err)}
	}
	idOf := func(name string) (string, error) {
		var c struct {
			ID string `json:"Id"`
		}
		err := s.opt.Daemon.Get(ctx, "/containers/"+url.PathEscape(name)+"/json", &c)
		if errors.Is(err, wrapper.ErrNotFound) {
			return name, nil
		}
		if err != nil {
			return "", fmt.Errorf("inspecting container %s: %w", name, err)
		}
		if c.ID == "" || strings.ContainsAny(c.ID, ":/") {
			return "", fmt.Errorf("container %s: the daemon's answer names no ID", name)
		}
		return c.ID, nil
	}
	changed := false
	pin := func(o object) error {
		for _, k := range []string{"NetworkMode", "PidMode", "IpcMode"} {
			v, ok := o.get(k).(string)
			name, shared := strings.CutPrefix(v, "container:")
			if !ok || !shared {
				continue
			}
			id, err := idOf(name)
			if err != nil {
				return err
			}
			if id != name {
				o.set(k, "container:"+id)
				changed = true
			}
		}
		from, err := o.list("VolumesFrom")
		if err != nil {
			return &badInput{err}
		}
		for i, v := range from {
			sv, ok := v.(string)
			if !ok {
				continue // the daemon refuses it
			}
			name, mode := sv, ""
			if j := strings.LastIndex(sv, ":"); j >= 0 && (sv[j+1:] == "ro" || sv[j+1:] == "rw") {
				name, mode = sv[:j], sv[j:]
			}
			id, err := idOf(name)
			if err != nil {
				return err
			}
			if id != name {
				from[i] = id + mode
				changed = true
			}
		}
		return nil
	}
	if err := pin(body); err != nil {
		return nil, err
	}
	if hc, ok := body.get("HostConfig").(map[string]any); ok {
		if err := pin(object(hc)); err != nil {
			return nil, err
		}
	}
	if !changed {
		return b, nil
	}
	return encodeObject(body)
}

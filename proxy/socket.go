package proxy

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// daemonSockets are the host paths of the daemon's socket a create may bind: docker's default
// in both spellings, and the socket the proxy itself talks to.
func (s *Server) isDaemonSocket(src string) bool {
	p := src
	if s.opt.ResolvePath != nil {
		if r, err := s.opt.ResolvePath(src); err == nil {
			p = r
		}
	}
	p = canonical(p)
	return p == "/run/docker.sock" || s.opt.DaemonSocket != "" && p == canonical(s.opt.DaemonSocket) || s.isOwnSocket(p)
}

// isOwnSocket reports whether a (canonical) host path is one of the proxy's own sockets: the one
// it serves its clients on (which docker run --use-api-socket binds, being the client's socket)
// and the policed one it gives containers.
func (s *Server) isOwnSocket(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, own := range append(s.own[:len(s.own):len(s.own)], s.policed) {
		if own != "" && p == canonical(own) {
			return true
		}
	}
	return false
}

func canonical(p string) string {
	p = path.Clean("/" + p)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = "/run" + strings.TrimPrefix(p, "/var/run")
	}
	return p
}

// substituteSocket gives a container whose image runtime.docker_socket.images names the
// proxy's policed socket in place of the daemon's: the binds and mounts of the daemon's socket
// in the body get the policed socket as their source. It returns the body unchanged when the
// request binds no daemon socket, or when its image is not named (the policy then refuses the
// bind as ever). Where a pattern names a digest, the body's image is pinned to the image's ID,
// so the daemon runs the image that was matched.
func (s *Server) substituteSocket(b []byte, req defaults.Request, image *defaults.ImageFacts) ([]byte, bool, error) {
	sock := s.opt.Policy.Runtime.DockerSocket
	asks := false
	for _, m := range req.Mounts {
		if m.Type == "bind" && s.isDaemonSocket(m.Source) {
			asks = true
		}
	}
	if !asks || len(sock.Images) == 0 || s.opt.SocketDir == "" && s.opt.PolicedSocket == "" {
		return b, false, nil
	}
	img := factsOf(image)
	if !sock.MayHaveDockerSocket(req.Image, img) {
		return b, false, nil
	}
	policed, err := s.policedSocket()
	if err != nil {
		return nil, false, err
	}
	body, err := decodeObject(b)
	if err != nil {
		return nil, false, err
	}
	hc, err := body.child("HostConfig")
	if err != nil {
		return nil, false, err
	}
	binds, err := hc.list("Binds")
	if err != nil {
		return nil, false, err
	}
	for i, v := range binds {
		if bind, ok := v.(string); ok {
			if src, rest, ok := strings.Cut(bind, ":"); ok && s.isDaemonSocket(src) {
				binds[i] = policed + ":" + rest
			}
		}
	}
	mounts, err := hc.list("Mounts")
	if err != nil {
		return nil, false, err
	}
	for _, v := range mounts {
		if m, ok := v.(map[string]any); ok {
			mo := object(m)
			if t, _ := mo.get("Type").(string); t == "bind" {
				if src, _ := mo.get("Source").(string); s.isDaemonSocket(src) {
					mo.set("Source", policed)
				}
			}
		}
	}
	for _, p := range sock.Images {
		if strings.Contains(p, "@") && img.ID != "" {
			body.set("Image", img.ID)
		}
	}
	out, err := encodeObject(body)
	return out, true, err
}

// policedSocket is the socket the proxy gives containers in place of the daemon's: served by
// this proxy, so everything asked through it meets the same policy. It is made on first use
// in SocketDir (0700: reachable only through the binds the proxy makes), and closed with the
// proxy.
func (s *Server) policedSocket() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.policed != "" {
		return s.policed, nil
	}
	if s.httpSrv == nil {
		return "", errors.New("the proxy is not serving")
	}
	p := filepath.Join(s.opt.SocketDir, "docker.sock")
	if s.opt.PolicedSocket != "" {
		p = s.opt.PolicedSocket
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making %s: %w", dir, err)
	}
	if err := ownDirectory(dir); err != nil {
		return "", err
	}
	mode, gid := os.FileMode(0o700), -1
	if g := s.opt.SocketGroup; g != "" {
		id, err := lookupGroup(g)
		if err != nil {
			return "", err
		}
		mode, gid = 0o750, id
	}
	if err := os.Chown(dir, -1, gid); err != nil {
		return "", fmt.Errorf("giving group %s %s: %w", s.opt.SocketGroup, dir, err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return "", err
	}
	l, err := ListenUnix(ListenOptions{Path: p, Mode: 0o666})
	if err != nil {
		return "", err
	}
	go s.httpSrv.Serve(&trackingListener{Listener: l, s: s})
	s.policed = p
	return p, nil
}

// ownDirectory refuses to make the policed socket in a directory someone else controls: one
// another user made first (beside a --listen in /tmp), or a link to a directory of the host's,
// which the chown and chmod that follow would change, and which the socket would be served in.
func ownDirectory(dir string) error {
	if who, err := wrapper.SwappableByOthers(dir); err != nil || who != "" {
		if err == nil {
			err = errors.New(who)
		}
		return fmt.Errorf("the policed socket's directory %s is not the proxy's own: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("the policed socket's directory %s is a symbolic link: give the directory itself", dir)
	case !fi.IsDir():
		return fmt.Errorf("the policed socket's directory %s is not a directory", dir)
	case !ok || st.Uid != uint32(os.Geteuid()):
		return fmt.Errorf("the policed socket's directory %s is not owned by uid %d, the proxy's", dir, os.Geteuid())
	}
	return nil
}

// ownSocketViolations refuses binds of the proxy's own sockets, as the daemon's are refused:
// what the policy lets have a socket gets the policed one by substitution, nothing else gets one.
func (s *Server) ownSocketViolations(req defaults.Request) []defaults.Violation {
	var out []defaults.Violation
	for _, m := range req.Mounts {
		if m.Type != "bind" {
			continue
		}
		resolved := m.Source
		if s.opt.ResolvePath != nil {
			if r, err := s.opt.ResolvePath(m.Source); err == nil {
				resolved = r
			}
		}
		if !s.isOwnSocket(canonical(m.Source)) && !s.isOwnSocket(canonical(resolved)) {
			continue
		}
		out = append(out, defaults.Violation{Rule: defaults.RuleMounts, Field: defaults.FieldMounts, From: m.From,
			Message: "a Docker API socket in a container lets it ask for anything its socket allows",
			Hint:    "name the image in runtime.docker_socket.images to give it a policed socket of its own"})
	}
	return out
}

// ownFacts adds to the daemon's facts what this proxy knows itself: the daemon's socket, and
// the policed socket it gives containers (the one bind of a socket the decision lets through,
// for the images runtime.docker_socket names).
func (s *Server) ownFacts(f *defaults.Facts) {
	if s.opt.DaemonSocket != "" {
		f.DaemonSockets = append(f.DaemonSockets, s.opt.DaemonSocket)
	}
	s.mu.Lock()
	f.PolicedSocket = s.policed
	s.mu.Unlock()
}

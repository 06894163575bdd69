package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// ServeHTTP decides the requests the policy covers and forwards every other one untouched.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, err := classify(r)
	if err != nil {
		s.refuseInput(w, r, rt, err)
		return
	}
	switch rt.kind {
	case "start", "restart", "archive", "update", "exec":
		if err := s.pinContainer(r, &rt); err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("sdocker: could not decide %s %s: %v", r.Method, r.URL.Path, err))
			return
		}
	}
	if rt.kind == "connect" {
		if err := s.pinNetwork(r, &rt); err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("sdocker: could not decide %s %s: %v", r.Method, r.URL.Path, err))
			return
		}
	}
	switch rt.kind {
	case "":
		s.forward.ServeHTTP(w, r)
	case "buildkit":
		if !s.opt.Policy.Runtime.Builds.AllowBuildx {
			d := defaults.Decision{Violations: []defaults.Violation{{Rule: defaults.RuleBuildKit, Field: defaults.FieldImage, From: r.Method + " " + r.URL.Path,
				Message: "BuildKit's requests travel as gRPC on this connection, where its entitlements and network mode (network.host, security.insecure) cannot be read",
				Hint:    "build through sdocker's CLI (docker build and docker buildx build are decided there), or set runtime.builds.allow_buildx: true in the policy to leave BuildKit's entitlements to the builder"}}}
			s.log(r, rt, d, "")
			writeError(w, http.StatusForbidden, refusal(d.Violations, rt.kind))
			return
		}
		s.forward.ServeHTTP(w, r)
	case "archive", "restart":
		// Judged by what the daemon will mount, as it resolves now; the body (a tar stream for
		// archive) goes on untouched.
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		j, err := s.judgeMounts(ctx, rt)
		cancel()
		if err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("sdocker: could not decide %s %s: %v", r.Method, r.URL.Path, err))
			return
		}
		s.log(r, rt, j.d, j.image)
		if !j.d.Allowed {
			writeError(w, http.StatusForbidden, refusal(j.d.Violations, rt.kind))
			return
		}
		s.forward.ServeHTTP(w, r)
	case "attach", "execstart":
		s.splice(w, r)
	case "pull":
		s.pull(w, r, rt)
	default:
		s.decide(w, r, rt)
	}
}

// judged is one decision of the proxy: the decision, and the body to forward when allowed.
type judged struct {
	d      defaults.Decision
	image  string
	pinned string // the image as the gate pinned it
	body   []byte
}

// decide reads and judges a request whose body (or query) the policy covers.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, rt route) {
	if rt.kind == "build" {
		// A classic build is judged by its query; its body is the build context, streamed on.
		j, query, err := s.judgeBuild(r)
		if err != nil {
			writeError(w, http.StatusInternalServerError, fmt.Sprintf("sdocker: could not decide %s %s: %v", r.Method, r.URL.Path, err))
			return
		}
		s.log(r, rt, j.d, j.image)
		if !j.d.Allowed {
			writeError(w, http.StatusForbidden, refusal(j.d.Violations, rt.kind))
			return
		}
		r.URL.RawQuery = query
		s.forward.ServeHTTP(w, r)
		return
	}
	b, err := readBody(r, s.opt.MaxBody)
	if errors.Is(err, errTooLarge) {
		s.refuseInput(w, r, rt, fmt.Errorf("the body is larger than the %d bytes the proxy judges", s.opt.MaxBody))
		return
	}
	if err != nil {
		s.refuseInput(w, r, rt, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var j judged
	switch rt.kind {
	case "create":
		j, err = s.judgeCreate(ctx, b)
	case "exec":
		j, err = s.judgeExec(ctx, rt, b)
	case "update":
		j, err = s.judgeUpdate(ctx, rt, b)
	case "start":
		if j, err = judgeStart(b); err == nil && j.d.Allowed {
			j, err = s.judgeMounts(ctx, rt)
			j.body = b
		}
	case "connect":
		j, err = s.judgeConnect(ctx, rt, b)
	case "plugin", "service", "swarm":
		j = judgeRefused(rt)
	case "volume":
		j, err = s.judgeVolume(b)
	case "network":
		j, err = s.judgeNetwork(b)
	}
	if err != nil {
		var inputErr *badInput
		var status *statusError
		var refusedImage *imageRefused
		switch {
		case errors.As(err, &refusedImage):
			s.log(r, rt, defaults.Decision{Violations: []defaults.Violation{{Rule: "image-gate", Field: defaults.FieldImage, From: j.image}}}, j.image)
			writeError(w, http.StatusForbidden, refusedImage.Error())
			return
		case errors.As(err, &inputErr):
			s.refuseInput(w, r, rt, inputErr.err)
			return
		case errors.As(err, &status):
			writeError(w, status.status, status.msg)
			return
		}
		s.log(r, rt, defaults.Decision{}, j.image)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("sdocker: could not decide %s %s: %v", r.Method, r.URL.Path, err))
		return
	}
	s.logPinned(r, rt, j.d, j.image, j.pinned)
	if !j.d.Allowed {
		if rt.kind == "start" {
			s.removeUnstarted(ctx, rt.name)
		}
		writeError(w, http.StatusForbidden, refusal(j.d.Violations, rt.kind))
		return
	}
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(j.body))
	out.ContentLength = int64(len(j.body))
	out.TransferEncoding = nil
	out.Header.Del("Transfer-Encoding")
	out.Header.Del("Upgrade") // a judged request is answered, never upgraded
	if len(j.body) > 0 {
		out.Header.Set("Content-Type", "application/json")
	}
	s.forward.ServeHTTP(w, out)
}

// badInput is a request the proxy cannot read as the daemon would: refused, never forwarded.
type badInput struct{ err error }

func (e *badInput) Error() string { return e.err.Error() }

func (s *Server) refuseInput(w http.ResponseWriter, r *http.Request, rt route, err error) {
	d := defaults.Decision{Violations: []defaults.Violation{{Rule: "input", From: r.Method + " " + r.URL.Path, Message: err.Error()}}}
	s.log(r, rt, d, "")
	writeError(w, http.StatusBadRequest, fmt.Sprintf("sdocker: refused %s %s: %v; the proxy forwards only requests it can read as the daemon reads them: send plain JSON with each key once, on a clean /v1.N path (N ≥ %d)",
		r.Method, r.URL.Path, err, minAPIVersion))
}

// refusal words the violations for an API client, one "sdocker: …" line each.
func refusal(vs []defaults.Violation, kind string) string {
	lines := make([]string, 0, len(vs))
	for _, v := range vs {
		v = Words(v, kind)
		arg := v.From
		if arg == "" {
			arg = "request"
		}
		lines = append(lines, fmt.Sprintf("sdocker: refused %s (rule %s): %s; to allow it, %s", arg, v.Rule, v.Message, v.Hint))
	}
	return strings.Join(lines, "\n")
}

// Words puts the API's field names into a violation's message and hint.
func Words(v defaults.Violation, kind string) defaults.Violation {
	name := func(f defaults.Field) string {
		switch {
		case kind == "connect" && f == defaults.FieldNetworkMode:
			return "the network"
		case kind != "create":
			return string(f)
		case f == defaults.FieldImage, f == defaults.FieldUser:
			return string(f)
		case f == defaults.FieldMounts:
			return "HostConfig.Mounts (or HostConfig.Binds)"
		case f == defaults.FieldMountReadOnly:
			return "ReadOnly (or :ro in HostConfig.Binds)"
		}
		return "HostConfig." + string(f)
	}
	v.Message, v.Hint = defaults.Word(v.Message, name), defaults.Word(v.Hint, name)
	if v.Missing {
		v.From = defaults.Word(v.From, name)
	}
	return v
}

// removeUnstarted removes a container created with AutoRemove (run --rm) whose first start was
// refused, as the daemon removes one whose start fails: docker run --rm waits for that removal,
// and would wait for ever.
func (s *Server) removeUnstarted(ctx context.Context, name string) {
	var c struct {
		ID         string `json:"Id"`
		State      struct{ Status string }
		HostConfig struct{ AutoRemove bool }
	}
	if err := s.opt.Daemon.Get(ctx, "/containers/"+url.PathEscape(name)+"/json", &c); err != nil ||
		!c.HostConfig.AutoRemove || c.State.Status != "created" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, "http://docker/containers/"+url.PathEscape(c.ID)+"?force=1&v=1", nil)
	if err != nil {
		return
	}
	if resp, err := s.up.RoundTrip(req); err == nil {
		resp.Body.Close()
	}
}

// pinContainer names the container of a request by its full ID, in the route and in the path
// the daemon gets: a name (or an ID prefix) can be given to another container between the
// check and the daemon's act (docker rename), and the daemon would start, copy to or update
// that one, which no one judged. A container the daemon does not know is left as named: the
// daemon says so itself.
func (s *Server) pinContainer(r *http.Request, rt *route) error {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var c struct {
		ID string `json:"Id"`
	}
	err := s.opt.Daemon.Get(ctx, "/containers/"+url.PathEscape(rt.name)+"/json", &c)
	if errors.Is(err, wrapper.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspecting container %s: %w", rt.name, err)
	}
	action, ok := strings.CutPrefix(rt.path, "/containers/"+rt.name+"/")
	if !ok || c.ID == "" || strings.ContainsAny(c.ID, "/%") {
		return fmt.Errorf("container %s: the daemon's answer names no ID the proxy can put in the path", rt.name)
	}
	version := strings.TrimSuffix(r.URL.Path, rt.path)
	rt.name, rt.path = c.ID, "/containers/"+c.ID+"/"+action
	r.URL.Path, r.URL.RawPath = version+rt.path, ""
	return nil
}

// pinNetwork names the network of a network connect by its full ID, in the route and in the
// path the daemon gets, as pinContainer does a container: a name or an ID prefix names another
// network once the one it named is removed (a bridge named after a prefix of a macvlan
// network's ID), and the daemon would join that one, which no one judged. A network the daemon
// does not know is left as named: the daemon says so itself.
func (s *Server) pinNetwork(r *http.Request, rt *route) error {
	switch rt.name {
	case "bridge", "host", "none":
		return nil // the daemon's own networks, whose names no other network can take
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var n struct {
		ID string `json:"Id"`
	}
	err := s.opt.Daemon.Get(ctx, "/networks/"+url.PathEscape(rt.name), &n)
	if errors.Is(err, wrapper.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspecting network %s: %w", rt.name, err)
	}
	if rt.path != "/networks/"+rt.name+"/connect" || n.ID == "" || strings.ContainsAny(n.ID, "/%") {
		return fmt.Errorf("network %s: the daemon's answer names no ID the proxy can put in the path", rt.name)
	}
	version := strings.TrimSuffix(r.URL.Path, rt.path)
	rt.typed, rt.name, rt.path = rt.name, n.ID, "/networks/"+n.ID+"/connect"
	r.URL.Path, r.URL.RawPath = version+rt.path, ""
	return nil
}

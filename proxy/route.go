package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// minAPIVersion is the oldest API version the proxy accepts: before 1.24 the daemon took a
// HostConfig on container start, a way around every create decision.
const minAPIVersion = 24

var (
	versionPrefix = regexp.MustCompile(`^/v([^/]*)(/.*)$`)
	// dockerd names containers, networks and plugins in its routes with {name:.*}: a name may
	// hold slashes, so a route is matched from its end.
	containerRoute = regexp.MustCompile(`^/containers/(.+)/(exec|update|start|restart|attach)$`)
	archiveRoute   = regexp.MustCompile(`^/containers/(.+)/archive$`)
	execStartRoute = regexp.MustCompile(`^/exec/(.+)/start$`)
	connectRoute   = regexp.MustCompile(`^/networks/(.+)/connect$`)
	pluginRoute    = regexp.MustCompile(`^/plugins/(.+)/(enable|set|upgrade)$`)
	serviceRoute   = regexp.MustCompile(`^/services/(.+)/update$`)
	nodeRoute      = regexp.MustCompile(`^/nodes/(.+)/update$`)
)

// route is what a request asks, once its version prefix is off.
type route struct {
	kind  string // create, exec, update, start, attach, execstart, connect, plugin, build, service, swarm, pull, "" (forward)
	name  string // the container, network or plugin in the path
	typed string // the name as the client gave it, where the proxy put an ID in its place
	path  string // the path without its version prefix
}

// classify finds the route of a request, or an error for a path the proxy will not judge: one
// the daemon could read otherwise than the proxy does.
func classify(r *http.Request) (route, error) {
	p := r.URL.Path
	if p == "" || path.Clean(p) != p {
		return route{}, fmt.Errorf("the path %q is not in its clean form", p)
	}
	if m := versionPrefix.FindStringSubmatch(p); m != nil {
		if !knownVersion(m[1]) {
			return route{}, fmt.Errorf("API version %q in %q: the proxy accepts versions 1.%d and later", m[1], p, minAPIVersion)
		}
		p = m[2]
	}
	rt := route{path: p}
	if formBody(r) {
		return route{}, fmt.Errorf("the body is a form (Content-Type application/x-www-form-urlencoded): the daemon reads its fields as the query's, over the query the proxy judges")
	}
	// docker cp mounts the container's binds and volumes (GET, HEAD and PUT alike), with no start.
	if m := archiveRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = "archive", m[1]
		return rt, nil
	}
	// BuildKit speaks gRPC over these: its entitlements and network mode are not readable here.
	if p == "/grpc" || p == "/session" {
		rt.kind = "buildkit"
		return rt, nil
	}
	if !strings.EqualFold(r.Method, http.MethodPost) {
		return rt, nil
	}
	if strings.Contains(strings.ToLower(r.URL.RawPath), "%2f") {
		return route{}, fmt.Errorf("the path %q has an encoded slash", r.URL.RawPath)
	}
	switch p {
	case "/containers/create":
		rt.kind = "create"
	case "/build":
		rt.kind = "build"
	case "/plugins/pull", "/plugins/create":
		rt.kind = "plugin"
	case "/services/create":
		rt.kind = "service"
	case "/images/create":
		rt.kind = "pull"
	case "/volumes/create":
		rt.kind = "volume"
	case "/networks/create":
		rt.kind = "network"
	}
	if rt.kind != "" {
		return rt, nil
	}
	// Joining a swarm (or making this daemon a manager, or changing its nodes) lets a manager
	// run tasks on this daemon that no request through the proxy ever describes.
	if strings.HasPrefix(p, "/swarm/") && p != "/swarm/leave" {
		rt.kind = "swarm"
		return rt, nil
	}
	if m := containerRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = m[2], m[1]
	} else if m := execStartRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = "execstart", m[1]
	} else if m := connectRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = "connect", m[1]
	} else if m := pluginRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = "plugin", m[1]
	} else if m := serviceRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = "service", m[1]
	} else if m := nodeRoute.FindStringSubmatch(p); m != nil {
		rt.kind, rt.name = "swarm", m[1]
	}
	return rt, nil
}

// formBody reports whether the daemon's net/http would read the request's body as a form
// (Request.ParseForm: POST, PUT and PATCH with that media type, whatever its parameters say),
// whose fields win over the query's: fromImage on a pull, networkmode and the limits on a build.
func formBody(r *http.Request) bool {
	switch strings.ToUpper(r.Method) {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	for _, ct := range r.Header.Values("Content-Type") {
		// In any case and with any parameters: the media type mime.ParseMediaType reads is
		// within the value.
		if strings.Contains(strings.ToLower(ct), "x-www-form-urlencoded") {
			return true
		}
	}
	return false
}

// knownVersion accepts "1.N" with N at least minAPIVersion.
func knownVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major != "1" {
		return false
	}
	n, err := strconv.Atoi(minor)
	return err == nil && n >= minAPIVersion && strconv.Itoa(n) == minor
}

// writeError answers as the daemon does: docker clients print the message after "Error
// response from daemon: ".
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

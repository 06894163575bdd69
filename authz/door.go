package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"sdocker/defaults"
	"sdocker/wrapper"
)

// Daemon is what the door asks of the daemon it guards: its facts (GET /info) and what the
// resolvers read (containers named by --volumes-from, volumes, networks, images). The door's own
// GET requests pass through dockerd's authorization like any other, and are allowed.
type Daemon interface {
	wrapper.Getter
	Info(ctx context.Context) (wrapper.Info, error)
}

// Images checks the policy's signature rules: nil allows the image, an error says why not.
type Images interface {
	// CheckPull checks the image a pull names, on its registry.
	CheckPull(ctx context.Context, ref string) error
	// CheckCreate checks the image a create names as the daemon has it: by its repo digest, or
	// by the names the daemon knows an image ID by. An image with no repo digest (loaded,
	// imported or built here, then tagged under a signed name) fails a signature rule.
	CheckCreate(ctx context.Context, image string) error
}

// Options configure a Door.
type Options struct {
	Policy *defaults.Policy
	Daemon Daemon
	// Images checks pulls and creates; nil refuses those an image rule asks a signature of.
	Images Images
	// Sockets are the unix sockets the guarded daemon listens on: binds of them are denied
	// whatever they are called.
	Sockets []string
	// Local: the daemon runs on this machine, so bind sources are this machine's paths.
	Local bool
	// Timeout bounds one decision (DefaultTimeout when zero).
	Timeout time.Duration
	// Log receives one line per decided request (allowed or denied) and per denial; nil: none.
	Log io.Writer
	// InsecureAllow names classes of requests the door does not judge and otherwise denies:
	// "plugins" (installing, upgrading and configuring managed plugins), "swarm" (services,
	// whose containers the daemon creates itself, unseen by any plugin).
	InsecureAllow map[string]bool
	// Now is the clock for exceptions' expiry; nil is time.Now.
	Now func() time.Time
	// Routes are judged before the door's own (the seam for the other commands' decisions):
	// the first whose Method and Path match decides.
	Routes []Route
}

// Route decides one kind of request.
type Route struct {
	Method string
	// Path matches the request's path without its /vX.Y prefix, cleaned.
	Path *regexp.Regexp
	// Body: the request must carry a JSON body; one that arrives without is denied.
	Body bool
	// Judge returns nil to allow, or why not.
	Judge func(ctx context.Context, c *Call) *Denial
}

// Call is one request as a route sees it.
type Call struct {
	Req     Request
	Path    string   // cleaned, unversioned
	Version string   // the API version of the path, "" when unversioned
	Match   []string // the route's submatches of Path
	Query   url.Values
}

// Denial is why a request is denied: each line names the rule, the field and how to comply.
type Denial struct {
	Lines []string
	// Rules are the rules broken, for the log.
	Rules []string
}

func deny(rule, format string, args ...any) *Denial {
	return &Denial{Lines: []string{fmt.Sprintf(format, args...)}, Rules: []string{rule}}
}

// Door judges dockerd's requests by the policy.
type Door struct {
	o      Options
	routes []Route

	mu        sync.Mutex
	facts     defaults.Facts
	factsTill time.Time
}

// factsTTL is how long the daemon's facts are reused; they change only when it restarts.
const factsTTL = 30 * time.Second

// New makes a door. Policy and Daemon are required.
func New(o Options) (*Door, error) {
	if o.Policy == nil || o.Daemon == nil {
		return nil, fmt.Errorf("making the authorization door: a policy and a daemon are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Door{o: o}
	d.routes = append(append([]Route(nil), o.Routes...), d.ownRoutes()...)
	return d, nil
}

var versionPrefix = regexp.MustCompile(`^/v([0-9][0-9.]*)(/.*)?$`)

// AuthZReq decides one request, within the door's timeout.
func (d *Door) AuthZReq(ctx context.Context, req Request) Response {
	start := time.Now()
	c, err := parseCall(req)
	var resp Response
	var den *Denial
	decided := false
	if err != nil {
		den = deny("request", "sdocker: refused %s %q: %v", req.RequestMethod, req.RequestURI, err)
	} else if formBody(req) {
		decided = true
		den = deny("request", "sdocker: refused %s %q (rule body): its body is a form (Content-Type %q), whose fields dockerd reads as the query's and over them, "+
			"so what the query says is not what the daemon does; to allow it, send the parameters in the query, as the docker CLI and SDKs do",
			req.RequestMethod, req.RequestURI, header(req, "Content-Type"))
	} else {
		for _, r := range d.routes {
			m := r.Path.FindStringSubmatch(c.Path)
			if !strings.EqualFold(req.RequestMethod, r.Method) || m == nil {
				continue
			}
			decided, c.Match = true, m
			resp = withTimeout(ctx, d.o.Timeout, func(ctx context.Context) Response {
				if r.Body {
					if den := needBody(c); den != nil {
						return den.response()
					}
				}
				return r.Judge(ctx, c).response()
			})
			break
		}
		if !decided {
			resp = Response{Allow: true}
		}
	}
	if den != nil {
		resp = den.response()
	}
	if decided || !resp.Allow {
		d.log(req, resp, time.Since(start))
	}
	return resp
}

// response turns a denial (or none) into the plugin's answer.
func (den *Denial) response() Response {
	if den == nil {
		return Response{Allow: true}
	}
	return Response{Msg: strings.Join(den.Lines, "\n")}
}

// parseCall reads the request's path as dockerd's router does: decoded, without the version.
func parseCall(req Request) (*Call, error) {
	u, err := url.ParseRequestURI(req.RequestURI)
	if err != nil {
		return nil, fmt.Errorf("reading the request's URI: %w", err)
	}
	c := &Call{Req: req, Path: path.Clean("/" + u.Path)}
	if m := versionPrefix.FindStringSubmatch(c.Path); m != nil {
		c.Version, c.Path = m[1], path.Clean("/"+m[2])
	}
	if c.Query, err = url.ParseQuery(u.RawQuery); err != nil {
		return nil, fmt.Errorf("reading the request's query: %w", err)
	}
	return c, nil
}

// needBody denies a request that must carry a JSON body and came without one: dockerd sends its
// plugins no body of 1 MiB or more and none without a JSON content type, and still acts on it.
func needBody(c *Call) *Denial {
	if len(c.Req.RequestBody) > 0 {
		return nil
	}
	ct := header(c.Req, "Content-Type")
	why := "its body did not reach the authorization plugin"
	switch {
	case ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json"):
		why = fmt.Sprintf("its Content-Type is %q, and dockerd shows plugins JSON bodies only", ct)
	case header(c.Req, "Content-Length") != "" && header(c.Req, "Content-Length") != "0":
		why = fmt.Sprintf("its body of %s bytes is 1 MiB or more, which dockerd does not show plugins (CVE-2026-34040)", header(c.Req, "Content-Length"))
	case strings.EqualFold(header(c.Req, "Transfer-Encoding"), "chunked"):
		why = "its body was sent chunked and did not reach the plugin"
	}
	return deny("body", "sdocker: refused %s %s (rule body): %s, so the policy cannot judge it; "+
		"to allow it, send the request as JSON (Content-Type: application/json) of less than 1 MiB, as the docker CLI and SDKs do",
		c.Req.RequestMethod, c.Path, why)
}

// formBody reports whether dockerd's net/http reads the request's body as a form
// (Request.ParseForm, which moby calls on every route with a query: POST, PUT and PATCH with
// that media type), whose fields win over the query's: fromImage on a pull, networkmode on a
// build.
func formBody(r Request) bool {
	switch strings.ToUpper(r.RequestMethod) {
	case "POST", "PUT", "PATCH":
	default:
		return false
	}
	return strings.Contains(strings.ToLower(header(r, "Content-Type")), "x-www-form-urlencoded")
}

// header reads a request header dockerd passed, in any case.
func header(r Request, name string) string {
	for k, v := range r.RequestHeaders {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// decodeBody decodes the request's JSON body as dockerd does (encoding/json, unknown fields
// ignored).
func decodeBody(c *Call, v any) *Denial {
	if err := json.Unmarshal(c.Req.RequestBody, v); err != nil {
		return deny("body", "sdocker: refused %s %s (rule body): its JSON body cannot be read (%v); to allow it, send a valid body", c.Req.RequestMethod, c.Path, err)
	}
	return nil
}

// daemonFacts asks the daemon for its facts, or reuses what it said within factsTTL.
func (d *Door) daemonFacts(ctx context.Context) (defaults.Facts, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Now().Before(d.factsTill) {
		return d.facts, nil
	}
	info, err := d.o.Daemon.Info(ctx)
	if err != nil {
		return defaults.Facts{}, fmt.Errorf("asking the daemon for its security options: %w", err)
	}
	d.facts, d.factsTill = wrapper.FactsFromInfo(info), time.Now().Add(factsTTL)
	// The policed socket the proxy gives containers is the one bind of a socket let through.
	d.facts.PolicedSocket = d.o.Policy.Runtime.DockerSocket.Policed
	d.facts.DaemonSockets = d.o.Sockets
	if d.o.Local {
		// The policed socket the proxy gives containers in place of the daemon's: the one
		// socket the images runtime.docker_socket names may hold.
		d.facts.PolicedSocket = wrapper.PolicedSocket(d.o.Policy.Runtime.DockerSocket.Policed)
	}
	return d.facts, nil
}

func (d *Door) log(req Request, resp Response, took time.Duration) {
	if d.o.Log == nil {
		return
	}
	user := req.User
	if user == "" {
		user = "-"
	} else if req.UserAuthNMethod != "" {
		user += " (" + req.UserAuthNMethod + ")"
	}
	verdict := "allowed"
	if !resp.Allow {
		verdict = "denied: " + strings.ReplaceAll(resp.Msg, "\n", " | ")
	}
	fmt.Fprintf(d.o.Log, "%s sdocker authz: user %s: %s %s: %s (%s)\n", time.Now().UTC().Format(time.RFC3339),
		user, req.RequestMethod, req.RequestURI, verdict, took.Round(time.Microsecond))
}

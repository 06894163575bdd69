package authz

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"sdocker/defaults"
	"sdocker/engineapi"
	"sdocker/wrapper"
)

// ownRoutes are the requests the door decides. Every other request is allowed: it creates no
// container, changes none's privileges and pulls no image.
func (d *Door) ownRoutes() []Route {
	re := regexp.MustCompile
	return []Route{
		{Method: "POST", Path: re(`^/containers/create$`), Body: true, Judge: d.create},
		{Method: "POST", Path: re(`^/containers/([^/]+)/exec$`), Body: true, Judge: d.exec},
		{Method: "POST", Path: re(`^/containers/([^/]+)/update$`), Body: true, Judge: d.update},
		{Method: "POST", Path: re(`^/containers/([^/]+)/start$`), Judge: d.start},
		{Method: "POST", Path: re(`^/containers/([^/]+)/restart$`), Judge: d.remount},
		// docker cp mounts the container's binds and volumes with no start.
		{Method: "PUT", Path: re(`^/containers/([^/]+)/archive$`), Judge: d.remount},
		{Method: "GET", Path: re(`^/containers/([^/]+)/archive$`), Judge: d.remount},
		{Method: "HEAD", Path: re(`^/containers/([^/]+)/archive$`), Judge: d.remount},
		{Method: "POST", Path: re(`^/networks/([^/]+)/connect$`), Body: true, Judge: d.connect},
		{Method: "POST", Path: re(`^/images/create$`), Judge: d.imageCreate},
		{Method: "POST", Path: re(`^/networks/create$`), Body: true, Judge: d.networkCreate},
		{Method: "POST", Path: re(`^/build$`), Judge: d.build},
		{Method: "POST", Path: re(`^/plugins/(pull|create|[^/]+/upgrade|[^/]+/set)$`), Judge: d.unjudged("plugins",
			"a managed plugin runs with the privileges, mounts and devices it asks for, which the policy does not judge")},
		{Method: "POST", Path: re(`^/(services/create|services/[^/]+/update|swarm/init|swarm/join|swarm/update|swarm/unlock|nodes/[^/]+/update)$`), Judge: d.unjudged("swarm",
			"swarm services' containers are created by the daemon itself, where no authorization plugin sees them")},
	}
}

// decide runs the decision on a request in require mode, with what the daemon knows.
func (d *Door) decide(ctx context.Context, r defaults.Request) (defaults.Decision, error) {
	in := defaults.Input{Policy: d.o.Policy, Request: r, Now: d.o.Now(), Require: true}
	if d.o.Local {
		in.ResolvePath, in.Host = wrapper.ResolveHostPath, wrapper.LocalHostFS()
		in.Homes, in.Exists = wrapper.HostHomes(), wrapper.HostPathExists
	}
	var err error
	if in.Facts, err = d.daemonFacts(ctx); err != nil {
		return defaults.Decision{}, err
	}
	if r.Kind == defaults.KindCreate {
		if in.Facts.Image, err = wrapper.InspectImage(ctx, d.o.Daemon, r.Image); err != nil {
			return defaults.Decision{}, err
		}
		if err := wrapper.ResolveDaemonRefs(ctx, d.o.Daemon, &in.Request); err != nil {
			return defaults.Decision{}, err
		}
	}
	return defaults.Decide(in), nil
}

// verdict turns a decision into a denial (nil when allowed). In warn mode the violations are
// logged and the request allowed.
func (d *Door) verdict(c *Call, dec defaults.Decision, err error) *Denial {
	if err != nil {
		return deny("daemon", "sdocker: refused %s %s: the policy could not be applied (%v); try again once the daemon answers", c.Req.RequestMethod, c.Path, err)
	}
	if len(dec.Violations) == 0 {
		return nil
	}
	den := &Denial{}
	for _, v := range dec.Violations {
		if v.Rule == defaults.RuleNetwork && v.Field == defaults.FieldNetworkMode && !v.Missing && c.Path == "/containers/create" {
			// Leaving the network out is what sdocker run allows; here it is a missing setting.
			v.Hint = fmt.Sprintf("set {NetworkMode} to %q (sdocker run does) or another user-defined network", d.o.Policy.Runtime.Network.Default)
		}
		den.Lines = append(den.Lines, "sdocker: "+Line(v))
		den.Rules = append(den.Rules, string(v.Rule))
	}
	if dec.Allowed { // mode: warn
		if d.o.Log != nil {
			fmt.Fprintf(d.o.Log, "%s sdocker authz: warning (mode: warn): would have denied %s %s: %s\n",
				time.Now().UTC().Format(time.RFC3339), c.Req.RequestMethod, c.Req.RequestURI, strings.Join(den.Lines, " | "))
		}
		return nil
	}
	return den
}

func (d *Door) create(ctx context.Context, c *Call) *Denial {
	// Decoded as dockerd decodes it: HostConfig fields at the body's top level count too.
	cfg, hc, nc, err := engineapi.DecodeCreate(c.Req.RequestBody)
	if err != nil {
		return deny("body", "sdocker: refused %s %s (rule body): its JSON body cannot be read (%v); to allow it, send a valid body", c.Req.RequestMethod, c.Path, err)
	}
	r := engineapi.CreateRequest(cfg, hc, nc)
	if err := d.markRestartable(r.RestartPolicy, r.Mounts); err != nil {
		return d.verdict(c, defaults.Decision{}, err)
	}
	dec, err := d.decide(ctx, r)
	if den := d.verdict(c, dec, err); den != nil {
		return den
	}
	image := cfg.Image
	if d.o.Images == nil {
		if r := d.o.Policy.ImageRule(image); r != nil && r.Signature.Required {
			return deny("signature", "sdocker: refused creating a container of %s (rule %q at line %d): the authorization plugin has no image checker; to allow it, start sdocker authz with sdocker-verify beside it", image, r.Match, r.Line)
		}
		return nil
	}
	if err := d.o.Images.CheckCreate(ctx, image); err != nil {
		return deny("signature", "sdocker: refused creating a container of Image=%s: %v", image, err)
	}
	return nil
}

func (d *Door) exec(ctx context.Context, c *Call) *Denial {
	var body container.ExecCreateRequest
	if den := decodeBody(c, &body); den != nil {
		return den
	}
	r := defaults.Request{Kind: defaults.KindExec}
	if body.Privileged {
		r.Privileged = &defaults.Val[bool]{Value: true, From: "Privileged=true"}
	}
	dec, err := d.decide(ctx, r)
	return d.verdict(c, dec, err)
}

func (d *Door) update(ctx context.Context, c *Call) *Denial {
	var body container.UpdateConfig
	if den := decodeBody(c, &body); den != nil {
		return den
	}
	r := UpdateRequest(body.Resources)
	r, err := wrapper.WithCurrentLimits(ctx, d.o.Daemon, r, c.Match[1])
	if err != nil {
		return d.verdict(c, defaults.Decision{}, err)
	}
	if n := string(body.RestartPolicy.Name); defaults.RestartsOnItsOwn(n) {
		r.RestartPolicy = &defaults.Val[string]{Value: n, From: "RestartPolicy.Name=" + n}
		if r, err = wrapper.WithContainerMounts(ctx, d.o.Daemon, r, c.Match[1], d.swappable()); err != nil {
			return d.verdict(c, defaults.Decision{}, err)
		}
	}
	dec, err := d.decide(ctx, r)
	return d.verdict(c, dec, err)
}

// UpdateRequest describes a container update's new limits in the decision's terms. Zero is
// "unchanged" in an update, as in a create.
func UpdateRequest(res container.Resources) defaults.Request {
	r := defaults.Request{Kind: defaults.KindUpdate}
	num := func(field string, v int64) *defaults.Val[int64] {
		if v == 0 {
			return nil
		}
		return &defaults.Val[int64]{Value: v, From: field + "=" + strconv.FormatInt(v, 10)}
	}
	r.Memory, r.MemorySwap = num("Memory", res.Memory), num("MemorySwap", res.MemorySwap)
	r.NanoCPUs, r.CPUQuota, r.CPUPeriod = num("NanoCpus", res.NanoCPUs), num("CpuQuota", res.CPUQuota), num("CpuPeriod", res.CPUPeriod)
	if p := res.PidsLimit; p != nil {
		r.PidsLimit = &defaults.Val[int64]{Value: *p, From: "PidsLimit=" + strconv.FormatInt(*p, 10)}
	}
	return r
}

// start denies a HostConfig given on start: API versions before 1.24 let POST
// /containers/{id}/start set one (privileged included), and dockerd 20.10 still applies it.
func (d *Door) start(ctx context.Context, c *Call) *Denial {
	carries := len(c.Req.RequestBody) > 0 && strings.TrimSpace(string(c.Req.RequestBody)) != "null" && strings.TrimSpace(string(c.Req.RequestBody)) != "{}"
	if n := header(c.Req, "Content-Length"); n != "" && n != "0" && len(c.Req.RequestBody) == 0 {
		carries = true // a body the plugin was not shown
	}
	if strings.EqualFold(header(c.Req, "Transfer-Encoding"), "chunked") && len(c.Req.RequestBody) == 0 {
		carries = true
	}
	if !carries || !oldAPI(c.Version) {
		return d.remount(ctx, c)
	}
	return deny("body", "sdocker: refused %s %s (rule body): a HostConfig given on start (API %s) is not judged by the policy; "+
		"to allow it, create the container with its settings and start it without a body", c.Req.RequestMethod, c.Path, c.Version)
}

// markRestartable marks, beside a restart policy, the host sources someone other than root
// could swap for a link: the daemon mounts them again on its own (after a crash, at its own
// start), with no request for the door to judge. Without one, nothing is marked: dockerd does
// not say who the client is, so its own directories cannot be told from another user's.
func (d *Door) markRestartable(rp *defaults.Val[string], mounts []defaults.Mount) error {
	if rp == nil || !defaults.RestartsOnItsOwn(rp.Value) {
		return nil
	}
	return wrapper.MarkSwappable(mounts, d.swappable())
}

// swappable walks host paths where the daemon shares this host; nil for another host, where
// every host source counts as swappable.
func (d *Door) swappable() func(string) (string, error) {
	if d.o.Local {
		return wrapper.Swappable
	}
	return nil
}

// remount judges what the daemon will mount for a start, restart or copy: the container's binds
// and volumes as they resolve now, by the deny list, as at create. A source swapped for a link
// to /etc since the create names /etc now. Who could swap a source before the mount is not
// judged here: dockerd does not say who the client is, so its own directories cannot be told
// from another user's (the CLI and API doors judge that).
func (d *Door) remount(ctx context.Context, c *Call) *Denial {
	in := wrapper.StartInput{Typed: c.Match[1], Swappable: func(string) (string, error) { return "", nil }}
	r, err := wrapper.StartRequest(ctx, d.o.Daemon, in)
	if errors.Is(err, wrapper.ErrNotFound) {
		return nil // the daemon says so itself
	}
	if err != nil {
		return d.verdict(c, defaults.Decision{}, err)
	}
	dec, err := d.decide(ctx, r)
	return d.verdict(c, dec, err)
}

// oldAPI reports whether an API version is one that takes a HostConfig on start (before 1.24).
func oldAPI(v string) bool {
	if v == "" {
		return false
	}
	major, minor, _ := strings.Cut(v, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(strings.SplitN(minor, ".", 2)[0])
	if err1 != nil || err2 != nil {
		return true // unreadable: judged as old, the safe side
	}
	return ma < 1 || ma == 1 && mi < 24
}

// connect judges POST /networks/{id}/connect by the policy's network rules: the network named
// in the path, resolved by the daemon (an ID may be the default bridge's or the host's).
func (d *Door) connect(ctx context.Context, c *Call) *Denial {
	var body network.ConnectRequest
	if den := decodeBody(c, &body); den != nil {
		return den
	}
	r := defaults.Request{Kind: defaults.KindCreate, Networks: []defaults.Val[string]{{Value: c.Match[1], From: "network " + c.Match[1]}}}
	if err := wrapper.ResolveDaemonRefs(ctx, d.o.Daemon, &r); err != nil {
		return d.verdict(c, defaults.Decision{}, err)
	}
	facts, err := d.daemonFacts(ctx)
	if err != nil {
		return d.verdict(c, defaults.Decision{}, err)
	}
	// Until the decision has a kind of its own for it: the network rules of a create, and
	// nothing the create would add.
	dec := defaults.Decide(defaults.Input{Policy: d.o.Policy, Request: r, Facts: facts, Now: d.o.Now()})
	var keep []defaults.Violation
	for _, v := range dec.Violations {
		if v.Field == defaults.FieldNetworkMode {
			if v.Rule == defaults.RuleNetwork {
				v.Hint = "connect the container to a user-defined network instead"
			}
			keep = append(keep, v)
		}
	}
	dec.Violations = keep
	dec.Allowed = len(keep) == 0 || d.o.Policy.Mode == defaults.ModeWarn
	return d.verdict(c, dec, nil)
}

// imageCreate judges POST /images/create: a pull (fromImage) by the image rules, and an import
// (fromSrc) into a repository whose rule asks for signatures, which no import can carry.
func (d *Door) imageCreate(ctx context.Context, c *Call) *Denial {
	q := c.Query
	if src := q.Get("fromSrc"); src != "" || q.Get("fromImage") == "" {
		repo := q.Get("repo")
		if r := d.o.Policy.ImageRule(repo); repo != "" && r != nil && r.Signature.Required {
			return deny("signature", "sdocker: refused importing an image as %s (rule signature, %q at line %d): an imported image carries no signature; "+
				"to allow it, push a signed image and pull it, or import it under a name no signature rule matches", repo, r.Match, r.Line)
		}
		return nil
	}
	ref := q.Get("fromImage")
	if tag := q.Get("tag"); tag != "" {
		if strings.HasPrefix(tag, "sha256:") {
			ref += "@" + tag
		} else {
			ref += ":" + tag
		}
	}
	rule := d.o.Policy.ImageRule(ref)
	if rule == nil || !rule.Signature.Required {
		return nil
	}
	if d.o.Images == nil {
		return deny("signature", "sdocker: refused pulling %s (rule %q at line %d): the authorization plugin has no image checker; to allow it, start sdocker authz with sdocker-verify beside it", ref, rule.Match, rule.Line)
	}
	if err := d.o.Images.CheckPull(ctx, ref); err != nil {
		return deny("signature", "sdocker: refused pulling %s (rule %q at line %d): %v", ref, rule.Match, rule.Line, err)
	}
	return nil
}

// unjudged denies a class of requests the policy does not judge yet, unless the operator let it
// through with --insecure-allow.
func (d *Door) unjudged(class, why string) func(context.Context, *Call) *Denial {
	return func(_ context.Context, c *Call) *Denial {
		if d.o.InsecureAllow[class] {
			return nil
		}
		return deny(class, "sdocker: refused %s %s (rule %s): %s; to allow it, restart sdocker authz with --insecure-allow=%s", c.Req.RequestMethod, c.Path, class, why, class)
	}
}

// networkCreate judges POST /networks/create: a network on the host's own segment (macvlan,
// ipvlan, a host bridge by name) is refused.
func (d *Door) networkCreate(ctx context.Context, c *Call) *Denial {
	var body engineapi.NetworkCreate
	if den := decodeBody(c, &body); den != nil {
		return den
	}
	return d.verdict(c, defaults.Decide(defaults.Input{Policy: d.o.Policy, Request: body.Request(), Now: d.o.Now(), Require: true}), nil)
}

// build judges a classic build by its query: RUN steps on the host's network (also through
// container:NAME), in a cgroup of the request's choosing, or beyond the policy's maxima are
// refused. The limits the CLI door adds are not required here: the daemon's builder gives
// none of its own to check.
func (d *Door) build(ctx context.Context, c *Call) *Denial {
	r := engineapi.BuildRequest(c.Query)
	if err := wrapper.ResolveDaemonRefs(ctx, d.o.Daemon, &r); err != nil {
		return d.verdict(c, defaults.Decision{}, err)
	}
	dec := defaults.Decide(defaults.Input{Policy: d.o.Policy, Request: r, Now: d.o.Now(), Require: true})
	var keep []defaults.Violation
	for _, v := range dec.Violations {
		if !v.Missing {
			keep = append(keep, v)
		}
	}
	dec.Violations = keep
	dec.Allowed = len(keep) == 0 || d.o.Policy.Mode == defaults.ModeWarn
	return d.verdict(c, dec, nil)
}

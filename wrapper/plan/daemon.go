package plan

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"sdocker/wrapper"
)

// onceDaemon answers a plan's questions about local images once each: the decision (the
// image's user, its ID and repo digests) and the image gate (the names an ID stands for, the
// repo digest to verify) ask the daemon about the same image, and one plan is one moment of
// the daemon's state. Every other question goes to the Engine.
type onceDaemon struct {
	eng    wrapper.Getter
	images map[string]answer // by image name, unescaped
}

// answer is the daemon's answer to one GET: the JSON body, or the error.
type answer struct {
	body json.RawMessage
	err  error
}

func (o *onceDaemon) Get(ctx context.Context, path string, out any) error {
	name, ok := imageInspected(path)
	if !ok {
		return o.eng.Get(ctx, path, out)
	}
	a, seen := o.images[name]
	if !seen {
		a.err = o.eng.Get(ctx, path, &a.body)
		if o.images == nil {
			o.images = map[string]answer{}
		}
		o.images[name] = a
	}
	if a.err != nil || out == nil {
		return a.err
	}
	return json.Unmarshal(a.body, out)
}

// imageInspected reads the image name of GET /images/{name}/json, whichever way the name was
// escaped (the docker CLI's way keeps its slashes).
func imageInspected(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/images/")
	if !ok || strings.Contains(path, "?") {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, "/json")
	if !ok || name == "" {
		return "", false
	}
	unescaped, err := url.PathUnescape(name)
	if err != nil {
		return "", false
	}
	return unescaped, true
}

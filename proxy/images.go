package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"sdocker/defaults"
)

// ImageGate applies the policy's image rules (signatures, the scan gate) as the CLI door does.
// Check returns the reference the daemon must use instead of ref (repo@sha256:… or an image ID),
// or "" to keep ref; an error refuses the image. action is "pull" or "create".
type ImageGate interface {
	Check(ctx context.Context, action, ref string) (pinned string, err error)
}

// gateCreate passes a create's image through the gate and pins the body to what was checked.
func (s *Server) gateCreate(ctx context.Context, body []byte, image string) ([]byte, string, error) {
	if s.opt.Images == nil || image == "" {
		return body, "", nil
	}
	pinned, err := s.opt.Images.Check(ctx, "create", image)
	if err != nil || pinned == "" || pinned == image {
		return body, "", err
	}
	o, err := decodeObject(body)
	if err != nil {
		return nil, "", err
	}
	o.set("Image", pinned)
	out, err := encodeObject(o)
	return out, pinned, err
}

// imageRefused is an image the gate refused, answered as the daemon answers a refusal.
type imageRefused struct {
	image string
	err   error
}

func (e *imageRefused) Error() string {
	return fmt.Sprintf("sdocker: refused image %s: %s", e.image, strings.Join(strings.Fields(e.err.Error()), " "))
}

// pull passes POST /images/create?fromImage=… through the gate: the daemon pulls the digest
// that was checked, and the tag asked for is set on it afterwards, as the CLI door does.
// Imports (fromSrc) are forwarded.
func (s *Server) pull(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	from, tag := q.Get("fromImage"), q.Get("tag")
	if s.opt.Images == nil || from == "" {
		s.log(r, rt, defaults.Decision{Allowed: true}, from)
		s.forward.ServeHTTP(w, r)
		return
	}
	ref := from
	switch {
	case strings.HasPrefix(tag, "sha256:"):
		ref += "@" + tag
	case tag != "":
		ref += ":" + tag
	}
	pinned, err := s.opt.Images.Check(r.Context(), "pull", ref)
	if err != nil {
		s.log(r, rt, defaults.Decision{Violations: []defaults.Violation{{Rule: "image-gate", Field: defaults.FieldImage, From: ref}}}, ref)
		writeError(w, http.StatusForbidden, (&imageRefused{image: ref, err: err}).Error())
		return
	}
	e := defaults.NewLogEntry(s.opt.Now(), "api", "pull", ref, defaults.Decision{Allowed: true})
	e.Pinned = pinned
	if p := PeerOf(r.Context()); p.Known {
		e.Peer = &defaults.LogPeer{UID: p.UID, PID: p.PID}
	}
	if s.opt.Log != nil {
		s.opt.Log(e)
	}
	repo, digest, pinnedByDigest := strings.Cut(pinned, "@")
	if !pinnedByDigest || strings.HasPrefix(tag, "sha256:") {
		s.forward.ServeHTTP(w, r)
		return
	}
	out := r.Clone(r.Context())
	q.Set("fromImage", repo)
	q.Set("tag", digest)
	out.URL.RawQuery = q.Encode()
	out.RequestURI = ""
	rec := &tailWriter{ResponseWriter: w}
	s.forward.ServeHTTP(rec, out)
	if rec.status >= 300 || strings.Contains(string(rec.tail), `"error"`) {
		return // the daemon said why, in the stream
	}
	if tag == "" {
		tag = "latest"
	}
	ctx := context.WithoutCancel(r.Context())
	if err := s.opt.Daemon.Tag(ctx, pinned, from, tag); err != nil {
		fmt.Fprintf(w, "{\"error\":%q,\"errorDetail\":{\"message\":%q}}\n", "sdocker: "+err.Error(), "sdocker: "+err.Error())
	}
}

// tailWriter passes a streamed answer on, keeping its status and its last bytes.
type tailWriter struct {
	http.ResponseWriter
	status int
	tail   []byte
}

func (t *tailWriter) WriteHeader(code int) {
	t.status = code
	t.ResponseWriter.WriteHeader(code)
}

func (t *tailWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.tail = append(t.tail, p...)
	if len(t.tail) > 4096 {
		t.tail = t.tail[len(t.tail)-4096:]
	}
	return t.ResponseWriter.Write(p)
}

func (t *tailWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var _ io.Writer = (*tailWriter)(nil)

// Package authz is sdocker's daemon door: dockerd's authorization plugin. dockerd asks it about
// every API request before acting on it, whoever the client is (the docker group, an SDK, a
// container with the socket), so the policy holds for all of them. A plugin can only allow or
// deny, so creates are judged in require mode: what the policy would add but the request lacks
// is a violation, worded with the request's JSON fields and how to comply.
//
// The package serves the plugin protocol (Plugin.Activate, AuthZPlugin.AuthZReq,
// AuthZPlugin.AuthZRes) as an http.Handler; cmd/sdocker-core listens on the socket.
package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Request is what dockerd sends a plugin (moby's pkg/authorization.Request). RequestBody holds
// the body only when it is JSON (by its Content-Type) and smaller than 1 MiB; dockerd sends an
// empty one otherwise, and still acts on the request (CVE-2026-34040, open in Docker 20.10).
type Request struct {
	User            string            `json:"User,omitempty"`
	UserAuthNMethod string            `json:"UserAuthNMethod,omitempty"`
	RequestMethod   string            `json:"RequestMethod,omitempty"`
	RequestURI      string            `json:"RequestUri,omitempty"`
	RequestBody     []byte            `json:"RequestBody,omitempty"`
	RequestHeaders  map[string]string `json:"RequestHeaders,omitempty"`

	ResponseStatusCode int               `json:"ResponseStatusCode,omitempty"`
	ResponseBody       []byte            `json:"ResponseBody,omitempty"`
	ResponseHeaders    map[string]string `json:"ResponseHeaders,omitempty"`
}

// Response is the plugin's answer. Msg is shown to the client of a denied request ("authorization
// denied by plugin NAME: MSG"); Err makes dockerd fail the request as a plugin error.
type Response struct {
	Allow bool   `json:"Allow"`
	Msg   string `json:"Msg,omitempty"`
	Err   string `json:"Err,omitempty"`
}

// maxPluginRequest bounds what the handler reads of one plugin call: dockerd sends bodies under
// 1 MiB, base64-encoded, plus headers.
const maxPluginRequest = 4 << 20

// DefaultTimeout bounds one decision. dockerd waits for ever on a plugin that does not answer,
// so the door answers within this time whatever its checks do: a decision that runs out of
// time is a denial.
const DefaultTimeout = 10 * time.Second

// Handler serves the authorization-plugin protocol for a Door.
func Handler(d *Door) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /Plugin.Activate", func(w http.ResponseWriter, _ *http.Request) {
		write(w, map[string][]string{"Implements": {"authz"}})
	})
	mux.HandleFunc("POST /AuthZPlugin.AuthZReq", func(w http.ResponseWriter, r *http.Request) {
		req, err := read(r)
		if err != nil {
			write(w, Response{Allow: false, Msg: "sdocker: refused request: " + err.Error()})
			return
		}
		write(w, d.AuthZReq(r.Context(), req))
	})
	mux.HandleFunc("POST /AuthZPlugin.AuthZRes", func(w http.ResponseWriter, r *http.Request) {
		// Responses are not judged: the request was, and a stream's response phase comes only
		// after the stream has ended.
		io.Copy(io.Discard, io.LimitReader(r.Body, maxPluginRequest))
		write(w, Response{Allow: true})
	})
	return mux
}

func read(r *http.Request) (Request, error) {
	var req Request
	data, err := io.ReadAll(io.LimitReader(r.Body, maxPluginRequest+1))
	switch {
	case err != nil:
		return req, fmt.Errorf("reading dockerd's authorization request: %w", err)
	case len(data) > maxPluginRequest:
		return req, errors.New("dockerd's authorization request is larger than 4 MiB")
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return req, fmt.Errorf("decoding dockerd's authorization request: %w", err)
	}
	return req, nil
}

func write(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/vnd.docker.plugins.v1.2+json")
	json.NewEncoder(w).Encode(v)
}

// withTimeout runs f with a deadline and denies when it is not met.
func withTimeout(ctx context.Context, limit time.Duration, f func(context.Context) Response) Response {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	done := make(chan Response, 1)
	go func() { done <- f(ctx) }()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		return Response{Msg: fmt.Sprintf("sdocker: refused request: the policy's checks did not finish within %s; try again, "+
			"and if it persists look at sdocker authz's log", limit)}
	}
}

package proxy

import (
	"net/http"

	"sdocker/defaults"
)

// Entry is one decision of the API door, for the decision log.
type Entry = defaults.LogEntry

func (s *Server) log(r *http.Request, rt route, d defaults.Decision, image string) {
	s.logPinned(r, rt, d, image, "")
}

func (s *Server) logPinned(r *http.Request, rt route, d defaults.Decision, image, pinned string) {
	if s.opt.Log == nil {
		return
	}
	e := defaults.NewLogEntry(s.opt.Now(), "api", rt.kind, image, d)
	e.Pinned = pinned
	if p := PeerOf(r.Context()); p.Known {
		e.Peer = &defaults.LogPeer{UID: p.UID, PID: p.PID}
	}
	if e.Action == "" {
		e.Action = r.Method + " " + rt.path
	}
	s.opt.Log(e)
}

package proxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
)

// splice carries an attach or exec start that hijacks the connection without asking for an
// upgrade (docker-py does): the request goes to the daemon as it came, then bytes flow both
// ways until both sides are done. A half-close is passed on (stdin ended, output to come).
func (s *Server) splice(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, 1<<20)
	if err != nil {
		writeError(w, http.StatusBadRequest, "sdocker: proxy: "+err.Error())
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeError(w, http.StatusInternalServerError, "sdocker: proxy: the connection cannot be hijacked")
		return
	}
	up, err := s.opt.Dial(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, "sdocker: proxy: the daemon did not answer: "+err.Error())
		return
	}
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.ContentLength = int64(len(b))
	out.TransferEncoding = nil
	out.Header.Del("Transfer-Encoding")
	if err := out.Write(up); err != nil {
		up.Close()
		writeError(w, http.StatusBadGateway, "sdocker: proxy: writing to the daemon: "+err.Error())
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	defer client.Close()
	defer up.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, err := io.Copy(up, buf) // what the client already sent is in buf's buffer
		halfClose(up, err)
	}()
	go func() {
		defer wg.Done()
		_, err := io.Copy(client, up)
		halfClose(client, err)
	}()
	wg.Wait()
}

// halfClose ends the write side of c after a clean EOF, and the whole of it after an error
// (which also ends the copy the other way).
func halfClose(c net.Conn, err error) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok && err == nil {
		if cw.CloseWrite() == nil {
			return
		}
	}
	c.Close()
}

package proxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
)

// splice carries an attach or exec start, which hijacks the connection with an Upgrade header
// (101) or without one (docker-py can): the request goes to the daemon as it came, then bytes
// flow both ways, the daemon's answer included, until both sides are done. A half-close is
// passed on (stdin ended, output to come). Its copies use large buffers: attach streams carry
// whole files.
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
		// What the client already sent is in buf's buffer; the rest is read directly.
		pending, _ := buf.Reader.Peek(buf.Reader.Buffered())
		_, err := up.Write(pending)
		if err == nil {
			_, err = copyBuffer(up, client)
		}
		if err == nil && peerGone(client) {
			// The client has left, not only ended its input: nothing more can reach it, so
			// the daemon's side is closed too rather than left to a container that may never
			// write again.
			client.Close()
			up.Close()
			return
		}
		halfClose(up, err)
	}()
	go func() {
		defer wg.Done()
		_, err := copyBuffer(client, up)
		halfClose(client, err)
	}()
	wg.Wait()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyBuffer copies with a pooled 256 KiB buffer.
func copyBuffer(dst io.Writer, src io.Reader) (int64, error) {
	b := bufPool.Get().(*[]byte)
	defer bufPool.Put(b)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *b)
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

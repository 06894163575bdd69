package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
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
	// Only a connection the daemon hijacked is spliced: an answer it gives as HTTP (an exec
	// started detached, an error) leaves its connection open for the next request, which
	// must not reach it as spliced bytes, unjudged.
	ur := bufio.NewReaderSize(up, 64<<10)
	resp, err := http.ReadResponse(ur, out)
	if err != nil {
		up.Close()
		writeError(w, http.StatusBadGateway, "sdocker: proxy: reading the daemon's answer: "+err.Error())
		return
	}
	if !hijacked(resp) {
		defer up.Close()
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			switch http.CanonicalHeaderKey(k) {
			case "Connection", "Keep-Alive", "Upgrade", "Transfer-Encoding":
				continue
			}
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = copyBuffer(w, resp.Body)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	defer client.Close()
	defer up.Close()
	// The daemon's answer as it came, then whatever it sent after it.
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/%d.%d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
	_ = resp.Header.Write(&head)
	head.WriteString("\r\n")
	if n := ur.Buffered(); n > 0 {
		rest, _ := ur.Peek(n)
		head.Write(rest)
	}
	if _, err := client.Write(head.Bytes()); err != nil {
		return
	}
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

// hijacked reports whether the daemon took the connection over for a stream: 101 with an
// Upgrade header, or (for clients that send none) its raw or multiplexed stream types, which
// it writes only once it has hijacked the connection.
func hijacked(resp *http.Response) bool {
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return true
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mt {
	case "application/vnd.docker.raw-stream", "application/vnd.docker.multiplexed-stream":
		// A hijacked stream has no framing: an answer with a length or chunks is HTTP's own,
		// and the daemon reads the connection as HTTP after it.
		return resp.ContentLength < 0 && len(resp.TransferEncoding) == 0
	}
	return false
}

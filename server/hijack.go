package server

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Buffer sizes of a hijacked WebSocket. Clients send only keepalives, so
// the read side is small; 4 KiB writes most messages in one syscall.
const (
	wsReadBuffer  = 1 << 10
	wsWriteBuffer = 4 << 10
)

// upgradeWriter makes fasthttp's net/http adaptor usable by
// coder/websocket. The adaptor's Hijack (fasthttp ≥ 1.78) hands over the
// connection but keeps the 101 status and headers written before it in
// memory, so the handshake would never reach the client. Hijack here writes
// them itself, then returns buffers sized for a mostly idle socket.
type upgradeWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status for Hijack.
func (w *upgradeWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Hijack implements http.Hijacker.
func (w *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("server: response writer cannot hijack (fasthttp older than 1.78?)")
	}
	nc, _, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The HTTP server's read timeout armed for the upgrade request must not
	// cut the socket: from here the hub's keepalive decides.
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, nil, err
	}
	status := w.status
	if status == 0 {
		status = http.StatusSwitchingProtocols
	}
	bw := bufio.NewWriterSize(nc, wsWriteBuffer)
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n")
	w.Header().Write(bw)
	bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, bufio.NewReadWriter(bufio.NewReaderSize(nc, wsReadBuffer), bw), nil
}

package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Buffer sizes of a hijacked WebSocket. Clients send only keepalives, so
// the read side is small; the head buffer holds the 101 response.
const (
	wsReadBuffer = 1 << 10
	wsHeadBuffer = 512
)

// hijack hands the connection of the upgrade request c to serve, once the
// route's handler has returned, with a copy of the request and a
// ResponseWriter on the bare connection. serve runs in a goroutine of its
// own and should return once the socket is set up.
//
// fasthttp then keeps nothing of the connection: its read buffer and the
// request's context go back to its pools. fasthttpadaptor, used before,
// held both (about 10 KiB) and a goroutine for each socket's whole life.
// The server must run with KeepHijackedConns, or fasthttp closes the
// connection when serve returns.
func hijack(c *fiber.Ctx, serve func(http.ResponseWriter, *http.Request)) error {
	r, err := handshakeRequest(c)
	if err != nil {
		return fiber.ErrBadRequest
	}
	ctx := c.Context()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(hc net.Conn) {
		nc, pending := bareConn(hc)
		w := &connWriter{conn: nc, pending: pending, header: http.Header{}}
		serve(w, r)
		w.finish()
	})
	return nil
}

// handshakeRequest copies what a WebSocket handshake reads from the
// request: fasthttp reuses the request's memory once the handler returns.
func handshakeRequest(c *fiber.Ctx) (*http.Request, error) {
	req := c.Request()
	u, err := url.ParseRequestURI(string(req.RequestURI()))
	if err != nil {
		return nil, err
	}
	proto := string(req.Header.Protocol())
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		return nil, strconv.ErrSyntax
	}
	r := &http.Request{
		Method: string(req.Header.Method()), URL: u, RequestURI: u.RequestURI(),
		Proto: proto, ProtoMajor: major, ProtoMinor: minor,
		Header: make(http.Header), Host: string(req.Host()),
		RemoteAddr: c.Context().RemoteAddr().String(), Body: http.NoBody,
	}
	for k, v := range req.Header.All() {
		r.Header.Add(string(k), string(v))
	}
	return r, nil
}

// bareConn returns the connection under fasthttp's hijacked one, so that
// fasthttp's read buffer can go, and the bytes that buffer already holds:
// those a client sent right behind its upgrade request.
func bareConn(hc net.Conn) (net.Conn, []byte) {
	u, ok := hc.(interface{ UnsafeConn() net.Conn })
	if !ok {
		return hc, nil
	}
	nc := u.UnsafeConn()
	// A read through hc with an expired deadline returns what the buffer
	// holds, or a timeout at once without touching the connection.
	if err := nc.SetReadDeadline(time.Unix(1, 0)); err != nil {
		return hc, nil
	}
	var pending []byte
	buf := make([]byte, wsReadBuffer)
	for {
		n, err := hc.Read(buf)
		pending = append(pending, buf[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	if err := nc.SetReadDeadline(time.Time{}); err != nil {
		return hc, pending
	}
	return nc, pending
}

// connWriter is the ResponseWriter of a hijacked upgrade request. Hijack
// writes the 101 response itself and gives the connection over; a refused
// handshake is answered by finish instead.
type connWriter struct {
	conn     net.Conn
	pending  []byte // read by fasthttp past the request
	header   http.Header
	status   int
	body     []byte
	hijacked bool
}

func (w *connWriter) Header() http.Header { return w.header }

func (w *connWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *connWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}

// Hijack implements http.Hijacker.
func (w *connWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	w.WriteHeader(http.StatusSwitchingProtocols)
	bw := bufio.NewWriterSize(w.conn, wsHeadBuffer)
	if err := w.writeHead(bw); err != nil {
		w.conn.Close()
		return nil, nil, err
	}
	return w.conn, bufio.NewReadWriter(w.reader(), bw), nil
}

// reader returns the socket's read buffer, holding the pending bytes:
// coder/websocket goes on with what is buffered, then the connection.
func (w *connWriter) reader() *bufio.Reader {
	if len(w.pending) == 0 {
		return bufio.NewReaderSize(w.conn, wsReadBuffer)
	}
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(w.pending), w.conn), max(wsReadBuffer, len(w.pending)))
	br.Peek(len(w.pending)) // from the bytes reader alone: the buffer fits them
	return br
}

func (w *connWriter) writeHead(bw *bufio.Writer) error {
	bw.WriteString("HTTP/1.1 " + strconv.Itoa(w.status) + " " + http.StatusText(w.status) + "\r\n")
	w.header.Write(bw)
	bw.WriteString("\r\n")
	return bw.Flush()
}

// finish answers a request that serve did not take over (a refused
// handshake, a hub shutting down) with what serve wrote, and closes the
// connection: it serves no other request.
func (w *connWriter) finish() {
	if w.hijacked {
		return
	}
	w.WriteHeader(http.StatusInternalServerError)
	w.header.Set("Content-Length", strconv.Itoa(len(w.body)))
	w.header.Set("Connection", "close")
	w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	bw := bufio.NewWriterSize(w.conn, wsHeadBuffer)
	if w.writeHead(bw) == nil {
		w.conn.Write(w.body)
	}
	w.conn.Close()
}

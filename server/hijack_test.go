package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawUpgrade sends an upgrade request for d, and then behind, in the same
// write, on a bare TCP connection; it returns the connection, its reader
// and the server's answer.
func (e *wsEnv) rawUpgrade(d wsDial, version string, behind []byte) (net.Conn, *bufio.Reader, *http.Response) {
	e.t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	must(e.t, err)
	e.t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	b.WriteString("GET /ws?" + d.query + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(e.base, "http://") + "\r\n")
	b.WriteString("Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: " + version + "\r\n")
	b.WriteString("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " + e.base + "\r\n")
	for k, v := range d.cookies {
		b.WriteString("Cookie: " + k + "=" + v + "\r\n")
	}
	b.WriteString("\r\n")
	_, err = nc.Write(append([]byte(b.String()), behind...))
	must(e.t, err)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	must(e.t, err)
	return nc, br, resp
}

// maskedFrame is a client frame (RFC 6455, 5.2) of one fragment with a
// short payload.
func maskedFrame(opcode byte, payload string) []byte {
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	f := append([]byte{0x80 | opcode, 0x80 | byte(len(payload))}, mask...)
	for i := range len(payload) {
		f = append(f, payload[i]^mask[i%4])
	}
	return f
}

// readFrame reads one server frame (unmasked, payload under 64 KiB).
func readFrame(t *testing.T, br *bufio.Reader) (opcode byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			t.Fatalf("read frame length: %v", err)
		}
		n = int(l[0])<<8 | int(l[1])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatalf("read frame payload: %v", err)
	}
	return h[0] & 0x0f, payload
}

// A client may send its first frame in the same packet as its upgrade
// request: fasthttp has read it into its own buffer by the hijack, and the
// socket must still get it.
func TestWS_FrameBehindUpgradeKept(t *testing.T) {
	e := newWSEnv(t)
	_, br, resp := e.rawUpgrade(e.participant(), "13", maskedFrame(0x9, "derrière"))
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("Sec-WebSocket-Accept %q", got)
	}
	for {
		op, payload := readFrame(t, br)
		if op == 0xA {
			if string(payload) != "derrière" {
				t.Fatalf("pong %q, want the ping's payload", payload)
			}
			return
		}
		if op != 0x1 {
			t.Fatalf("frame with opcode %#x before the pong", op)
		}
	}
}

// A request to /ws that is no upgrade gets the usual error answer, on a
// connection that stays open for the next request.
func TestWS_NotAnUpgrade(t *testing.T) {
	e := newWSEnv(t)
	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/ws?"+e.participant().query, nil)
		req.Header.Set("Accept", "application/json")
		for k, v := range e.participant().cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Upgrade") != "websocket" ||
			!strings.Contains(string(body), `"code"`) {
			t.Fatalf("status %d, Upgrade %q, body %s", resp.StatusCode, resp.Header.Get("Upgrade"), body)
		}
	}
}

// A handshake coder/websocket refuses after the hijack is still answered
// in HTTP, and the connection closed.
func TestWS_RefusedAfterHijackAnswered(t *testing.T) {
	e := newWSEnv(t)
	nc, br, resp := e.rawUpgrade(e.participant(), "8", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Sec-WebSocket-Version") != "13" ||
		!resp.Close || len(body) == 0 {
		t.Fatalf("status %d, version %q, close %v, body %q", resp.StatusCode,
			resp.Header.Get("Sec-WebSocket-Version"), resp.Close, body)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := br.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the answer: %d bytes, %v; want the connection closed", n, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	must(t, e.hub.Close(ctx))
	_, _, resp = e.rawUpgrade(e.participant(), "13", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !resp.Close {
		t.Fatalf("hub closed: status %d, close %v; want 503 and close", resp.StatusCode, resp.Close)
	}
}

// An open socket costs the server its two loops (reader and writer) and
// no goroutine of the HTTP server's: fasthttpadaptor kept one blocked for
// each socket's life, holding the request's memory.
func TestWS_SocketHoldsNoServerGoroutine(t *testing.T) {
	e := newWSEnv(t)
	const n = 40
	settle := func() int {
		time.Sleep(200 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	before := settle()
	for range n {
		_, br, resp := e.rawUpgrade(e.participant(), "13", nil)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if op, _ := readFrame(t, br); op != 0x1 {
			t.Fatalf("first frame opcode %#x, want the snapshot", op)
		}
	}
	if per := float64(settle()-before) / n; per > 2.25 {
		t.Fatalf("%.2f goroutines per open socket, want 2", per)
	}
}

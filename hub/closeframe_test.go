package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawSocket is a WebSocket client written by hand, to see every frame the
// server sends, in order, including after its close frame.
type rawSocket struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, url string) *rawSocket {
	t.Helper()
	host := strings.TrimPrefix(strings.SplitN(url, "?", 2)[0], "ws://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	path := "/?" + strings.SplitN(url, "?", 2)[1]
	io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return &rawSocket{conn: conn, r: r}
}

// frame reads one frame's opcode; io.EOF once the server has closed.
func (s *rawSocket) frame() (byte, error) {
	op, _, err := s.frameData()
	return op, err
}

// sendClose sends a masked close frame with code 1000.
func (s *rawSocket) sendClose() { s.sendControl(0x8, []byte{0x03, 0xE8}) }

// When a client closes, coder/websocket answers with a close frame of its
// own, not through the hub: the hub's frames must stop there, while it is
// busy writing a stream of them (RFC 6455, 5.5.1).
func TestHub_NothingAfterTheCloseFrame(t *testing.T) {
	h, url := startHub(t, Config{SendQueue: 4096})
	const topic = "c:17"
	defer stream(h, topic)()
	for trial := range 100 {
		s := dialRaw(t, url+"?topic="+topic)
		s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for range 20 {
			if _, err := s.frame(); err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
		}
		s.sendClose()
		closed := false
		for {
			op, err := s.frame()
			if err != nil {
				break // the server hung up
			}
			if closed {
				t.Fatalf("trial %d: frame of opcode %d after the close frame", trial, op)
			}
			closed = op == 0x8
		}
		if !closed {
			t.Fatalf("trial %d: no close frame", trial)
		}
		s.conn.Close()
	}
}

// stream publishes to topic without pause until the returned function is
// called, but while a socket's queue is long: a slow machine's reader is
// not a socket to drop.
func stream(h *Hub, topic string) (stop func()) {
	var stopped atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stopped.Load() {
			if backlog(h, topic) > 1024 {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			h.Publish(context.Background(), topic, "e", "stream")
		}
	}()
	return func() { stopped.Store(true); <-done }
}

// backlog is the longest send queue among the topic's sockets.
func backlog(h *Hub, topic string) int {
	h.mu.RLock()
	t := h.topics[topic]
	h.mu.RUnlock()
	if t == nil {
		return 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := 0
	for _, c := range t.conns {
		n = max(n, len(c.send))
	}
	return n
}

// sendControl sends a masked control frame (at most 125 bytes of
// payload) with opcode op.
func (s *rawSocket) sendControl(op byte, payload []byte) {
	mask := [4]byte{5, 6, 7, 8}
	frame := append([]byte{0x80 | op, 0x80 | byte(len(payload)), mask[0], mask[1], mask[2], mask[3]}, payload...)
	for i := range payload {
		frame[6+i] ^= mask[i%4]
	}
	s.conn.Write(frame)
}

// frameData reads one frame: its opcode and payload.
func (s *rawSocket) frameData() (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(s.r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(s.r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes: the stream is broken", n)
	}
	p := make([]byte, n)
	_, err := io.ReadFull(s.r, p)
	return h[0] & 0x0f, p, err
}

// The largest pong coder/websocket can send (125 bytes of payload) goes
// out whole between the hub's frames: its buffer holds a control frame.
func TestHub_LargestPongBetweenFrames(t *testing.T) {
	h, url := startHub(t, Config{SendQueue: 4096})
	const topic = "c:19"
	defer stream(h, topic)()
	s := dialRaw(t, url+"?topic="+topic)
	s.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := range 50 {
		payload := bytes.Repeat([]byte{byte('A' + i%26)}, 125)
		s.sendControl(0x9, payload)
		for {
			op, p, err := s.frameData()
			if err != nil {
				t.Fatalf("ping %d: %v", i, err)
			}
			if op == 0xA {
				if !bytes.Equal(p, payload) {
					t.Fatalf("ping %d: pong payload %q", i, p)
				}
				break
			}
			if op != 0x1 || !(bytes.Contains(p, []byte(`"stream"`)) || bytes.Contains(p, []byte(`"snapshot"`))) {
				t.Fatalf("ping %d: frame of opcode %d: %q", i, op, p)
			}
		}
	}
}

// A phone that stops reading fills its kernel buffers and its writer
// blocks in the middle of a frame: the pongs coder/websocket sends
// meanwhile wait for the frame's end, and once the phone reads again
// every frame arrives whole and in order, and later ones still come.
func TestHub_FramesWholeAfterAFullBuffer(t *testing.T) {
	h, url := startHub(t, Config{SendQueue: 4096, WriteTimeout: time.Minute})
	const topic, n = "c:20", 64
	s := dialRaw(t, url+"?topic="+topic)
	s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if op, p, err := s.frameData(); err != nil || op != 0x1 || !bytes.Contains(p, []byte(`"snapshot"`)) {
		t.Fatalf("first frame: %d %q %v", op, p, err)
	}
	waitFor(t, "socket attached", func() bool { return h.Stats().Sockets == 1 })
	pad := strings.Repeat("x", 256<<10) // 16 MiB in all: more than the buffers hold
	for i := range n {
		h.Publish(context.Background(), topic, "big", map[string]any{"i": i, "pad": pad})
	}
	c := onlySocket(h, topic)
	waitFor(t, "a write blocked on the full buffer", func() bool { return c.writingSince.Load() != 0 })
	pings := [][]byte{[]byte("one"), []byte("two"), []byte("three")}
	for _, p := range pings {
		s.sendControl(0x9, p)
	}
	next, pongs := 0, 0
	for next < n || pongs < len(pings) {
		op, p, err := s.frameData()
		if err != nil {
			t.Fatalf("after %d frames and %d pongs: %v", next, pongs, err)
		}
		switch op {
		case 0xA:
			if pongs == len(pings) || !bytes.Equal(p, pings[pongs]) {
				t.Fatalf("pong %d: %q", pongs, p)
			}
			pongs++
		case 0x1:
			var m struct {
				Data struct {
					I   int    `json:"i"`
					Pad string `json:"pad"`
				} `json:"data"`
			}
			if err := json.Unmarshal(p, &m); err != nil || m.Data.I != next || m.Data.Pad != pad {
				t.Fatalf("frame %d: i=%d, %d bytes of pad (%v)", next, m.Data.I, len(m.Data.Pad), err)
			}
			next++
		default:
			t.Fatalf("frame of opcode %d", op)
		}
	}
	waitFor(t, "the writer idle again", func() bool { return backlog(h, topic) == 0 && c.writingSince.Load() == 0 })
	h.Publish(context.Background(), topic, "small", 1)
	if op, p, err := s.frameData(); err != nil || op != 0x1 || !bytes.Contains(p, []byte(`"small"`)) {
		t.Fatalf("after the backlog: %d %q %v", op, p, err)
	}
	if d := h.Stats().Dropped; d != 0 {
		t.Fatalf("dropped = %d", d)
	}
}

// onlySocket returns the single socket of topic.
func onlySocket(h *Hub, topic string) *conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	t := h.topics[topic]
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.conns[0]
}

package hub

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// A socket that stops reading fills its kernel buffers while a broadcast
// is written to it directly: the frame that no longer fits is finished by
// the socket's writer, and everything after it waits in its queue. Once
// the client reads again, every message arrives whole and in order.
func TestHub_DirectWritesSplitInOrder(t *testing.T) {
	h, url := startHub(t, Config{SendQueue: 4096})
	const topic, n = "w:21:participants", 120
	c := dial(t, url+"?topic="+topic)
	c.next()
	waitFor(t, "socket attached", func() bool { return h.Stats().Sockets == 1 })
	pad := strings.Repeat("x", 48<<10) // 120 × 48 KiB: far more than the buffers hold
	for i := range n {
		if err := h.Publish(context.Background(), topic, "big", map[string]any{"i": i, "pad": pad}); err != nil {
			t.Fatal(err)
		}
	}
	st := h.Stats()
	if st.Direct == 0 || st.Split == 0 {
		t.Fatalf("direct = %d, split = %d: want both, the first frames written at once and one split", st.Direct, st.Split)
	}
	for i := range n {
		m := c.next()
		var d struct{ I int }
		if err := json.Unmarshal(m.Data, &d); err != nil || d.I != i || m.Seq != uint64(i+1) {
			t.Fatalf("message %d: seq %d, i %d (%v)", i, m.Seq, d.I, err)
		}
	}
	if d := h.Stats().Dropped; d != 0 {
		t.Fatalf("dropped = %d", d)
	}
}

// A direct write never overtakes a frame the socket's writer has yet to
// send, nor the end of a frame begun earlier.
func TestConn_DirectWaitsForWriter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	c := &conn{h: h, nc: server, line: new(line), direct: newDirectWriter(server), send: make(chan *frame, 4)}
	if c.direct == nil {
		t.Fatal("a TCP connection has no descriptor for direct writes")
	}
	first := newFrame(1, []byte(`{"type":"first","seq":1}`), frameEvent)
	second := newFrame(2, []byte(`{"type":"second","seq":2}`), frameEvent)

	c.queue(first) // no writer runs: it stays owed
	if c.tryWrite(second) {
		t.Fatal("a direct write went before a frame the writer owes")
	}
	<-c.send
	c.owed.Add(-1)
	c.line.rest = []byte("end of a frame")
	if c.tryWrite(second) {
		t.Fatal("a direct write went before the end of a frame begun")
	}
	c.line.rest = nil
	if !c.tryWrite(second) {
		t.Fatal("an idle socket was not written to directly")
	}
	buf := make([]byte, len(second.wire))
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != string(second.wire) {
		t.Fatalf("read %q (%v), want the second frame", buf, err)
	}
	if st := h.Stats(); st.Direct != 1 {
		t.Fatalf("direct = %d, want 1", st.Direct)
	}
}

// A crowd bigger than one writing goroutine's share gets every event,
// once and in order, written directly by several goroutines at once.
func TestHub_CrowdSharedBetweenWriters(t *testing.T) {
	h, url := startHub(t, Config{})
	const topic, sockets, n = "w:23:participants", 2*offerShare + 10, 20
	var phones []*client
	for range sockets {
		c := dial(t, url+"?topic="+topic)
		c.next()
		phones = append(phones, c)
	}
	waitFor(t, "every socket attached", func() bool { return h.Stats().Sockets == sockets })
	publishN(t, h, topic, 1, n)
	for i, c := range phones {
		for want := uint64(1); want <= n; want++ {
			if m := c.next(); m.Seq != want {
				t.Fatalf("phone %d: got seq %d, want %d", i, m.Seq, want)
			}
		}
	}
	if st := h.Stats(); st.Direct < sockets || st.Dropped != 0 {
		t.Fatalf("direct = %d, dropped = %d: want most of %d frames direct, none dropped", st.Direct, st.Dropped, sockets*n)
	}
}

package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// testSnapshot is what the test snapshotter returns.
type testSnapshot struct {
	Topic string `json:"topic"`
}

// startHub runs a hub behind a net/http test server whose handler
// subscribes each socket to ?topic=, resuming after ?since= when given,
// with ?member= for presence.
func startHub(t *testing.T, cfg Config) (*Hub, string) {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.SetSnapshotter(func(ctx context.Context, topic string) (any, error) {
		return testSnapshot{Topic: topic}, nil
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := Subscription{Topic: r.URL.Query().Get("topic"), Member: r.URL.Query().Get("member")}
		if s := r.URL.Query().Get("since"); s != "" {
			sub.Resume = true
			sub.Since, _ = strconv.ParseUint(s, 10, 64)
		}
		h.Serve(w, r, sub)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
		srv.Close()
	})
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return &client{t: t, ws: ws}
}

// next reads one message, failing the test after 5 s.
func (c *client) next() Envelope {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m Envelope
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("decode %q: %v", data, err)
	}
	return m
}

func (c *client) send(s string) {
	c.t.Helper()
	if err := c.ws.Write(context.Background(), websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// closeCode reads until the server closes and returns the close code.
func (c *client) closeCode() websocket.StatusCode {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := c.ws.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func publishN(t *testing.T, h *Hub, topic string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if err := h.Publish(context.Background(), topic, "test.event", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHub_SnapshotThenOrderedEvents(t *testing.T) {
	h, url := startHub(t, Config{})
	const topic = "w:1:participants"
	publishN(t, h, topic, 1, 2) // before anyone listens: only counted
	c := dial(t, url+"?topic="+topic)
	snap := c.next()
	if snap.Type != TypeSnapshot || snap.Seq != 2 || snap.Topic != topic {
		t.Fatalf("first message = %+v, want snapshot at seq 2", snap)
	}
	publishN(t, h, topic, 3, 10)
	for want := uint64(3); want <= 10; want++ {
		m := c.next()
		if m.Type != "test.event" || m.Seq != want || m.Topic != topic {
			t.Fatalf("got %+v, want test.event seq %d", m, want)
		}
	}
	other := dial(t, url+"?topic=w:1:screen")
	if m := other.next(); m.Type != TypeSnapshot || m.Seq != 0 {
		t.Fatalf("other topic got %+v", m)
	}
}

func TestHub_Resume(t *testing.T) {
	h, url := startHub(t, Config{History: 8})
	const topic = "w:2:screen"
	c := dial(t, url+"?topic="+topic)
	c.next()
	publishN(t, h, topic, 1, 3)
	for range 3 {
		c.next()
	}
	c.ws.Close(websocket.StatusNormalClosure, "")
	publishN(t, h, topic, 4, 6)

	t.Run("missed events", func(t *testing.T) {
		c := dial(t, url+"?topic="+topic+"&since=3")
		for want := uint64(4); want <= 6; want++ {
			if m := c.next(); m.Type != "test.event" || m.Seq != want {
				t.Fatalf("got %+v, want event %d", m, want)
			}
		}
		publishN(t, h, topic, 7, 7)
		if m := c.next(); m.Seq != 7 {
			t.Fatalf("live event after resume: %+v", m)
		}
	})
	t.Run("up to date", func(t *testing.T) {
		c := dial(t, url+"?topic="+topic+"&since=7")
		publishN(t, h, topic, 8, 8)
		if m := c.next(); m.Type != "test.event" || m.Seq != 8 {
			t.Fatalf("got %+v, want event 8 only", m)
		}
	})
	t.Run("beyond history", func(t *testing.T) {
		publishN(t, h, topic, 9, 20)
		c := dial(t, url+"?topic="+topic+"&since=2")
		if m := c.next(); m.Type != TypeSnapshot || m.Seq != 20 {
			t.Fatalf("got %+v, want snapshot at 20", m)
		}
	})
	t.Run("unknown future seq", func(t *testing.T) {
		c := dial(t, url+"?topic="+topic+"&since=999")
		if m := c.next(); m.Type != TypeSnapshot || m.Seq != 20 {
			t.Fatalf("got %+v, want snapshot at 20", m)
		}
	})
	t.Run("gap while connected", func(t *testing.T) {
		c := dial(t, url+"?topic="+topic)
		c.next()
		c.send(`{"type":"resume","seq":17}`)
		for want := uint64(18); want <= 20; want++ {
			if m := c.next(); m.Type != "test.event" || m.Seq != want {
				t.Fatalf("got %+v, want replay of %d", m, want)
			}
		}
		c.send(`{"type":"ping"}`)
		if m := c.next(); m.Type != TypePong {
			t.Fatalf("got %+v, want pong", m)
		}
	})
}

func TestHub_InboundLimits(t *testing.T) {
	_, url := startHub(t, Config{MaxMessageSize: 1024})
	tests := []struct {
		name string
		msg  string
		typ  websocket.MessageType
		want websocket.StatusCode
	}{
		{"too big", `{"type":"ping","pad":"` + strings.Repeat("x", 2000) + `"}`, websocket.MessageText, CloseTooBig},
		{"not json", `{"type":`, websocket.MessageText, CloseMalformed},
		{"unknown type", `{"type":"vote","data":{}}`, websocket.MessageText, ClosePolicy},
		{"binary", `{"type":"ping"}`, websocket.MessageBinary, ClosePolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url+"?topic=w:3:participants")
			c.next()
			if err := c.ws.Write(context.Background(), tt.typ, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			if got := c.closeCode(); got != tt.want {
				t.Fatalf("close code = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHub_SlowSocketDropped(t *testing.T) {
	h, url := startHub(t, Config{SendQueue: 4, WriteTimeout: 300 * time.Millisecond})
	const topic = "w:4:participants"
	dial(t, url+"?topic="+topic) // stalled: never reads after the handshake
	const readers = 3
	var wg sync.WaitGroup
	var got [readers]atomic.Int64
	for i := range readers {
		c := dial(t, url+"?topic="+topic)
		c.next()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := c.ws.Read(context.Background())
				if err != nil {
					return
				}
				var m Envelope
				json.Unmarshal(data, &m)
				if m.Type == "done" {
					return
				}
				got[i].Add(1)
			}
		}()
	}
	waitFor(t, "4 sockets", func() bool { return h.Stats().Sockets == 4 })
	pad := strings.Repeat("x", 64<<10)
	n := int64(0)
	for h.Stats().Dropped == 0 {
		if n > 5000 {
			t.Fatal("stalled socket never dropped")
		}
		n++
		h.Publish(context.Background(), topic, "big", pad)
		waitFor(t, "readers", func() bool { // the room keeps receiving
			for i := range got {
				if got[i].Load() < n {
					return false
				}
			}
			return true
		})
	}
	waitFor(t, "stalled socket detached", func() bool { return h.Stats().Sockets == readers })
	h.Publish(context.Background(), topic, "done", nil)
	wg.Wait()
	for i := range got {
		if g := got[i].Load(); g != n {
			t.Errorf("reader %d got %d of %d", i, g, n)
		}
	}
	if d := h.Stats().Dropped; d != 1 {
		t.Errorf("dropped = %d, want 1", d)
	}
}

// A socket whose write blocks (its reader stalled, the kernel buffers full)
// is closed by the write watchdog, even though its queue never fills; an
// idle socket is not.
func TestHub_StuckWriteClosed(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h, url := startHub(t, Config{SendQueue: 4096, WriteTimeout: timeout})
	const topic = "w:12:participants"
	dial(t, url+"?topic="+topic) // stalled: never reads after the handshake
	idle := dial(t, url+"?topic=c:12")
	idle.next()
	waitFor(t, "2 sockets", func() bool { return h.Stats().Sockets == 2 })
	pad := strings.Repeat("x", 64<<10)
	for range 1000 { // 64 MiB: far more than the socket buffers hold
		h.Publish(context.Background(), topic, "big", pad)
		if h.Stats().Dropped > 0 {
			break
		}
	}
	waitFor(t, "stuck socket closed", func() bool { return h.Stats().Sockets == 1 })
	if d := h.Stats().Dropped; d != 1 {
		t.Fatalf("dropped = %d, want 1", d)
	}
	time.Sleep(3 * timeout) // the idle socket outlives several timeouts
	if n := h.Stats().Sockets; n != 1 {
		t.Fatalf("sockets = %d, want the idle one still open", n)
	}
	h.Publish(context.Background(), "c:12", "still", nil)
	if m := idle.next(); m.Type != "still" {
		t.Fatalf("idle socket got %q", m.Type)
	}
}

// Events to more sockets than a pacing slice, from publishers racing each
// other, reach every socket once and in order, one joining midway included
// (only latest values are paced; events must never be).
func TestHub_CrowdEventsInOrder(t *testing.T) {
	h, url := startHub(t, Config{PaceSlice: 3, PaceGap: 50 * time.Millisecond, SendQueue: 512})
	const topic, n = "w:14:participants", 200
	var phones []*client
	for range 10 { // four slices
		c := dial(t, url+"?topic="+topic)
		c.next()
		phones = append(phones, c)
	}
	waitFor(t, "10 sockets", func() bool { return h.Stats().Sockets == 10 })
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for i := range n / 2 {
				h.Publish(context.Background(), topic, "e", i)
				if i == n/4 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	late := dial(t, url+"?topic="+topic) // joins while events flow
	snap := late.next()
	wg.Wait()
	check := func(name string, c *client, from uint64) {
		for want := from + 1; want <= n; want++ {
			if m := c.next(); m.Seq != want {
				t.Fatalf("%s: got seq %d (%s), want %d", name, m.Seq, m.Type, want)
			}
		}
	}
	for i, c := range phones {
		check(fmt.Sprintf("phone %d", i), c, 0)
	}
	check("late phone", late, snap.Seq)
	if d := h.Stats().Dropped; d != 0 {
		t.Fatalf("dropped = %d", d)
	}
}

// The hub frames messages itself: every length class of the header
// (7-bit, 16-bit, 64-bit) reaches a standard client intact.
func TestHub_FrameLengths(t *testing.T) {
	h, url := startHub(t, Config{})
	const topic = "c:15"
	c := dial(t, url+"?topic="+topic)
	c.next()
	waitFor(t, "socket attached", func() bool { return h.Stats().Sockets == 1 })
	for _, n := range []int{0, 90, 125, 126, 200, 65535, 65536, 300 << 10} {
		pad := strings.Repeat("é", n/2) + strings.Repeat("x", n%2)
		h.Publish(context.Background(), topic, "pad", pad)
		m := c.next()
		var got string
		if err := json.Unmarshal(m.Data, &got); err != nil || got != pad {
			t.Fatalf("%d bytes: got %d bytes (%v)", n, len(got), err)
		}
	}
}

// Pings from the client are answered by coder/websocket while the hub
// writes its own frames to the same connection: no frame is cut by
// another, and every message and pong arrives.
func TestHub_PongsBetweenFrames(t *testing.T) {
	h, url := startHub(t, Config{SendQueue: 4096})
	const topic, n = "c:16", 2000
	c := dial(t, url+"?topic="+topic)
	c.next()
	waitFor(t, "socket attached", func() bool { return h.Stats().Sockets == 1 })
	got := make(chan int, 1)
	go func() { // the reader also hands pongs to the pings below
		k, bad := 0, false
		for {
			_, data, err := c.ws.Read(context.Background())
			if err != nil {
				break // closed at the end of the test
			}
			var m Envelope
			if json.Unmarshal(data, &m) != nil || m.Type != "e" {
				bad = true
			}
			if k++; k == n || bad {
				got <- map[bool]int{false: k, true: -k}[bad]
			}
		}
	}()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			h.Publish(context.Background(), topic, "e", strings.Repeat("p", i%300))
		}
	})
	pings := 0
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.ws.Ping(ctx); err == nil {
			pings++
		}
		cancel()
	}
	wg.Wait()
	if k := <-got; k != n || pings != 50 {
		t.Fatalf("got %d of %d messages (negative: a broken one) and %d of 50 pongs", k, n, pings)
	}
}

func TestHub_CloseGoingAway(t *testing.T) {
	h, url := startHub(t, Config{})
	c := dial(t, url+"?topic=c:5")
	c.next()
	done := make(chan websocket.StatusCode)
	go func() { done <- c.closeCode() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != CloseGoingAway {
		t.Fatalf("close code = %v, want 1001", code)
	}
	if err := h.Publish(ctx, "c:5", "x", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
}

func TestHub_DeadPeerPinged(t *testing.T) {
	h, url := startHub(t, Config{PingInterval: 50 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
	c := dial(t, url+"?topic=w:6:participants")
	c.next() // then stop reading: the client no longer answers pings
	waitFor(t, "socket attached", func() bool { return h.Stats().Sockets == 1 })
	waitFor(t, "dead socket closed", func() bool { return h.Stats().Sockets == 0 })
}

func TestHub_Presence(t *testing.T) {
	h, url := startHub(t, Config{})
	p1 := dial(t, url+"?topic=w:7:participants&member=1")
	p1b := dial(t, url+"?topic=w:7:participants&member=1") // same phone, second tab
	dial(t, url+"?topic=w:7:participants&member=2")
	dial(t, url+"?topic=w:7:screen&member=screen")
	dial(t, url+"?topic=w:8:participants&member=3")
	count := func() int {
		n, err := h.Presence(context.Background(), 7)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "2 participants", func() bool { return h.Stats().Sockets == 5 && count() == 2 })
	p1.ws.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "socket gone", func() bool { return h.Stats().Sockets == 4 })
	if n := count(); n != 2 {
		t.Fatalf("presence with one tab of member 1 left = %d, want 2", n)
	}
	p1b.ws.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "1 participant", func() bool { return count() == 1 })
}

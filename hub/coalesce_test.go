package hub

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// recordingBroker is an in-process broker that notes when each message of
// a channel was published.
type recordingBroker struct {
	*InProcBroker
	mu    sync.Mutex
	times []time.Time
	last  []byte
}

func (b *recordingBroker) Publish(ctx context.Context, channel string, msg []byte) error {
	b.mu.Lock()
	b.times = append(b.times, time.Now())
	b.last = msg
	b.mu.Unlock()
	return b.InProcBroker.Publish(ctx, channel, msg)
}

func TestHub_PublishCoalesced(t *testing.T) {
	const interval = 20 * time.Millisecond
	rb := &recordingBroker{InProcBroker: NewInProcBroker()}
	h, url := startHub(t, Config{Broker: rb, CoalesceInterval: interval})
	const topic = "w:9:screen"
	c := dial(t, url+"?topic="+topic)
	c.next()

	const votes = 2000
	start := time.Now()
	for i := 1; i <= votes; i++ {
		h.PublishCoalesced(topic, "tally:1", "tally", map[string]int{"n": i})
		if i%100 == 0 {
			h.PublishCoalesced(topic, "tally:2", "tally", map[string]int{"other": i})
		}
	}
	elapsed := time.Since(start)
	// The last state of each key always goes out.
	var lastOne, lastTwo int
	for lastOne != votes || lastTwo != votes {
		m := c.next()
		var d struct{ N, Other int }
		if err := json.Unmarshal(m.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.N > 0 {
			lastOne = d.N
		}
		if d.Other > 0 {
			lastTwo = d.Other
		}
	}
	rb.mu.Lock()
	sent := len(rb.times)
	rb.mu.Unlock()
	// Two keys, each at most once per interval (the first at once).
	if max := 2 * (int(elapsed/interval) + 3); sent > max {
		t.Errorf("%d messages for %d votes in %v, want at most %d", sent, votes, elapsed, max)
	}
	t.Logf("%d votes in %v → %d messages", votes, elapsed, sent)
}

func TestCoalescer_Spacing(t *testing.T) {
	const interval = 15 * time.Millisecond
	rb := &recordingBroker{InProcBroker: NewInProcBroker()}
	h, _ := startHub(t, Config{Broker: rb, CoalesceInterval: interval})
	for i := range 300 {
		h.PublishCoalesced("w:1:screen", "k", "tally", i)
		if i%50 == 0 {
			time.Sleep(interval / 3) // spread the votes over several intervals
		}
	}
	waitFor(t, "last state sent", func() bool {
		rb.mu.Lock()
		defer rb.mu.Unlock()
		var m Envelope
		json.Unmarshal(rb.last, &m)
		return string(m.Data) == "299"
	})
	rb.mu.Lock()
	defer rb.mu.Unlock()
	// The coalescer spaces the starts of its sends; the broker notes a
	// message after it was encoded, which a loaded machine can delay by a
	// millisecond or two. So each gap may fall short by that much, while the
	// sends as a whole keep to one an interval.
	const slack = interval / 5
	for i := 1; i < len(rb.times); i++ {
		if gap := rb.times[i].Sub(rb.times[i-1]); gap < interval-slack {
			t.Errorf("messages %d and %d only %v apart, want ≥ %v", i-1, i, gap, interval)
		}
	}
	if n := len(rb.times); n > 1 {
		if span := rb.times[n-1].Sub(rb.times[0]); span < time.Duration(n-1)*interval-slack {
			t.Errorf("%d messages in %v, want ≥ %v apart on average", n, span, interval)
		}
	}
}

// Phones get a key at most once per PhoneInterval while the projector gets
// it every CoalesceInterval, and both get the last state.
func TestCoalescer_PhonesLessOften(t *testing.T) {
	const interval, phones = 10 * time.Millisecond, 100 * time.Millisecond
	h, url := startHub(t, Config{CoalesceInterval: interval, PhoneInterval: phones})
	screen, phone := dial(t, url+"?topic=w:1:screen"), dial(t, url+"?topic=w:1:participants")
	screen.next()
	phone.next()
	const n = 60
	start := time.Now()
	for i := 1; i <= n; i++ {
		h.PublishLocalCoalesced("w:1:screen", "k", "tally", i)
		h.PublishLocalCoalesced("w:1:participants", "k", "tally", i)
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	count := func(c *client) int {
		got := 0
		for {
			m := c.next()
			got++
			if string(m.Data) == "60" {
				return got
			}
		}
	}
	onScreen, onPhone := count(screen), count(phone)
	if maxPhone := int(elapsed/phones) + 2; onPhone > maxPhone {
		t.Errorf("phone got %d messages in %v, want at most %d", onPhone, elapsed, maxPhone)
	}
	if onScreen < 3*onPhone {
		t.Errorf("screen got %d messages, phone %d: the projector should be updated far more often", onScreen, onPhone)
	}
	t.Logf("%d updates in %v: screen got %d, phone %d", n, elapsed.Round(time.Millisecond), onScreen, onPhone)
}

// A poll's first tally goes to the projector at once, and to the phones
// an interval later: not on top of the poll's opening, which is still on
// its way to them. Later tallies keep to one an interval.
func TestCoalescer_PhonesFirstTallyWaitsAnInterval(t *testing.T) {
	const phones = 500 * time.Millisecond
	h, url := startHub(t, Config{CoalesceInterval: 10 * time.Millisecond, PhoneInterval: phones})
	screen, phone := dial(t, url+"?topic=w:2:screen"), dial(t, url+"?topic=w:2:participants")
	screen.next()
	phone.next()
	start := time.Now()
	h.PublishLocalCoalesced("w:2:screen", "tally:1", "tally", 1)
	h.PublishLocalCoalesced("w:2:participants", "tally:1", "tally", 1)
	if m := screen.next(); string(m.Data) != "1" || time.Since(start) >= phones/2 {
		t.Fatalf("projector got %s after %v, want 1 at once", m.Data, time.Since(start))
	}
	h.PublishLocalCoalesced("w:2:participants", "tally:1", "tally", 2)
	m := phone.next()
	if at := time.Since(start); string(m.Data) != "2" || at < phones-phones/10 {
		t.Fatalf("phone got %s after %v, want the latest (2) after about %v", m.Data, at, phones)
	}
	// The next one, an interval after the second went out, not at once.
	// (Bounds from start only: timers never fire early, while this test's
	// reads may come late on a loaded machine.)
	h.PublishLocalCoalesced("w:2:participants", "tally:1", "tally", 3)
	if m := phone.next(); string(m.Data) != "3" || time.Since(start) < 2*phones-phones/10 {
		t.Fatalf("phone got %s after %v, want 3 two intervals after the first tally", m.Data, time.Since(start))
	}
}

// A latest value to a crowd goes out slice by slice: every socket gets it
// once, the first slice at once and the last after the pauses, and a
// socket that leaves meanwhile is skipped, not counted as dropped.
func TestCoalescer_LatestPacedOverACrowd(t *testing.T) {
	const gap, interval = 300 * time.Millisecond, 50 * time.Millisecond
	h, url := startHub(t, Config{PaceSlice: 2, PaceGap: gap, PhoneInterval: interval})
	const topic = "w:13:participants"
	var phones []*client
	for range 6 { // three slices
		c := dial(t, url+"?topic="+topic)
		c.next()
		phones = append(phones, c)
	}
	waitFor(t, "6 sockets", func() bool { return h.Stats().Sockets == 6 })
	start := time.Now()
	h.PublishLocalCoalesced(topic, "tally:1", "tally", 42)
	first := phones[0].next()
	if firstAt := time.Since(start); string(first.Data) != "42" || firstAt >= interval+gap {
		t.Fatalf("first slice got %s after %v, want 42 before %v", first.Data, firstAt, interval+gap)
	}
	phones[5].ws.CloseNow() // leaves while the value is on its way
	for i, c := range phones[1:5] {
		if m := c.next(); string(m.Data) != "42" {
			t.Fatalf("phone %d got %s, want 42", i+1, m.Data)
		}
	}
	if spread := time.Since(start); spread < interval+gap {
		t.Fatalf("all slices within %v: not paced (gap %v)", spread, gap)
	}
	if d := h.Stats().Dropped; d != 0 {
		t.Fatalf("dropped = %d, want 0", d)
	}
}

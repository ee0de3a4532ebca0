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
	for i := 1; i < len(rb.times); i++ {
		if gap := rb.times[i].Sub(rb.times[i-1]); gap < interval {
			t.Errorf("messages %d and %d only %v apart, want ≥ %v", i-1, i, gap, interval)
		}
	}
}

package hub

import (
	"context"
	"sync"
	"time"
)

// coalescer sends the latest data of each (topic, key) at most once per
// interval. The first publication of a quiet key goes out at once (after
// an interval on the phones' topics: firstDelay); later
// ones only replace the pending data until the interval is over, when the
// pending data goes out and the interval starts again, or the key is
// forgotten if nothing came. So the last state always goes out, at most one
// interval late.
type coalescer struct {
	h        *Hub
	interval time.Duration
	phones   time.Duration // the interval of participants' topics

	mu      sync.Mutex
	entries map[coalesceKey]*coalesceEntry
	stopped bool
}

type coalesceKey struct {
	topic, key string
	local      bool // this node's sockets only (PublishLocalCoalesced)
}

type coalesceEntry struct {
	typ     string
	data    any
	pending bool
	timer   *time.Timer
}

func newCoalescer(h *Hub, interval, phones time.Duration) *coalescer {
	return &coalescer{h: h, interval: interval, phones: phones, entries: map[coalesceKey]*coalesceEntry{}}
}

// phoneTopic reports whether topic is a workshop's participants' topic.
func phoneTopic(topic string) bool {
	_, a, ok := ParseWorkshopTopic(topic)
	return ok && a == Participants
}

// intervalOf is the least time between two messages of a topic's key.
func (c *coalescer) intervalOf(topic string) time.Duration {
	if phoneTopic(topic) {
		return c.phones
	}
	return c.interval
}

// firstDelay is how long the first publication of a quiet key waits: none
// on the projector's and the dashboard's topics, an interval on the
// phones'. When a poll opens, its first tally would otherwise go to every
// phone while the opening itself is still on its way to them, and the
// first votes would wait behind both broadcasts; a phone shows figures no
// better than once an interval anyway.
func (c *coalescer) firstDelay(topic string) time.Duration {
	if phoneTopic(topic) {
		return c.phones
	}
	return 0
}

func (c *coalescer) publish(topic, key, typ string, data any, local bool) {
	k := coalesceKey{topic, key, local}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	e := c.entries[k]
	if e == nil {
		e = &coalesceEntry{}
		c.entries[k] = e
		e.timer = time.AfterFunc(c.firstDelay(topic), func() { c.fire(k, e) })
	}
	e.typ, e.data, e.pending = typ, data, true
}

// fire sends the pending data, then arms the timer again: sends of one key
// never overlap, so they arrive in order, and are an interval apart.
func (c *coalescer) fire(k coalesceKey, e *coalesceEntry) {
	c.mu.Lock()
	if c.stopped || c.entries[k] != e {
		c.mu.Unlock()
		return
	}
	if !e.pending {
		delete(c.entries, k)
		c.mu.Unlock()
		return
	}
	typ, data := e.typ, e.data
	e.typ, e.data, e.pending = "", nil, false
	c.mu.Unlock()
	start := time.Now()
	c.send(k, typ, data) // paced over a crowd: may take a fraction of the interval
	c.mu.Lock()
	if !c.stopped && c.entries[k] == e {
		e.timer.Reset(max(c.intervalOf(k.topic)-time.Since(start), 0))
	}
	c.mu.Unlock()
}

func (c *coalescer) send(k coalesceKey, typ string, data any) {
	var err error
	if k.local {
		err = c.h.publishLocal(k.topic, typ, data)
	} else {
		ctx, cancel := context.WithTimeout(c.h.bctx, 5*time.Second) // publishes until Close, after the sockets
		err = c.h.Publish(ctx, k.topic, typ, data)
		cancel()
	}
	if err != nil {
		c.h.logger.Warn("hub: coalesced publish", "topic", k.topic, "type", typ, "err", err)
	}
}

func (c *coalescer) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for k, e := range c.entries {
		e.timer.Stop()
		delete(c.entries, k)
	}
}

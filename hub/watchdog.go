package hub

import "time"

// The write watchdog bounds how long a write to a socket may block.
//
// A deadline per write cost two timer updates in the runtime's poller for
// every message (about 6 % of the server's CPU during a vote burst at
// 10,000 sockets). Instead, a writer stamps the hub's coarse clock before
// each write and clears it after; one goroutine per hub ticks the clock
// and closes the sockets whose write has lasted longer than WriteTimeout.
// A stuck write is detected between WriteTimeout and WriteTimeout plus
// one tick late.

// watchdogTick is the clock's period for a write timeout: a quarter of
// it, between 10 ms and 1 s.
func watchdogTick(writeTimeout time.Duration) time.Duration {
	return min(max(writeTimeout/4, 10*time.Millisecond), time.Second)
}

// watchdog runs until the hub's context ends.
func (h *Hub) watchdog() {
	tick := watchdogTick(h.cfg.WriteTimeout)
	// A write stamped at tick s has run more than WriteTimeout once the
	// clock reaches s+limit+1: at least limit whole ticks have passed.
	limit := int64((h.cfg.WriteTimeout + tick - 1) / tick)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		now := h.clock.Add(1)
		for _, c := range h.stuckWriters(now, limit) {
			c.writeTimedOut()
		}
	}
}

// stuckWriters returns the sockets whose current write started more than
// limit ticks before now.
func (h *Hub) stuckWriters(now, limit int64) []*conn {
	var stuck []*conn
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, t := range h.topics {
		t.mu.RLock()
		for _, c := range t.conns {
			if s := c.writingSince.Load(); s != 0 && now-s > limit {
				stuck = append(stuck, c)
			}
		}
		t.mu.RUnlock()
	}
	return stuck
}

// writeTimedOut closes a socket whose write is stuck: closing the
// connection makes the blocked write return, and the writer ends.
func (c *conn) writeTimedOut() {
	if c.dropping.CompareAndSwap(false, true) {
		c.h.dropped.Add(1)
		go c.ws.CloseNow()
	}
}

package server

import (
	"sync"
	"time"
)

// localCounters are fixed-window counters kept in this node's memory, for
// the per-participant limits on the hot path (votes, supports): a store
// counter there would cost a database commit per vote. The limits are per
// node; a phone talks to one node at a time, and the flood guard and the
// database's one-vote-per-participant rule hold whatever the node.
// Login throttling stays in the store, shared by every node.
type localCounters struct {
	mu      sync.Mutex
	m       map[string]localCount
	swept   time.Time // last time expired windows were dropped
	sweepIn time.Duration
}

type localCount struct {
	start time.Time // the window's start: now truncated to the window
	end   time.Time
	n     int
}

func newLocalCounters() *localCounters {
	return &localCounters{m: map[string]localCount{}, sweepIn: time.Minute}
}

// hit adds one to key's counter in the window that holds now and returns
// the new count, as agora.CounterStore.Hit does.
func (l *localCounters) hit(key string, window time.Duration, now time.Time) int {
	start := now.Truncate(window)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	c := l.m[key]
	if !c.start.Equal(start) {
		c = localCount{start: start, end: start.Add(window)}
	}
	c.n++
	l.m[key] = c
	return c.n
}

// seen reports whether key was hit in the window that holds now.
func (l *localCounters) seen(key string, window time.Duration, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.m[key]
	return ok && c.start.Equal(now.Truncate(window)) && c.n > 0
}

// sweep drops expired windows at most once per sweepIn, so the map holds
// only the last minutes' participants. Called with mu held.
func (l *localCounters) sweep(now time.Time) {
	if now.Sub(l.swept) < l.sweepIn {
		return
	}
	l.swept = now
	for k, c := range l.m {
		if !now.Before(c.end) {
			delete(l.m, k)
		}
	}
}

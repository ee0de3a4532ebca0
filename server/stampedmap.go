package server

import (
	"sync"
	"time"
)

// stampedMap keeps values with the time they were read. The zero value is
// empty and ready.
type stampedMap[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]stamped[V]
}

type stamped[V any] struct {
	v  V
	at time.Time
}

// get returns the value of k if it was put less than ttl before now.
func (s *stampedMap[K, V]) get(k K, now time.Time, ttl time.Duration) (V, bool) {
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || !within(e.at, now, ttl) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// within reports whether at is less than ttl before now (and not after it:
// a clock set back makes a value stale, not fresh for longer).
func within(at, now time.Time, ttl time.Duration) bool {
	return now.Sub(at) < ttl && !now.Before(at)
}

// put keeps v for k as of now; a map of max entries starts over first.
func (s *stampedMap[K, V]) put(k K, v V, now time.Time, max int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= max {
		s.m = make(map[K]stamped[V])
	}
	s.m[k] = stamped[V]{v: v, at: now}
}

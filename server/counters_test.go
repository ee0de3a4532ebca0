package server

import (
	"testing"
	"time"
)

func TestLocalCounters_HitSeenAndSweep(t *testing.T) {
	l := newLocalCounters()
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for want := 1; want <= 3; want++ {
		if n := l.hit("k", time.Minute, t0.Add(time.Duration(want)*time.Second)); n != want {
			t.Fatalf("hit %d: got %d", want, n)
		}
	}
	if !l.seen("k", time.Minute, t0.Add(30*time.Second)) || l.seen("other", time.Minute, t0) {
		t.Fatal("seen is wrong within the window")
	}
	// A new window starts from one, and seen forgets the old one.
	next := t0.Add(time.Minute)
	if l.seen("k", time.Minute, next) {
		t.Fatal("seen across windows")
	}
	if n := l.hit("k", time.Minute, next); n != 1 {
		t.Fatalf("new window: got %d", n)
	}
	// Expired windows are dropped by the sweep.
	l.hit("old", time.Minute, t0)
	l.hit("k", time.Minute, t0.Add(10*time.Minute))
	if _, ok := l.m["old"]; ok {
		t.Fatal("an expired counter survived the sweep")
	}
}

package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

var counterTests = []test{
	{"Counter/HitAndRollover", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		win := time.Minute
		t0 := base.Truncate(win)
		hit := func(key string, at time.Time, want int) {
			t.Helper()
			n, err := s.Hit(ctx, key, win, at)
			must(t, err)
			if n != want {
				t.Fatalf("Hit(%s, %v) = %d, want %d", key, at, n, want)
			}
		}
		hit("login:a", t0, 1)
		hit("login:a", t0.Add(10*time.Second), 2)
		hit("login:b", t0.Add(20*time.Second), 1)
		hit("login:a", t0.Add(59*time.Second), 3)
		hit("login:a", t0.Add(win), 1) // next window
		hit("login:a", t0.Add(win+time.Second), 2)
	}},
	{"Counter/PastWindowsForgotten", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		must2 := func(n int, err error) int { t.Helper(); must(t, err); return n }
		must2(s.Hit(ctx, "ip:1", time.Minute, base))
		must2(s.Hit(ctx, "ip:1", time.Minute, base))
		// Much later, another key's hit sweeps the stale window.
		must2(s.Hit(ctx, "ip:2", time.Minute, base.Add(time.Hour)))
		if n := must2(s.Hit(ctx, "ip:1", time.Minute, base)); n != 1 {
			t.Fatalf("stale window still counted: %d", n)
		}
	}},
	{"Counter/Concurrent", func(t *testing.T, s agora.Store) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if _, err := s.Hit(t.Context(), "k", time.Hour, base); err != nil {
					t.Error(fmt.Errorf("hit %d: %w", i, err))
				}
			})
		}
		wg.Wait()
		n, err := s.Hit(t.Context(), "k", time.Hour, base)
		must(t, err)
		if n != 21 {
			t.Fatalf("count %d after 21 hits", n)
		}
	}},
}

package store

import (
	"context"
	"time"
)

// sweepEvery is how often, in the callers' time, Hit deletes the counters
// of past windows: rarely enough to cost nothing, often enough that keys
// never hit again (an attacker's made-up emails) do not pile up.
const sweepEvery = time.Minute

// Hit adds one to key's counter in the window that contains now and
// returns the new count, in one upsert.
func (s *DB) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	start := now.UTC().Truncate(window)
	var n int
	err := s.q().QueryRowContext(ctx, `INSERT INTO counters (key, window_start, count, expires_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (key, window_start) DO UPDATE SET count = counters.count + 1
		RETURNING count`, key, s.d.time(start), s.d.time(start.Add(window))).Scan(&n)
	if err != nil {
		return 0, dbError("hit", err)
	}
	s.maybeSweep(ctx, now)
	return n, nil
}

// maybeSweep deletes expired counters at most once per sweepEvery. A
// failure only delays the cleanup, so it is logged, not returned.
func (s *DB) maybeSweep(ctx context.Context, now time.Time) {
	sw := s.sweep
	sw.mu.Lock()
	due := now.Sub(sw.last) >= sweepEvery || now.Before(sw.last)
	if due {
		sw.last = now
	}
	sw.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.exec(ctx, "sweep counters", `DELETE FROM counters WHERE expires_at <= $1`, s.d.time(now)); err != nil {
		s.log.Warn("sweep counters", "err", err)
	}
}

package main

import (
	"context"
	"time"
)

// defaultSweepEvery is how often expired sessions are deleted.
const defaultSweepEvery = time.Hour

// sweep deletes expired sessions every interval until ctx ends, so the
// sessions table holds only sign-ins that still work. One-time tokens and
// rate-limit counters are cleaned by the store itself as they are used.
func (m *Main) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := m.db.DeleteExpiredSessions(ctx, time.Now())
			if err != nil && ctx.Err() == nil {
				m.Logger.Warn("sweep expired sessions", "err", err)
			} else if n > 0 {
				m.Logger.Info("expired sessions deleted", "count", n)
			}
		}
	}
}

// startSweep runs sweep on a context that Close cancels.
func (m *Main) startSweep() {
	every := m.sweepEvery
	if every <= 0 {
		every = defaultSweepEvery
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopSweep, m.sweepStopped = cancel, make(chan struct{})
	go func() {
		defer close(m.sweepStopped)
		m.sweep(ctx, every)
	}()
}

package main

import (
	"context"
	"time"
)

// defaultSweepEvery is how often expired sessions and old personal data go.
const defaultSweepEvery = time.Hour

// sweep runs every interval until ctx ends. It deletes expired sessions,
// so the sessions table holds only sign-ins that still work, and, unless
// the retention is 0, erases the personal data older than the retention
// (store.ForgetBefore). Rate-limit counters are cleaned by the store
// itself as they are used. The log gets counts only, never personal data.
func (m *Main) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.sweepOnce(ctx, time.Now())
		}
	}
}

// sweepOnce is one pass of sweep at now.
func (m *Main) sweepOnce(ctx context.Context, now time.Time) {
	n, err := m.db.DeleteExpiredSessions(ctx, now)
	if err != nil && ctx.Err() == nil {
		m.Logger.Warn("sweep expired sessions", "err", err)
	} else if n > 0 {
		m.Logger.Info("expired sessions deleted", "count", n)
	}
	if m.Config.Retention <= 0 {
		return
	}
	r, err := m.db.ForgetBefore(ctx, now.Add(-m.Config.Retention))
	if err != nil {
		if ctx.Err() == nil {
			m.Logger.Warn("sweep personal data past retention", "err", err)
		}
		return
	}
	if r.Participants > 0 || r.Tokens > 0 {
		m.Logger.Info("personal data past retention erased", "retention", m.Config.Retention.String(),
			"participants", r.Participants, "one_time_tokens", r.Tokens)
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

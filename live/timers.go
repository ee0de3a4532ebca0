package live

import (
	"context"
	"sync"
	"time"

	"github.com/agora-civic/agora"
)

// timerRetry is how long a countdown waits before trying again to close its
// activity when the store failed. Answers stop at ClosesAt anyway
// (agora.Activity.AcceptsAnswers): a late close only updates the screens.
const timerRetry = 5 * time.Second

// timerSet holds one countdown per open activity with a timer.
type timerSet struct {
	mu     sync.Mutex
	m      map[int64]*countdown
	closed bool
	wg     sync.WaitGroup // running expiries
}

// countdown is an armed timer; its identity tells a stale expiry (the
// activity was closed, or opened again with a new timer) from a live one.
type countdown struct {
	t Timer
}

// arm sets the countdown of an open activity with a timer, replacing any
// earlier one, and disarms it otherwise. An expired activity closes now.
func (e *Engine) arm(a *agora.Activity) {
	if a.State != agora.ActivityOpen || a.ClosesAt == nil {
		e.disarm(a.ID)
		return
	}
	id, d := a.ID, a.ClosesAt.Sub(e.clock.Now())
	e.timers.mu.Lock()
	defer e.timers.mu.Unlock()
	if e.timers.closed {
		return
	}
	if old := e.timers.m[id]; old != nil {
		old.t.Stop()
	}
	c := &countdown{}
	c.t = e.clock.AfterFunc(max(d, 0), func() { e.expire(id, c) })
	e.timers.m[id] = c
}

// disarm stops the countdown of an activity, if any.
func (e *Engine) disarm(id int64) {
	e.timers.mu.Lock()
	defer e.timers.mu.Unlock()
	if c := e.timers.m[id]; c != nil {
		c.t.Stop()
		delete(e.timers.m, id)
	}
}

func (s *timerSet) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for id, c := range s.m {
		c.t.Stop()
		delete(s.m, id)
	}
}

// enter registers a running expiry of c; false when c is no longer the
// activity's countdown or the engine is closed.
func (s *timerSet) enter(id int64, c *countdown) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.m[id] != c {
		return false
	}
	delete(s.m, id)
	s.wg.Add(1)
	return true
}

// expire closes an activity whose countdown ran out, as the system: the
// audit entry has no actor.
func (e *Engine) expire(id int64, c *countdown) {
	if !e.timers.enter(id, c) {
		return
	}
	defer e.timers.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := e.closeExpired(ctx, id)
	if err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
		e.log.Error("live: countdown could not close the activity", "activity", id, "err", err)
		e.retry(id)
	}
}

// retry arms the countdown of an activity again after a failure.
func (e *Engine) retry(id int64) {
	e.timers.mu.Lock()
	defer e.timers.mu.Unlock()
	if e.timers.closed || e.timers.m[id] != nil {
		return
	}
	c := &countdown{}
	c.t = e.clock.AfterFunc(timerRetry, func() { e.expire(id, c) })
	e.timers.m[id] = c
}

// closeExpired closes the activity if it is open and its time is up; an
// activity opened again with a later end gets its countdown back instead.
func (e *Engine) closeExpired(ctx context.Context, id int64) error {
	var a *agora.Activity
	var w *agora.Workshop
	var closed bool
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if a, err = tx.ActivityByID(ctx, id); err != nil {
			return err
		}
		if !a.Expired(e.now()) {
			return nil
		}
		if w, err = tx.WorkshopByID(ctx, a.WorkshopID); err != nil {
			return err
		}
		if err := a.Close(e.now()); err != nil {
			return err
		}
		if err := tx.UpdateActivity(ctx, a); err != nil {
			return err
		}
		closed = true
		return tx.AppendAudit(ctx, e.audit(nil, w, "activity.close", agora.TargetActivity, a.ID,
			map[string]any{"reason": "timer"}))
	})
	if err != nil {
		return err
	}
	if !closed {
		e.arm(a) // still running (opened again), or closed already
		return nil
	}
	e.activityChanged(a)
	e.publishState(ctx, w)
	return nil
}

// Resume arms the countdowns of the open activities of live workshops, as
// stored, and closes those whose time ran out while no process watched.
// Call it once when the process starts.
func (e *Engine) Resume(ctx context.Context) error {
	cs, err := e.st.ListConsultations(ctx, agora.ConsultationFilter{})
	if err != nil {
		return err
	}
	for _, c := range cs {
		ws, err := e.st.ListWorkshops(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if err := e.resumeWorkshop(ctx, w); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Engine) resumeWorkshop(ctx context.Context, w *agora.Workshop) error {
	if w.State == agora.WorkshopEnded {
		return nil
	}
	run, err := e.st.ListActivities(ctx, w.ID)
	if err != nil {
		return err
	}
	for _, a := range run {
		if a.State != agora.ActivityOpen || a.ClosesAt == nil {
			continue
		}
		if !a.Expired(e.now()) {
			e.arm(a)
			continue
		}
		if err := e.closeExpired(ctx, a.ID); err != nil {
			return err
		}
	}
	return nil
}

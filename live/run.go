package live

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

// OpenActivity opens an activity to answers and makes it the workshop's
// current one, closing any other open activity: the room answers one
// question at a time. A draft workshop goes live. With a timer, the
// activity closes by itself at ClosesAt. Opening an open activity does
// nothing (facilitators double-tap); a closed one opens again with its votes.
func (e *Engine) OpenActivity(ctx context.Context, actor *agora.User, activityID int64) error {
	return e.show(ctx, actor, func(ctx context.Context, tx agora.Store) (*agora.Workshop, *agora.Activity, error) {
		a, w, err := activityAndWorkshop(ctx, tx, activityID)
		return w, a, err
	}, true)
}

// Next makes the activity after the current one current (the first when
// there is none), closing the open one. A pending activity opens; a closed
// one is shown with its results, as it stands (OpenActivity reopens it).
func (e *Engine) Next(ctx context.Context, actor *agora.User, workshopID int64) error {
	return e.step(ctx, actor, workshopID, agora.NextActivity, "error.no_next_activity")
}

// Previous makes the activity before the current one current; see Next.
func (e *Engine) Previous(ctx context.Context, actor *agora.User, workshopID int64) error {
	return e.step(ctx, actor, workshopID, agora.PreviousActivity, "error.no_previous_activity")
}

func (e *Engine) step(ctx context.Context, actor *agora.User, workshopID int64,
	pick func([]*agora.Activity, *int64) *agora.Activity, none string) error {
	return e.show(ctx, actor, func(ctx context.Context, tx agora.Store) (*agora.Workshop, *agora.Activity, error) {
		w, err := tx.WorkshopByID(ctx, workshopID)
		if err != nil {
			return nil, nil, notFound(err, "error.workshop_not_found")
		}
		if w.State == agora.WorkshopEnded {
			return nil, nil, agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
		}
		run, err := tx.ListActivities(ctx, w.ID)
		if err != nil {
			return nil, nil, err
		}
		a := pick(run, w.CurrentActivityID)
		if a == nil {
			return nil, nil, agora.Errorf(agora.ECONFLICT, none)
		}
		return w, a, nil
	}, false)
}

// show makes the activity pick returns the workshop's current one, in one
// transaction: the other open activities close, the activity opens (always
// when open is set, else only when pending) and a draft workshop goes live.
func (e *Engine) show(ctx context.Context, actor *agora.User,
	pick func(context.Context, agora.Store) (*agora.Workshop, *agora.Activity, error), open bool) error {
	if err := staff(actor); err != nil {
		return err
	}
	var w *agora.Workshop
	var changed []*agora.Activity
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		changed = nil
		var target *agora.Activity
		var err error
		if w, target, err = pick(ctx, tx); err != nil {
			return err
		}
		if w.State == agora.WorkshopEnded {
			return agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
		}
		if changed, err = e.closeOthers(ctx, tx, actor, w, target.ID); err != nil {
			return err
		}
		if open || target.State == agora.ActivityPending {
			ok, err := e.open(ctx, tx, actor, w, target)
			if err != nil {
				return err
			}
			if ok {
				changed = append(changed, target)
			}
		}
		return e.setCurrent(ctx, tx, actor, w, target.ID)
	})
	if err != nil {
		return err
	}
	for _, a := range changed {
		e.arm(a)
		e.activityChanged(a)
	}
	e.publishState(ctx, w)
	return nil
}

// closeOthers closes the open activities of w but keep.
func (e *Engine) closeOthers(ctx context.Context, tx agora.Store, actor *agora.User, w *agora.Workshop, keep int64) ([]*agora.Activity, error) {
	run, err := tx.ListActivities(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	var closed []*agora.Activity
	for _, a := range run {
		if a.ID == keep || a.State != agora.ActivityOpen {
			continue
		}
		if err := a.Close(e.now()); err != nil {
			return nil, err
		}
		if err := tx.UpdateActivity(ctx, a); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(ctx, e.audit(actor, w, "activity.close", agora.TargetActivity, a.ID, nil)); err != nil {
			return nil, err
		}
		closed = append(closed, a)
	}
	return closed, nil
}

// open opens a, reporting false when it was taking answers already.
func (e *Engine) open(ctx context.Context, tx agora.Store, actor *agora.User, w *agora.Workshop, a *agora.Activity) (bool, error) {
	now := e.now()
	if a.AcceptsAnswers(now) {
		return false, nil
	}
	if err := a.Open(now); err != nil {
		return false, err
	}
	if err := tx.UpdateActivity(ctx, a); err != nil {
		return false, err
	}
	var detail any
	if a.ClosesAt != nil {
		detail = map[string]any{"closes_at": a.ClosesAt}
	}
	return true, tx.AppendAudit(ctx, e.audit(actor, w, "activity.open", agora.TargetActivity, a.ID, detail))
}

// setCurrent makes an activity the workshop's current one, and a draft
// workshop live.
func (e *Engine) setCurrent(ctx context.Context, tx agora.Store, actor *agora.User, w *agora.Workshop, id int64) error {
	if w.State == agora.WorkshopDraft {
		if err := e.start(ctx, tx, actor, w); err != nil {
			return err
		}
	}
	if w.CurrentActivityID != nil && *w.CurrentActivityID == id {
		return tx.UpdateWorkshop(ctx, w)
	}
	from := w.CurrentActivityID
	w.CurrentActivityID = &id
	if err := tx.UpdateWorkshop(ctx, w); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, e.audit(actor, w, "workshop.current", agora.TargetActivity, id,
		map[string]any{"from": from}))
}

func (e *Engine) start(ctx context.Context, tx agora.Store, actor *agora.User, w *agora.Workshop) error {
	w.State = agora.WorkshopLive
	return tx.AppendAudit(ctx, e.audit(actor, w, "workshop.start", agora.TargetWorkshop, w.ID, nil))
}

// CloseActivity stops taking answers; closing twice does nothing.
func (e *Engine) CloseActivity(ctx context.Context, actor *agora.User, activityID int64) error {
	return e.change(ctx, actor, activityID, "activity.close", func(a *agora.Activity) error {
		return a.Close(e.now())
	})
}

// RevealResults shows an activity's results to participants and the screen.
func (e *Engine) RevealResults(ctx context.Context, actor *agora.User, activityID int64) error {
	return e.change(ctx, actor, activityID, "activity.reveal", (*agora.Activity).Reveal)
}

// HideResults hides an activity's results from participants and the screen
// again; facilitators keep seeing them.
func (e *Engine) HideResults(ctx context.Context, actor *agora.User, activityID int64) error {
	return e.change(ctx, actor, activityID, "activity.hide", (*agora.Activity).Hide)
}

// change applies a state change to an activity, with its audit entry, then
// updates the countdown and the tally and publishes the new state. A change
// that changes nothing (a double tap) is neither written nor audited.
func (e *Engine) change(ctx context.Context, actor *agora.User, activityID int64, action string, f func(*agora.Activity) error) error {
	if err := staff(actor); err != nil {
		return err
	}
	var a *agora.Activity
	var w *agora.Workshop
	var same bool
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if a, w, err = activityAndWorkshop(ctx, tx, activityID); err != nil {
			return err
		}
		if w.State == agora.WorkshopEnded {
			return agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
		}
		before := *a
		if err := f(a); err != nil {
			return err
		}
		if same = sameState(&before, a); same {
			return nil
		}
		if err := tx.UpdateActivity(ctx, a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e.audit(actor, w, action, agora.TargetActivity, a.ID, nil))
	})
	if err != nil || same {
		return err
	}
	e.arm(a)
	e.activityChanged(a)
	e.publishActivity(ctx, w, a)
	return nil
}

func sameState(x, y *agora.Activity) bool {
	return x.State == y.State && x.Revealed == y.Revealed && x.Round == y.Round &&
		equalTime(x.ClosesAt, y.ClosesAt) && equalTime(x.ClosedAt, y.ClosedAt)
}

func equalTime(x, y *time.Time) bool {
	return x == nil && y == nil || x != nil && y != nil && x.Equal(*y)
}

// ResetActivity starts an activity over after a false start: its votes and
// its ideas' supports are deleted and it is pending again, in a new round.
// The audit entry keeps the discarded tally, in its Detail, as JSON.
func (e *Engine) ResetActivity(ctx context.Context, actor *agora.User, activityID int64) error {
	if err := staff(actor); err != nil {
		return err
	}
	var a *agora.Activity
	var w *agora.Workshop
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		cur, ws, err := activityAndWorkshop(ctx, tx, activityID)
		if err != nil {
			return err
		}
		w = ws
		if w.State == agora.WorkshopEnded {
			return agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
		}
		check := *cur // the rules check the state; the store does the reset
		if err := check.Reset(); err != nil {
			return err
		}
		votes, ideas, err := readTally(ctx, tx, cur)
		if err != nil {
			return err
		}
		discarded := discardedTally(cur, votes, ideas)
		a, err = tx.ResetActivity(ctx, activityID,
			e.audit(actor, w, "activity.reset", agora.TargetActivity, activityID, discarded))
		return err
	})
	if err != nil {
		return err
	}
	e.disarm(activityID)
	e.tallies.remove(activityID)
	e.tell(w.ID, peerMessage{Drop: activityID})
	e.publishActivity(ctx, w, a)
	return nil
}

func discardedTally(a *agora.Activity, votes []*agora.Vote, ideas []*agora.Proposal) agora.Tally {
	if a.Kind.Votable() {
		return agora.TallyVotes(a, votes)
	}
	return agora.TallyIdeas(a, ideas)
}

// StartWorkshop puts a draft workshop live; starting a live one does nothing.
func (e *Engine) StartWorkshop(ctx context.Context, actor *agora.User, workshopID int64) error {
	return e.workshopChange(ctx, actor, workshopID, func(ctx context.Context, tx agora.Store, w *agora.Workshop) (bool, error) {
		switch w.State {
		case agora.WorkshopEnded:
			return false, agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
		case agora.WorkshopLive:
			return false, nil
		}
		if err := e.start(ctx, tx, actor, w); err != nil {
			return false, err
		}
		return true, tx.UpdateWorkshop(ctx, w)
	})
}

// EndWorkshop ends a workshop: its open activity closes and its join code
// admits no one any more. Ending twice does nothing.
func (e *Engine) EndWorkshop(ctx context.Context, actor *agora.User, workshopID int64) error {
	var closed []*agora.Activity
	err := e.workshopChange(ctx, actor, workshopID, func(ctx context.Context, tx agora.Store, w *agora.Workshop) (bool, error) {
		if w.State == agora.WorkshopEnded {
			return false, nil
		}
		var err error
		if closed, err = e.closeOthers(ctx, tx, actor, w, 0); err != nil {
			return false, err
		}
		w.State = agora.WorkshopEnded
		if err := tx.UpdateWorkshop(ctx, w); err != nil {
			return false, err
		}
		return true, tx.AppendAudit(ctx, e.audit(actor, w, "workshop.end", agora.TargetWorkshop, w.ID, nil))
	})
	if err != nil {
		return err
	}
	for _, a := range closed {
		e.disarm(a.ID)
		e.activityChanged(a)
	}
	return nil
}

// workshopChange runs f on a workshop in a transaction, and publishes the
// new state when f reports a change.
func (e *Engine) workshopChange(ctx context.Context, actor *agora.User, workshopID int64,
	f func(context.Context, agora.Store, *agora.Workshop) (bool, error)) error {
	if err := staff(actor); err != nil {
		return err
	}
	var w *agora.Workshop
	var changed bool
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if w, err = tx.WorkshopByID(ctx, workshopID); err != nil {
			return notFound(err, "error.workshop_not_found")
		}
		changed, err = f(ctx, tx, w)
		return err
	})
	if err != nil || !changed {
		return err
	}
	e.publishState(ctx, w)
	return nil
}

package live

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/agora-civic/agora"
)

// Limits on workshop fields.
const (
	MaxPlaceLen = 200 // characters
	// joinCodeAttempts bounds the draws of a free join code.
	joinCodeAttempts = 10
)

// CreateWorkshop prepares a workshop of w.ConsultationID with w's Title,
// Place and StartsAt. It draws the join code and the screen token, and sets
// w's ID, state (draft) and timestamps.
func (e *Engine) CreateWorkshop(ctx context.Context, actor *agora.User, w *agora.Workshop) error {
	if err := staff(actor); err != nil {
		return err
	}
	if err := validateWorkshop(w); err != nil {
		return err
	}
	w.State, w.CurrentActivityID, w.CreatedBy = agora.WorkshopDraft, nil, &actor.ID
	w.ScreenToken = agora.NewSecret()
	for attempt := 1; ; attempt++ {
		w.JoinCode = agora.NewJoinCode()
		err := e.st.WithTx(ctx, func(tx agora.Store) error {
			if _, err := tx.ConsultationByID(ctx, w.ConsultationID); err != nil {
				return notFound(err, "error.consultation_not_found")
			}
			if err := tx.CreateWorkshop(ctx, w); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, e.audit(actor, w, "workshop.create", agora.TargetWorkshop, w.ID,
				map[string]any{"title": w.Title}))
		})
		if !agora.IsCode(err, agora.ECONFLICT) || attempt == joinCodeAttempts {
			return err
		}
	}
}

// UpdateWorkshop writes a workshop's Title, Place and StartsAt; its state
// and current activity change only through the running commands.
func (e *Engine) UpdateWorkshop(ctx context.Context, actor *agora.User, w *agora.Workshop) error {
	if err := staff(actor); err != nil {
		return err
	}
	if err := validateWorkshop(w); err != nil {
		return err
	}
	var cur *agora.Workshop
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if cur, err = tx.WorkshopByID(ctx, w.ID); err != nil {
			return notFound(err, "error.workshop_not_found")
		}
		cur.Title, cur.Place, cur.StartsAt = w.Title, w.Place, w.StartsAt
		if err := tx.UpdateWorkshop(ctx, cur); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e.audit(actor, cur, "workshop.update", agora.TargetWorkshop, cur.ID,
			map[string]any{"title": cur.Title, "place": cur.Place, "starts_at": cur.StartsAt}))
	})
	if err != nil {
		return err
	}
	*w = *cur
	e.publishState(ctx, cur)
	return nil
}

func validateWorkshop(w *agora.Workshop) error {
	w.Title, w.Place = strings.TrimSpace(w.Title), strings.TrimSpace(w.Place)
	if n := utf8.RuneCountInString(w.Title); n == 0 || n > agora.MaxTitleLen {
		return agora.Errorf(agora.EINVALID, "error.title_length", agora.MaxTitleLen)
	}
	if utf8.RuneCountInString(w.Place) > MaxPlaceLen {
		return agora.Errorf(agora.EINVALID, "error.place_length", MaxPlaceLen)
	}
	if strings.ContainsFunc(w.Title+w.Place, isControl) {
		return agora.Errorf(agora.EINVALID, "error.text_invalid")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }

// AddActivity appends an activity to the run of show of a.WorkshopID, in the
// pending state. Poll options without an ID get the next free ones, and
// unset settings their usual defaults (single choice, three words, 1–5).
func (e *Engine) AddActivity(ctx context.Context, actor *agora.User, a *agora.Activity) error {
	if err := staff(actor); err != nil {
		return err
	}
	a.State, a.Revealed, a.Round = agora.ActivityPending, false, 0
	a.OpenedAt, a.ClosesAt, a.ClosedAt, a.OnlineUntil = nil, nil, nil, nil
	a.Prompt = strings.TrimSpace(a.Prompt)
	a.Options = numberOptions(nil, a.Options)
	defaults(a)
	if err := a.Validate(); err != nil {
		return err
	}
	var w *agora.Workshop
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if w, err = tx.WorkshopByID(ctx, a.WorkshopID); err != nil {
			return notFound(err, "error.workshop_not_found")
		}
		if w.State == agora.WorkshopEnded {
			return agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
		}
		if err := tx.CreateActivity(ctx, a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e.audit(actor, w, "activity.create", agora.TargetActivity, a.ID,
			activityDetail(a)))
	})
	if err != nil {
		return err
	}
	e.publishState(ctx, w, Facilitators)
	return nil
}

// defaults fills the settings a form may leave unset.
func defaults(a *agora.Activity) {
	s := &a.Settings
	switch a.Kind {
	case agora.KindPoll:
		if s.MaxChoices == 0 {
			s.MaxChoices = 1
		}
	case agora.KindWordCloud:
		if s.MaxWords == 0 {
			s.MaxWords = agora.MaxWordsPerEntry
		}
	case agora.KindScale:
		if s.ScaleMin == 0 && s.ScaleMax == 0 {
			s.ScaleMin, s.ScaleMax = 1, 5
		}
	}
}

// numberOptions gives the options without an ID (zero) the next IDs after
// those of the current options and the new ones: an ID is never reused, so
// a vote keeps pointing at the label it was cast for.
func numberOptions(current, opts []agora.Option) []agora.Option {
	next := 0
	for _, o := range append(append([]agora.Option(nil), current...), opts...) {
		next = max(next, o.ID)
	}
	out := make([]agora.Option, len(opts))
	for i, o := range opts {
		o.Label = strings.TrimSpace(o.Label)
		if o.ID == 0 {
			next++
			o.ID = next
		}
		out[i] = o
	}
	return out
}

func activityDetail(a *agora.Activity) map[string]any {
	return map[string]any{"kind": a.Kind, "prompt": a.Prompt, "options": a.Options, "settings": a.Settings}
}

// UpdateActivity writes an activity's Prompt, Options and Settings, before
// or during the session. Options keep their IDs (new ones, with ID zero,
// get fresh IDs); an option that received votes cannot be removed, nor can
// the kind change once the activity has started.
func (e *Engine) UpdateActivity(ctx context.Context, actor *agora.User, a *agora.Activity) error {
	if err := staff(actor); err != nil {
		return err
	}
	var cur *agora.Activity
	var w *agora.Workshop
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if cur, w, err = activityAndWorkshop(ctx, tx, a.ID); err != nil {
			return err
		}
		if err := applyEdit(cur, a); err != nil {
			return err
		}
		if err := checkRemovedOptions(ctx, tx, cur); err != nil {
			return err
		}
		if err := tx.UpdateActivity(ctx, cur); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e.audit(actor, w, "activity.update", agora.TargetActivity, cur.ID,
			activityDetail(cur)))
	})
	if err != nil {
		return err
	}
	*a = *cur
	e.activityChanged(cur)
	e.publishActivity(ctx, w, cur)
	return nil
}

// applyEdit copies the editable fields of edit into a and validates them.
func applyEdit(a, edit *agora.Activity) error {
	if edit.Kind != "" && edit.Kind != a.Kind {
		if a.State != agora.ActivityPending || a.Round > 0 {
			return agora.Errorf(agora.ECONFLICT, "error.kind_locked")
		}
		a.Kind = edit.Kind
	}
	a.Prompt = strings.TrimSpace(edit.Prompt)
	old := a.Options
	a.Options = numberOptions(old, edit.Options)
	for _, o := range a.Options {
		if o.ID > 0 && !hasOption(old, o.ID) && !isNew(edit.Options, o.ID) {
			return agora.Errorf(agora.EINVALID, "error.option_ids")
		}
	}
	a.Settings = edit.Settings
	defaults(a)
	return a.Validate()
}

// isNew reports whether the option with that ID was added by the edit,
// that is, came without an ID.
func isNew(edit []agora.Option, id int) bool {
	for _, o := range edit {
		if o.ID == id {
			return false
		}
	}
	return true
}

func hasOption(opts []agora.Option, id int) bool {
	for _, o := range opts {
		if o.ID == id {
			return true
		}
	}
	return false
}

// checkRemovedOptions refuses to drop a poll option that received votes:
// those votes would count for nothing without anyone having decided so.
func checkRemovedOptions(ctx context.Context, tx agora.Store, a *agora.Activity) error {
	if a.Kind != agora.KindPoll {
		return nil
	}
	votes, err := tx.ListVotes(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, v := range votes {
		for _, c := range v.Choices {
			if !hasOption(a.Options, c) {
				return agora.Errorf(agora.ECONFLICT, "error.option_has_votes")
			}
		}
	}
	return nil
}

// MoveActivity puts an activity at position (0-based, clamped) in its run
// of show.
func (e *Engine) MoveActivity(ctx context.Context, actor *agora.User, activityID int64, position int) error {
	if err := staff(actor); err != nil {
		return err
	}
	var w *agora.Workshop
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		a, ws, err := activityAndWorkshop(ctx, tx, activityID)
		if err != nil {
			return err
		}
		w = ws
		if err := tx.MoveActivity(ctx, activityID, position); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e.audit(actor, w, "activity.move", agora.TargetActivity, a.ID,
			map[string]any{"from": a.Position, "to": position}))
	})
	if err != nil {
		return err
	}
	e.publishState(ctx, w, Facilitators)
	return nil
}

// DeleteActivity removes an activity and its votes; its ideas stay, as the
// consultation's proposals. An open activity must be closed first.
func (e *Engine) DeleteActivity(ctx context.Context, actor *agora.User, activityID int64) error {
	if err := staff(actor); err != nil {
		return err
	}
	var w *agora.Workshop
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		a, ws, err := activityAndWorkshop(ctx, tx, activityID)
		if err != nil {
			return err
		}
		w = ws
		if a.State == agora.ActivityOpen {
			return agora.Errorf(agora.ECONFLICT, "error.activity_open")
		}
		if err := tx.DeleteActivity(ctx, activityID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, e.audit(actor, w, "activity.delete", agora.TargetActivity, a.ID,
			activityDetail(a)))
	})
	if err != nil {
		return err
	}
	e.disarm(activityID)
	e.tallies.remove(activityID)
	e.tell(w.ID, peerMessage{Drop: activityID})
	if w.CurrentActivityID != nil && *w.CurrentActivityID == activityID {
		w.CurrentActivityID = nil
		e.publishState(ctx, w)
		return nil
	}
	e.publishState(ctx, w, Facilitators)
	return nil
}

// activityAndWorkshop reads an activity and its workshop.
func activityAndWorkshop(ctx context.Context, st agora.Store, activityID int64) (*agora.Activity, *agora.Workshop, error) {
	a, w, err := st.ActivityWithWorkshop(ctx, activityID)
	if err != nil {
		return nil, nil, notFound(err, "error.activity_not_found")
	}
	return a, w, nil
}

// publishActivity sends the new state to every audience when the activity
// is the workshop's current one, and to the facilitators only otherwise.
func (e *Engine) publishActivity(ctx context.Context, w *agora.Workshop, a *agora.Activity) {
	if w.CurrentActivityID != nil && *w.CurrentActivityID == a.ID {
		e.publishState(ctx, w)
		return
	}
	e.publishState(ctx, w, Facilitators)
}

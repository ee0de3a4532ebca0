package store

import (
	"context"
	"encoding/json"

	"github.com/agora-civic/agora"
)

const activityCols = `id, workshop_id, position, kind, prompt, options, settings, state,
	revealed, round, opened_at, closes_at, closed_at, online_until, created_at, updated_at`

func scanActivity(r rowScanner) (*agora.Activity, error) {
	a := &agora.Activity{}
	err := r.Scan(&a.ID, &a.WorkshopID, &a.Position, &a.Kind, &a.Prompt,
		jsonCol{&a.Options}, jsonCol{&a.Settings}, &a.State, &a.Revealed, &a.Round,
		nullTimeCol{&a.OpenedAt}, nullTimeCol{&a.ClosesAt}, nullTimeCol{&a.ClosedAt},
		nullTimeCol{&a.OnlineUntil}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return a, err
}

func settingsText(s agora.ActivitySettings) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic("store: " + err.Error()) // a struct of ints and bools always encodes
	}
	return string(b)
}

// CreateActivity appends a at the end of its workshop's run of show and
// sets its ID, Position and timestamps. ENOTFOUND for an unknown workshop.
func (s *DB) CreateActivity(ctx context.Context, a *agora.Activity) error {
	return s.inTx(ctx, "create activity", func(t *DB) error {
		if err := t.lockWorkshop(ctx, a.WorkshopID); err != nil {
			return err
		}
		return t.insertActivity(ctx, a)
	})
}

// lockWorkshop serialises changes to a workshop's run of show, so that
// positions stay dense under concurrent edits. ENOTFOUND if it is absent.
func (s *DB) lockWorkshop(ctx context.Context, id int64) error {
	var got int64
	err := s.q().QueryRowContext(ctx, `SELECT id FROM workshops WHERE id = $1`+s.d.forUpdate, id).Scan(&got)
	return dbError("lock workshop", err)
}

func (s *DB) insertActivity(ctx context.Context, a *agora.Activity) error {
	a.CreatedAt = stamp(a.CreatedAt)
	a.UpdatedAt = stamp(a.UpdatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO activities
		(workshop_id, position, kind, prompt, options, settings, state, revealed, round,
		 opened_at, closes_at, closed_at, online_until, created_at, updated_at)
		VALUES ($1, (SELECT COUNT(*) FROM activities WHERE workshop_id = $1),
		 $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		RETURNING id, position`,
		a.WorkshopID, string(a.Kind), a.Prompt, jsonText(a.Options), settingsText(a.Settings),
		string(orDefault(a.State, agora.ActivityPending)), a.Revealed, a.Round,
		s.d.nullTime(a.OpenedAt), s.d.nullTime(a.ClosesAt), s.d.nullTime(a.ClosedAt),
		s.d.nullTime(a.OnlineUntil), s.d.time(a.CreatedAt), s.d.time(a.UpdatedAt),
	).Scan(&a.ID, &a.Position)
	if a.State == "" {
		a.State = agora.ActivityPending
	}
	return dbError("create activity", err)
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ActivityByID returns an activity.
func (s *DB) ActivityByID(ctx context.Context, id int64) (*agora.Activity, error) {
	return one(ctx, s, "activity by id", scanActivity,
		`SELECT `+activityCols+` FROM activities WHERE id = $1`, id)
}

var activityWithWorkshopQuery = `SELECT ` + qualified("a", activityCols) + `, ` + qualified("w", workshopCols) + `
	FROM activities a JOIN workshops w ON w.id = a.workshop_id WHERE a.id = $1`

// ActivityWithWorkshop reads an activity and its workshop in one query:
// the engine checks every group-commit batch of votes against both, and
// each round trip of that check is waited for by every vote of the batch.
func (s *DB) ActivityWithWorkshop(ctx context.Context, id int64) (*agora.Activity, *agora.Workshop, error) {
	var dest destinations
	a, _ := scanActivity(&dest)
	w, _ := scanWorkshop(&dest)
	err := s.q().QueryRowContext(ctx, activityWithWorkshopQuery, id).Scan(dest...)
	if err != nil {
		return nil, nil, dbError("activity with workshop", err)
	}
	return a, w, nil
}

// ListActivities returns a workshop's activities by position.
func (s *DB) ListActivities(ctx context.Context, workshopID int64) ([]*agora.Activity, error) {
	return list(ctx, s, "list activities", scanActivity, `SELECT `+activityCols+` FROM activities
		WHERE workshop_id = $1 ORDER BY position, id`, workshopID)
}

// UpdateActivity writes every field but ID, WorkshopID, Position and
// CreatedAt, and sets UpdatedAt to now.
func (s *DB) UpdateActivity(ctx context.Context, a *agora.Activity) error {
	a.UpdatedAt = now()
	return s.execOne(ctx, "update activity", `UPDATE activities SET
		kind = $1, prompt = $2, options = $3, settings = $4, state = $5, revealed = $6,
		round = $7, opened_at = $8, closes_at = $9, closed_at = $10, online_until = $11,
		updated_at = $12
		WHERE id = $13`,
		string(a.Kind), a.Prompt, jsonText(a.Options), settingsText(a.Settings), string(a.State),
		a.Revealed, a.Round, s.d.nullTime(a.OpenedAt), s.d.nullTime(a.ClosesAt),
		s.d.nullTime(a.ClosedAt), s.d.nullTime(a.OnlineUntil), s.d.time(a.UpdatedAt), a.ID)
}

// MoveActivity puts the activity at position, clamped to the run of show,
// and shifts the activities in between by one.
func (s *DB) MoveActivity(ctx context.Context, id int64, position int) error {
	return s.inTx(ctx, "move activity", func(t *DB) error {
		a, n, err := t.lockActivity(ctx, id)
		if err != nil {
			return err
		}
		to := max(0, min(position, n-1))
		return t.shiftActivities(ctx, a.WorkshopID, id, a.Position, to)
	})
}

// lockActivity locks the workshop of an activity and returns the activity
// with the number of activities in its workshop.
func (s *DB) lockActivity(ctx context.Context, id int64) (*agora.Activity, int, error) {
	a, err := s.ActivityByID(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if err := s.lockWorkshop(ctx, a.WorkshopID); err != nil {
		return nil, 0, err
	}
	// Read again under the lock: another move may have run meanwhile.
	if a, err = s.ActivityByID(ctx, id); err != nil {
		return nil, 0, err
	}
	n, err := s.count(ctx, "move activity", `SELECT COUNT(*) FROM activities WHERE workshop_id = $1`, a.WorkshopID)
	return a, n, err
}

// shiftActivities moves activity id from position from to position to.
func (s *DB) shiftActivities(ctx context.Context, workshopID, id int64, from, to int) error {
	var err error
	switch {
	case to < from:
		_, err = s.exec(ctx, "move activity", `UPDATE activities SET position = position + 1
			WHERE workshop_id = $1 AND position >= $2 AND position < $3`, workshopID, to, from)
	case to > from:
		_, err = s.exec(ctx, "move activity", `UPDATE activities SET position = position - 1
			WHERE workshop_id = $1 AND position > $2 AND position <= $3`, workshopID, from, to)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "move activity", `UPDATE activities SET position = $1 WHERE id = $2`, to, id)
	return err
}

// DeleteActivity removes an activity with its votes (by cascade); the
// activities after it move up one rank. Its ideas stay, detached.
func (s *DB) DeleteActivity(ctx context.Context, id int64) error {
	return s.inTx(ctx, "delete activity", func(t *DB) error {
		a, _, err := t.lockActivity(ctx, id)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, "delete activity", `DELETE FROM activities WHERE id = $1`, id); err != nil {
			return err
		}
		_, err = t.exec(ctx, "delete activity", `UPDATE activities SET position = position - 1
			WHERE workshop_id = $1 AND position > $2`, a.WorkshopID, a.Position)
		return err
	})
}

// ResetActivity deletes the activity's votes and its ideas' supports,
// starts a new round in the pending state with results hidden and no
// timer, and appends audit, all in one transaction. Empty target fields of
// audit default to the activity and its workshop.
func (s *DB) ResetActivity(ctx context.Context, id int64, audit *agora.AuditEntry) (*agora.Activity, error) {
	var out *agora.Activity
	err := s.inTx(ctx, "reset activity", func(t *DB) error {
		a, err := t.resetActivity(ctx, id)
		if err != nil {
			return err
		}
		out = a
		if audit == nil {
			return nil
		}
		audit.TargetKind = orDefault(audit.TargetKind, agora.TargetActivity)
		audit.TargetID = orDefault(audit.TargetID, id)
		if audit.WorkshopID == nil {
			audit.WorkshopID = &a.WorkshopID
		}
		return t.AppendAudit(ctx, audit)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *DB) resetActivity(ctx context.Context, id int64) (*agora.Activity, error) {
	const op = "reset activity"
	if _, err := s.exec(ctx, op, `DELETE FROM votes WHERE activity_id = $1`, id); err != nil {
		return nil, err
	}
	if _, err := s.exec(ctx, op, `DELETE FROM supports WHERE proposal_id IN
		(SELECT id FROM proposals WHERE activity_id = $1)`, id); err != nil {
		return nil, err
	}
	return one(ctx, s, op, scanActivity, `UPDATE activities SET
		round = round + 1, state = $1, revealed = $2, opened_at = NULL, closes_at = NULL,
		closed_at = NULL, updated_at = $3
		WHERE id = $4 RETURNING `+activityCols,
		string(agora.ActivityPending), false, s.d.time(now()), id)
}

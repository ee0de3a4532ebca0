package store

import (
	"context"

	"github.com/agora-civic/agora"
)

const workshopCols = `id, consultation_id, title, place, join_code, screen_token, state,
	current_activity_id, starts_at, created_by, created_at, updated_at`

func scanWorkshop(r rowScanner) (*agora.Workshop, error) {
	w := &agora.Workshop{}
	err := r.Scan(&w.ID, &w.ConsultationID, &w.Title, &w.Place, &w.JoinCode, &w.ScreenToken,
		&w.State, &w.CurrentActivityID, nullTimeCol{&w.StartsAt}, &w.CreatedBy,
		timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt})
	return w, err
}

// CreateWorkshop inserts w and sets its ID and timestamps (kept when
// already set). ECONFLICT on a taken join code: callers draw another.
func (s *DB) CreateWorkshop(ctx context.Context, w *agora.Workshop) error {
	w.CreatedAt = stamp(w.CreatedAt)
	w.UpdatedAt = stamp(w.UpdatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO workshops
		(consultation_id, title, place, join_code, screen_token, state,
		 current_activity_id, starts_at, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		w.ConsultationID, w.Title, w.Place, w.JoinCode, w.ScreenToken, string(w.State),
		w.CurrentActivityID, s.d.nullTime(w.StartsAt), w.CreatedBy,
		s.d.time(w.CreatedAt), s.d.time(w.UpdatedAt)).Scan(&w.ID)
	return dbError("create workshop", err)
}

// WorkshopByID returns a workshop.
func (s *DB) WorkshopByID(ctx context.Context, id int64) (*agora.Workshop, error) {
	return one(ctx, s, "workshop by id", scanWorkshop,
		`SELECT `+workshopCols+` FROM workshops WHERE id = $1`, id)
}

// WorkshopByCode returns the workshop with that join code, exactly as
// stored: callers normalise typed codes first.
func (s *DB) WorkshopByCode(ctx context.Context, code string) (*agora.Workshop, error) {
	return one(ctx, s, "workshop by code", scanWorkshop,
		`SELECT `+workshopCols+` FROM workshops WHERE join_code = $1`, code)
}

// UpdateWorkshop writes Title, Place, State, CurrentActivityID and
// StartsAt, and sets UpdatedAt to now.
func (s *DB) UpdateWorkshop(ctx context.Context, w *agora.Workshop) error {
	w.UpdatedAt = now()
	return s.execOne(ctx, "update workshop", `UPDATE workshops SET
		title = $1, place = $2, state = $3, current_activity_id = $4, starts_at = $5, updated_at = $6
		WHERE id = $7`,
		w.Title, w.Place, string(w.State), w.CurrentActivityID, s.d.nullTime(w.StartsAt),
		s.d.time(w.UpdatedAt), w.ID)
}

// ListWorkshops returns a consultation's workshops, oldest first.
func (s *DB) ListWorkshops(ctx context.Context, consultationID int64) ([]*agora.Workshop, error) {
	return list(ctx, s, "list workshops", scanWorkshop, `SELECT `+workshopCols+` FROM workshops
		WHERE consultation_id = $1 ORDER BY created_at, id`, consultationID)
}

package store

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

const flagCols = `id, consultation_id, target_kind, target_id, reporter_id, reason, created_at,
	resolved_at, resolved_by`

func scanFlag(r rowScanner) (*agora.Flag, error) {
	f := &agora.Flag{}
	err := r.Scan(&f.ID, &f.ConsultationID, &f.TargetKind, &f.TargetID, &f.ReporterID, &f.Reason,
		timeCol{&f.CreatedAt}, nullTimeCol{&f.ResolvedAt}, &f.ResolvedBy)
	return f, err
}

// CreateFlag inserts f and sets its ID and CreatedAt (kept when already
// set). ECONFLICT when the reporter already flagged the target.
func (s *DB) CreateFlag(ctx context.Context, f *agora.Flag) error {
	f.CreatedAt = stamp(f.CreatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO flags
		(consultation_id, target_kind, target_id, reporter_id, reason, created_at, resolved_at, resolved_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		f.ConsultationID, string(f.TargetKind), f.TargetID, f.ReporterID, f.Reason,
		s.d.time(f.CreatedAt), s.d.nullTime(f.ResolvedAt), f.ResolvedBy).Scan(&f.ID)
	return dbError("create flag", err)
}

// ListFlags returns a consultation's unresolved flags, oldest first.
func (s *DB) ListFlags(ctx context.Context, consultationID int64) ([]*agora.Flag, error) {
	return list(ctx, s, "list flags", scanFlag, `SELECT `+flagCols+` FROM flags
		WHERE consultation_id = $1 AND resolved_at IS NULL ORDER BY created_at, id`, consultationID)
}

// ResolveFlags marks every open flag on the target resolved.
func (s *DB) ResolveFlags(ctx context.Context, kind agora.TargetKind, id int64, by int64, at time.Time) error {
	_, err := s.exec(ctx, "resolve flags", `UPDATE flags SET resolved_at = $1, resolved_by = $2
		WHERE target_kind = $3 AND target_id = $4 AND resolved_at IS NULL`,
		s.d.time(at), by, string(kind), id)
	return err
}

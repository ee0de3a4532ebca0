package store

import (
	"context"

	"github.com/agora-civic/agora"
)

const consultationCols = `id, slug, title, description, status, opens_at, closes_at,
	support_threshold, report_published, created_by, created_at, updated_at`

func scanConsultation(r rowScanner) (*agora.Consultation, error) {
	c := &agora.Consultation{}
	err := r.Scan(&c.ID, &c.Slug, &c.Title, &c.Description, &c.Status,
		nullTimeCol{&c.OpensAt}, nullTimeCol{&c.ClosesAt}, &c.SupportThreshold,
		&c.ReportPublished, &c.CreatedBy, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// CreateConsultation inserts c and sets its ID and timestamps (kept when
// already set). ECONFLICT on a taken slug.
func (s *DB) CreateConsultation(ctx context.Context, c *agora.Consultation) error {
	c.CreatedAt = stamp(c.CreatedAt)
	c.UpdatedAt = stamp(c.UpdatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO consultations
		(slug, title, description, status, opens_at, closes_at, support_threshold,
		 report_published, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		c.Slug, c.Title, c.Description, string(c.Status), s.d.nullTime(c.OpensAt),
		s.d.nullTime(c.ClosesAt), c.SupportThreshold, c.ReportPublished, c.CreatedBy,
		s.d.time(c.CreatedAt), s.d.time(c.UpdatedAt)).Scan(&c.ID)
	return dbError("create consultation", err)
}

// ConsultationByID returns a consultation.
func (s *DB) ConsultationByID(ctx context.Context, id int64) (*agora.Consultation, error) {
	return one(ctx, s, "consultation by id", scanConsultation,
		`SELECT `+consultationCols+` FROM consultations WHERE id = $1`, id)
}

// ConsultationBySlug returns the consultation with that URL name.
func (s *DB) ConsultationBySlug(ctx context.Context, slug string) (*agora.Consultation, error) {
	return one(ctx, s, "consultation by slug", scanConsultation,
		`SELECT `+consultationCols+` FROM consultations WHERE slug = $1`, slug)
}

// UpdateConsultation writes every field but ID, CreatedBy and CreatedAt,
// and sets UpdatedAt to now.
func (s *DB) UpdateConsultation(ctx context.Context, c *agora.Consultation) error {
	c.UpdatedAt = now()
	return s.execOne(ctx, "update consultation", `UPDATE consultations SET
		slug = $1, title = $2, description = $3, status = $4, opens_at = $5, closes_at = $6,
		support_threshold = $7, report_published = $8, updated_at = $9
		WHERE id = $10`,
		c.Slug, c.Title, c.Description, string(c.Status), s.d.nullTime(c.OpensAt),
		s.d.nullTime(c.ClosesAt), c.SupportThreshold, c.ReportPublished, s.d.time(c.UpdatedAt), c.ID)
}

// ListConsultations returns the newest first.
func (s *DB) ListConsultations(ctx context.Context, f agora.ConsultationFilter) ([]*agora.Consultation, error) {
	var a args
	var conds []string
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN ("+in(&a, f.Statuses)+")")
	}
	query := `SELECT ` + consultationCols + ` FROM consultations` + where(conds) +
		` ORDER BY created_at DESC, id DESC` + page(&a, f.Limit, f.Offset)
	return list(ctx, s, "list consultations", scanConsultation, query, a...)
}

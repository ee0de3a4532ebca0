package store

import (
	"context"

	"github.com/agora-civic/agora"
)

const auditCols = `id, at, actor_id, action, target_kind, target_id, consultation_id, workshop_id, detail`

func scanAudit(r rowScanner) (*agora.AuditEntry, error) {
	e := &agora.AuditEntry{}
	err := r.Scan(&e.ID, timeCol{&e.At}, &e.ActorID, &e.Action, &e.TargetKind, &e.TargetID,
		&e.ConsultationID, &e.WorkshopID, &e.Detail)
	return e, err
}

// AppendAudit appends e and sets its ID, and At when zero.
func (s *DB) AppendAudit(ctx context.Context, e *agora.AuditEntry) error {
	e.At = stamp(e.At)
	err := s.q().QueryRowContext(ctx, `INSERT INTO audit_log
		(at, actor_id, action, target_kind, target_id, consultation_id, workshop_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		s.d.time(e.At), e.ActorID, e.Action, string(e.TargetKind), e.TargetID,
		e.ConsultationID, e.WorkshopID, e.Detail).Scan(&e.ID)
	return dbError("append audit", err)
}

// ListAudit returns the entries matching f, oldest first.
func (s *DB) ListAudit(ctx context.Context, f agora.AuditFilter) ([]*agora.AuditEntry, error) {
	var a args
	var conds []string
	if f.ConsultationID != nil {
		conds = append(conds, "consultation_id = "+a.add(*f.ConsultationID))
	}
	if f.WorkshopID != nil {
		conds = append(conds, "workshop_id = "+a.add(*f.WorkshopID))
	}
	if f.TargetKind != "" {
		conds = append(conds, "target_kind = "+a.add(string(f.TargetKind)))
	}
	if f.TargetID != 0 {
		conds = append(conds, "target_id = "+a.add(f.TargetID))
	}
	query := `SELECT ` + auditCols + ` FROM audit_log` + where(conds) + ` ORDER BY id` + page(&a, f.Limit, 0)
	return list(ctx, s, "list audit", scanAudit, query, a...)
}

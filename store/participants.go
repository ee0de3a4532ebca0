package store

import (
	"context"

	"github.com/agora-civic/agora"
)

const participantCols = `id, workshop_id, token_hash, public_id, nickname, user_id, created_at`

func scanParticipant(r rowScanner) (*agora.Participant, error) {
	p := &agora.Participant{}
	err := r.Scan(&p.ID, &p.WorkshopID, &p.TokenHash, &p.PublicID, &p.Nickname, &p.UserID,
		timeCol{&p.CreatedAt})
	return p, err
}

// CreateParticipant inserts p and sets its ID and CreatedAt (kept when
// already set). ECONFLICT when the device already joined the workshop.
func (s *DB) CreateParticipant(ctx context.Context, p *agora.Participant) error {
	p.CreatedAt = stamp(p.CreatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO participants
		(workshop_id, token_hash, public_id, nickname, user_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		p.WorkshopID, p.TokenHash, p.PublicID, p.Nickname, p.UserID, s.d.time(p.CreatedAt)).Scan(&p.ID)
	return dbError("create participant", err)
}

// ParticipantByID returns a participant.
func (s *DB) ParticipantByID(ctx context.Context, id int64) (*agora.Participant, error) {
	return one(ctx, s, "participant by id", scanParticipant,
		`SELECT `+participantCols+` FROM participants WHERE id = $1`, id)
}

// ParticipantByToken finds a device in one workshop only.
func (s *DB) ParticipantByToken(ctx context.Context, workshopID int64, tokenHash string) (*agora.Participant, error) {
	return one(ctx, s, "participant by token", scanParticipant, `SELECT `+participantCols+`
		FROM participants WHERE workshop_id = $1 AND token_hash = $2`, workshopID, tokenHash)
}

// UpdateParticipant writes Nickname and UserID.
func (s *DB) UpdateParticipant(ctx context.Context, p *agora.Participant) error {
	return s.execOne(ctx, "update participant",
		`UPDATE participants SET nickname = $1, user_id = $2 WHERE id = $3`, p.Nickname, p.UserID, p.ID)
}

// CountParticipants counts the devices that joined a workshop.
func (s *DB) CountParticipants(ctx context.Context, workshopID int64) (int, error) {
	return s.count(ctx, "count participants", `SELECT COUNT(*) FROM participants WHERE workshop_id = $1`, workshopID)
}

// ListParticipants returns a workshop's devices, oldest first.
func (s *DB) ListParticipants(ctx context.Context, workshopID int64) ([]*agora.Participant, error) {
	return list(ctx, s, "list participants", scanParticipant, `SELECT `+participantCols+`
		FROM participants WHERE workshop_id = $1 ORDER BY created_at, id`, workshopID)
}

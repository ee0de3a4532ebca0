package store

import (
	"context"

	"github.com/agora-civic/agora"
)

// A person's own contributions, for "my contributions" and the download of
// their data: what they did online, and in the room from a device linked
// to their account.

// linkedParticipants is the subquery of the devices linked to the user in
// placeholder ph.
func linkedParticipants(ph string) string {
	return `(SELECT lp.id FROM participants lp WHERE lp.user_id = ` + ph + `)`
}

// ListUserParticipants returns the devices linked to an account, oldest first.
func (s *DB) ListUserParticipants(ctx context.Context, userID int64) ([]*agora.Participant, error) {
	return list(ctx, s, "list user participants", scanParticipant, `SELECT `+participantCols+`
		FROM participants WHERE user_id = $1 ORDER BY created_at, id`, userID)
}

// ListUserVotes returns the votes a user cast online or from a linked
// device, oldest first.
func (s *DB) ListUserVotes(ctx context.Context, userID int64) ([]*agora.Vote, error) {
	return list(ctx, s, "list user votes", scanVote, `SELECT `+voteCols+` FROM votes
		WHERE user_id = $1 OR participant_id IN `+linkedParticipants("$1")+`
		ORDER BY created_at, id`, userID)
}

func scanSupport(r rowScanner) (*agora.Support, error) {
	x := &agora.Support{}
	err := r.Scan(&x.ProposalID, &x.ParticipantID, &x.UserID, &x.Channel, timeCol{&x.CreatedAt})
	return x, err
}

// ListUserSupports returns the supports a user gave online or from a
// linked device, oldest first.
func (s *DB) ListUserSupports(ctx context.Context, userID int64) ([]*agora.Support, error) {
	return list(ctx, s, "list user supports", scanSupport, `SELECT
		proposal_id, participant_id, user_id, channel, created_at FROM supports
		WHERE user_id = $1 OR participant_id IN `+linkedParticipants("$1")+`
		ORDER BY created_at, proposal_id`, userID)
}

// ListSupports returns the supports of a consultation's proposals, oldest first.
func (s *DB) ListSupports(ctx context.Context, consultationID int64) ([]*agora.Support, error) {
	return list(ctx, s, "list supports", scanSupport, `SELECT
		s.proposal_id, s.participant_id, s.user_id, s.channel, s.created_at FROM supports s
		JOIN proposals p ON p.id = s.proposal_id
		WHERE p.consultation_id = $1
		ORDER BY s.created_at, s.proposal_id, s.participant_id, s.user_id`, consultationID)
}

// CountOpenFlags returns the number of unresolved flags by consultation.
func (s *DB) CountOpenFlags(ctx context.Context) (map[int64]int, error) {
	const op = "count open flags"
	rows, err := s.q().QueryContext(ctx, `SELECT consultation_id, COUNT(*) FROM flags
		WHERE resolved_at IS NULL GROUP BY consultation_id`)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	counts := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, dbError(op, err)
		}
		counts[id] = n
	}
	return counts, dbError(op, rows.Err())
}

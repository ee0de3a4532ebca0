package store

import (
	"context"

	"github.com/agora-civic/agora"
)

const voteCols = `id, activity_id, participant_id, user_id, channel, choices, words, value, created_at, updated_at`

func scanVote(r rowScanner) (*agora.Vote, error) {
	v := &agora.Vote{}
	err := r.Scan(&v.ID, &v.ActivityID, &v.ParticipantID, &v.UserID, &v.Channel,
		jsonCol{&v.Choices}, jsonCol{&v.Words}, &v.Value, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt})
	return v, err
}

// PutVote inserts v, or replaces the vote the same participant (or, for a
// vote without participant, the same user) cast in that activity. It sets
// ID, CreatedAt (the first vote's) and UpdatedAt. It is PutVotes for one.
func (s *DB) PutVote(ctx context.Context, v *agora.Vote) (bool, error) {
	replaced, err := s.PutVotes(ctx, []*agora.Vote{v})
	if err != nil {
		return false, err
	}
	return replaced[0], nil
}

// VoteByParticipant returns a participant's vote in an activity.
func (s *DB) VoteByParticipant(ctx context.Context, activityID, participantID int64) (*agora.Vote, error) {
	return one(ctx, s, "vote by participant", scanVote, `SELECT `+voteCols+` FROM votes
		WHERE activity_id = $1 AND participant_id = $2`, activityID, participantID)
}

// VoteByUser returns a user's vote in an activity.
func (s *DB) VoteByUser(ctx context.Context, activityID, userID int64) (*agora.Vote, error) {
	return one(ctx, s, "vote by user", scanVote, `SELECT `+voteCols+` FROM votes
		WHERE activity_id = $1 AND user_id = $2`, activityID, userID)
}

// ListVotes returns all votes of an activity, oldest first.
func (s *DB) ListVotes(ctx context.Context, activityID int64) ([]*agora.Vote, error) {
	return list(ctx, s, "list votes", scanVote, `SELECT `+voteCols+` FROM votes
		WHERE activity_id = $1 ORDER BY created_at, id`, activityID)
}

// CountVotes counts the votes of an activity.
func (s *DB) CountVotes(ctx context.Context, activityID int64) (int, error) {
	return s.count(ctx, "count votes", `SELECT COUNT(*) FROM votes WHERE activity_id = $1`, activityID)
}

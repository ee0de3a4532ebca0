package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/agora-civic/agora"
)

const voteCols = `id, activity_id, participant_id, user_id, channel, choices, words, value, created_at, updated_at`

func scanVote(r rowScanner) (*agora.Vote, error) {
	v := &agora.Vote{}
	err := r.Scan(&v.ID, &v.ActivityID, &v.ParticipantID, &v.UserID, &v.Channel,
		jsonCol{&v.Choices}, jsonCol{&v.Words}, &v.Value, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt})
	return v, err
}

// upsertVote is the one statement that casts or replaces a vote; %s is the
// conflict target. revision counts replacements, which tells an insert
// (0) from an update in both databases.
const upsertVote = `INSERT INTO votes
	(activity_id, participant_id, user_id, channel, choices, words, value, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
	ON CONFLICT (activity_id, %s) DO UPDATE SET
	 user_id = excluded.user_id, participant_id = excluded.participant_id,
	 channel = excluded.channel, choices = excluded.choices, words = excluded.words,
	 value = excluded.value, updated_at = excluded.updated_at, revision = votes.revision + 1
	RETURNING id, created_at, revision`

var (
	upsertVoteByParticipant = fmt.Sprintf(upsertVote, "participant_id")
	upsertVoteByUser        = fmt.Sprintf(upsertVote, "user_id")
)

// PutVote inserts v, or replaces the vote the same participant (or, for a
// vote without participant, the same user) cast in that activity. It sets
// ID, CreatedAt (the first vote's) and UpdatedAt.
func (s *DB) PutVote(ctx context.Context, v *agora.Vote) (bool, error) {
	return s.putVote(ctx, s.q(), v)
}

// rowQuerier is a *sql.DB or a *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, a ...any) *sql.Row
}

func (s *DB) putVote(ctx context.Context, q rowQuerier, v *agora.Vote) (bool, error) {
	query, err := voteQuery(v)
	if err != nil {
		return false, err
	}
	return s.upsertVote(ctx, v, func(a ...any) *sql.Row { return q.QueryRowContext(ctx, query, a...) })
}

func voteQuery(v *agora.Vote) (string, error) {
	switch {
	case v.ParticipantID != nil:
		return upsertVoteByParticipant, nil
	case v.UserID != nil:
		return upsertVoteByUser, nil
	}
	return "", invalid("error.vote_voter")
}

// upsertVote runs the upsert through row and fills v from what it returns.
func (s *DB) upsertVote(ctx context.Context, v *agora.Vote, row func(a ...any) *sql.Row) (bool, error) {
	v.UpdatedAt = now()
	var revision int
	err := row(v.ActivityID, v.ParticipantID, v.UserID, string(v.Channel), jsonText(v.Choices),
		jsonText(v.Words), v.Value, s.d.time(v.UpdatedAt)).Scan(&v.ID, timeCol{&v.CreatedAt}, &revision)
	if err != nil {
		return false, dbError("put vote", err)
	}
	return revision > 0, nil
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

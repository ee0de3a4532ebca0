package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agora-civic/agora"
)

// PutVotes does PutVote for each vote, all or none: one statement for a
// batch of distinct voters, so that a busy room's batch costs one round
// trip to the database instead of one per vote plus the transaction's.
// A voter twice in the batch (a retry, a changed mind) goes to a later
// statement in the same transaction: the last vote wins, as one by one.
func (s *DB) PutVotes(ctx context.Context, vs []*agora.Vote) ([]bool, error) {
	chunks, err := voteChunks(vs)
	if err != nil {
		return nil, err
	}
	replaced := make([]bool, len(vs))
	write := func(t *DB) error {
		for _, c := range chunks {
			if err := t.upsertVotes(ctx, c, replaced); err != nil {
				return err
			}
		}
		return nil
	}
	if len(chunks) == 1 { // one statement is atomic on its own
		err = write(s)
	} else {
		err = s.inTx(ctx, "put votes", write)
	}
	if err != nil {
		return nil, err
	}
	return replaced, nil
}

// voteChunk is a run of votes one upsert writes: the same conflict target,
// each voter once. at holds each vote's index in the batch.
type voteChunk struct {
	byUser bool
	votes  []*agora.Vote
	at     []int
	voters map[int64]int // voter ID → position in votes
}

// maxVoteRows keeps a statement's parameters (8 a row) well under
// SQLite's and Postgres' limits.
const maxVoteRows = 1000

// voteChunks cuts a batch into runs of distinct voters, in order.
func voteChunks(vs []*agora.Vote) ([]*voteChunk, error) {
	var chunks []*voteChunk
	var cur *voteChunk
	for i, v := range vs {
		if v.ParticipantID == nil && v.UserID == nil {
			return nil, invalid("error.vote_voter")
		}
		byUser, voter := v.ParticipantID == nil, voterID(v)
		if cur == nil || cur.byUser != byUser || len(cur.votes) == maxVoteRows || has(cur.voters, voter) {
			cur = &voteChunk{byUser: byUser, voters: map[int64]int{}}
			chunks = append(chunks, cur)
		}
		cur.voters[voter] = len(cur.votes)
		cur.votes = append(cur.votes, v)
		cur.at = append(cur.at, i)
	}
	return chunks, nil
}

func has(m map[int64]int, k int64) bool { _, ok := m[k]; return ok }

// voterID is the conflict target's value: the participant, or the user
// for an online vote without one.
func voterID(v *agora.Vote) int64 {
	if v.ParticipantID != nil {
		return *v.ParticipantID
	}
	return *v.UserID
}

// upsertVotes writes one chunk with the one statement that casts or
// replaces votes, and sets each vote's ID, CreatedAt and UpdatedAt, and
// replaced[at] for those that replaced an earlier vote: revision counts
// replacements, which tells an insert (0) from an update in both
// databases.
func (s *DB) upsertVotes(ctx context.Context, c *voteChunk, replaced []bool) error {
	target := "participant_id"
	if c.byUser {
		target = "user_id"
	}
	at := now()
	for _, v := range c.votes {
		v.UpdatedAt = at
	}
	from, args := s.d.voteRows(c.votes, s.d.time(at))
	rows, err := s.q().QueryContext(ctx, `INSERT INTO votes
	(activity_id, participant_id, user_id, channel, choices, words, value, created_at, updated_at)
	`+from+` ON CONFLICT (activity_id, `+target+`) DO UPDATE SET
	 user_id = excluded.user_id, participant_id = excluded.participant_id,
	 channel = excluded.channel, choices = excluded.choices, words = excluded.words,
	 value = excluded.value, updated_at = excluded.updated_at, revision = votes.revision + 1
	RETURNING id, `+target+`, created_at, revision`, args...)
	if err != nil {
		return dbError("put votes", err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		var id, revision int64
		var voter sql.NullInt64
		var createdAt time.Time
		if err := rows.Scan(&id, &voter, timeCol{&createdAt}, &revision); err != nil {
			return dbError("put votes", err)
		}
		i, ok := c.voters[voter.Int64]
		if !ok || !voter.Valid {
			return fmt.Errorf("store: put votes: a row for voter %v not in the batch", voter)
		}
		c.votes[i].ID, c.votes[i].CreatedAt = id, createdAt
		replaced[c.at[i]] = revision > 0
		got++
	}
	if err := rows.Err(); err != nil {
		return dbError("put votes", err)
	}
	if got != len(c.votes) {
		return fmt.Errorf("store: put votes: %d rows for %d votes", got, len(c.votes))
	}
	return nil
}

// voteRows is the rows part of the votes upsert (after its column list)
// and its arguments, every vote's created_at and updated_at being at.
//
// Postgres takes each column as one array: the statement's text is the
// same for every batch size, so each connection prepares it once, where a
// VALUES list with a placeholder per field is a new statement to parse,
// plan and cache for each size a burst happens to batch. SQLite prepares
// in-process, and has no arrays: it gets the VALUES list.
func (d *dialect) voteRows(vs []*agora.Vote, at any) (string, []any) {
	if d.arrays {
		return voteArrays(vs, at)
	}
	return voteValues(vs, at)
}

// voteArrays binds each column of vs as one array (NULLs as nil).
func voteArrays(vs []*agora.Vote, at any) (string, []any) {
	n := len(vs)
	activity, value := make([]int64, n), make([]*int64, n)
	participant, user := make([]*int64, n), make([]*int64, n)
	channel, choices, words := make([]string, n), make([]string, n), make([]string, n)
	for i, v := range vs {
		activity[i], participant[i], user[i] = v.ActivityID, v.ParticipantID, v.UserID
		if v.Value != nil {
			value[i] = new(int64(*v.Value))
		}
		channel[i], choices[i], words[i] = string(v.Channel), jsonText(v.Choices), jsonText(v.Words)
	}
	return `SELECT a, p, u, c, ch, w, v, $8::timestamptz, $8::timestamptz
	FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])
	AS r(a, p, u, c, ch, w, v) WHERE true`,
		[]any{activity, participant, user, channel, choices, words, value, at}
}

// voteValues binds each field of vs as a placeholder of a VALUES list.
func voteValues(vs []*agora.Vote, at any) (string, []any) {
	var q strings.Builder
	q.WriteString("VALUES ")
	args := make([]any, 0, 8*len(vs))
	for i, v := range vs {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		q.WriteString("(")
		for j := 1; j <= 8; j++ {
			q.WriteString("$" + strconv.Itoa(n+j) + ", ")
		}
		q.WriteString("$" + strconv.Itoa(n+8) + ")") // updated_at: the same as created_at
		args = append(args, v.ActivityID, v.ParticipantID, v.UserID, string(v.Channel),
			jsonText(v.Choices), jsonText(v.Words), v.Value, at)
	}
	return q.String(), args
}

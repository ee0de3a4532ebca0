package store

import (
	"context"
	"strings"
)

// maxCommentVoteIDs bounds one CommentVotesByUser query: both databases
// cap the number of parameters of a statement, so longer lists go in
// several queries.
const maxCommentVoteIDs = 500

// CommentVotesByUser returns the user's votes (+1 or -1) on the given
// comments, by comment ID; comments they did not vote on are absent.
func (s *DB) CommentVotesByUser(ctx context.Context, userID int64, commentIDs []int64) (map[int64]int, error) {
	out := make(map[int64]int)
	for len(commentIDs) > 0 {
		n := min(len(commentIDs), maxCommentVoteIDs)
		if err := s.commentVotesByUser(ctx, userID, commentIDs[:n], out); err != nil {
			return nil, err
		}
		commentIDs = commentIDs[n:]
	}
	return out, nil
}

func (s *DB) commentVotesByUser(ctx context.Context, userID int64, ids []int64, out map[int64]int) error {
	a := args{userID}
	ps := make([]string, len(ids))
	for i, id := range ids {
		ps[i] = a.add(id)
	}
	rows, err := s.q().QueryContext(ctx, `SELECT comment_id, value FROM comment_votes
		WHERE user_id = $1 AND comment_id IN (`+strings.Join(ps, ", ")+`)`, a...)
	if err != nil {
		return dbError("comment votes by user", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v int
		if err := rows.Scan(&id, &v); err != nil {
			return dbError("comment votes by user", err)
		}
		out[id] = v
	}
	return dbError("comment votes by user", rows.Err())
}

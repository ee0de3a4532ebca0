package store

import (
	"context"

	"github.com/agora-civic/agora"
)

// Up and down votes, filled by every read.
const (
	commentUpExpr    = `(SELECT COUNT(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.value = 1)`
	commentDownExpr  = `(SELECT COUNT(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.value = -1)`
	commentScoreExpr = `(SELECT COALESCE(SUM(v.value), 0) FROM comment_votes v WHERE v.comment_id = c.id)`
)

const commentCols = `c.id, c.consultation_id, c.proposal_id, c.activity_id, c.parent_id,
	c.author_id, c.client_key, c.stance, c.body, c.status, c.hidden_reason, c.created_at, c.edited_at,
	c.deleted_at, ` + commentUpExpr + `, ` + commentDownExpr

func scanComment(r rowScanner) (*agora.Comment, error) {
	c := &agora.Comment{}
	err := r.Scan(&c.ID, &c.ConsultationID, &c.ProposalID, &c.ActivityID, &c.ParentID,
		&c.AuthorID, &c.ClientKey, &c.Stance, &c.Body, &c.Status, &c.HiddenReason, timeCol{&c.CreatedAt},
		nullTimeCol{&c.EditedAt}, nullTimeCol{&c.DeletedAt}, &c.Up, &c.Down)
	return c, err
}

// CreateComment inserts c and sets its ID and CreatedAt (kept when already
// set). ECONFLICT when the author already used a non-empty c.ClientKey.
func (s *DB) CreateComment(ctx context.Context, c *agora.Comment) error {
	c.CreatedAt = stamp(c.CreatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO comments
		(consultation_id, proposal_id, activity_id, parent_id, author_id, client_key, stance, body,
		 status, hidden_reason, created_at, edited_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		c.ConsultationID, c.ProposalID, c.ActivityID, c.ParentID, c.AuthorID, c.ClientKey, string(c.Stance),
		c.Body, string(c.Status), c.HiddenReason, s.d.time(c.CreatedAt), s.d.nullTime(c.EditedAt),
		s.d.nullTime(c.DeletedAt)).Scan(&c.ID)
	return dbError("create comment", err)
}

// CommentByID returns a comment, deleted or not, with its votes.
func (s *DB) CommentByID(ctx context.Context, id int64) (*agora.Comment, error) {
	return one(ctx, s, "comment by id", scanComment,
		`SELECT `+commentCols+` FROM comments c WHERE c.id = $1`, id)
}

// CommentByClientKey finds the comment an author created with key, deleted
// or not; the empty key, which is never unique, finds nothing.
func (s *DB) CommentByClientKey(ctx context.Context, authorID int64, key string) (*agora.Comment, error) {
	const op = "comment by client key"
	if key == "" {
		return nil, notFound(op)
	}
	return one(ctx, s, op, scanComment, `SELECT `+commentCols+` FROM comments c
		WHERE c.author_id = $1 AND c.client_key = $2`, authorID, key)
}

// UpdateComment writes Body, Stance, Status, HiddenReason, EditedAt and DeletedAt.
func (s *DB) UpdateComment(ctx context.Context, c *agora.Comment) error {
	return s.execOne(ctx, "update comment", `UPDATE comments SET
		body = $1, stance = $2, status = $3, hidden_reason = $4, edited_at = $5, deleted_at = $6
		WHERE id = $7`,
		c.Body, string(c.Stance), string(c.Status), c.HiddenReason, s.d.nullTime(c.EditedAt),
		s.d.nullTime(c.DeletedAt), c.ID)
}

// ListComments returns the comments of a proposal, an activity, an
// author or a consultation. Deleted comments are listed too, so that a
// thread can show a placeholder where a reply's parent was. EINVALID when no target is set.
func (s *DB) ListComments(ctx context.Context, f agora.CommentFilter) ([]*agora.Comment, error) {
	var a args
	var conds []string
	if f.ProposalID != nil {
		conds = append(conds, "c.proposal_id = "+a.add(*f.ProposalID))
	}
	if f.ActivityID != nil {
		conds = append(conds, "c.activity_id = "+a.add(*f.ActivityID))
	}
	if f.AuthorID != nil {
		conds = append(conds, "c.author_id = "+a.add(*f.AuthorID))
	}
	if f.ConsultationID != nil {
		conds = append(conds, "c.consultation_id = "+a.add(*f.ConsultationID))
	}
	if len(conds) == 0 {
		return nil, invalid("error.comment_filter")
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "c.status IN ("+in(&a, f.Statuses)+")")
	}
	order := ` ORDER BY c.created_at DESC, c.id DESC`
	if f.Sort == agora.CommentsBest {
		order = ` ORDER BY ` + commentScoreExpr + ` DESC, c.created_at DESC, c.id DESC`
	}
	return list(ctx, s, "list comments", scanComment,
		`SELECT `+commentCols+` FROM comments c`+where(conds)+order, a...)
}

// VoteComment records +1 or -1 from a user, replacing their earlier vote;
// 0 withdraws it.
func (s *DB) VoteComment(ctx context.Context, commentID, userID int64, value int) error {
	switch value {
	case 0:
		_, err := s.exec(ctx, "vote comment",
			`DELETE FROM comment_votes WHERE comment_id = $1 AND user_id = $2`, commentID, userID)
		return err
	case 1, -1:
		_, err := s.exec(ctx, "vote comment", `INSERT INTO comment_votes (comment_id, user_id, value)
			VALUES ($1, $2, $3)
			ON CONFLICT (comment_id, user_id) DO UPDATE SET value = excluded.value`,
			commentID, userID, value)
		return err
	}
	return invalid("error.comment_vote_value")
}

package store

import (
	"context"
	"strings"

	"github.com/agora-civic/agora"
)

// The counts a read fills in, as correlated subqueries on indexed columns.
const (
	supportsRoomExpr   = `(SELECT COUNT(*) FROM supports s WHERE s.proposal_id = p.id AND s.channel = 'room')`
	supportsOnlineExpr = `(SELECT COUNT(*) FROM supports s WHERE s.proposal_id = p.id AND s.channel = 'online')`
	supportsExpr       = `(SELECT COUNT(*) FROM supports s WHERE s.proposal_id = p.id)`
	commentCountExpr   = `(SELECT COUNT(*) FROM comments c WHERE c.proposal_id = p.id
		AND c.status = 'visible' AND c.deleted_at IS NULL)`
)

const proposalCols = `p.id, p.consultation_id, p.workshop_id, p.activity_id, p.participant_id,
	p.author_id, p.client_key, p.title, p.body, p.category, p.status, p.hidden_reason,
	p.highlighted, p.answer, p.answer_text, p.answered_at, p.answered_by, p.created_at,
	p.updated_at, p.deleted_at, ` + supportsRoomExpr + `, ` + supportsOnlineExpr + `, ` + commentCountExpr

func scanProposal(r rowScanner) (*agora.Proposal, error) {
	p := &agora.Proposal{}
	err := r.Scan(&p.ID, &p.ConsultationID, &p.WorkshopID, &p.ActivityID, &p.ParticipantID,
		&p.AuthorID, &p.ClientKey, &p.Title, &p.Body, &p.Category, &p.Status, &p.HiddenReason,
		&p.Highlighted, &p.Answer, &p.AnswerText, nullTimeCol{&p.AnsweredAt}, &p.AnsweredBy,
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, nullTimeCol{&p.DeletedAt},
		&p.SupportsRoom, &p.SupportsOnline, &p.CommentCount)
	return p, err
}

// CreateProposal inserts p and sets its ID and timestamps (kept when
// already set). ECONFLICT when the author already used p.ClientKey.
func (s *DB) CreateProposal(ctx context.Context, p *agora.Proposal) error {
	p.CreatedAt = stamp(p.CreatedAt)
	p.UpdatedAt = stamp(p.UpdatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO proposals
		(consultation_id, workshop_id, activity_id, participant_id, author_id, client_key,
		 title, body, category, status, hidden_reason, highlighted, answer, answer_text,
		 answered_at, answered_by, created_at, updated_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		RETURNING id`,
		p.ConsultationID, p.WorkshopID, p.ActivityID, p.ParticipantID, p.AuthorID, p.ClientKey,
		p.Title, p.Body, p.Category, string(p.Status), p.HiddenReason, p.Highlighted,
		string(p.Answer), p.AnswerText, s.d.nullTime(p.AnsweredAt), p.AnsweredBy,
		s.d.time(p.CreatedAt), s.d.time(p.UpdatedAt), s.d.nullTime(p.DeletedAt)).Scan(&p.ID)
	return dbError("create proposal", err)
}

// ProposalByID returns a proposal, deleted or not, with its counts.
func (s *DB) ProposalByID(ctx context.Context, id int64) (*agora.Proposal, error) {
	return one(ctx, s, "proposal by id", scanProposal,
		`SELECT `+proposalCols+` FROM proposals p WHERE p.id = $1`, id)
}

// ProposalByClientKey finds the proposal an author (a participant if
// participantID is set, else a user) created with key.
func (s *DB) ProposalByClientKey(ctx context.Context, participantID, authorID *int64, key string) (*agora.Proposal, error) {
	const op = "proposal by client key"
	col, id := "p.author_id", authorID
	if participantID != nil {
		col, id = "p.participant_id", participantID
	}
	if id == nil || key == "" {
		return nil, notFound(op)
	}
	return one(ctx, s, op, scanProposal, `SELECT `+proposalCols+` FROM proposals p
		WHERE `+col+` = $1 AND p.client_key = $2`, *id, key)
}

// UpdateProposal writes Title, Body, Category, Status, HiddenReason,
// Highlighted, Answer*, DeletedAt and UpdatedAt as given (now when zero:
// the caller decides whether a change, such as a highlight, counts as an
// update).
func (s *DB) UpdateProposal(ctx context.Context, p *agora.Proposal) error {
	p.UpdatedAt = stamp(p.UpdatedAt)
	return s.execOne(ctx, "update proposal", `UPDATE proposals SET
		title = $1, body = $2, category = $3, status = $4, hidden_reason = $5, highlighted = $6,
		answer = $7, answer_text = $8, answered_at = $9, answered_by = $10, deleted_at = $11,
		updated_at = $12
		WHERE id = $13`,
		p.Title, p.Body, p.Category, string(p.Status), p.HiddenReason, p.Highlighted,
		string(p.Answer), p.AnswerText, s.d.nullTime(p.AnsweredAt), p.AnsweredBy,
		s.d.nullTime(p.DeletedAt), s.d.time(p.UpdatedAt), p.ID)
}

// ListProposals returns a page of the undeleted proposals matching f, and
// how many match in all.
func (s *DB) ListProposals(ctx context.Context, f agora.ProposalFilter) ([]*agora.Proposal, int, error) {
	var a args
	cond := where(s.proposalConds(&a, f))
	total, err := s.count(ctx, "list proposals", `SELECT COUNT(*) FROM proposals p`+cond, a...)
	if err != nil {
		return nil, 0, err
	}
	query := `SELECT ` + proposalCols + ` FROM proposals p` + cond +
		` ORDER BY ` + proposalOrder(f.Sort) + page(&a, f.Limit, f.Offset)
	ps, err := list(ctx, s, "list proposals", scanProposal, query, a...)
	if err != nil {
		return nil, 0, err
	}
	return ps, total, nil
}

func (s *DB) proposalConds(a *args, f agora.ProposalFilter) []string {
	conds := []string{"p.deleted_at IS NULL"}
	if f.ConsultationID != 0 {
		conds = append(conds, "p.consultation_id = "+a.add(f.ConsultationID))
	}
	if f.ActivityID != nil {
		conds = append(conds, "p.activity_id = "+a.add(*f.ActivityID))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "p.status IN ("+in(a, f.Statuses)+")")
	}
	if f.Category != "" {
		conds = append(conds, "p.category = "+a.add(f.Category))
	}
	if f.AuthorID != nil {
		ph := a.add(*f.AuthorID)
		conds = append(conds, "(p.author_id = "+ph+" OR p.participant_id IN "+linkedParticipants(ph)+")")
	}
	// Every word must appear in the title or the body.
	for _, w := range strings.Fields(f.Query) {
		ph := a.add("%" + escapeLike(w) + "%")
		conds = append(conds, "(p.title "+s.d.ilike+" "+ph+` ESCAPE '\' OR p.body `+s.d.ilike+" "+ph+` ESCAPE '\')`)
	}
	return conds
}

// escapeLike makes LIKE's wildcards in s match themselves.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func proposalOrder(sort agora.ProposalSort) string {
	switch sort {
	case agora.SortMostSupported:
		return supportsExpr + ` DESC, p.created_at DESC, p.id DESC`
	case agora.SortMostDebated:
		return commentCountExpr + ` DESC, p.created_at DESC, p.id DESC`
	}
	return `p.created_at DESC, p.id DESC`
}

// supportWho returns the column and ID that identify a supporter: the
// participant in the room, else the user online.
func supportWho(x *agora.Support) (string, int64, error) {
	switch {
	case x.ParticipantID != nil:
		return "participant_id", *x.ParticipantID, nil
	case x.UserID != nil:
		return "user_id", *x.UserID, nil
	}
	return "", 0, invalid("error.support_supporter")
}

// AddSupport records a support once; added is false when it existed.
func (s *DB) AddSupport(ctx context.Context, x *agora.Support) (bool, error) {
	if _, _, err := supportWho(x); err != nil {
		return false, err
	}
	x.CreatedAt = stamp(x.CreatedAt)
	res, err := s.exec(ctx, "add support", `INSERT INTO supports
		(proposal_id, participant_id, user_id, channel, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`,
		x.ProposalID, x.ParticipantID, x.UserID, string(x.Channel), s.d.time(x.CreatedAt))
	return affected(res, err, "add support")
}

// RemoveSupport withdraws a support; removed is false when there was none.
func (s *DB) RemoveSupport(ctx context.Context, x *agora.Support) (bool, error) {
	col, id, err := supportWho(x)
	if err != nil {
		return false, err
	}
	res, err := s.exec(ctx, "remove support",
		`DELETE FROM supports WHERE proposal_id = $1 AND `+col+` = $2`, x.ProposalID, id)
	return affected(res, err, "remove support")
}

// HasSupport reports whether the supporter supports the proposal.
func (s *DB) HasSupport(ctx context.Context, x *agora.Support) (bool, error) {
	col, id, err := supportWho(x)
	if err != nil {
		return false, err
	}
	n, err := s.count(ctx, "has support",
		`SELECT COUNT(*) FROM supports WHERE proposal_id = $1 AND `+col+` = $2`, x.ProposalID, id)
	return n > 0, err
}

package server

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/agora-civic/agora"
)

// Limits on proposals.
const (
	// MaxProposalsPerHour is how many proposals one citizen may submit per
	// hour: enough for a prolific citizen, too few to flood a list.
	MaxProposalsPerHour = 5
	// MaxOnlineSupportsPerMinute is how many supports and withdrawals one
	// citizen may send per minute.
	MaxOnlineSupportsPerMinute = 60
)

// The commands on proposals, each one function that both the HTML form
// handler and its JSON twin call.

// proposalInput is a proposal as submitted.
type proposalInput struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	Category  string `json:"category"`
	ClientKey string `json:"client_key"` // makes a retried submission return the first proposal
}

// createProposal checks and stores u's proposal on cons, visible at once
// (moderation comes after, on flags), then tells the consultation's pages.
func (s *Server) createProposal(ctx context.Context, u *agora.User, cons *agora.Consultation, in proposalInput) (*agora.Proposal, error) {
	if err := consultationOpenAt(cons, s.now()); err != nil {
		return nil, err
	}
	p := &agora.Proposal{ConsultationID: cons.ID, AuthorID: &u.ID, Status: agora.ProposalApproved,
		Title: strings.TrimSpace(in.Title), Body: strings.TrimSpace(strings.ReplaceAll(in.Body, "\r\n", "\n")),
		Category: agora.NormalizeCategory(in.Category), ClientKey: in.ClientKey}
	if err := checkClientKey(p.ClientKey); err != nil {
		return nil, err
	}
	if err := p.ValidateOnline(); err != nil {
		return nil, err
	}
	if hasBidiOverride(p.Title + p.Body + p.Category) {
		return nil, agora.Errorf(agora.EINVALID, "error.text_invalid")
	}
	if prev, err := s.store.ProposalByClientKey(ctx, nil, &u.ID, p.ClientKey); err == nil {
		return prev, nil // a retry: the first submission counts
	} else if !agora.IsCode(err, agora.ENOTFOUND) {
		return nil, err
	}
	if err := s.limitProposals(ctx, u); err != nil {
		return nil, err
	}
	if err := s.store.CreateProposal(ctx, p); err != nil {
		if agora.IsCode(err, agora.ECONFLICT) { // the same key, concurrently
			return s.store.ProposalByClientKey(ctx, nil, &u.ID, p.ClientKey)
		}
		return nil, err
	}
	s.publishOnline(ctx, cons.ID, EventProposal, proposalEvent(cons, p))
	return p, nil
}

// limitProposals counts a proposal against u's hour.
func (s *Server) limitProposals(ctx context.Context, u *agora.User) error {
	now := s.now()
	n, err := s.store.Hit(ctx, "proposals:u:"+strconv.FormatInt(u.ID, 10), time.Hour, now)
	if err != nil {
		return err
	}
	if n > MaxProposalsPerHour {
		wait := windowLeft(now, time.Hour)
		return tooMany("error.too_many_proposals", wait, MaxProposalsPerHour, int((wait+time.Minute-1)/time.Minute))
	}
	return nil
}

// hasBidiOverride reports characters that reorder text on screen, used to
// disguise what a text says.
func hasBidiOverride(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || unicode.IsControl(r) && r != '\n' && r != '\t'
	})
}

// setOnlineSupport adds or withdraws u's support of p; doing it twice does
// nothing, and only a change is published. It returns p with its counts.
func (s *Server) setOnlineSupport(ctx context.Context, u *agora.User, cons *agora.Consultation, p *agora.Proposal, add bool) (*agora.Proposal, error) {
	if err := consultationOpenAt(cons, s.now()); err != nil {
		return nil, err
	}
	key := "supports:u:" + strconv.FormatInt(u.ID, 10)
	if err := s.limitPerMinute(ctx, map[string]int{key: MaxOnlineSupportsPerMinute}); err != nil {
		return nil, err
	}
	x := &agora.Support{ProposalID: p.ID, UserID: &u.ID, Channel: agora.ChannelOnline}
	var changed bool
	var err error
	if add {
		changed, err = s.store.AddSupport(ctx, x)
	} else {
		changed, err = s.store.RemoveSupport(ctx, x)
	}
	if err != nil {
		return nil, err
	}
	if p, err = s.store.ProposalByID(ctx, p.ID); err != nil {
		return nil, err
	}
	if changed {
		s.engine.OnlineSupportChanged(p, x, add) // a workshop idea's live tally
		s.publishOnline(ctx, cons.ID, EventSupport, supportEvent(cons, p))
	}
	return p, nil
}

// answerInput is an official answer as submitted.
type answerInput struct {
	Answer string `json:"answer"`
	Text   string `json:"text"`
}

// answerProposal records the organiser's official answer to p, replacing
// an earlier one, with an audit entry in the same transaction. A closed
// consultation can still be answered: answers often come after.
func (s *Server) answerProposal(ctx context.Context, u *agora.User, cons *agora.Consultation, id int64, in answerInput) (*agora.Proposal, error) {
	answer := agora.AnswerStatus(in.Answer)
	if !answer.Valid() {
		return nil, agora.Errorf(agora.EINVALID, "error.answer_invalid")
	}
	text := strings.TrimSpace(strings.ReplaceAll(in.Text, "\r\n", "\n"))
	if n := len([]rune(text)); n == 0 || n > agora.MaxAnswerTextLen || hasBidiOverride(text) {
		return nil, agora.Errorf(agora.EINVALID, "error.answer_text_length", agora.MaxAnswerTextLen)
	}
	var p *agora.Proposal
	err := s.store.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if p, err = tx.ProposalByID(ctx, id); err != nil {
			return err
		}
		before := p.Answer
		now := s.now()
		p.Answer, p.AnswerText, p.AnsweredAt, p.AnsweredBy, p.UpdatedAt = answer, text, &now, &u.ID, now
		if err := tx.UpdateProposal(ctx, p); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.audit(u, "proposal.answer", agora.TargetProposal, p.ID, &cons.ID,
			map[string]any{"from": before, "to": answer}))
	})
	if err != nil {
		return nil, err
	}
	s.publishOnline(ctx, cons.ID, EventAnswer, AnswerEvent{ID: p.ID, Answer: p.Answer, Text: p.AnswerText})
	return p, nil
}

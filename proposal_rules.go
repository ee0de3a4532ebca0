package agora

import (
	"strings"
	"time"
	"unicode/utf8"
)

// MaxAnswerTextLen bounds the text of an official answer.
const MaxAnswerTextLen = 5000

// Valid reports whether s is an answer an organiser may give (not AnswerNone).
func (s AnswerStatus) Valid() bool {
	return s == AnswerAccepted || s == AnswerRejected || s == AnswerUnderStudy
}

// NormalizeCategory trims a category and collapses its inner spaces, so
// that "  Vélo   et bus " and "Vélo et bus" are one category. Categories
// are free text: a consultation has no fixed list, and the filter offers
// the ones its proposals use.
func NormalizeCategory(s string) string { return strings.Join(strings.Fields(s), " ") }

// ValidateOnline checks an online proposal's title, body and category
// (normalised already).
func (p *Proposal) ValidateOnline() error {
	if err := validateText(p.Title, 1, MaxProposalTitleLen, "error.proposal_title_length"); err != nil {
		return err
	}
	if err := validateText(p.Body, 1, MaxProposalBodyLen, "error.proposal_body_length"); err != nil {
		return err
	}
	if utf8.RuneCountInString(p.Category) > MaxCategoryLen {
		return Errorf(EINVALID, "error.category_length", MaxCategoryLen)
	}
	if !utf8.ValidString(p.Title+p.Body+p.Category) || strings.ContainsRune(p.Title+p.Body+p.Category, 0) {
		return Errorf(EINVALID, "error.text_invalid")
	}
	return nil
}

// headingWords is how many words of its body name a room idea, which has
// no title.
const headingWords = 12

// Heading names the proposal in lists: its title, or for a room idea the
// first words of its body.
func (p *Proposal) Heading() string {
	if t := strings.TrimSpace(p.Title); t != "" {
		return t
	}
	words := strings.Fields(p.Body)
	if len(words) <= headingWords {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:headingWords], " ") + "…"
}

// FromRoom reports whether the proposal is an idea submitted in a workshop.
func (p *Proposal) FromRoom() bool { return p.WorkshopID != nil }

// Qualified reports whether the proposal has the supports that call for
// an official answer; a threshold of 0 qualifies nothing.
func (p *Proposal) Qualified(threshold int) bool {
	return threshold > 0 && p.Supports() >= threshold
}

// Visible reports whether citizens may see the proposal.
func (p *Proposal) Visible() bool { return p.Status == ProposalApproved && p.DeletedAt == nil }

// AcceptsContributions reports whether citizens may propose, support,
// comment and vote at now: the consultation is open, and now is within
// its dates when it has them.
func (c *Consultation) AcceptsContributions(now time.Time) bool {
	if c.Status != ConsultationOpen {
		return false
	}
	if c.OpensAt != nil && now.Before(*c.OpensAt) {
		return false
	}
	return c.ClosesAt == nil || now.Before(*c.ClosesAt)
}

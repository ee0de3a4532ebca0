package server

import (
	"time"

	"github.com/agora-civic/agora"
)

// Events of proposals on a consultation's online pages (topic
// hub.ConsultationTopic), mirrored by EVENTS in web/static/js/live.js and
// published with publishOnline after the change is committed.
const (
	// EventProposal carries ProposalEvent: a new proposal, visible to all.
	EventProposal = "proposal"
	// EventSupport carries SupportEvent: a proposal's new support counts.
	EventSupport = "support"
	// EventAnswer carries AnswerEvent: the organiser's official answer.
	EventAnswer = "answer"
)

// ProposalEvent is the payload of EventProposal: what a list shows of a
// proposal. Pages insert it as text.
type ProposalEvent struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Heading   string    `json:"heading"`
	Category  string    `json:"category,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SupportEvent
}

// SupportEvent is the payload of EventSupport.
type SupportEvent struct {
	ID        int64 `json:"id"`
	Room      int   `json:"room"`
	Online    int   `json:"online"`
	Total     int   `json:"total"`
	Qualified bool  `json:"qualified"`
}

// AnswerEvent is the payload of EventAnswer; Text is plain text (the page
// renders its Markdown on the next load).
type AnswerEvent struct {
	ID     int64              `json:"id"`
	Answer agora.AnswerStatus `json:"answer"`
	Text   string             `json:"text"`
}

func supportEvent(cons *agora.Consultation, p *agora.Proposal) SupportEvent {
	return SupportEvent{ID: p.ID, Room: p.SupportsRoom, Online: p.SupportsOnline, Total: p.Supports(),
		Qualified: p.Qualified(cons.SupportThreshold)}
}

func proposalEvent(cons *agora.Consultation, p *agora.Proposal) ProposalEvent {
	return ProposalEvent{ID: p.ID, URL: proposalURL(cons, p), Heading: p.Heading(), Category: p.Category,
		CreatedAt: p.CreatedAt, SupportEvent: supportEvent(cons, p)}
}

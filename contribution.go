package agora

import "time"

// ProposalStatus is the moderation state of a proposal or workshop idea.
type ProposalStatus string

// Proposal statuses.
const (
	ProposalPending  ProposalStatus = "pending"  // awaiting pre-moderation
	ProposalApproved ProposalStatus = "approved" // visible
	ProposalRejected ProposalStatus = "rejected" // refused by a facilitator before showing
	ProposalHidden   ProposalStatus = "hidden"   // was visible, hidden by a moderator
)

// AnswerStatus is the organiser's official answer to a qualified proposal.
type AnswerStatus string

// Answer statuses.
const (
	AnswerNone       AnswerStatus = ""
	AnswerAccepted   AnswerStatus = "accepted"
	AnswerRejected   AnswerStatus = "rejected"
	AnswerUnderStudy AnswerStatus = "under_study"
)

// Proposal is a citizen's proposal online or an idea submitted in a workshop
// activity; approved ideas are the consultation's proposals too.
type Proposal struct {
	ID             int64
	ConsultationID int64
	WorkshopID     *int64 // set for workshop ideas
	ActivityID     *int64 // the ideas activity it was submitted to
	ParticipantID  *int64 // author in the room
	AuthorID       *int64 // author online
	ClientKey      string // idempotency key chosen by the client; unique per author
	Title          string // online proposals; empty for room ideas
	Body           string
	Category       string
	Status         ProposalStatus
	HiddenReason   string
	Highlighted    bool // shown large on the projector
	Answer         AnswerStatus
	AnswerText     string
	AnsweredAt     *time.Time
	AnsweredBy     *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      *time.Time

	// Filled by reads, not written.
	SupportsRoom   int
	SupportsOnline int
	CommentCount   int
}

// Supports is the total of room and online supports.
func (p *Proposal) Supports() int { return p.SupportsRoom + p.SupportsOnline }

// Support is one person's support of a proposal: once per participant in the
// room, once per citizen online.
type Support struct {
	ProposalID    int64
	ParticipantID *int64
	UserID        *int64
	Channel       Channel
	CreatedAt     time.Time
}

// Stance is a comment's position in the debate.
type Stance string

// Stances.
const (
	StanceFor     Stance = "for"
	StanceAgainst Stance = "against"
	StanceNeutral Stance = "neutral"
)

// Valid reports whether s is a known stance.
func (s Stance) Valid() bool { return s == StanceFor || s == StanceAgainst || s == StanceNeutral }

// CommentStatus is a comment's moderation state.
type CommentStatus string

// Comment statuses.
const (
	CommentVisible CommentStatus = "visible"
	CommentHidden  CommentStatus = "hidden"
)

// Comment is an argument on a proposal or an activity, with one level of replies.
type Comment struct {
	ID             int64
	ConsultationID int64
	ProposalID     *int64
	ActivityID     *int64
	ParentID       *int64 // replies only; a reply has no replies
	AuthorID       int64
	ClientKey      string // idempotency key chosen by the client; unique per author when set
	Stance         Stance
	Body           string
	Status         CommentStatus
	HiddenReason   string
	CreatedAt      time.Time
	EditedAt       *time.Time
	DeletedAt      *time.Time

	// Filled by reads, not written.
	Up   int
	Down int
}

// Limits on online contributions.
const (
	MaxProposalTitleLen = 150
	MaxProposalBodyLen  = 5000
	MaxCategoryLen      = 60
	MaxCommentLen       = 3000
	MaxFlagReasonLen    = 500
)

// TargetKind names what a flag or an audit entry is about.
type TargetKind string

// Target kinds.
const (
	TargetConsultation TargetKind = "consultation"
	TargetWorkshop     TargetKind = "workshop"
	TargetActivity     TargetKind = "activity"
	TargetProposal     TargetKind = "proposal"
	TargetComment      TargetKind = "comment"
	TargetUser         TargetKind = "user"
)

// Flag is a citizen's report of content that breaks the rules.
type Flag struct {
	ID             int64
	ConsultationID int64
	TargetKind     TargetKind
	TargetID       int64
	ReporterID     int64
	Reason         string
	CreatedAt      time.Time
	ResolvedAt     *time.Time
	ResolvedBy     *int64
}

// AuditEntry records one facilitator, moderator or admin action. The log is
// append-only: the store has no method to change or delete an entry.
type AuditEntry struct {
	ID             int64
	At             time.Time
	ActorID        *int64 // nil for the system (a timer closing an activity)
	Action         string // e.g. "activity.open", "proposal.hide"
	TargetKind     TargetKind
	TargetID       int64
	ConsultationID *int64
	WorkshopID     *int64
	Detail         string // JSON with what changed, or the discarded round on a reset
}

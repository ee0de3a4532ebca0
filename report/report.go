// Package report builds the bilan of a consultation: the figures and results
// its public report page shows, and the open data it publishes (one JSON
// document and a zip of CSV files, each with a SHA-256 fingerprint).
//
// Everything is computed from the store on demand, with the same counting
// as the live tallies (agora.TallyVotes, agora.TallyIdeas), so the report
// can never disagree with what the projector showed. Hidden, rejected,
// pending and deleted content never enters a report or an export.
package report

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

// Source is what the report reads; agora.Store satisfies it.
type Source interface {
	ListWorkshops(ctx context.Context, consultationID int64) ([]*agora.Workshop, error)
	ListActivities(ctx context.Context, workshopID int64) ([]*agora.Activity, error)
	ListParticipants(ctx context.Context, workshopID int64) ([]*agora.Participant, error)
	ListVotes(ctx context.Context, activityID int64) ([]*agora.Vote, error)
	ListProposals(ctx context.Context, f agora.ProposalFilter) ([]*agora.Proposal, int, error)
	ListSupports(ctx context.Context, consultationID int64) ([]*agora.Support, error)
	ListComments(ctx context.Context, f agora.CommentFilter) ([]*agora.Comment, error)
	ListAudit(ctx context.Context, f agora.AuditFilter) ([]*agora.AuditEntry, error)
}

// Report is everything the report page shows about one consultation.
type Report struct {
	Consultation  *agora.Consultation
	Participation Participation
	Timeline      []TimelineDay // one entry per day with any activity, oldest first
	Workshops     []*Workshop   // oldest first
	Proposals     []*Proposal   // visible proposals and approved ideas, most supported first
	Moderation    Moderation
	Method        Method
	// LastChange is the time of the newest row the report counts: the
	// report of an unchanged consultation is the same whenever it is built.
	LastChange time.Time
}

// Participation counts people and contributions.
type Participation struct {
	RoomParticipants int // devices that joined any workshop
	OnlineCitizens   int // distinct accounts that voted, proposed, supported or commented online
	Contributions    Contributions
}

// Contributions counts what people did, split by channel where both exist.
type Contributions struct {
	VotesRoom, VotesOnline       int // poll, word cloud and scale answers of the current rounds
	Ideas                        int // approved workshop ideas
	Proposals                    int // visible online proposals
	SupportsRoom, SupportsOnline int // on visible proposals and ideas
	Comments                     int // visible comments and replies
}

// TimelineDay is one day of participation, in the consultation's days
// (UTC dates).
type TimelineDay struct {
	Day           time.Time // midnight UTC
	Joins         int       // devices joining a workshop
	Votes         int       // room and online answers
	Contributions int       // ideas, proposals, supports and comments
}

// Workshop is one in-room session and its results.
type Workshop struct {
	ID           int64
	Title        string
	Place        string
	State        agora.WorkshopState
	StartedAt    *time.Time // first workshop.start in the audit log
	EndedAt      *time.Time // last workshop.end in the audit log
	Participants int        // devices that joined
	Voters       int        // devices that answered at least one activity
	Activities   []*Activity
}

// Activity is one step of a workshop with its results.
type Activity struct {
	ID          int64
	Position    int
	Kind        agora.ActivityKind
	Prompt      string
	Settings    agora.ActivitySettings
	Round       int // rounds discarded by a reset are counted in Resets
	Resets      int
	OpenedAt    *time.Time
	ClosedAt    *time.Time
	OnlineUntil *time.Time
	// Tally counts the current round's votes (Room and Online set for
	// polls, word clouds and scales) or ranks the approved ideas.
	Tally agora.Tally
	// BothChannels is true when the activity has room and online votes,
	// so the page shows the two columns side by side with the total.
	BothChannels bool
}

// Proposal is a visible proposal or approved workshop idea.
type Proposal struct {
	ID              int64
	Title           string // empty for a room idea
	Body            string
	Category        string
	FromRoom        bool // an idea submitted in a workshop
	SupportsRoom    int
	SupportsOnline  int
	CommentsFor     int
	CommentsAgainst int
	CommentsNeutral int
	Qualified       bool // reached the consultation's support threshold
	Answer          agora.AnswerStatus
	AnswerText      string
	AnsweredAt      *time.Time
	CreatedAt       time.Time
}

// Supports is the total of room and online supports.
func (p *Proposal) Supports() int { return p.SupportsRoom + p.SupportsOnline }

// Moderation summarises what moderators and facilitators kept off the
// public pages.
type Moderation struct {
	HiddenProposals int // proposals and ideas hidden after being shown
	RejectedIdeas   int // ideas refused by pre-moderation
	HiddenComments  int
	Reasons         []ReasonCount // hidden items by reason, most frequent first
}

// ReasonCount is how many items were hidden for one reason; Reason is as
// the moderator typed it ("" when none was given).
type ReasonCount struct {
	Reason string
	Count  int
}

// Method states how the consultation was run, for the report's method
// section; the page words it in the reader's language.
type Method struct {
	SupportThreshold int
	Premoderated     int     // ideas activities with pre-moderation
	Phases           []Phase // in time order
}

// Phase is one period of the consultation: the consultation itself, each
// workshop, each activity reopened online.
type Phase struct {
	Kind       PhaseKind
	Title      string
	OpenedAt   *time.Time
	ClosedAt   *time.Time
	WorkshopID int64 // 0 for the consultation phase
	ActivityID int64 // set for an online phase
}

// PhaseKind names a Phase.
type PhaseKind string

// Phase kinds.
const (
	PhaseConsultation PhaseKind = "consultation"
	PhaseWorkshop     PhaseKind = "workshop"
	PhaseOnline       PhaseKind = "online" // an activity reopened online
)

// Exports are a consultation's open data, ready to download.
type Exports struct {
	JSON       []byte // one document, schema in docs/opendata.schema.json
	Zip        []byte // one CSV file per entity
	JSONSHA256 string // hex
	ZipSHA256  string // hex
}

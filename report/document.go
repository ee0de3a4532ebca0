package report

import (
	"time"

	"github.com/agora-civic/agora"
)

// The types of the open data JSON document. Their JSON names are the
// format documented in docs/opendata.md and docs/opendata.schema.json:
// changing one changes the format.

// Document is the open data JSON document (docs/opendata.md).
type Document struct {
	Schema       string            `json:"schema"`
	Consultation ConsultationJSON  `json:"consultation"`
	Workshops    []WorkshopJSON    `json:"workshops"`
	Participants []ParticipantJSON `json:"participants"`
	Activities   []ActivityJSON    `json:"activities"`
	Votes        []VoteJSON        `json:"votes"`
	Proposals    []ProposalJSON    `json:"proposals"`
	Supports     []SupportJSON     `json:"supports"`
	Comments     []CommentJSON     `json:"comments"`
	Results      []ResultJSON      `json:"results"`
	Moderation   ModerationJSON    `json:"moderation"`
}

// ConsultationJSON describes the consultation.
type ConsultationJSON struct {
	ID               int64      `json:"id"`
	Slug             string     `json:"slug"`
	Title            string     `json:"title"`
	Description      string     `json:"description"`
	Status           string     `json:"status"`
	OpensAt          *time.Time `json:"opens_at"`
	ClosesAt         *time.Time `json:"closes_at"`
	SupportThreshold int        `json:"support_threshold"`
	LastChange       *time.Time `json:"last_change"`
}

// WorkshopJSON is one session in a room.
type WorkshopJSON struct {
	ID           int64      `json:"id"`
	Title        string     `json:"title"`
	Place        string     `json:"place"`
	State        string     `json:"state"`
	StartsAt     *time.Time `json:"starts_at"`
	StartedAt    *time.Time `json:"started_at"`
	EndedAt      *time.Time `json:"ended_at"`
	Participants int        `json:"participants"`
	Voters       int        `json:"voters"`
}

// ParticipantJSON is a device that joined a workshop.
type ParticipantJSON struct {
	ID         string    `json:"id"`
	WorkshopID int64     `json:"workshop_id"`
	Nickname   *string   `json:"nickname"`
	JoinedAt   time.Time `json:"joined_at"`
}

// ActivityJSON is one step of a workshop.
type ActivityJSON struct {
	ID           int64        `json:"id"`
	WorkshopID   int64        `json:"workshop_id"`
	Position     int          `json:"position"`
	Kind         string       `json:"kind"`
	Prompt       string       `json:"prompt"`
	Options      []OptionJSON `json:"options"`
	MaxChoices   *int         `json:"max_choices"`
	MaxWords     *int         `json:"max_words"`
	ScaleMin     *int         `json:"scale_min"`
	ScaleMax     *int         `json:"scale_max"`
	Premoderated bool         `json:"premoderated"`
	Round        int          `json:"round"`
	OpenedAt     *time.Time   `json:"opened_at"`
	ClosedAt     *time.Time   `json:"closed_at"`
	OnlineUntil  *time.Time   `json:"online_until"`
}

// OptionJSON is a poll's choice.
type OptionJSON struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
}

// VoteJSON is one answer of the current round.
type VoteJSON struct {
	ActivityID int64     `json:"activity_id"`
	Voter      string    `json:"voter"`
	Channel    string    `json:"channel"`
	Choices    []int     `json:"choices"`
	Words      []string  `json:"words"`
	Value      *int      `json:"value"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ProposalJSON is a shown online proposal or workshop idea.
type ProposalJSON struct {
	ID             int64       `json:"id"`
	Origin         string      `json:"origin"`
	WorkshopID     *int64      `json:"workshop_id"`
	ActivityID     *int64      `json:"activity_id"`
	Author         string      `json:"author"`
	Title          string      `json:"title"`
	Body           string      `json:"body"`
	Category       string      `json:"category"`
	SupportsRoom   int         `json:"supports_room"`
	SupportsOnline int         `json:"supports_online"`
	Qualified      bool        `json:"qualified"`
	Answer         *AnswerJSON `json:"answer"`
	CreatedAt      time.Time   `json:"created_at"`
}

// AnswerJSON is the organiser's official answer.
type AnswerJSON struct {
	Status     string     `json:"status"`
	Text       string     `json:"text"`
	AnsweredAt *time.Time `json:"answered_at"`
}

// SupportJSON is one support of a shown proposal or idea.
type SupportJSON struct {
	ProposalID int64     `json:"proposal_id"`
	Supporter  string    `json:"supporter"`
	Channel    string    `json:"channel"`
	CreatedAt  time.Time `json:"created_at"`
}

// CommentJSON is a shown comment or reply.
type CommentJSON struct {
	ID         int64      `json:"id"`
	ProposalID *int64     `json:"proposal_id"`
	ActivityID *int64     `json:"activity_id"`
	ParentID   *int64     `json:"parent_id"`
	Author     string     `json:"author"`
	Stance     string     `json:"stance"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
	EditedAt   *time.Time `json:"edited_at"`
}

// ResultJSON is an activity's result, as the live tally counts it.
type ResultJSON struct {
	ActivityID int64       `json:"activity_id"`
	Kind       string      `json:"kind"`
	Round      int         `json:"round"`
	Total      CountsJSON  `json:"total"`
	Room       *CountsJSON `json:"room"`
	Online     *CountsJSON `json:"online"`
	Ideas      []IdeaJSON  `json:"ideas"`
}

// CountsJSON is a tally of all votes or of one channel's.
type CountsJSON struct {
	Voters  int                 `json:"voters"`
	Options []agora.OptionCount `json:"options,omitempty"`
	Words   []agora.WordCount   `json:"words,omitempty"`
	Scale   *agora.ScaleResult  `json:"scale,omitempty"`
}

// IdeaJSON is one approved idea's rank in its activity.
type IdeaJSON struct {
	ProposalID     int64 `json:"proposal_id"`
	Supports       int   `json:"supports"`
	SupportsRoom   int   `json:"supports_room"`
	SupportsOnline int   `json:"supports_online"`
}

// ModerationJSON summarises what was left out, without the content.
type ModerationJSON struct {
	HiddenProposals int          `json:"hidden_proposals"`
	RejectedIdeas   int          `json:"rejected_ideas"`
	HiddenComments  int          `json:"hidden_comments"`
	Reasons         []ReasonJSON `json:"reasons"`
}

// ReasonJSON counts hidden items by reason.
type ReasonJSON struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

package agora

import (
	"context"
	"time"
)

// Store is everything Agora keeps. Two backends implement it (Postgres and
// SQLite, in package store) and one conformance suite checks both.
//
// Rules every implementation follows:
//   - a read of something absent returns an ENOTFOUND *Error, never nil, nil;
//   - a uniqueness violation returns an ECONFLICT *Error;
//   - a database that cannot be reached returns an EUNAVAILABLE *Error;
//   - Create methods set the ID and the timestamps on the value passed in;
//   - each method is atomic; WithTx groups several into one transaction.
type Store interface {
	UserStore
	SessionStore
	ConsultationStore
	WorkshopStore
	ActivityStore
	ParticipantStore
	VoteStore
	ProposalStore
	CommentStore
	FlagStore
	AuditStore
	CounterStore
	SettingStore
	RetentionStore

	// WithTx runs fn with a Store whose methods all share one transaction,
	// committed if fn returns nil and rolled back otherwise. Calling WithTx
	// on that Store runs fn in the same transaction.
	WithTx(ctx context.Context, fn func(tx Store) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}

// UserStore keeps accounts.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error // ECONFLICT on a taken email
	UserByID(ctx context.Context, id int64) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser writes Email, DisplayName, PasswordHash, Role and DeletedAt.
	UpdateUser(ctx context.Context, u *User) error
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
	CountUsers(ctx context.Context, role Role) (int, error) // role "" counts all
}

// UserFilter narrows ListUsers; zero fields match everything.
type UserFilter struct {
	Roles  []Role
	Limit  int
	Offset int
}

// SessionStore keeps signed-in sessions and one-time tokens.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns ENOTFOUND for an unknown or expired session.
	SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, error)
	DeleteSession(ctx context.Context, hash string) error
	DeleteUserSessions(ctx context.Context, userID int64) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	CreateToken(ctx context.Context, t *OneTimeToken) error
	// UseToken marks an unused, unexpired token of that purpose as used and
	// returns it; ENOTFOUND otherwise. Two concurrent calls: one wins.
	UseToken(ctx context.Context, hash string, purpose TokenPurpose, now time.Time) (*OneTimeToken, error)
}

// ConsultationStore keeps consultations.
type ConsultationStore interface {
	CreateConsultation(ctx context.Context, c *Consultation) error // ECONFLICT on a taken slug
	ConsultationByID(ctx context.Context, id int64) (*Consultation, error)
	ConsultationBySlug(ctx context.Context, slug string) (*Consultation, error)
	// UpdateConsultation writes every field but ID, CreatedBy and CreatedAt.
	UpdateConsultation(ctx context.Context, c *Consultation) error
	// ListConsultations returns the newest first.
	ListConsultations(ctx context.Context, f ConsultationFilter) ([]*Consultation, error)
}

// ConsultationFilter narrows ListConsultations; zero fields match everything.
type ConsultationFilter struct {
	Statuses []ConsultationStatus
	Limit    int
	Offset   int
}

// WorkshopStore keeps workshops.
type WorkshopStore interface {
	CreateWorkshop(ctx context.Context, w *Workshop) error // ECONFLICT on a taken join code
	WorkshopByID(ctx context.Context, id int64) (*Workshop, error)
	WorkshopByCode(ctx context.Context, code string) (*Workshop, error)
	// UpdateWorkshop writes Title, Place, State, CurrentActivityID and StartsAt.
	UpdateWorkshop(ctx context.Context, w *Workshop) error
	// ListWorkshops returns a consultation's workshops, oldest first.
	ListWorkshops(ctx context.Context, consultationID int64) ([]*Workshop, error)
}

// ActivityStore keeps the run of show of each workshop.
type ActivityStore interface {
	// CreateActivity appends the activity at the end of its workshop's run of show.
	CreateActivity(ctx context.Context, a *Activity) error
	ActivityByID(ctx context.Context, id int64) (*Activity, error)
	// ActivityWithWorkshop reads an activity and its workshop in one round
	// trip. ENOTFOUND for an unknown activity.
	ActivityWithWorkshop(ctx context.Context, id int64) (*Activity, *Workshop, error)
	// ListActivities returns a workshop's activities by position.
	ListActivities(ctx context.Context, workshopID int64) ([]*Activity, error)
	// UpdateActivity writes every field but ID, WorkshopID, Position and CreatedAt.
	UpdateActivity(ctx context.Context, a *Activity) error
	// MoveActivity puts the activity at position (clamped), shifting the others.
	MoveActivity(ctx context.Context, id int64, position int) error
	// DeleteActivity removes an activity with its votes; the others close ranks.
	DeleteActivity(ctx context.Context, id int64) error
	// ResetActivity deletes the activity's votes and its ideas' supports,
	// increments Round, sets it pending, and appends audit, all at once.
	ResetActivity(ctx context.Context, id int64, audit *AuditEntry) (*Activity, error)
}

// ParticipantStore keeps the pseudonymous people in the room.
type ParticipantStore interface {
	CreateParticipant(ctx context.Context, p *Participant) error
	ParticipantByID(ctx context.Context, id int64) (*Participant, error)
	// ParticipantByToken finds a device in one workshop only.
	ParticipantByToken(ctx context.Context, workshopID int64, tokenHash string) (*Participant, error)
	// UpdateParticipant writes Nickname and UserID.
	UpdateParticipant(ctx context.Context, p *Participant) error
	CountParticipants(ctx context.Context, workshopID int64) (int, error)
	// ListParticipants returns a workshop's devices, oldest first (the report).
	ListParticipants(ctx context.Context, workshopID int64) ([]*Participant, error)
	// ListUserParticipants returns the devices linked to an account, oldest first.
	ListUserParticipants(ctx context.Context, userID int64) ([]*Participant, error)
}

// VoteStore keeps answers to polls, word clouds and scales.
type VoteStore interface {
	// PutVote inserts the vote, or replaces the one the same participant (or
	// user) already cast in that activity; replaced says which happened.
	PutVote(ctx context.Context, v *Vote) (replaced bool, err error)
	// PutVotes does PutVote for many votes in one transaction (group commit).
	PutVotes(ctx context.Context, vs []*Vote) (replaced []bool, err error)
	VoteByParticipant(ctx context.Context, activityID, participantID int64) (*Vote, error)
	VoteByUser(ctx context.Context, activityID, userID int64) (*Vote, error)
	// ListVotes returns all votes of an activity, oldest first.
	ListVotes(ctx context.Context, activityID int64) ([]*Vote, error)
	CountVotes(ctx context.Context, activityID int64) (int, error)
	// ListUserVotes returns the votes a user cast online or in the room
	// from a linked device, oldest first.
	ListUserVotes(ctx context.Context, userID int64) ([]*Vote, error)
}

// ProposalStore keeps proposals and workshop ideas with their supports.
type ProposalStore interface {
	// CreateProposal returns ECONFLICT when the author already used ClientKey.
	CreateProposal(ctx context.Context, p *Proposal) error
	ProposalByID(ctx context.Context, id int64) (*Proposal, error)
	// ProposalByClientKey finds the proposal an author created with a key,
	// so a retried submission returns the first one.
	ProposalByClientKey(ctx context.Context, participantID, authorID *int64, key string) (*Proposal, error)
	// UpdateProposal writes Title, Body, Category, Status, HiddenReason,
	// Highlighted, Answer*, DeletedAt and UpdatedAt.
	UpdateProposal(ctx context.Context, p *Proposal) error
	ListProposals(ctx context.Context, f ProposalFilter) (ps []*Proposal, total int, err error)
	// AddSupport records a support once; added is false when it existed.
	AddSupport(ctx context.Context, s *Support) (added bool, err error)
	// RemoveSupport withdraws a support; removed is false when there was none.
	RemoveSupport(ctx context.Context, s *Support) (removed bool, err error)
	HasSupport(ctx context.Context, s *Support) (bool, error)
	// ProposalCategories returns the distinct categories of a
	// consultation's approved, undeleted proposals, sorted.
	ProposalCategories(ctx context.Context, consultationID int64) ([]string, error)
	// SupportedBy returns those of proposalIDs that the user supports online.
	SupportedBy(ctx context.Context, userID int64, proposalIDs []int64) ([]int64, error)
	// ListSupports returns every support given to a consultation's
	// proposals and ideas, oldest first (the open data).
	ListSupports(ctx context.Context, consultationID int64) ([]*Support, error)
	// ListUserSupports returns the supports a user gave online or in the
	// room from a linked device, oldest first.
	ListUserSupports(ctx context.Context, userID int64) ([]*Support, error)
}

// ProposalSort orders ListProposals.
type ProposalSort string

// Proposal orders.
const (
	SortNewest        ProposalSort = "newest"
	SortMostSupported ProposalSort = "supported"
	SortMostDebated   ProposalSort = "debated"
)

// ProposalFilter narrows ListProposals; zero fields match everything, but
// deleted proposals are never listed.
type ProposalFilter struct {
	ConsultationID int64
	ActivityID     *int64
	Statuses       []ProposalStatus
	Category       string
	// AuthorID keeps what this user wrote: online, or in the room from a
	// device linked to the account.
	AuthorID *int64
	Query    string // words searched in title and body, case-insensitively
	Sort     ProposalSort
	Limit    int
	Offset   int
}

// CommentStore keeps the debate.
type CommentStore interface {
	// CreateComment returns ECONFLICT when the author already used a
	// non-empty ClientKey.
	CreateComment(ctx context.Context, c *Comment) error
	CommentByID(ctx context.Context, id int64) (*Comment, error)
	// CommentByClientKey finds the comment an author created with a key,
	// so a retried submission returns the first one; ENOTFOUND for "".
	CommentByClientKey(ctx context.Context, authorID int64, key string) (*Comment, error)
	// UpdateComment writes Body, Stance, Status, HiddenReason, EditedAt and DeletedAt.
	UpdateComment(ctx context.Context, c *Comment) error
	ListComments(ctx context.Context, f CommentFilter) ([]*Comment, error)
	// VoteComment records +1 or -1 from a user, replacing their earlier
	// vote; 0 withdraws it.
	VoteComment(ctx context.Context, commentID, userID int64, value int) error
	// CommentVotesByUser returns the user's votes (+1 or -1) on the given
	// comments, by comment ID; comments they did not vote on are absent.
	CommentVotesByUser(ctx context.Context, userID int64, commentIDs []int64) (map[int64]int, error)
}

// CommentSort orders ListComments.
type CommentSort string

// Comment orders.
const (
	CommentsNewest CommentSort = "newest"
	CommentsBest   CommentSort = "best" // up minus down, then newest
)

// CommentFilter narrows ListComments; set at least one of ProposalID,
// ActivityID, AuthorID or ConsultationID (the moderators' lists).
type CommentFilter struct {
	ProposalID     *int64
	ActivityID     *int64
	AuthorID       *int64
	ConsultationID *int64
	Statuses       []CommentStatus
	Sort           CommentSort
}

// FlagStore keeps citizens' reports.
type FlagStore interface {
	CreateFlag(ctx context.Context, f *Flag) error // ECONFLICT when the reporter already flagged it
	// ListFlags returns unresolved flags, oldest first.
	ListFlags(ctx context.Context, consultationID int64) ([]*Flag, error)
	// ResolveFlags marks every open flag on the target resolved.
	ResolveFlags(ctx context.Context, kind TargetKind, id int64, by int64, at time.Time) error
	// CountOpenFlags returns the number of unresolved flags by consultation
	// ID; consultations without any are absent.
	CountOpenFlags(ctx context.Context) (map[int64]int, error)
}

// AuditStore keeps the append-only log of staff actions.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
}

// AuditFilter narrows ListAudit; entries come oldest first.
type AuditFilter struct {
	ConsultationID *int64
	WorkshopID     *int64
	TargetKind     TargetKind
	TargetID       int64
	Limit          int
}

// CounterStore keeps fixed-window counters shared by every node, for login
// throttling and rate limits.
type CounterStore interface {
	// Hit adds one to key's counter in the window that contains now and
	// returns the new count. Counters of past windows are forgotten.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// SettingStore keeps instance-wide values every node must share, such as the
// key that signs CSRF tokens.
type SettingStore interface {
	// EnsureSetting stores value under key unless a value is there already,
	// and returns the stored one: concurrent callers all get the first value.
	EnsureSetting(ctx context.Context, key, value string) (string, error)
}

// RetentionStore erases the personal data kept longer than the retention
// period (AGORA_RETENTION); the hourly sweep calls it.
type RetentionStore interface {
	// ForgetBefore, in one transaction:
	//   - erases the nickname and device token hash of the participants of
	//     workshops ended (state ended, UpdatedAt) before cutoff; their
	//     PublicID, UserID, votes and ideas stay;
	//   - deletes one-time tokens used or expired before cutoff.
	// It is idempotent: rows already reduced are not counted again.
	ForgetBefore(ctx context.Context, cutoff time.Time) (ForgetReport, error)
}

// ForgetReport counts what one ForgetBefore call erased; it holds no
// personal data, so the sweep can log it.
type ForgetReport struct {
	Participants int // participants whose nickname and device token hash were erased
	Tokens       int // one-time tokens deleted
}

package agora

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ActivityKind is what participants do in an activity.
type ActivityKind string

// Activity kinds.
const (
	KindPoll      ActivityKind = "poll"      // single or multiple choice
	KindIdeas     ActivityKind = "ideas"     // short ideas, supported by others
	KindWordCloud ActivityKind = "wordcloud" // one to three words each
	KindScale     ActivityKind = "scale"     // a statement rated on 1–5 or 0–10
)

// Valid reports whether k is a known kind.
func (k ActivityKind) Valid() bool {
	switch k {
	case KindPoll, KindIdeas, KindWordCloud, KindScale:
		return true
	}
	return false
}

// ActivityState is where an activity is in the run of show.
type ActivityState string

// Activity states.
const (
	ActivityPending ActivityState = "pending" // prepared, not yet opened
	ActivityOpen    ActivityState = "open"    // accepting answers
	ActivityClosed  ActivityState = "closed"  // answers frozen
)

// Option is one choice of a poll. ID is stable across edits and reorders so
// that votes keep pointing at the right label.
type Option struct {
	ID    int    `json:"id"`
	Label string `json:"label"`
}

// ActivitySettings are the kind-specific settings, stored as JSON.
type ActivitySettings struct {
	MaxChoices    int  `json:"max_choices,omitempty"`   // poll: 1 is single choice
	Premoderation bool `json:"premoderation,omitempty"` // ideas: shown only once approved
	MaxWords      int  `json:"max_words,omitempty"`     // word cloud: 1 to 3
	ScaleMin      int  `json:"scale_min,omitempty"`     // scale: 1 or 0
	ScaleMax      int  `json:"scale_max,omitempty"`     // scale: 5 or 10
	HideResults   bool `json:"hide_results,omitempty"`  // results hidden until revealed
	TimerSeconds  int  `json:"timer_seconds,omitempty"` // optional countdown that closes the activity
}

// Activity is one step of a workshop's run of show.
type Activity struct {
	ID          int64
	WorkshopID  int64
	Position    int // 0-based order in the run of show
	Kind        ActivityKind
	Prompt      string
	Options     []Option // poll only
	Settings    ActivitySettings
	State       ActivityState
	Revealed    bool // results shown to participants and screen
	Round       int  // incremented by a reset; votes of earlier rounds are discarded
	OpenedAt    *time.Time
	ClosesAt    *time.Time // set when a timer runs
	ClosedAt    *time.Time
	OnlineUntil *time.Time // reopened online until this date
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Limits on activities.
const (
	MaxPromptLen      = 300
	MinPollOptions    = 2
	MaxPollOptions    = 12
	MaxOptionLabelLen = 120
	MaxIdeaLen        = 280
	MaxWordsPerEntry  = 3
	MaxWordLen        = 40
	MaxTimerSeconds   = 3600
)

// ResultsVisible reports whether participants and the screen may see results.
func (a *Activity) ResultsVisible() bool { return !a.Settings.HideResults || a.Revealed }

// Validate checks an activity's prompt, options and settings for its kind.
func (a *Activity) Validate() error {
	if !a.Kind.Valid() {
		return Errorf(EINVALID, "error.kind_invalid")
	}
	if err := validateText(a.Prompt, 1, MaxPromptLen, "error.prompt_length"); err != nil {
		return err
	}
	if err := CheckLine(a.Prompt, "error.prompt_invalid"); err != nil {
		return err
	}
	s := a.Settings
	if s.TimerSeconds < 0 || s.TimerSeconds > MaxTimerSeconds {
		return Errorf(EINVALID, "error.timer_invalid", MaxTimerSeconds)
	}
	switch a.Kind {
	case KindPoll:
		return a.validatePoll()
	case KindWordCloud:
		if s.MaxWords < 1 || s.MaxWords > MaxWordsPerEntry {
			return Errorf(EINVALID, "error.max_words_invalid", MaxWordsPerEntry)
		}
	case KindScale:
		if !(s.ScaleMin == 1 && s.ScaleMax == 5) && !(s.ScaleMin == 0 && s.ScaleMax == 10) {
			return Errorf(EINVALID, "error.scale_invalid")
		}
	}
	if a.Kind != KindPoll && len(a.Options) > 0 {
		return Errorf(EINVALID, "error.options_not_allowed")
	}
	return nil
}

func (a *Activity) validatePoll() error {
	if len(a.Options) < MinPollOptions || len(a.Options) > MaxPollOptions {
		return Errorf(EINVALID, "error.options_count", MinPollOptions, MaxPollOptions)
	}
	seen := map[int]bool{}
	for _, o := range a.Options {
		if err := validateText(o.Label, 1, MaxOptionLabelLen, "error.option_length"); err != nil {
			return err
		}
		if err := CheckLine(o.Label, "error.option_invalid"); err != nil {
			return err
		}
		if o.ID <= 0 || seen[o.ID] {
			return Errorf(EINVALID, "error.option_ids")
		}
		seen[o.ID] = true
	}
	if a.Settings.MaxChoices < 1 || a.Settings.MaxChoices > len(a.Options) {
		return Errorf(EINVALID, "error.max_choices_invalid", len(a.Options))
	}
	return nil
}

// Channel says where a vote or support was cast.
type Channel string

// Channels.
const (
	ChannelRoom   Channel = "room"   // a participant's phone in the workshop
	ChannelOnline Channel = "online" // a signed-in citizen on the website
)

// Vote is one answer to a poll, word cloud or scale: one per participant (or
// per citizen online) per activity, replaced when changed.
type Vote struct {
	ID            int64
	ActivityID    int64
	ParticipantID *int64 // room votes
	UserID        *int64 // online votes
	Channel       Channel
	Choices       []int    // poll: option IDs
	Words         []string // word cloud: as typed, trimmed
	Value         *int     // scale
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// CastAt is when the engine took a room vote, by its clock: the rules
	// apply at that moment even when the vote commits a little later
	// (live.Engine.CheckVotes). Not stored, not sent.
	CastAt time.Time `json:"-"`
}

// ValidateVote checks a vote against the activity it answers. It does not
// check the activity's state; see CanVote.
func ValidateVote(a *Activity, v *Vote) error {
	switch a.Kind {
	case KindPoll:
		return validateChoices(a, v.Choices)
	case KindWordCloud:
		return validateWords(a, v.Words)
	case KindScale:
		if v.Value == nil || *v.Value < a.Settings.ScaleMin || *v.Value > a.Settings.ScaleMax {
			return Errorf(EINVALID, "error.scale_value", a.Settings.ScaleMin, a.Settings.ScaleMax)
		}
		return nil
	}
	return Errorf(EINVALID, "error.not_votable")
}

func validateChoices(a *Activity, choices []int) error {
	if len(choices) == 0 {
		return Errorf(EINVALID, "error.choose_one")
	}
	if len(choices) > a.Settings.MaxChoices {
		return Errorf(EINVALID, "error.too_many_choices", a.Settings.MaxChoices)
	}
	seen := map[int]bool{}
	for _, c := range choices {
		if seen[c] || !a.hasOption(c) {
			return Errorf(EINVALID, "error.unknown_option")
		}
		seen[c] = true
	}
	return nil
}

func (a *Activity) hasOption(id int) bool {
	for _, o := range a.Options {
		if o.ID == id {
			return true
		}
	}
	return false
}

func validateWords(a *Activity, words []string) error {
	n := 0
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if utf8.RuneCountInString(w) > MaxWordLen {
			return Errorf(EINVALID, "error.word_length", MaxWordLen)
		}
		// Words are stored as typed: refuse what the database cannot hold
		// (invalid UTF-8, NUL) and what could garble the projector.
		if _, err := cleanLine(w); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return Errorf(EINVALID, "error.word_required")
	}
	if n > a.Settings.MaxWords {
		return Errorf(EINVALID, "error.too_many_words", a.Settings.MaxWords)
	}
	return nil
}

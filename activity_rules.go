package agora

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Votable reports whether participants answer the kind with a Vote; ideas
// are answered with proposals and supports instead.
func (k ActivityKind) Votable() bool {
	return k == KindPoll || k == KindWordCloud || k == KindScale
}

// Expired reports whether the activity is open but its timer has run out.
// Answers stop at ClosesAt even before anyone (or the system) closes it, so
// a slow clock tick never lets late votes in.
func (a *Activity) Expired(now time.Time) bool {
	return a.State == ActivityOpen && a.ClosesAt != nil && !now.Before(*a.ClosesAt)
}

// AcceptsAnswers reports whether the activity takes answers at now.
func (a *Activity) AcceptsAnswers(now time.Time) bool {
	return a.State == ActivityOpen && !a.Expired(now)
}

// Open starts taking answers, or starts again after a Close (the votes
// stay). Opening an activity that already takes answers does nothing,
// because facilitators double-tap; an open activity whose timer ran out is
// reopened with a fresh timer. With Settings.TimerSeconds, ClosesAt is set.
// On error the activity is left unchanged.
func (a *Activity) Open(now time.Time) error {
	if err := a.checkState(); err != nil || a.AcceptsAnswers(now) {
		return err
	}
	a.State = ActivityOpen
	a.OpenedAt, a.ClosedAt, a.ClosesAt = timePtr(now), nil, nil
	if s := a.Settings.TimerSeconds; s > 0 {
		a.ClosesAt = timePtr(now.Add(time.Duration(s) * time.Second))
	}
	return nil
}

// Close stops taking answers; closing twice does nothing. A pending activity
// cannot be closed: there is nothing to close, and it would skip the
// question. When the timer already ran out, ClosedAt is when it did, which
// is when answers really stopped.
func (a *Activity) Close(now time.Time) error {
	if err := a.checkState(); err != nil || a.State == ActivityClosed {
		return err
	}
	if a.State == ActivityPending {
		return Errorf(ECONFLICT, "error.activity_not_open")
	}
	at := now
	if a.Expired(now) {
		at = *a.ClosesAt
	}
	a.State, a.ClosedAt, a.ClosesAt = ActivityClosed, timePtr(at), nil
	return nil
}

// Reveal shows the results to participants and the screen. A pending
// activity has no results to reveal.
func (a *Activity) Reveal() error {
	if err := a.checkState(); err != nil {
		return err
	}
	if a.State == ActivityPending {
		return Errorf(ECONFLICT, "error.activity_not_started")
	}
	a.Revealed = true
	return nil
}

// Hide hides the results again; hiding is always allowed.
func (a *Activity) Hide() error {
	if err := a.checkState(); err != nil {
		return err
	}
	a.Revealed = false
	return nil
}

// Reset starts the activity over in any state: the round goes up, so the
// votes of the earlier round no longer count, and the activity is pending,
// hidden and untimed again, its online window included.
func (a *Activity) Reset() error {
	if err := a.checkState(); err != nil {
		return err
	}
	a.Round++
	a.State, a.Revealed = ActivityPending, false
	a.OpenedAt, a.ClosesAt, a.ClosedAt, a.OnlineUntil = nil, nil, nil, nil
	return nil
}

func (a *Activity) checkState() error {
	switch a.State {
	case ActivityPending, ActivityOpen, ActivityClosed:
		return nil
	}
	return Errorf(EINVALID, "error.activity_state_invalid")
}

func timePtr(t time.Time) *time.Time { return &t }

// CanVote says whether a participant of workshop w may vote in a now: the
// activity belongs to w, takes votes, the workshop is live and the activity
// open with time left. It does not check the vote itself; see ValidateVote.
func CanVote(w *Workshop, a *Activity, now time.Time) error {
	return canAnswer(w, a, a.Kind.Votable(), "error.not_votable", checkAccepting(a, now))
}

// CanKeepVote says whether a vote cast in a at castAt may still be stored:
// the rules of CanVote at that moment, as the activity stands now. One
// closed since then, by hand or by its countdown, keeps it: a vote that
// commits a little after it was cast counts as it would have at once.
func CanKeepVote(w *Workshop, a *Activity, castAt time.Time) error {
	accepting := checkAccepting(a, castAt)
	if a.State == ActivityClosed && a.ClosedAt != nil && a.ClosedAt.After(castAt) {
		accepting = nil
	}
	return canAnswer(w, a, a.Kind.Votable(), "error.not_votable", accepting)
}

// CanSubmitIdea says whether a participant of workshop w may submit an idea
// to a now; the rules are those of CanVote, for an ideas activity.
func CanSubmitIdea(w *Workshop, a *Activity, now time.Time) error {
	return canAnswer(w, a, a.Kind == KindIdeas, "error.not_ideas", checkAccepting(a, now))
}

// CanSupport says whether a participant of workshop w may support an idea
// of a now. Supports close with the activity, like votes.
func CanSupport(w *Workshop, a *Activity, now time.Time) error {
	return canAnswer(w, a, a.Kind == KindIdeas, "error.not_ideas", checkAccepting(a, now))
}

// canAnswer checks, in this order, that a belongs to w (an activity of
// another workshop is reported as not found, revealing nothing about it),
// that its kind fits, and that w is running; then it returns accepting,
// whether a takes answers at the moment that matters.
func canAnswer(w *Workshop, a *Activity, kindOK bool, kindKey string, accepting error) error {
	if a.WorkshopID != w.ID {
		return Errorf(ENOTFOUND, "error.activity_not_found")
	}
	if !kindOK {
		return Errorf(EINVALID, kindKey)
	}
	if err := checkLive(w); err != nil {
		return err
	}
	return accepting
}

// checkLive requires a live workshop: answers are taken neither while it is
// being prepared nor once it has ended.
func checkLive(w *Workshop) error {
	switch w.State {
	case WorkshopLive:
		return nil
	case WorkshopEnded:
		return Errorf(ECONFLICT, "error.workshop_ended")
	}
	return Errorf(ECONFLICT, "error.workshop_not_live")
}

func checkAccepting(a *Activity, now time.Time) error {
	switch {
	case a.AcceptsAnswers(now):
		return nil
	case a.State == ActivityPending:
		return Errorf(ECONFLICT, "error.activity_not_open")
	}
	return Errorf(ECONFLICT, "error.activity_closed") // closed, or its timer ran out
}

// CanVoteOnline says whether a signed-in citizen may vote in a at now: the
// activity takes votes and was reopened online until a later date.
func CanVoteOnline(a *Activity, now time.Time) error {
	if !a.Kind.Votable() {
		return Errorf(EINVALID, "error.not_votable")
	}
	if a.OnlineUntil == nil || !now.Before(*a.OnlineUntil) {
		return Errorf(ECONFLICT, "error.online_closed")
	}
	return nil
}

// ValidateIdea returns the idea as it will be stored and shown: one line,
// white space collapsed (newlines included), between 1 and MaxIdeaLen
// characters. Control characters are refused, not stripped, so the author
// sees why their text changed.
func ValidateIdea(body string) (string, error) {
	s, err := cleanLine(body)
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(s); n == 0 || n > MaxIdeaLen {
		return "", Errorf(EINVALID, "error.idea_length", MaxIdeaLen)
	}
	return s, nil
}

// NormalizeNickname returns the nickname as it will be shown: one line,
// white space collapsed, at most MaxNicknameLen characters. Empty is allowed:
// the nickname is optional.
func NormalizeNickname(s string) (string, error) {
	s, err := cleanLine(s)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(s) > MaxNicknameLen {
		return "", Errorf(EINVALID, "error.nickname_length", MaxNicknameLen)
	}
	return s, nil
}

// cleanLine turns user text into one trimmed line with single spaces. It
// refuses invalid UTF-8 and control characters, bidirectional overrides
// included: on the projector they could reorder what others wrote. Text
// with nothing visible (zero-width characters only) becomes empty.
func cleanLine(s string) (string, error) {
	if err := CheckLine(s, "error.text_invalid"); err != nil {
		return "", err
	}
	s = NormalizeLine(s)
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsGraphic(r) && r != ' ' }) {
		return "", nil
	}
	return s, nil
}

// isBidiControl reports the embeddings, overrides and isolates of Unicode's
// bidirectional algorithm (the marks LRM and RLM stay allowed).
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// NextActivity returns the activity after the current one in a run of show
// ordered by position, the first one when there is no current activity (or
// it was deleted), and nil after the last.
func NextActivity(run []*Activity, current *int64) *Activity {
	i := activityIndex(run, current)
	if i+1 < len(run) {
		return run[i+1]
	}
	return nil
}

// PreviousActivity returns the activity before the current one in a run of
// show ordered by position, or nil at the start or without a current one.
func PreviousActivity(run []*Activity, current *int64) *Activity {
	if i := activityIndex(run, current); i > 0 {
		return run[i-1]
	}
	return nil
}

// activityIndex returns the position of the current activity in run, or -1.
func activityIndex(run []*Activity, current *int64) int {
	for i, a := range run {
		if current != nil && a.ID == *current {
			return i
		}
	}
	return -1
}

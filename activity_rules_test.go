package agora

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wantError fails unless err carries code and catalog key; empty code wants nil.
func wantError(t *testing.T, err error, code, key string) {
	t.Helper()
	if ErrorCode(err) != code || code != "" && ErrorMessage(err) != key {
		t.Errorf("error = %v; want code %q, key %q", err, code, key)
	}
}

// live returns an activity in a given state; times are minutes on one evening.
func live(state ActivityState, mutate ...func(*Activity)) Activity {
	a := Activity{ID: 5, WorkshopID: 1, Kind: KindPoll, State: state, Round: 1}
	switch state {
	case ActivityOpen:
		a.OpenedAt = ptr(at(0))
	case ActivityClosed:
		a.OpenedAt, a.ClosedAt = ptr(at(0)), ptr(at(5))
	}
	for _, m := range mutate {
		m(&a)
	}
	return a
}

func timer(seconds int) func(*Activity) {
	return func(a *Activity) { a.Settings.TimerSeconds = seconds }
}

func closesAt(minute int) func(*Activity) {
	return func(a *Activity) { a.ClosesAt = ptr(at(minute)) }
}

func revealed(a *Activity) { a.Revealed = true }

func TestActivity_Transitions(t *testing.T) {
	now := at(10)
	open := func(a *Activity) error { return a.Open(now) }
	closeAt := func(a *Activity) error { return a.Close(now) }
	reveal := func(a *Activity) error { return a.Reveal() }
	hide := func(a *Activity) error { return a.Hide() }
	reset := func(a *Activity) error { return a.Reset() }
	tests := []struct {
		name      string
		before    Activity
		op        func(*Activity) error
		want      Activity // ignored on error: the activity must stay as before
		code, key string
	}{
		{name: "open pending", before: live(ActivityPending), op: open,
			want: live(ActivityPending, func(a *Activity) { a.State, a.OpenedAt = ActivityOpen, ptr(now) })},
		{name: "open pending with timer", before: live(ActivityPending, timer(90)), op: open,
			want: live(ActivityPending, timer(90), func(a *Activity) {
				a.State, a.OpenedAt, a.ClosesAt = ActivityOpen, ptr(now), ptr(now.Add(90*time.Second))
			})},
		{name: "open twice is a no-op", before: live(ActivityOpen, timer(600), closesAt(10+10)), op: open,
			want: live(ActivityOpen, timer(600), closesAt(10+10))},
		{name: "open with expired timer restarts it", before: live(ActivityOpen, timer(60), closesAt(1)), op: open,
			want: live(ActivityOpen, timer(60), func(a *Activity) { a.OpenedAt, a.ClosesAt = ptr(now), ptr(now.Add(time.Minute)) })},
		{name: "reopen closed keeps round and reveal", before: live(ActivityClosed, revealed), op: open,
			want: live(ActivityOpen, revealed, func(a *Activity) { a.OpenedAt = ptr(now) })},
		{name: "open unknown state", before: live("paused"), op: open, code: EINVALID, key: "error.activity_state_invalid"},

		{name: "close open", before: live(ActivityOpen), op: closeAt,
			want: live(ActivityOpen, func(a *Activity) { a.State, a.ClosedAt = ActivityClosed, ptr(now) })},
		{name: "close before the timer ends", before: live(ActivityOpen, timer(3600), closesAt(59)), op: closeAt,
			want: live(ActivityOpen, timer(3600), func(a *Activity) { a.State, a.ClosedAt = ActivityClosed, ptr(now) })},
		{name: "close after the timer ended dates it from the timer", before: live(ActivityOpen, timer(60), closesAt(1)), op: closeAt,
			want: live(ActivityOpen, timer(60), func(a *Activity) { a.State, a.ClosedAt = ActivityClosed, ptr(at(1)) })},
		{name: "close twice is a no-op", before: live(ActivityClosed), op: closeAt, want: live(ActivityClosed)},
		{name: "close pending", before: live(ActivityPending), op: closeAt, code: ECONFLICT, key: "error.activity_not_open"},
		{name: "close unknown state", before: live(""), op: closeAt, code: EINVALID, key: "error.activity_state_invalid"},

		{name: "reveal open", before: live(ActivityOpen), op: reveal, want: live(ActivityOpen, revealed)},
		{name: "reveal closed", before: live(ActivityClosed), op: reveal, want: live(ActivityClosed, revealed)},
		{name: "reveal twice is a no-op", before: live(ActivityClosed, revealed), op: reveal, want: live(ActivityClosed, revealed)},
		{name: "reveal pending", before: live(ActivityPending), op: reveal, code: ECONFLICT, key: "error.activity_not_started"},
		{name: "reveal unknown state", before: live("x"), op: reveal, code: EINVALID, key: "error.activity_state_invalid"},

		{name: "hide revealed", before: live(ActivityClosed, revealed), op: hide, want: live(ActivityClosed)},
		{name: "hide hidden is a no-op", before: live(ActivityOpen), op: hide, want: live(ActivityOpen)},
		{name: "hide pending", before: live(ActivityPending), op: hide, want: live(ActivityPending)},
		{name: "hide unknown state", before: live("x"), op: hide, code: EINVALID, key: "error.activity_state_invalid"},

		{name: "reset closed", before: live(ActivityClosed, revealed, func(a *Activity) { a.OnlineUntil = ptr(at(50)) }), op: reset,
			want: Activity{ID: 5, WorkshopID: 1, Kind: KindPoll, State: ActivityPending, Round: 2}},
		{name: "reset open with timer", before: live(ActivityOpen, timer(60), closesAt(11)), op: reset,
			want: live(ActivityPending, timer(60), func(a *Activity) { a.Round = 2 })},
		{name: "reset pending", before: live(ActivityPending), op: reset,
			want: live(ActivityPending, func(a *Activity) { a.Round = 2 })},
		{name: "reset unknown state", before: live("x"), op: reset, code: EINVALID, key: "error.activity_state_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.before
			err := tt.op(&got)
			wantError(t, err, tt.code, tt.key)
			want := tt.want
			if tt.code != "" {
				want = tt.before
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("activity mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestActivity_Expired(t *testing.T) {
	tests := []struct {
		name             string
		a                Activity
		expired, accepts bool
	}{
		{"open without timer", live(ActivityOpen), false, true},
		{"open before the timer ends", live(ActivityOpen, closesAt(11)), false, true},
		{"open at the very end", live(ActivityOpen, closesAt(10)), true, false},
		{"open after the timer ended", live(ActivityOpen, closesAt(9)), true, false},
		{"closed", live(ActivityClosed, closesAt(9)), false, false},
		{"pending", live(ActivityPending), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Expired(at(10)); got != tt.expired {
				t.Errorf("Expired = %v, want %v", got, tt.expired)
			}
			if got := tt.a.AcceptsAnswers(at(10)); got != tt.accepts {
				t.Errorf("AcceptsAnswers = %v, want %v", got, tt.accepts)
			}
		})
	}
}

func TestCanVote_Rules(t *testing.T) {
	now := at(10)
	liveShop := &Workshop{ID: 1, State: WorkshopLive}
	tests := []struct {
		name      string
		w         *Workshop
		a         Activity
		code, key string
	}{
		{"open poll in a live workshop", liveShop, live(ActivityOpen), "", ""},
		{"open word cloud", liveShop, live(ActivityOpen, kind(KindWordCloud)), "", ""},
		{"open scale with time left", liveShop, live(ActivityOpen, kind(KindScale), closesAt(11)), "", ""},
		{"timer expired", liveShop, live(ActivityOpen, closesAt(10)), ECONFLICT, "error.activity_closed"},
		{"closed", liveShop, live(ActivityClosed), ECONFLICT, "error.activity_closed"},
		{"pending", liveShop, live(ActivityPending), ECONFLICT, "error.activity_not_open"},
		{"ended workshop", &Workshop{ID: 1, State: WorkshopEnded}, live(ActivityOpen), ECONFLICT, "error.workshop_ended"},
		{"draft workshop", &Workshop{ID: 1, State: WorkshopDraft}, live(ActivityOpen), ECONFLICT, "error.workshop_not_live"},
		{"activity of another workshop", &Workshop{ID: 2, State: WorkshopLive}, live(ActivityOpen), ENOTFOUND, "error.activity_not_found"},
		{"ideas are not voted on", liveShop, live(ActivityOpen, kind(KindIdeas)), EINVALID, "error.not_votable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, CanVote(tt.w, &tt.a, now), tt.code, tt.key)
		})
	}
}

func kind(k ActivityKind) func(*Activity) { return func(a *Activity) { a.Kind = k } }

func TestCanSubmitIdea_Rules(t *testing.T) {
	now := at(10)
	liveShop := &Workshop{ID: 1, State: WorkshopLive}
	ideas := kind(KindIdeas)
	tests := []struct {
		name      string
		w         *Workshop
		a         Activity
		code, key string
	}{
		{"open ideas activity", liveShop, live(ActivityOpen, ideas), "", ""},
		{"timer expired", liveShop, live(ActivityOpen, ideas, closesAt(9)), ECONFLICT, "error.activity_closed"},
		{"closed", liveShop, live(ActivityClosed, ideas), ECONFLICT, "error.activity_closed"},
		{"pending", liveShop, live(ActivityPending, ideas), ECONFLICT, "error.activity_not_open"},
		{"ended workshop", &Workshop{ID: 1, State: WorkshopEnded}, live(ActivityOpen, ideas), ECONFLICT, "error.workshop_ended"},
		{"another workshop", &Workshop{ID: 9, State: WorkshopLive}, live(ActivityOpen, ideas), ENOTFOUND, "error.activity_not_found"},
		{"a poll takes no ideas", liveShop, live(ActivityOpen), EINVALID, "error.not_ideas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, CanSubmitIdea(tt.w, &tt.a, now), tt.code, tt.key)
			wantError(t, CanSupport(tt.w, &tt.a, now), tt.code, tt.key)
		})
	}
}

func TestCanVoteOnline_Window(t *testing.T) {
	until := func(minute int) func(*Activity) { return func(a *Activity) { a.OnlineUntil = ptr(at(minute)) } }
	tests := []struct {
		name      string
		a         Activity
		code, key string
	}{
		{"window open", live(ActivityClosed, until(11)), "", ""},
		{"window ended", live(ActivityClosed, until(10)), ECONFLICT, "error.online_closed"},
		{"never reopened online", live(ActivityClosed), ECONFLICT, "error.online_closed"},
		{"ideas are not voted on", live(ActivityClosed, until(11), kind(KindIdeas)), EINVALID, "error.not_votable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, CanVoteOnline(&tt.a, at(10)), tt.code, tt.key)
		})
	}
}

func TestValidateIdea_Body(t *testing.T) {
	tests := []struct {
		name, in, want string
		code, key      string
	}{
		{"plain", "Plus de bancs", "Plus de bancs", "", ""},
		{"trimmed", "  Plus de bancs \n", "Plus de bancs", "", ""},
		{"newlines become spaces", "Plus de bancs\r\net d'ombre\n\npartout", "Plus de bancs et d'ombre partout", "", ""},
		{"tabs and runs of spaces collapse", "a\t\t b   c", "a b c", "", ""},
		{"emoji kept", "Des arbres 🌳👩‍👩‍👧", "Des arbres 🌳👩‍👩‍👧", "", ""},
		{"exactly the limit", strings.Repeat("é", MaxIdeaLen), strings.Repeat("é", MaxIdeaLen), "", ""},
		{"over the limit", strings.Repeat("é", MaxIdeaLen+1), "", EINVALID, "error.idea_length"},
		{"empty", "", "", EINVALID, "error.idea_length"},
		{"blank", " \n\t ", "", EINVALID, "error.idea_length"},
		{"invisible only", "\u200b\u200b", "", EINVALID, "error.idea_length"},
		{"control character", "bancs\x00", "", EINVALID, "error.text_invalid"},
		{"escape sequence", "\x1b[2Jbancs", "", EINVALID, "error.text_invalid"},
		{"bidi override", "bancs \u202eelbuod", "", EINVALID, "error.text_invalid"},
		{"invalid UTF-8", "bancs \xff", "", EINVALID, "error.text_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateIdea(tt.in)
			wantError(t, err, tt.code, tt.key)
			if got != tt.want {
				t.Errorf("ValidateIdea(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeNickname_Text(t *testing.T) {
	tests := []struct {
		name, in, want string
		code, key      string
	}{
		{"plain", "Camille", "Camille", "", ""},
		{"trimmed and collapsed", "  Jean \n Pierre ", "Jean Pierre", "", ""},
		{"empty allowed", "", "", "", ""},
		{"blank becomes empty", "   ", "", "", ""},
		{"accents and emoji", "Zoé 🦊", "Zoé 🦊", "", ""},
		{"exactly the limit", strings.Repeat("ß", MaxNicknameLen), strings.Repeat("ß", MaxNicknameLen), "", ""},
		{"over the limit", strings.Repeat("a", MaxNicknameLen+1), "", EINVALID, "error.nickname_length"},
		{"control character", "Cam\x07ille", "", EINVALID, "error.text_invalid"},
		{"bidi isolate", "\u2067Camille", "", EINVALID, "error.text_invalid"},
		{"invalid UTF-8", "\xc3", "", EINVALID, "error.text_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeNickname(tt.in)
			wantError(t, err, tt.code, tt.key)
			if got != tt.want {
				t.Errorf("NormalizeNickname(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNextActivity_RunOfShow(t *testing.T) {
	run := []*Activity{{ID: 10}, {ID: 11}, {ID: 12}}
	tests := []struct {
		name       string
		run        []*Activity
		current    *int64
		next, prev *Activity
	}{
		{"no current: start at the top", run, nil, run[0], nil},
		{"first", run, ptr[int64](10), run[1], nil},
		{"middle", run, ptr[int64](11), run[2], run[0]},
		{"last", run, ptr[int64](12), nil, run[1]},
		{"current deleted: start at the top", run, ptr[int64](99), run[0], nil},
		{"empty run of show", nil, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextActivity(tt.run, tt.current); got != tt.next {
				t.Errorf("NextActivity = %v, want %v", got, tt.next)
			}
			if got := PreviousActivity(tt.run, tt.current); got != tt.prev {
				t.Errorf("PreviousActivity = %v, want %v", got, tt.prev)
			}
		})
	}
}

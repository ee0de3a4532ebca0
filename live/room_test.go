package live_test

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/store"
)

func TestEngine_Join(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop(agora.KindPoll)
		typed := strings.ToLower(w.JoinCode[:3] + "-" + w.JoinCode[3:])
		gotW, p, err := h.eng.Join(h.ctx, " "+typed+" ", "device-1", "  <b>Zoé</b>  ")
		h.must(err)
		if gotW.ID != w.ID || p.WorkshopID != w.ID || p.TokenHash != agora.HashToken("device-1") ||
			p.Nickname != "<b>Zoé</b>" || p.PublicID == "" {
			t.Errorf("join = %+v %+v", gotW, p)
		}
		if ev := h.rec.take(live.ScreenTopic(w.ID), live.EventPresence); len(ev) != 1 ||
			ev[0].Data.(live.PresenceEvent).Participants != 1 {
			t.Errorf("presence events = %+v", ev)
		}
		_, again, err := h.eng.Join(h.ctx, w.JoinCode, "device-1", "")
		h.must(err)
		if again.ID != p.ID || again.Nickname != "<b>Zoé</b>" {
			t.Errorf("rejoin = %+v, want participant %d keeping its nickname", again, p.ID)
		}
		_, renamed, err := h.eng.Join(h.ctx, w.JoinCode, "device-1", "Zed")
		h.must(err)
		if renamed.ID != p.ID || renamed.Nickname != "Zed" {
			t.Errorf("rename = %+v", renamed)
		}
		if n, _ := h.st.CountParticipants(h.ctx, w.ID); n != 1 {
			t.Errorf("%d participants, want 1", n)
		}
		for _, tc := range []struct {
			name, code, token, nick string
			errCode, key            string
		}{
			{"unknown code", "ZZZZZZ", "d", "", agora.ENOTFOUND, "error.workshop_not_found"},
			{"malformed code", "12", "d", "", agora.ENOTFOUND, "error.workshop_not_found"},
			{"no token", w.JoinCode, "", "", agora.EINVALID, "error.device_token_invalid"},
			{"control in nickname", w.JoinCode, "d", "a\x00b", agora.EINVALID, "error.text_invalid"},
			{"long nickname", w.JoinCode, "d", strings.Repeat("é", 41), agora.EINVALID, "error.nickname_length"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := h.eng.Join(h.ctx, tc.code, tc.token, tc.nick)
				wantErr(t, err, tc.errCode, tc.key)
			})
		}
	})
}

func TestEngine_Vote_Errors(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindWordCloud, agora.KindScale, agora.KindIdeas, agora.KindPoll)
		poll, cloud, scale, ideas, pending := as[0], as[1], as[2], as[3], as[4]
		multi := h.activity(w, agora.KindPoll, agora.ActivitySettings{MaxChoices: 2})
		closed := h.activity(w, agora.KindPoll, agora.ActivitySettings{})
		h.must(h.eng.OpenActivity(h.ctx, h.facilitator, closed.ID))
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, closed.ID))
		p := h.join(w)
		other, _ := h.workshop(agora.KindPoll)
		stranger := h.join(other)
		for _, tc := range []struct {
			name      string
			p         *agora.Participant
			id        int64
			in        live.VoteInput
			code, key string
		}{
			{"not joined", nil, poll.ID, live.VoteInput{Choices: []int{1}}, agora.EUNAUTHORIZED, "error.join_required"},
			{"unknown activity", p, 9999, live.VoteInput{Choices: []int{1}}, agora.ENOTFOUND, "error.activity_not_found"},
			{"other workshop", stranger, poll.ID, live.VoteInput{Choices: []int{1}}, agora.ENOTFOUND, "error.activity_not_found"},
			{"pending", p, pending.ID, live.VoteInput{Choices: []int{1}}, agora.ECONFLICT, "error.activity_not_open"},
			{"closed", p, closed.ID, live.VoteInput{Choices: []int{1}}, agora.ECONFLICT, "error.activity_closed"},
			{"ideas", p, ideas.ID, live.VoteInput{Choices: []int{1}}, agora.EINVALID, "error.not_votable"},
			{"no choice", p, poll.ID, live.VoteInput{}, agora.EINVALID, "error.choose_one"},
			{"unknown option", p, poll.ID, live.VoteInput{Choices: []int{7}}, agora.EINVALID, "error.unknown_option"},
			{"twice the same", p, multi.ID, live.VoteInput{Choices: []int{1, 1}}, agora.EINVALID, "error.unknown_option"},
			{"too many choices", p, poll.ID, live.VoteInput{Choices: []int{1, 2}}, agora.EINVALID, "error.too_many_choices"},
			{"no word", p, cloud.ID, live.VoteInput{Words: []string{" ", ""}}, agora.EINVALID, "error.word_required"},
			{"too many words", p, cloud.ID, live.VoteInput{Words: []string{"a", "b", "c", "d"}}, agora.EINVALID, "error.too_many_words"},
			{"long word", p, cloud.ID, live.VoteInput{Words: []string{strings.Repeat("x", 41)}}, agora.EINVALID, "error.word_length"},
			{"no value", p, scale.ID, live.VoteInput{}, agora.EINVALID, "error.scale_value"},
			{"value out of range", p, scale.ID, live.VoteInput{Value: intp(6)}, agora.EINVALID, "error.scale_value"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, a := range []*agora.Activity{poll, cloud, scale, multi, ideas} {
					if a.ID == tc.id { // one activity is open at a time
						open(t, h, a)
					}
				}
				_, err := h.eng.Vote(h.ctx, tc.p, tc.id, tc.in)
				wantErr(t, err, tc.code, tc.key)
			})
		}
		for _, a := range as {
			if n, _ := h.st.CountVotes(h.ctx, a.ID); n != 0 {
				t.Errorf("activity %d has %d votes after refused votes", a.ID, n)
			}
		}
		// Kinds other than the activity's are ignored, not stored.
		open(t, h, cloud)
		v, err := h.eng.Vote(h.ctx, p, cloud.ID, live.VoteInput{Words: []string{" Vélo ", "", "bus"}, Value: intp(3), Choices: []int{1}})
		h.must(err)
		if !cmp.Equal(v.Words, []string{"Vélo", "bus"}) || v.Value != nil || v.Choices != nil || v.ID == 0 {
			t.Errorf("stored vote = %+v", v)
		}
	})
}

// open opens an activity, which becomes the workshop's current one.
func open(t *testing.T, h *harness, a *agora.Activity) {
	t.Helper()
	h.must(h.eng.OpenActivity(h.ctx, h.facilitator, a.ID))
}

func TestEngine_Vote_Replace(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll)
		poll := as[0]
		open(t, h, poll)
		p, q := h.join(w), h.join(w)
		for _, c := range []int{1, 2, 2, 3} { // a change, a retry, a change
			_, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: []int{c}})
			h.must(err)
		}
		_, err := h.eng.Vote(h.ctx, q, poll.ID, live.VoteInput{Choices: []int{3}})
		h.must(err)
		if n, _ := h.st.CountVotes(h.ctx, poll.ID); n != 2 {
			t.Errorf("store has %d votes, want 2", n)
		}
		got := h.state(w, live.Facilitators, nil).Tally
		if got.Voters != 2 || got.Options[0].Count != 0 || got.Options[1].Count != 0 || got.Options[2].Count != 2 {
			t.Errorf("tally = %+v", got.Options)
		}
		if diff := cmp.Diff(h.storeTally(poll.ID), *got); diff != "" {
			t.Errorf("live tally differs from the store's (-store +live):\n%s", diff)
		}
		me := h.state(w, live.Participants, p).Me
		if me == nil || me.Vote == nil || !cmp.Equal(me.Vote.Choices, []int{3}) {
			t.Errorf("me = %+v", me)
		}
	})
}

// TestEngine_Vote_Concurrent has 50 phones vote and change their votes at
// once; the live tally must equal the store's.
func TestEngine_Vote_Concurrent(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		poll := h.activity(w, agora.KindPoll, agora.ActivitySettings{MaxChoices: 2})
		open(t, h, poll)
		ps := make([]*agora.Participant, 50)
		for i := range ps {
			ps[i] = h.join(w)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(ps)*4)
		for i, p := range ps {
			wg.Go(func() {
				for j := range 3 {
					choices := []int{1 + (i+j)%3}
					if (i+j)%4 == 0 {
						choices = append(choices, 1+(i+j+1)%3)
					}
					if _, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: choices}); err != nil {
						errs <- err
					}
				}
			})
			if i%10 == 0 { // the same phone twice at once
				wg.Go(func() {
					if _, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: []int{2}}); err != nil {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got := h.state(w, live.Facilitators, nil).Tally
		want := h.storeTally(poll.ID)
		if want.Voters != 50 {
			t.Errorf("store tally has %d voters, want 50", want.Voters)
		}
		if diff := cmp.Diff(want, *got); diff != "" {
			t.Errorf("live tally differs from the store's (-store +live):\n%s", diff)
		}
		// The last tally published to the facilitators is the final one.
		h.clock.Advance(live.DefaultTallyInterval)
		ev := h.rec.take(live.FacilitatorsTopic(w.ID), live.EventTally)
		if len(ev) == 0 {
			t.Fatal("no tally published")
		}
		if diff := cmp.Diff(want, ev[len(ev)-1].Data.(agora.Tally)); diff != "" {
			t.Errorf("last published tally differs from the store's:\n%s", diff)
		}
	})
}

func TestEngine_Tally_Coalesced(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindScale)
		open(t, h, as[0])
		h.rec.clear()
		for i := range 20 {
			_, err := h.eng.Vote(h.ctx, h.join(w), as[0].ID, live.VoteInput{Value: intp(1 + i%5)})
			h.must(err)
		}
		if n := len(h.rec.take(live.FacilitatorsTopic(w.ID), live.EventTally)); n != 0 {
			t.Errorf("%d tallies before the interval, want 0", n)
		}
		h.clock.Advance(live.DefaultTallyInterval)
		for _, topic := range []string{live.FacilitatorsTopic(w.ID), live.ParticipantsTopic(w.ID), live.ScreenTopic(w.ID)} {
			ev := h.rec.take(topic, live.EventTally)
			if len(ev) != 1 || ev[0].Data.(agora.Tally).Voters != 20 || ev[0].Key != fmt.Sprintf("tally:%d", as[0].ID) {
				t.Errorf("%s: tallies = %+v, want one with 20 voters", topic, ev)
			}
		}
		h.rec.clear()
		h.clock.Advance(10 * live.DefaultTallyInterval)
		if n := len(h.rec.take(live.FacilitatorsTopic(w.ID), live.EventTally)); n != 0 {
			t.Errorf("%d tallies without a vote, want 0", n)
		}
		if n := h.clock.pending(); n != 0 {
			t.Errorf("%d timers left armed while idle", n)
		}
	})
}

func TestEngine_HiddenResults(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		poll := h.activity(w, agora.KindPoll, agora.ActivitySettings{HideResults: true})
		open(t, h, poll)
		p := h.join(w)
		_, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: []int{2}})
		h.must(err)
		h.clock.Advance(live.DefaultTallyInterval)
		if got := h.rec.topics(live.EventTally); !cmp.Equal(got, []string{live.FacilitatorsTopic(w.ID)}) {
			t.Errorf("tallies went to %v, want the facilitators only", got)
		}
		// The room still sees answers coming in: a count, nothing else.
		for _, topic := range []string{live.ParticipantsTopic(w.ID), live.ScreenTopic(w.ID)} {
			ev := h.rec.take(topic, live.EventAnswers)
			want := live.AnswersEvent{ActivityID: poll.ID, Answers: 1}
			if len(ev) != 1 || ev[0].Data != want {
				t.Errorf("%s: answers events = %+v, want one %+v", topic, ev, want)
			}
		}
		for _, aud := range []live.Audience{live.Participants, live.Screen} {
			if s := h.state(w, aud, nil); s.Tally != nil || s.Current.ResultsVisible {
				t.Errorf("%s sees hidden results: %+v", aud, s.Tally)
			}
		}
		if s := h.state(w, live.Facilitators, nil); s.Tally == nil || s.Tally.Voters != 1 {
			t.Errorf("facilitators' tally = %+v", s.Tally)
		}
		h.rec.clear()
		h.must(h.eng.RevealResults(h.ctx, h.facilitator, poll.ID))
		ev := h.rec.take(live.ParticipantsTopic(w.ID), live.EventState)
		if len(ev) != 1 || ev[0].Data.(*live.RoomState).Tally == nil || ev[0].Data.(*live.RoomState).Tally.Voters != 1 {
			t.Fatalf("participants' state after reveal = %+v", ev)
		}
		if s := h.state(w, live.Screen, nil); s.Tally == nil || s.Tally.Options[1].Count != 1 {
			t.Errorf("screen after reveal: %+v", s.Tally)
		}
		h.rec.clear()
		_, err = h.eng.Vote(h.ctx, h.join(w), poll.ID, live.VoteInput{Choices: []int{1}})
		h.must(err)
		h.clock.Advance(live.DefaultTallyInterval)
		if got := h.rec.topics(live.EventTally); len(got) != 3 {
			t.Errorf("tallies after reveal went to %v, want every audience", got)
		}
		h.must(h.eng.HideResults(h.ctx, h.facilitator, poll.ID))
		if s := h.state(w, live.Participants, p); s.Tally != nil {
			t.Error("participants see results hidden again")
		}
	})
}

func TestEngine_State_Views(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindScale)
		p := h.join(w)
		s := h.state(w, live.Participants, p)
		if s.Current != nil || s.Tally != nil || s.Workshop.JoinCode != w.JoinCode || s.Participants != 1 {
			t.Errorf("lobby state = %+v", s)
		}
		open(t, h, as[1])
		for _, aud := range []live.Audience{live.Participants, live.Screen} {
			s := h.state(w, aud, nil)
			if s.Workshop.ScreenToken != "" || len(s.Activities) != 0 {
				t.Errorf("%s sees the screen token or the run of show: %+v", aud, s)
			}
			if s.Current == nil || s.Current.ID != as[1].ID {
				t.Errorf("%s current = %+v", aud, s.Current)
			}
		}
		f := h.state(w, live.Facilitators, nil)
		if f.Workshop.ScreenToken != w.ScreenToken || len(f.Activities) != 2 || f.Activities[1].State != agora.ActivityOpen {
			t.Errorf("facilitators' state = %+v", f)
		}
		other, _ := h.workshop()
		_, err := h.eng.State(h.ctx, other, live.Participants, p)
		wantErr(t, err, agora.ENOTFOUND, "error.workshop_not_found")
		_, err = h.eng.State(h.ctx, w, live.Audience("root"), nil)
		wantErr(t, err, agora.EINVALID, "error.audience_invalid")
	})
}

// A vote checked on a copy of the activity read before another node closed
// it, or removed the chosen option, is refused when it commits, one vote at
// a time or in a group commit's batch; a vote on a current copy is stored.
func TestEngine_VoteOn_StaleCopyCheckedAtCommit(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		for _, mode := range []string{"one by one", "group commit"} {
			t.Run(mode, func(t *testing.T) {
				e := h.eng
				if mode == "group commit" {
					g := store.NewGroupCommit(h.st, 2*time.Millisecond, 16)
					t.Cleanup(g.Stop)
					e = live.New(g, h.rec, live.Options{Clock: h.clock, Logger: slog.New(slog.DiscardHandler)})
					t.Cleanup(e.Close)
				}
				w, as := h.workshop(agora.KindPoll, agora.KindPoll)
				closing, edited := as[0], as[1]
				p, q := h.join(w), h.join(w)

				open(t, h, closing)
				copyA, copyW := h.activityNow(closing.ID), h.workshopNow(w.ID)
				h.must(h.eng.CloseActivity(h.ctx, h.facilitator, closing.ID)) // "another node"
				if err := e.CheckVote(p, copyA, copyW, live.VoteInput{Choices: []int{1}}); err != nil {
					t.Fatalf("the stale copy refuses the vote already (%v): the test checks nothing", err)
				}
				_, err := e.VoteOn(h.ctx, p, copyA, copyW, live.VoteInput{Choices: []int{1}})
				wantErr(t, err, agora.ECONFLICT, "error.activity_closed")

				open(t, h, edited)
				copyA, copyW = h.activityNow(edited.ID), h.workshopNow(w.ID)
				last := copyA.Options[len(copyA.Options)-1].ID
				edit := *copyA
				edit.Options = copyA.Options[:len(copyA.Options)-1]
				h.must(h.eng.UpdateActivity(h.ctx, h.facilitator, &edit))
				_, err = e.VoteOn(h.ctx, p, copyA, copyW, live.VoteInput{Choices: []int{last}})
				wantErr(t, err, agora.EINVALID, "error.unknown_option")
				if _, err := e.VoteOn(h.ctx, q, copyA, copyW, live.VoteInput{Choices: []int{1}}); err != nil {
					t.Fatalf("vote for a kept option: %v", err)
				}

				for id, want := range map[int64]int{closing.ID: 0, edited.ID: 1} {
					if n, _ := h.st.CountVotes(h.ctx, id); n != want {
						t.Errorf("activity %d: %d votes stored, want %d", id, n, want)
					}
				}
			})
		}
	})
}

// The check at commit applies the rules at the moment each vote was cast:
// a vote cast before the countdown ran out, or before the facilitator
// closed the activity, still counts when its batch commits after; one
// cast after does not.
func TestEngine_CheckVotes_AsCast(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		timed := h.activity(w, agora.KindPoll, agora.ActivitySettings{TimerSeconds: 10})
		byHand := h.activity(w, agora.KindPoll, agora.ActivitySettings{})
		p := h.join(w)
		castNow := func(a *agora.Activity) *agora.Vote {
			return &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom,
				Choices: []int{1}, CastAt: h.clock.Now().UTC().Truncate(time.Microsecond)}
		}
		check := func(v *agora.Vote) error { return h.eng.CheckVotes(h.ctx, []*agora.Vote{v})[0] }

		open(t, h, timed)
		h.clock.Advance(9 * time.Second)
		before := castNow(timed)
		h.clock.Advance(2 * time.Second) // the countdown closes it
		if a := h.activityNow(timed.ID); a.State != agora.ActivityClosed {
			t.Fatalf("after its countdown the activity is %s", a.State)
		}
		if err := check(before); err != nil {
			t.Errorf("vote cast 1 s before the countdown ran out: %v", err)
		}
		wantErr(t, check(castNow(timed)), agora.ECONFLICT, "error.activity_closed")

		open(t, h, byHand)
		before = castNow(byHand)
		h.clock.Advance(time.Second)
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, byHand.ID))
		if err := check(before); err != nil {
			t.Errorf("vote cast 1 s before the close: %v", err)
		}
		wantErr(t, check(castNow(byHand)), agora.ECONFLICT, "error.activity_closed")
		unknown := castNow(byHand)
		unknown.Choices = []int{99}
		unknown.CastAt = before.CastAt
		wantErr(t, check(unknown), agora.EINVALID, "error.unknown_option")
	})
}

// A command's new states go to the projector and the facilitators before
// the participants, whose crowd of sockets would otherwise delay them.
func TestEngine_StateCrowdLast(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll)
		h.rec.clear()
		open(t, h, as[0])
		h.must(h.eng.RevealResults(h.ctx, h.facilitator, as[0].ID))
		var got []string
		for _, ev := range h.rec.events {
			if ev.Type == live.EventState {
				got = append(got, ev.Topic)
			}
		}
		crowd, screen, staff := live.Topic(w.ID, live.Participants), live.Topic(w.ID, live.Screen), live.Topic(w.ID, live.Facilitators)
		want := []string{screen, staff, crowd, screen, staff, crowd}
		if !slices.Equal(got, want) {
			t.Fatalf("states published to %v, want %v", got, want)
		}
	})
}

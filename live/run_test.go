package live_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

func TestEngine_NextPrevious(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindScale)
		wantErr(t, h.eng.Previous(h.ctx, h.facilitator, w.ID), agora.ECONFLICT, "error.no_previous_activity")
		h.must(h.eng.Next(h.ctx, h.facilitator, w.ID))
		ws := h.workshopNow(w.ID)
		if ws.State != agora.WorkshopLive || *ws.CurrentActivityID != as[0].ID || h.activityNow(as[0].ID).State != agora.ActivityOpen {
			t.Fatalf("after next: %+v", ws)
		}
		h.rec.clear()
		h.must(h.eng.Next(h.ctx, h.facilitator, w.ID))
		if got := h.activityNow(as[0].ID).State; got != agora.ActivityClosed {
			t.Errorf("first activity %s, want closed", got)
		}
		if got := h.activityNow(as[1].ID).State; got != agora.ActivityOpen {
			t.Errorf("second activity %s, want open", got)
		}
		for _, aud := range []live.Audience{live.Participants, live.Screen, live.Facilitators} {
			ev := h.rec.take(live.Topic(w.ID, aud), live.EventState)
			if len(ev) != 1 || ev[0].Data.(*live.RoomState).Current.ID != as[1].ID {
				t.Errorf("%s: state events = %+v", aud, ev)
			}
		}
		wantErr(t, h.eng.Next(h.ctx, h.facilitator, w.ID), agora.ECONFLICT, "error.no_next_activity")
		h.must(h.eng.Previous(h.ctx, h.facilitator, w.ID))
		if got := h.activityNow(as[0].ID).State; got != agora.ActivityClosed {
			t.Errorf("previous reopened a closed activity: %s", got)
		}
		if got := *h.workshopNow(w.ID).CurrentActivityID; got != as[0].ID {
			t.Errorf("current = %d, want %d", got, as[0].ID)
		}
		if got := h.activityNow(as[1].ID).State; got != agora.ActivityClosed {
			t.Errorf("second activity %s after previous, want closed", got)
		}
		// Double taps change nothing and are not audited twice.
		h.must(h.eng.OpenActivity(h.ctx, h.facilitator, as[0].ID))
		h.must(h.eng.OpenActivity(h.ctx, h.facilitator, as[0].ID))
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, as[0].ID))
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, as[0].ID))
		if n := len(h.audit("activity.open", as[0].ID)); n != 2 {
			t.Errorf("%d activity.open entries, want 2", n)
		}
		wantErr(t, h.eng.Next(h.ctx, h.facilitator, 9999), agora.ENOTFOUND, "error.workshop_not_found")
		wantErr(t, h.eng.RevealResults(h.ctx, h.facilitator, 9999), agora.ENOTFOUND, "error.activity_not_found")
	})
}

func TestEngine_Reset(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll)
		poll := as[0]
		open(t, h, poll)
		p := h.join(w)
		for _, q := range []*agora.Participant{p, h.join(w), h.join(w)} {
			_, err := h.eng.Vote(h.ctx, q, poll.ID, live.VoteInput{Choices: []int{2}})
			h.must(err)
		}
		before := h.storeTally(poll.ID)
		h.must(h.eng.ResetActivity(h.ctx, h.facilitator, poll.ID))
		a := h.activityNow(poll.ID)
		if a.State != agora.ActivityPending || a.Round != 1 {
			t.Errorf("after reset: %+v", a)
		}
		if n, _ := h.st.CountVotes(h.ctx, poll.ID); n != 0 {
			t.Errorf("%d votes left", n)
		}
		entries := h.audit("activity.reset", poll.ID)
		if len(entries) != 1 || *entries[0].ActorID != h.facilitator.ID {
			t.Fatalf("audit = %+v", entries)
		}
		var discarded agora.Tally
		h.must(json.Unmarshal([]byte(entries[0].Detail), &discarded))
		if discarded.Voters != 3 || discarded.Round != 0 || discarded.Options[1].Count != 3 {
			t.Errorf("discarded round = %+v", discarded)
		}
		if diff := cmp.Diff(before, discarded); diff != "" {
			t.Errorf("discarded tally differs from the round's:\n%s", diff)
		}
		// The rerun starts from zero, live and stored.
		open(t, h, poll)
		_, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: []int{1}})
		h.must(err)
		got := h.state(w, live.Facilitators, nil).Tally
		if got.Voters != 1 || got.Round != 1 || got.Options[0].Count != 1 {
			t.Errorf("tally of the rerun = %+v", got)
		}
		if diff := cmp.Diff(h.storeTally(poll.ID), *got); diff != "" {
			t.Errorf("live tally differs from the store's:\n%s", diff)
		}
	})
}

func TestEngine_End(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindPoll)
		timed := h.activity(w, agora.KindPoll, agora.ActivitySettings{TimerSeconds: 60})
		p := h.join(w)
		open(t, h, timed)
		h.must(h.eng.EndWorkshop(h.ctx, h.facilitator, w.ID))
		if got := h.workshopNow(w.ID).State; got != agora.WorkshopEnded {
			t.Errorf("workshop %s, want ended", got)
		}
		if got := h.activityNow(timed.ID).State; got != agora.ActivityClosed {
			t.Errorf("open activity %s after end, want closed", got)
		}
		if n := len(h.audit("workshop.end", w.ID)); n != 1 {
			t.Errorf("%d workshop.end entries", n)
		}
		h.must(h.eng.EndWorkshop(h.ctx, h.facilitator, w.ID)) // twice: nothing
		_, _, err := h.eng.Join(h.ctx, w.JoinCode, "new-device", "")
		wantErr(t, err, agora.ECONFLICT, "error.workshop_ended")
		_, err = h.eng.Vote(h.ctx, p, timed.ID, live.VoteInput{Choices: []int{1}})
		wantErr(t, err, agora.ECONFLICT, "error.workshop_ended")
		wantErr(t, h.eng.OpenActivity(h.ctx, h.facilitator, as[0].ID), agora.ECONFLICT, "error.workshop_ended")
		wantErr(t, h.eng.Next(h.ctx, h.facilitator, w.ID), agora.ECONFLICT, "error.workshop_ended")
		wantErr(t, h.eng.StartWorkshop(h.ctx, h.facilitator, w.ID), agora.ECONFLICT, "error.workshop_ended")
		wantErr(t, h.eng.AddActivity(h.ctx, h.facilitator, &agora.Activity{WorkshopID: w.ID, Kind: agora.KindScale, Prompt: "?"}),
			agora.ECONFLICT, "error.workshop_ended")
		h.clock.Advance(2 * time.Minute) // the disarmed countdown does nothing
		if n := len(h.audit("activity.close", timed.ID)); n != 1 {
			t.Errorf("%d activity.close entries, want 1", n)
		}
	})
}

func TestEngine_Start(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll)
		p := h.join(w) // the lobby admits participants before the start
		_, err := h.eng.Vote(h.ctx, p, as[0].ID, live.VoteInput{Choices: []int{1}})
		wantErr(t, err, agora.ECONFLICT, "error.workshop_not_live")
		h.must(h.eng.StartWorkshop(h.ctx, h.facilitator, w.ID))
		h.must(h.eng.StartWorkshop(h.ctx, h.facilitator, w.ID))
		if got := h.workshopNow(w.ID).State; got != agora.WorkshopLive {
			t.Errorf("state %s, want live", got)
		}
		if n := len(h.audit("workshop.start", w.ID)); n != 1 {
			t.Errorf("%d workshop.start entries, want 1", n)
		}
	})
}

func TestEngine_Timer(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		timed := h.activity(w, agora.KindPoll, agora.ActivitySettings{TimerSeconds: 30})
		p := h.join(w)
		open(t, h, timed)
		a := h.activityNow(timed.ID)
		if a.ClosesAt == nil || !a.ClosesAt.Equal(h.clock.Now().Add(30*time.Second)) {
			t.Fatalf("closes at %v, want in 30 s", a.ClosesAt)
		}
		h.clock.Advance(29 * time.Second)
		_, err := h.eng.Vote(h.ctx, p, timed.ID, live.VoteInput{Choices: []int{1}})
		h.must(err)
		h.rec.clear()
		h.clock.Advance(time.Second)
		a = h.activityNow(timed.ID)
		if a.State != agora.ActivityClosed || a.ClosedAt == nil || !a.ClosedAt.Equal(h.clock.Now()) {
			t.Errorf("after the countdown: %+v", a)
		}
		entries := h.audit("activity.close", timed.ID)
		if len(entries) != 1 || entries[0].ActorID != nil {
			t.Errorf("close audit = %+v, want one by the system", entries)
		}
		if ev := h.rec.take(live.ParticipantsTopic(w.ID), live.EventState); len(ev) != 1 ||
			ev[0].Data.(*live.RoomState).Current.State != agora.ActivityClosed {
			t.Errorf("participants' state events = %+v", ev)
		}
		_, err = h.eng.Vote(h.ctx, p, timed.ID, live.VoteInput{Choices: []int{2}})
		wantErr(t, err, agora.ECONFLICT, "error.activity_closed")

		// Reopened: a fresh countdown; the old one is gone.
		open(t, h, timed)
		h.clock.Advance(20 * time.Second)
		if got := h.activityNow(timed.ID).State; got != agora.ActivityOpen {
			t.Errorf("reopened activity %s after 20 s, want open", got)
		}
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, timed.ID))
		h.clock.Advance(time.Minute)
		if n := len(h.audit("activity.close", timed.ID)); n != 2 {
			t.Errorf("%d close entries, want 2 (the timer's and the facilitator's)", n)
		}
	})
}

// TestEngine_Resume stops an engine with countdowns running and starts a
// new one on the same store, as after a restart.
func TestEngine_Resume(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w1, _ := h.workshop()
		short := h.activity(w1, agora.KindPoll, agora.ActivitySettings{TimerSeconds: 10})
		w2, _ := h.workshop()
		long := h.activity(w2, agora.KindScale, agora.ActivitySettings{TimerSeconds: 120})
		open(t, h, short)
		open(t, h, long)
		h.eng.Close()
		h.clock.Advance(time.Minute) // the process is down: nothing fires
		if got := h.activityNow(short.ID).State; got != agora.ActivityOpen {
			t.Fatalf("a closed engine closed activity %d", short.ID)
		}
		h.eng = h.newEngine()
		h.must(h.eng.Resume(h.ctx))
		if got := h.activityNow(short.ID).State; got != agora.ActivityClosed {
			t.Errorf("expired activity %s after resume, want closed", got)
		}
		if got := h.activityNow(long.ID).State; got != agora.ActivityOpen {
			t.Errorf("running activity %s after resume, want open", got)
		}
		h.clock.Advance(time.Minute)
		if got := h.activityNow(long.ID).State; got != agora.ActivityClosed {
			t.Errorf("resumed countdown did not close the activity: %s", got)
		}
	})
}

// TestEngine_Remote runs two engines on one store, as two nodes: a vote on
// one reaches the other's tally through ApplyRemoteVote, or Reload.
func TestEngine_Remote(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindIdeas)
		poll := as[0]
		open(t, h, poll)
		node2 := h.newEngine()
		tallyOn := func(e *live.Engine) agora.Tally {
			s, err := e.State(h.ctx, h.workshopNow(w.ID), live.Facilitators, nil)
			h.must(err)
			return *s.Tally
		}
		tallyOn(node2) // loaded before the votes
		p, q := h.join(w), h.join(w)
		var votes []*agora.Vote
		for _, c := range []struct {
			p      *agora.Participant
			choice int
		}{{p, 1}, {q, 1}, {p, 2}} {
			v, err := h.eng.Vote(h.ctx, c.p, poll.ID, live.VoteInput{Choices: []int{c.choice}})
			h.must(err)
			votes = append(votes, v)
		}
		if got := tallyOn(node2); got.Voters != 0 {
			t.Fatalf("node 2 saw votes without being told: %+v", got)
		}
		// Out of order and repeated: the older vote of p is ignored.
		for _, i := range []int{2, 0, 1, 2, 0} {
			node2.ApplyRemoteVote(votes[i])
		}
		want := h.storeTally(poll.ID)
		if diff := cmp.Diff(want, tallyOn(node2)); diff != "" {
			t.Errorf("node 2 after remote votes (-store +node2):\n%s", diff)
		}
		node3 := h.newEngine()
		tallyOn(node3)
		_, err := h.eng.Vote(h.ctx, q, poll.ID, live.VoteInput{Choices: []int{3}})
		h.must(err)
		h.must(node3.Reload(h.ctx, poll.ID))
		if diff := cmp.Diff(h.storeTally(poll.ID), tallyOn(node3)); diff != "" {
			t.Errorf("node 3 after reload (-store +node3):\n%s", diff)
		}
		// Ideas and supports.
		open(t, h, as[1])
		tallyOn(node2)
		idea, err := h.eng.SubmitIdea(h.ctx, p, as[1].ID, "une idée", "")
		h.must(err)
		h.must(h.eng.Support(h.ctx, q, idea.ID))
		node2.ApplyRemoteIdea(idea)
		node2.ApplyRemoteSupport(as[1].ID, &agora.Support{ProposalID: idea.ID, Channel: agora.ChannelRoom}, true)
		if got := tallyOn(node2); len(got.Ideas) != 1 || got.Ideas[0].Supports != 1 {
			t.Errorf("node 2 ideas = %+v", got.Ideas)
		}
	})
}

// countingStore counts the participant counts read through it.
type countingStore struct {
	agora.Store
	counts atomic.Int32
}

func (s *countingStore) CountParticipants(ctx context.Context, workshopID int64) (int, error) {
	s.counts.Add(1)
	return s.Store.CountParticipants(ctx, workshopID)
}

// A command publishes the state of three audiences with one count of the
// participants: at 10,000 of them each count takes milliseconds, before
// the room sees the command.
func TestEngine_PublishCountsParticipantsOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		st := &countingStore{Store: h.st}
		eng := h.engineOn(st)
		w, as := h.workshop(agora.KindPoll)
		for range 3 {
			h.join(w)
		}
		h.must(eng.Next(h.ctx, h.facilitator, w.ID))
		h.rec.clear()
		st.counts.Store(0)
		h.must(eng.RevealResults(h.ctx, h.facilitator, as[0].ID))
		if n := st.counts.Load(); n != 1 {
			t.Errorf("%d participant counts for one command, want 1", n)
		}
		for _, aud := range []live.Audience{live.Participants, live.Screen, live.Facilitators} {
			ev := h.rec.take(live.Topic(w.ID, aud), live.EventState)
			if len(ev) != 1 || ev[0].Data.(*live.RoomState).Participants != 3 {
				t.Errorf("%s: state events = %+v, want one with 3 participants", aud, ev)
			}
		}
	})
}

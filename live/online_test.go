package live_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/store"
)

// What citizens do online on an activity still in a room (a vote on a poll
// reopened online, a support of an idea) is counted in its live tally,
// which HeldTally returns as the store counts it, and the engine's
// listener hears of each change.
func TestEngine_OnlineChangesCountLive(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		var mu sync.Mutex
		var heard []int64
		h.eng.OnResultsChange(func(id int64) { mu.Lock(); heard = append(heard, id); mu.Unlock() })
		heardOf := func(id int64) bool { mu.Lock(); defer mu.Unlock(); return slices.Contains(heard, id) }
		w, as := h.workshop(agora.KindPoll, agora.KindIdeas)
		poll, ideas := as[0], as[1]
		open(t, h, poll)
		p := h.join(w)
		_, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: []int{poll.Options[0].ID}})
		h.must(err) // the engine now holds the poll's tally
		if _, ok := h.eng.HeldTally(h.activityNow(ideas.ID)); ok {
			t.Fatal("a tally never loaded is held")
		}

		v := &agora.Vote{ActivityID: poll.ID, UserID: &h.citizen.ID, Channel: agora.ChannelOnline, Choices: []int{poll.Options[1].ID}}
		h.must(h.eng.PutOnlineVote(h.ctx, h.activityNow(poll.ID), v))
		held, ok := h.eng.HeldTally(h.activityNow(poll.ID))
		if want := h.storeTally(poll.ID); !ok || !cmp.Equal(held, want) {
			t.Fatalf("held tally (%v) differs from the store's:\n%s", ok, cmp.Diff(want, held))
		}
		if held.Online == nil || held.Online.Voters != 1 || held.Voters != 2 || !heardOf(poll.ID) {
			t.Fatalf("after an online vote: %+v, listener heard %v", held, heard)
		}
		h.clock.Advance(live.DefaultTallyInterval)
		sent := h.rec.take(live.ScreenTopic(w.ID), live.EventTally)
		if len(sent) == 0 || sent[len(sent)-1].Data.(agora.Tally).Voters != 2 {
			t.Fatalf("the screen's tallies: %+v", sent)
		}

		// A room vote handed in as online, or of another activity: refused,
		// nothing stored.
		room := &agora.Vote{ActivityID: poll.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1}}
		wantErr(t, h.eng.PutOnlineVote(h.ctx, h.activityNow(poll.ID), room), agora.EINVALID, "error.invalid")
		stray := &agora.Vote{ActivityID: ideas.ID, UserID: &h.citizen.ID, Channel: agora.ChannelOnline}
		wantErr(t, h.eng.PutOnlineVote(h.ctx, h.activityNow(poll.ID), stray), agora.EINVALID, "error.invalid")
		if n := h.storeTally(poll.ID).Voters; n != 2 {
			t.Fatalf("%d voters stored after refused votes, want 2", n)
		}

		// An idea of the room supported online.
		open(t, h, ideas)
		idea, err := h.eng.SubmitIdea(h.ctx, p, ideas.ID, "Des arceaux à vélo", "")
		h.must(err)
		h.state(w, live.Facilitators, nil) // loads the ideas' tally
		s := &agora.Support{ProposalID: idea.ID, UserID: &h.citizen.ID, Channel: agora.ChannelOnline}
		added, err := h.st.AddSupport(h.ctx, s)
		h.must(err)
		if !added {
			t.Fatal("support not added")
		}
		h.eng.OnlineSupportChanged(idea, s, true)
		held, ok = h.eng.HeldTally(h.activityNow(ideas.ID))
		if !ok || len(held.Ideas) != 1 || held.Ideas[0].SupportsOnline != 1 || held.Ideas[0].Supports != 1 || !heardOf(ideas.ID) {
			t.Fatalf("after an online support: %+v (%v), listener heard %v", held, ok, heard)
		}

		// An edit the engine has not heard of yet (another node's): the
		// tally held may count by the old options, so it is not used.
		edited := h.activityNow(poll.ID)
		edited.Prompt, edited.UpdatedAt = edited.Prompt+" ?", edited.UpdatedAt.Add(time.Second)
		h.must(h.st.UpdateActivity(h.ctx, edited))
		if _, ok := h.eng.HeldTally(h.activityNow(poll.ID)); ok {
			t.Error("the tally held is used for an activity edited since")
		}

		// A reset starts a round: the tally held is of the old one.
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, poll.ID))
		before := h.activityNow(poll.ID)
		h.must(h.eng.ResetActivity(h.ctx, h.facilitator, poll.ID))
		if _, ok := h.eng.HeldTally(before); ok {
			t.Error("a tally of the round before a reset is still held")
		}
	})
}

// Through the group commit, as the server runs: room and online votes of
// one burst share batches, every one is stored, and the live tally is the
// store's.
func TestEngine_OnlineAndRoomVotesInOneBurst(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		g := store.NewGroupCommit(h.st, 2*time.Millisecond, 64)
		t.Cleanup(g.Stop)
		e := h.engineOn(g)
		w, as := h.workshop(agora.KindPoll)
		poll := as[0]
		open(t, h, poll)
		a := h.activityNow(poll.ID)
		const n = 30
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			p := h.join(w)
			u := h.user(fmt.Sprintf("citizen%d@example.org", i), agora.RoleCitizen)
			choice := poll.Options[i%3].ID
			wg.Go(func() {
				_, err := e.VoteOn(h.ctx, p, a, h.workshopNow(w.ID), live.VoteInput{Choices: []int{choice}})
				errs <- err
			})
			wg.Go(func() {
				errs <- e.PutOnlineVote(h.ctx, a, &agora.Vote{ActivityID: a.ID, UserID: &u.ID, Channel: agora.ChannelOnline, Choices: []int{choice}})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			h.must(err)
		}
		want := h.storeTally(poll.ID)
		if want.Voters != 2*n || want.Room.Voters != n || want.Online.Voters != n {
			t.Fatalf("store: %d voters (%d room, %d online), want %d", want.Voters, want.Room.Voters, want.Online.Voters, 2*n)
		}
		if held, ok := e.HeldTally(a); !ok || !cmp.Equal(held, want) {
			t.Fatalf("held tally (%v) differs from the store's:\n%s", ok, cmp.Diff(want, held))
		}
		st := g.Stats()
		t.Logf("%d votes in %d batches", st.Votes, st.Batches)
	})
}

package live_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
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

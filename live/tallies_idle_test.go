package live_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// A node lets go the tallies nobody used for a while, when it makes a new
// one, keeps those in use, and loads a dropped one again, exact, on its
// next use.
func TestEngine_IdleTalliesAreLetGo(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		type room struct {
			w    *agora.Workshop
			poll *agora.Activity
		}
		// Opening a poll makes its tally: the moment the engine looks for
		// idle ones.
		newRoom := func() room {
			w, as := h.workshop(agora.KindPoll)
			open(t, h, as[0])
			return room{w, as[0]}
		}
		vote := func(r room) {
			t.Helper()
			_, err := h.eng.Vote(h.ctx, h.join(r.w), r.poll.ID, live.VoteInput{Choices: []int{r.poll.Options[0].ID}})
			h.must(err)
		}
		held := func(r room) bool {
			_, ok := h.eng.HeldTally(h.activityNow(r.poll.ID))
			return ok
		}
		a := newRoom()
		vote(a) // a is used now…
		h.clock.Advance(live.TallyIdle / 2)
		b := newRoom() // …b half an idle time later,
		vote(b)
		h.clock.Advance(live.TallyIdle/2 + live.TallySweepEvery)
		c := newRoom() // and a new tally after a's idle time: a goes, b stays.
		vote(c)
		if held(a) {
			t.Error("a tally idle for longer than TallyIdle is still held")
		}
		if !held(b) || !held(c) {
			t.Errorf("tallies in use were let go: b held %v, c held %v", held(b), held(c))
		}

		// a's next use loads it again, with the votes of both uses.
		vote(a)
		got, ok := h.eng.HeldTally(h.activityNow(a.poll.ID))
		if want := h.storeTally(a.poll.ID); !ok || got.Voters != 2 || !cmp.Equal(got, want) {
			t.Fatalf("a, loaded again (held %v), differs from the store's:\n%s", ok, cmp.Diff(want, got))
		}

		// Reads keep a tally: b, read just before its idle time runs out,
		// stays through the next look.
		h.clock.Advance(live.TallyIdle - time.Second)
		if !held(b) {
			t.Fatal("b let go early")
		}
		h.clock.Advance(2 * time.Second)
		newRoom()
		if !held(b) {
			t.Error("a tally read within TallyIdle was let go")
		}
		if held(c) {
			t.Error("c, idle since its vote, is still held")
		}
	})
}

package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// A burst of concurrent votes commits in a few batches, every vote is
// stored once with the right "replaced", and a bad vote in a batch fails
// alone.
func TestGroupCommit_BurstInBatches(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		ctx := context.Background()
		db := open(t)
		g := store.NewGroupCommit(db, 5*time.Millisecond, 64)
		defer g.Stop()
		a, parts := seedPoll(t, db, 150)

		var wg sync.WaitGroup
		errs := make([]error, len(parts)+1)
		replaced := make([]bool, len(parts)+1)
		for i, p := range parts {
			wg.Go(func() {
				replaced[i], errs[i] = g.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID,
					Channel: agora.ChannelRoom, Choices: []int{1 + i%2}})
			})
		}
		// A vote for an activity that does not exist breaks its batch's
		// transaction; the others of that batch must still be stored.
		wg.Go(func() {
			_, errs[len(parts)] = g.PutVote(ctx, &agora.Vote{ActivityID: a.ID + 1000, ParticipantID: &parts[0].ID,
				Channel: agora.ChannelRoom, Choices: []int{1}})
		})
		wg.Wait()
		for i := range parts {
			if errs[i] != nil || replaced[i] {
				t.Fatalf("vote %d: replaced %v, err %v", i, replaced[i], errs[i])
			}
		}
		if errs[len(parts)] == nil {
			t.Fatal("a vote for an unknown activity was accepted")
		}
		if n, err := db.CountVotes(ctx, a.ID); err != nil || n != len(parts) {
			t.Fatalf("%d votes stored (%v), want %d", n, err, len(parts))
		}
		st := g.Stats()
		if st.Votes != int64(len(parts)+1) || st.Batches >= st.Votes/4 {
			t.Errorf("stats %+v: want %d votes in far fewer batches", st, len(parts)+1)
		}
		t.Logf("%d votes in %d batches", st.Votes, st.Batches)

		// A second vote of the same participant replaces the first.
		rep, err := g.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &parts[1].ID,
			Channel: agora.ChannelRoom, Choices: []int{1}})
		if err != nil || !rep {
			t.Fatalf("second vote: replaced %v, err %v", rep, err)
		}
		v, err := db.VoteByParticipant(ctx, a.ID, parts[1].ID)
		if err != nil || len(v.Choices) != 1 || v.Choices[0] != 1 {
			t.Fatalf("stored vote %+v, %v; want choice 1", v, err)
		}

		// After Stop, votes go straight to the store.
		g.Stop()
		if _, err := g.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &parts[2].ID,
			Channel: agora.ChannelRoom, Choices: []int{2}}); err != nil {
			t.Fatalf("vote after stop: %v", err)
		}
	})
}

// seedPoll creates an open poll with two options and n participants.
func seedPoll(t testing.TB, db *store.DB, n int) (*agora.Activity, []*agora.Participant) {
	t.Helper()
	ctx := context.Background()
	c := &agora.Consultation{Slug: "gc", Title: "Group commit", Status: agora.ConsultationOpen}
	mustDo(t, db.CreateConsultation(ctx, c))
	w := &agora.Workshop{ConsultationID: c.ID, Title: "Salle", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopLive}
	mustDo(t, db.CreateWorkshop(ctx, w))
	a := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindPoll, Prompt: "?", State: agora.ActivityOpen,
		Options: []agora.Option{{ID: 1, Label: "A"}, {ID: 2, Label: "B"}}}
	mustDo(t, db.CreateActivity(ctx, a))
	parts := make([]*agora.Participant, n)
	for i := range parts {
		parts[i] = &agora.Participant{WorkshopID: w.ID, TokenHash: agora.HashToken(agora.NewSecret()), PublicID: agora.NewSecret()}
		mustDo(t, db.CreateParticipant(ctx, parts[i]))
	}
	return a, parts
}

func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The check set with CheckVotesWith runs once per batch, before the batch
// is written: the votes it refuses get its error and are not stored, the
// others of the same batch are. After Stop, each vote is still checked.
func TestGroupCommit_CheckRefusesSome(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		ctx := context.Background()
		db := open(t)
		g := store.NewGroupCommit(db, 5*time.Millisecond, 64)
		defer g.Stop()
		a, parts := seedPoll(t, db, 60)
		refused := agora.Errorf(agora.ECONFLICT, "error.activity_closed")
		var mu sync.Mutex
		var calls, checked int
		g.CheckVotesWith(func(ctx context.Context, vs []*agora.Vote) []error {
			mu.Lock()
			calls, checked = calls+1, checked+len(vs)
			mu.Unlock()
			errs := make([]error, len(vs))
			for i, v := range vs {
				if v.Choices[0] == 2 { // the check's own rule, for the test
					errs[i] = refused
				}
			}
			return errs
		})

		var wg sync.WaitGroup
		errs := make([]error, len(parts))
		for i, p := range parts {
			wg.Go(func() {
				_, errs[i] = g.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID,
					Channel: agora.ChannelRoom, Choices: []int{1 + i%2}})
			})
		}
		wg.Wait()
		for i, p := range parts {
			_, lookupErr := db.VoteByParticipant(ctx, a.ID, p.ID)
			if i%2 == 1 {
				if errs[i] != refused || !agora.IsCode(lookupErr, agora.ENOTFOUND) {
					t.Fatalf("vote %d for option 2: err %v, lookup %v; want refused and not stored", i, errs[i], lookupErr)
				}
			} else if errs[i] != nil || lookupErr != nil {
				t.Fatalf("vote %d for option 1: err %v, lookup %v; want stored", i, errs[i], lookupErr)
			}
		}
		if checked != len(parts) || calls >= len(parts)/4 {
			t.Errorf("check saw %d votes in %d calls; want %d votes in far fewer calls", checked, calls, len(parts))
		}

		g.Stop()
		p := parts[1]
		if _, err := g.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID,
			Channel: agora.ChannelRoom, Choices: []int{2}}); err != refused {
			t.Fatalf("vote after stop: err %v, want the check's refusal", err)
		}
	})
}

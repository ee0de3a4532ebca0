package storetest

import (
	"sync"
	"testing"

	"github.com/agora-civic/agora"
)

// voteSetup returns an activity of a workshop with a participant in it.
func voteSetup(t *testing.T, s agora.Store) (*agora.Activity, *agora.Participant) {
	t.Helper()
	w := mkWorkshop(t, s)
	return mkActivity(t, s, w.ID, "Q?"), mkParticipant(t, s, w.ID)
}

var voteTests = []test{
	{"Vote/ReplaceByParticipant", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, p := voteSetup(t, s)
		v := &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1}}
		replaced, err := s.PutVote(ctx, v)
		must(t, err)
		if replaced || v.ID == 0 || v.CreatedAt.IsZero() || v.UpdatedAt.IsZero() {
			t.Fatalf("first vote: replaced %v, %+v", replaced, v)
		}
		first := *v
		v2 := &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{2}}
		replaced, err = s.PutVote(ctx, v2)
		must(t, err)
		if !replaced || v2.ID != first.ID || !v2.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("second vote: replaced %v, %+v (first %+v)", replaced, v2, first)
		}
		got, err := s.VoteByParticipant(ctx, a.ID, p.ID)
		must(t, err)
		same(t, "stored vote", got, v2)
		if n, _ := s.CountVotes(ctx, a.ID); n != 1 {
			t.Fatalf("CountVotes %d, want 1", n)
		}
	}},
	{"Vote/OnlineByUser", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, _ := voteSetup(t, s)
		u := mkUser(t, s, agora.RoleCitizen)
		v := &agora.Vote{ActivityID: a.ID, UserID: &u.ID, Channel: agora.ChannelOnline, Words: []string{"vélo", "arbres"}}
		_, err := s.PutVote(ctx, v)
		must(t, err)
		v.Words, v.Value = nil, ptr(4)
		replaced, err := s.PutVote(ctx, v)
		must(t, err)
		if !replaced {
			t.Fatal("second online vote not reported as replaced")
		}
		got, err := s.VoteByUser(ctx, a.ID, u.ID)
		must(t, err)
		same(t, "by user", got, v)
		_, err = s.VoteByUser(ctx, a.ID, u.ID+1)
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.VoteByParticipant(ctx, a.ID, 999)
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Vote/NoVoter", func(t *testing.T, s agora.Store) {
		a, _ := voteSetup(t, s)
		_, err := s.PutVote(t.Context(), &agora.Vote{ActivityID: a.ID, Channel: agora.ChannelRoom})
		wantCode(t, err, agora.EINVALID)
	}},
	{"Vote/ListOldestFirst", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, p := voteSetup(t, s)
		q := mkParticipant(t, s, a.WorkshopID)
		var want []*agora.Vote
		for _, who := range []*agora.Participant{p, q} {
			v := &agora.Vote{ActivityID: a.ID, ParticipantID: &who.ID, Channel: agora.ChannelRoom, Choices: []int{1, 2}}
			_, err := s.PutVote(ctx, v)
			must(t, err)
			want = append(want, v)
		}
		got, err := s.ListVotes(ctx, a.ID)
		must(t, err)
		same(t, "votes", got, want)
	}},
	{"Vote/ConcurrentSameParticipant", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, p := voteSetup(t, s)
		var wg sync.WaitGroup
		errs := make([]error, 20)
		inserted := make([]bool, 20)
		for i := range 20 {
			wg.Go(func() {
				v := &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1 + i%2}}
				replaced, err := s.PutVote(ctx, v)
				errs[i], inserted[i] = err, !replaced
			})
		}
		wg.Wait()
		firsts := 0
		for i, err := range errs {
			must(t, err)
			if inserted[i] {
				firsts++
			}
		}
		if n, _ := s.CountVotes(ctx, a.ID); n != 1 || firsts != 1 {
			t.Fatalf("%d rows and %d inserts, want exactly one of each", n, firsts)
		}
	}},
	{"Vote/PutVotesBatch", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, p := voteSetup(t, s)
		q := mkParticipant(t, s, a.WorkshopID)
		u := mkUser(t, s, agora.RoleCitizen)
		vs := []*agora.Vote{
			{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1}},
			{ActivityID: a.ID, ParticipantID: &q.ID, Channel: agora.ChannelRoom, Choices: []int{1}},
			{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{2}},
			{ActivityID: a.ID, UserID: &u.ID, Channel: agora.ChannelOnline, Choices: []int{2}},
		}
		replaced, err := s.PutVotes(ctx, vs)
		must(t, err)
		same(t, "replaced", replaced, []bool{false, false, true, false})
		if n, _ := s.CountVotes(ctx, a.ID); n != 3 {
			t.Fatalf("CountVotes %d, want 3", n)
		}
		got, err := s.VoteByParticipant(ctx, a.ID, p.ID)
		must(t, err)
		same(t, "last write wins", got.Choices, []int{2})
	}},
	{"Vote/PutVotesManyFillsEach", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, first := voteSetup(t, s)
		must(t, firstErr(s.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &first.ID, Channel: agora.ChannelRoom, Choices: []int{1}})))
		vs := []*agora.Vote{{ActivityID: a.ID, ParticipantID: &first.ID, Channel: agora.ChannelRoom, Choices: []int{2}}}
		for i := range 40 { // one statement: each row's ID must reach its own vote
			p := mkParticipant(t, s, a.WorkshopID)
			vs = append(vs, &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1 + i%2}})
		}
		replaced, err := s.PutVotes(ctx, vs)
		must(t, err)
		for i, v := range vs {
			if replaced[i] != (i == 0) {
				t.Fatalf("vote %d: replaced %v", i, replaced[i])
			}
			got, err := s.VoteByParticipant(ctx, a.ID, *v.ParticipantID)
			must(t, err)
			if got.ID != v.ID || !got.CreatedAt.Equal(v.CreatedAt) || v.UpdatedAt.IsZero() || got.Choices[0] != v.Choices[0] {
				t.Fatalf("vote %d: stored %+v, returned %+v", i, got, v)
			}
		}
	}},
	{"Vote/PutVotesAtomicAcrossStatements", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, p := voteSetup(t, s)
		q := mkParticipant(t, s, a.WorkshopID)
		vs := []*agora.Vote{
			{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1}},
			{ActivityID: a.ID, ParticipantID: &q.ID, Channel: agora.ChannelRoom, Choices: []int{1}},
			{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{2}},        // a second statement
			{ActivityID: a.ID + 1000, ParticipantID: &q.ID, Channel: agora.ChannelRoom, Choices: []int{1}}, // no such activity
		}
		if _, err := s.PutVotes(ctx, vs); err == nil {
			t.Fatal("a vote on a missing activity was accepted")
		}
		if n, _ := s.CountVotes(ctx, a.ID); n != 0 {
			t.Fatalf("a failed batch left %d votes", n)
		}
	}},
	{"Vote/PutVotesAtomic", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		a, p := voteSetup(t, s)
		vs := []*agora.Vote{
			{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1}},
			{ActivityID: a.ID, Channel: agora.ChannelRoom}, // no voter: the batch fails
		}
		_, err := s.PutVotes(ctx, vs)
		wantCode(t, err, agora.EINVALID)
		if n, _ := s.CountVotes(ctx, a.ID); n != 0 {
			t.Fatalf("a failed batch left %d votes", n)
		}
	}},
}

// firstErr drops the first result of a call that also returns an error.
func firstErr[T any](_ T, err error) error { return err }

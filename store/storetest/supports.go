package storetest

import (
	"sync"
	"testing"

	"github.com/agora-civic/agora"
)

var supportTests = []test{
	{"Support/AddTwice", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		p := mkProposal(t, s, c, &agora.Proposal{})
		part := mkParticipant(t, s, w.ID)
		u := mkUser(t, s, agora.RoleCitizen)
		room := &agora.Support{ProposalID: p.ID, ParticipantID: &part.ID, Channel: agora.ChannelRoom}
		online := &agora.Support{ProposalID: p.ID, UserID: &u.ID, Channel: agora.ChannelOnline}
		for i, x := range []*agora.Support{room, room, online, online} {
			added, err := s.AddSupport(ctx, x)
			must(t, err)
			if added != (i%2 == 0) {
				t.Fatalf("add #%d: added %v", i, added)
			}
		}
		got, err := s.ProposalByID(ctx, p.ID)
		must(t, err)
		if got.SupportsRoom != 1 || got.SupportsOnline != 1 {
			t.Fatalf("supports room %d online %d, want 1 and 1", got.SupportsRoom, got.SupportsOnline)
		}
	}},
	{"Support/RemoveAndHas", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		p := mkProposal(t, s, c, &agora.Proposal{})
		u := mkUser(t, s, agora.RoleCitizen)
		x := &agora.Support{ProposalID: p.ID, UserID: &u.ID, Channel: agora.ChannelOnline}
		has, err := s.HasSupport(ctx, x)
		must(t, err)
		if has {
			t.Fatal("support before adding it")
		}
		_, err = s.AddSupport(ctx, x)
		must(t, err)
		if has, _ = s.HasSupport(ctx, x); !has {
			t.Fatal("no support after adding it")
		}
		removed, err := s.RemoveSupport(ctx, x)
		must(t, err)
		again, err := s.RemoveSupport(ctx, x)
		must(t, err)
		if !removed || again {
			t.Fatalf("removed %v then %v, want true then false", removed, again)
		}
		if has, _ = s.HasSupport(ctx, x); has {
			t.Fatal("support after removing it")
		}
		_, err = s.AddSupport(ctx, &agora.Support{ProposalID: p.ID, Channel: agora.ChannelOnline})
		wantCode(t, err, agora.EINVALID)
	}},
	{"Support/Concurrent", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		p := mkProposal(t, s, c, &agora.Proposal{})
		u := mkUser(t, s, agora.RoleCitizen)
		var wg sync.WaitGroup
		var mu sync.Mutex
		adds := 0
		for range 10 {
			wg.Go(func() {
				added, err := s.AddSupport(ctx, &agora.Support{ProposalID: p.ID, UserID: &u.ID, Channel: agora.ChannelOnline})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if added {
					adds++
				}
			})
		}
		wg.Wait()
		got, err := s.ProposalByID(ctx, p.ID)
		must(t, err)
		if adds != 1 || got.SupportsOnline != 1 {
			t.Fatalf("%d adds, %d supports; want 1 and 1", adds, got.SupportsOnline)
		}
	}},
}

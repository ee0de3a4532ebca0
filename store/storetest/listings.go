package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// listingTests cover the whole-consultation reads the report and the open
// data are built from.
var listingTests = []test{
	{"Listing/ParticipantsOfOneWorkshopOldestFirst", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w, other := mkWorkshop(t, s), mkWorkshop(t, s)
		var want []*agora.Participant
		for i := range 3 {
			p := &agora.Participant{WorkshopID: w.ID, TokenHash: uniq("tok"), PublicID: uniq("pub"),
				CreatedAt: base.Add(time.Duration(2-i) * time.Minute)}
			must(t, s.CreateParticipant(ctx, p))
			want = append([]*agora.Participant{p}, want...)
		}
		mkParticipant(t, s, other.ID)
		got, err := s.ListParticipants(ctx, w.ID)
		must(t, err)
		same(t, "participants", got, want)
		none, err := s.ListParticipants(ctx, -1)
		must(t, err)
		if len(none) != 0 {
			t.Fatalf("unknown workshop has %d participants", len(none))
		}
	}},
	{"Listing/SupportsOfOneConsultation", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		p1, p2 := mkProposal(t, s, c, &agora.Proposal{}), mkProposal(t, s, c, &agora.Proposal{})
		elsewhere := mkProposal(t, s, mkConsultation(t, s), &agora.Proposal{})
		part, u := mkParticipant(t, s, w.ID), mkUser(t, s, agora.RoleCitizen)
		want := []*agora.Support{
			{ProposalID: p2.ID, ParticipantID: &part.ID, Channel: agora.ChannelRoom, CreatedAt: base},
			{ProposalID: p1.ID, UserID: &u.ID, Channel: agora.ChannelOnline, CreatedAt: base.Add(time.Second)},
			{ProposalID: p2.ID, UserID: &u.ID, Channel: agora.ChannelOnline, CreatedAt: base.Add(2 * time.Second)},
		}
		for _, x := range append([]*agora.Support{{ProposalID: elsewhere.ID, UserID: &u.ID,
			Channel: agora.ChannelOnline, CreatedAt: base}}, want...) {
			_, err := s.AddSupport(ctx, x)
			must(t, err)
		}
		got, err := s.ListSupports(ctx, c.ID)
		must(t, err)
		same(t, "supports", got, want)
	}},
}

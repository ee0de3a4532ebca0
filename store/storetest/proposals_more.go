package storetest

import (
	"testing"

	"github.com/agora-civic/agora"
)

var proposalMoreTests = []test{
	{"Proposal/Categories", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		other := mkConsultation(t, s)
		mkProposal(t, s, c, &agora.Proposal{Category: "Vélo"})
		mkProposal(t, s, c, &agora.Proposal{Category: "Bus"})
		mkProposal(t, s, c, &agora.Proposal{Category: "Vélo"})
		mkProposal(t, s, c, &agora.Proposal{})
		mkProposal(t, s, c, &agora.Proposal{Category: "Caché", Status: agora.ProposalHidden})
		mkProposal(t, s, c, &agora.Proposal{Category: "Effacé", DeletedAt: ptr(base)})
		mkProposal(t, s, other, &agora.Proposal{Category: "Ailleurs"})
		got, err := s.ProposalCategories(ctx, c.ID)
		must(t, err)
		same(t, "categories", got, []string{"Bus", "Vélo"})
	}},
	{"Support/SupportedBy", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		a := mkProposal(t, s, c, &agora.Proposal{})
		b := mkProposal(t, s, c, &agora.Proposal{})
		d := mkProposal(t, s, c, &agora.Proposal{})
		u := mkUser(t, s, agora.RoleCitizen)
		v := mkUser(t, s, agora.RoleCitizen)
		for _, x := range []*agora.Support{
			{ProposalID: a.ID, UserID: &u.ID, Channel: agora.ChannelOnline},
			{ProposalID: d.ID, UserID: &u.ID, Channel: agora.ChannelOnline},
			{ProposalID: b.ID, UserID: &v.ID, Channel: agora.ChannelOnline},
		} {
			_, err := s.AddSupport(ctx, x)
			must(t, err)
		}
		got, err := s.SupportedBy(ctx, u.ID, []int64{d.ID, b.ID, a.ID})
		must(t, err)
		same(t, "supported", got, []int64{a.ID, d.ID})
		got, err = s.SupportedBy(ctx, u.ID, nil)
		must(t, err)
		same(t, "none asked", got, []int64(nil))
	}},
}

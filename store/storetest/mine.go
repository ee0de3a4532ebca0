package storetest

import (
	"testing"

	"github.com/agora-civic/agora"
)

// mineTests cover what a person finds under "my contributions" and in the
// download of their data: online work, and room work from linked devices.
var mineTests = []test{
	{"Mine/ProposalsByAuthor", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		me, other := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		linked, unlinked := mkParticipant(t, s, w.ID), mkParticipant(t, s, w.ID)
		linked.UserID = &me.ID
		must(t, s.UpdateParticipant(ctx, linked))
		online := mkProposal(t, s, c, &agora.Proposal{AuthorID: &me.ID, Title: "Pistes", Status: agora.ProposalPending})
		room := mkProposal(t, s, c, &agora.Proposal{ParticipantID: &linked.ID, WorkshopID: &w.ID})
		mkProposal(t, s, c, &agora.Proposal{AuthorID: &other.ID})
		mkProposal(t, s, c, &agora.Proposal{ParticipantID: &unlinked.ID, WorkshopID: &w.ID})
		gone := mkProposal(t, s, c, &agora.Proposal{AuthorID: &me.ID})
		gone.DeletedAt = ptr(base)
		must(t, s.UpdateProposal(ctx, gone))

		ps, total, err := s.ListProposals(ctx, agora.ProposalFilter{AuthorID: &me.ID})
		must(t, err)
		if total != 2 || len(ps) != 2 {
			t.Fatalf("got %d (total %d), want 2", len(ps), total)
		}
		got := map[int64]bool{ps[0].ID: true, ps[1].ID: true}
		if !got[online.ID] || !got[room.ID] {
			t.Fatalf("got %v, want proposals %d and %d", got, online.ID, room.ID)
		}
		ps, _, err = s.ListProposals(ctx, agora.ProposalFilter{AuthorID: &other.ID, ConsultationID: c.ID + 1})
		must(t, err)
		if len(ps) != 0 {
			t.Fatalf("filters combine with AND: got %d", len(ps))
		}
	}},
	{"Mine/ParticipantsVotesSupports", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		a := mkActivity(t, s, w.ID, "Question ?")
		a2 := mkActivity(t, s, w.ID, "Autre ?")
		me, other := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		linked, unlinked := mkParticipant(t, s, w.ID), mkParticipant(t, s, w.ID)
		linked.UserID = &me.ID
		must(t, s.UpdateParticipant(ctx, linked))

		ps, err := s.ListUserParticipants(ctx, me.ID)
		must(t, err)
		same(t, "participants", ps, []*agora.Participant{linked})
		ps, err = s.ListUserParticipants(ctx, other.ID)
		must(t, err)
		if len(ps) != 0 {
			t.Fatalf("other user has %d participants", len(ps))
		}

		roomVote := &agora.Vote{ActivityID: a.ID, ParticipantID: &linked.ID, Channel: agora.ChannelRoom, Choices: []int{1}, CreatedAt: base}
		onlineVote := &agora.Vote{ActivityID: a2.ID, UserID: &me.ID, Channel: agora.ChannelOnline, Choices: []int{2}, CreatedAt: base.Add(1e9)}
		for _, v := range []*agora.Vote{roomVote, onlineVote,
			{ActivityID: a.ID, ParticipantID: &unlinked.ID, Channel: agora.ChannelRoom, Choices: []int{2}},
			{ActivityID: a.ID, UserID: &other.ID, Channel: agora.ChannelOnline, Choices: []int{2}}} {
			_, err := s.PutVote(ctx, v)
			must(t, err)
		}
		vs, err := s.ListUserVotes(ctx, me.ID)
		must(t, err)
		if len(vs) != 2 || vs[0].ID != roomVote.ID || vs[1].ID != onlineVote.ID {
			t.Fatalf("votes %+v, want the room vote then the online vote", vs)
		}

		p1 := mkProposal(t, s, c, &agora.Proposal{})
		p2 := mkProposal(t, s, c, &agora.Proposal{})
		mine := []*agora.Support{
			{ProposalID: p1.ID, ParticipantID: &linked.ID, Channel: agora.ChannelRoom, CreatedAt: base},
			{ProposalID: p2.ID, UserID: &me.ID, Channel: agora.ChannelOnline, CreatedAt: base.Add(1e9)},
		}
		for _, x := range append(mine,
			&agora.Support{ProposalID: p1.ID, ParticipantID: &unlinked.ID, Channel: agora.ChannelRoom},
			&agora.Support{ProposalID: p1.ID, UserID: &other.ID, Channel: agora.ChannelOnline}) {
			_, err := s.AddSupport(ctx, x)
			must(t, err)
		}
		xs, err := s.ListUserSupports(ctx, me.ID)
		must(t, err)
		same(t, "supports", xs, mine)
	}},
	{"Mine/CountOpenFlags", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c1, c2, c3 := mkConsultation(t, s), mkConsultation(t, s), mkConsultation(t, s)
		u1, u2 := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		staff := mkUser(t, s, agora.RoleModerator)
		flag := func(c *agora.Consultation, target int64, by *agora.User) {
			must(t, s.CreateFlag(ctx, &agora.Flag{ConsultationID: c.ID, TargetKind: agora.TargetProposal,
				TargetID: target, ReporterID: by.ID, Reason: "spam"}))
		}
		flag(c1, 1, u1)
		flag(c1, 1, u2)
		flag(c1, 2, u1)
		flag(c2, 3, u1)
		flag(c3, 4, u1)
		must(t, s.ResolveFlags(ctx, agora.TargetProposal, 4, staff.ID, base))
		got, err := s.CountOpenFlags(ctx)
		must(t, err)
		same(t, "counts", got, map[int64]int{c1.ID: 3, c2.ID: 1})
	}},
}

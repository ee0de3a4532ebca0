package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

func ids(ps []*agora.Proposal) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

var proposalTests = []test{
	{"Proposal/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		a := mkActivity(t, s, w.ID, "ideas")
		part := mkParticipant(t, s, w.ID)
		mod := mkUser(t, s, agora.RoleModerator)
		p := &agora.Proposal{ConsultationID: w.ConsultationID, WorkshopID: &w.ID, ActivityID: &a.ID,
			ParticipantID: &part.ID, ClientKey: "k1", Title: "Des bancs", Body: "Plus de bancs",
			Category: "parc", Status: agora.ProposalApproved, Highlighted: true,
			Answer: agora.AnswerAccepted, AnswerText: "Oui", AnsweredAt: ptr(base), AnsweredBy: &mod.ID}
		must(t, s.CreateProposal(ctx, p))
		if p.ID == 0 || p.CreatedAt.IsZero() || p.UpdatedAt.IsZero() {
			t.Fatalf("create did not fill ID, timestamps: %+v", p)
		}
		got, err := s.ProposalByID(ctx, p.ID)
		must(t, err)
		same(t, "by id", got, p)
		got, err = s.ProposalByClientKey(ctx, &part.ID, nil, "k1")
		must(t, err)
		same(t, "by client key", got, p)
		_, err = s.ProposalByClientKey(ctx, &part.ID, nil, "k2")
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.ProposalByID(ctx, p.ID+100)
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Proposal/ClientKeyUniquePerAuthor", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		part, other := mkParticipant(t, s, w.ID), mkParticipant(t, s, w.ID)
		u, v := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		mkProposal(t, s, c, &agora.Proposal{ParticipantID: &part.ID, ClientKey: "k"})
		wantCode(t, s.CreateProposal(ctx, &agora.Proposal{ConsultationID: c.ID, ParticipantID: &part.ID,
			ClientKey: "k", Body: "b", Status: agora.ProposalPending}), agora.ECONFLICT)
		mkProposal(t, s, c, &agora.Proposal{ParticipantID: &other.ID, ClientKey: "k"})
		online := mkProposal(t, s, c, &agora.Proposal{AuthorID: &u.ID, ClientKey: "k"})
		wantCode(t, s.CreateProposal(ctx, &agora.Proposal{ConsultationID: c.ID, AuthorID: &u.ID,
			ClientKey: "k", Body: "b", Status: agora.ProposalPending}), agora.ECONFLICT)
		mkProposal(t, s, c, &agora.Proposal{AuthorID: &v.ID, ClientKey: "k"})
		// An empty key is no key: any number of them.
		mkProposal(t, s, c, &agora.Proposal{AuthorID: &u.ID})
		mkProposal(t, s, c, &agora.Proposal{AuthorID: &u.ID})
		got, err := s.ProposalByClientKey(ctx, nil, &u.ID, "k")
		must(t, err)
		same(t, "online by key", got.ID, online.ID)
		_, err = s.ProposalByClientKey(ctx, nil, &u.ID, "")
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Proposal/Update", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		mod := mkUser(t, s, agora.RoleModerator)
		p := mkProposal(t, s, c, &agora.Proposal{Title: "t"})
		p.Title, p.Body, p.Category, p.Status, p.HiddenReason = "T2", "B2", "cat", agora.ProposalHidden, "spam"
		p.Highlighted, p.Answer, p.AnswerText, p.AnsweredAt, p.AnsweredBy = true, agora.AnswerUnderStudy, "étude", ptr(base), &mod.ID
		p.DeletedAt, p.UpdatedAt = ptr(base), base.Add(time.Hour)
		p.ClientKey = "ignored"
		must(t, s.UpdateProposal(ctx, p))
		got, err := s.ProposalByID(ctx, p.ID)
		must(t, err)
		p.ClientKey = ""
		same(t, "updated", got, p)
		wantCode(t, s.UpdateProposal(ctx, &agora.Proposal{ID: p.ID + 1, Status: agora.ProposalApproved}), agora.ENOTFOUND)
	}},
	{"Proposal/ListFilters", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		a := mkActivity(t, s, w.ID, "ideas")
		other := mkConsultation(t, s)
		p1 := mkProposal(t, s, c, &agora.Proposal{Title: "Pistes CYCLABLES", Body: "rue", Category: "mobilité"})
		p2 := mkProposal(t, s, c, &agora.Proposal{Body: "Plus de vélos en ville, 100% sûrs", ActivityID: &a.ID, Status: agora.ProposalPending})
		p3 := mkProposal(t, s, c, &agora.Proposal{Title: "Arbres", Body: "ombre", Category: "nature"})
		mkProposal(t, s, other, &agora.Proposal{Title: "Pistes ailleurs"})
		gone := mkProposal(t, s, c, &agora.Proposal{Title: "Pistes supprimées"})
		gone.DeletedAt = ptr(base)
		must(t, s.UpdateProposal(ctx, gone))
		cases := []struct {
			name string
			f    agora.ProposalFilter
			want []int64
		}{
			{"consultation", agora.ProposalFilter{ConsultationID: c.ID}, []int64{p3.ID, p2.ID, p1.ID}},
			{"activity", agora.ProposalFilter{ActivityID: &a.ID}, []int64{p2.ID}},
			{"status", agora.ProposalFilter{ConsultationID: c.ID, Statuses: []agora.ProposalStatus{agora.ProposalPending}}, []int64{p2.ID}},
			{"category", agora.ProposalFilter{ConsultationID: c.ID, Category: "nature"}, []int64{p3.ID}},
			{"search title, any case", agora.ProposalFilter{ConsultationID: c.ID, Query: "pistes cyclables"}, []int64{p1.ID}},
			{"search body", agora.ProposalFilter{ConsultationID: c.ID, Query: "Ville"}, []int64{p2.ID}},
			{"search wildcard is literal", agora.ProposalFilter{ConsultationID: c.ID, Query: "100%"}, []int64{p2.ID}},
			{"search underscore is literal", agora.ProposalFilter{ConsultationID: c.ID, Query: "r_e"}, nil},
			{"all words must match", agora.ProposalFilter{ConsultationID: c.ID, Query: "pistes ombre"}, nil},
		}
		for _, tc := range cases {
			ps, total, err := s.ListProposals(ctx, tc.f)
			must(t, err)
			same(t, tc.name, ids(ps), tc.want)
			if total != len(tc.want) {
				t.Fatalf("%s: total %d, want %d", tc.name, total, len(tc.want))
			}
		}
	}},
	{"Proposal/ListSortAndPage", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		var ps []*agora.Proposal
		for i := range 4 {
			ps = append(ps, mkProposal(t, s, c, &agora.Proposal{CreatedAt: base.Add(time.Duration(i) * time.Minute)}))
		}
		users := []*agora.User{mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)}
		for i, u := range users { // supports: ps[0] 3, ps[1] 2, ps[2] 1, ps[3] 0
			for _, p := range ps[:3-i] {
				_, err := s.AddSupport(ctx, &agora.Support{ProposalID: p.ID, UserID: &u.ID, Channel: agora.ChannelOnline})
				must(t, err)
			}
		}
		for range 2 { // comments: ps[2] 2, ps[1] 1 (+1 hidden, not counted)
			must(t, s.CreateComment(ctx, &agora.Comment{ConsultationID: c.ID, ProposalID: &ps[2].ID, AuthorID: users[0].ID,
				Stance: agora.StanceFor, Body: "oui", Status: agora.CommentVisible}))
		}
		must(t, s.CreateComment(ctx, &agora.Comment{ConsultationID: c.ID, ProposalID: &ps[1].ID, AuthorID: users[0].ID,
			Stance: agora.StanceFor, Body: "oui", Status: agora.CommentVisible}))
		must(t, s.CreateComment(ctx, &agora.Comment{ConsultationID: c.ID, ProposalID: &ps[1].ID, AuthorID: users[0].ID,
			Stance: agora.StanceFor, Body: "spam", Status: agora.CommentHidden}))
		list := func(sort agora.ProposalSort, limit, offset int) ([]*agora.Proposal, int) {
			got, total, err := s.ListProposals(ctx, agora.ProposalFilter{ConsultationID: c.ID, Sort: sort, Limit: limit, Offset: offset})
			must(t, err)
			return got, total
		}
		got, _ := list(agora.SortNewest, 0, 0)
		same(t, "newest", ids(got), []int64{ps[3].ID, ps[2].ID, ps[1].ID, ps[0].ID})
		got, _ = list(agora.SortMostSupported, 0, 0)
		same(t, "supported", ids(got), []int64{ps[0].ID, ps[1].ID, ps[2].ID, ps[3].ID})
		if got[0].SupportsOnline != 3 || got[0].SupportsRoom != 0 || got[0].Supports() != 3 {
			t.Fatalf("supports of the first: %+v", got[0])
		}
		got, _ = list(agora.SortMostDebated, 0, 0)
		same(t, "debated", ids(got), []int64{ps[2].ID, ps[1].ID, ps[3].ID, ps[0].ID})
		if got[0].CommentCount != 2 || got[1].CommentCount != 1 {
			t.Fatalf("comment counts %d, %d; want 2, 1", got[0].CommentCount, got[1].CommentCount)
		}
		got, total := list(agora.SortNewest, 2, 1)
		same(t, "page", ids(got), []int64{ps[2].ID, ps[1].ID})
		if total != 4 {
			t.Fatalf("total %d, want 4", total)
		}
		got, total = list(agora.SortNewest, 2, 10)
		if len(got) != 0 || total != 4 {
			t.Fatalf("past the end: %d proposals, total %d", len(got), total)
		}
	}},
}

package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

func commentIDs(cs []*agora.Comment) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

var commentTests = []test{
	{"Comment/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		p := mkProposal(t, s, c, &agora.Proposal{})
		u := mkUser(t, s, agora.RoleCitizen)
		parent := &agora.Comment{ConsultationID: c.ID, ProposalID: &p.ID, AuthorID: u.ID, ClientKey: "k-parent",
			Stance: agora.StanceAgainst, Body: "Non, parce que…", Status: agora.CommentVisible}
		must(t, s.CreateComment(ctx, parent))
		reply := &agora.Comment{ConsultationID: c.ID, ProposalID: &p.ID, ParentID: &parent.ID, AuthorID: u.ID,
			Stance: agora.StanceNeutral, Body: "Précision", Status: agora.CommentVisible, EditedAt: ptr(base)}
		must(t, s.CreateComment(ctx, reply))
		if reply.ID == 0 || reply.CreatedAt.IsZero() {
			t.Fatalf("create did not fill ID, CreatedAt: %+v", reply)
		}
		got, err := s.CommentByID(ctx, reply.ID)
		must(t, err)
		same(t, "by id", got, reply)
		_, err = s.CommentByID(ctx, reply.ID+10)
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Comment/ClientKeyUniquePerAuthor", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		p := mkProposal(t, s, c, &agora.Proposal{})
		w := mkWorkshop(t, s)
		a := mkActivity(t, s, w.ID, "q")
		u, v := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		mk := func(author *agora.User, key string) *agora.Comment {
			return &agora.Comment{ConsultationID: c.ID, ProposalID: &p.ID, AuthorID: author.ID, ClientKey: key,
				Stance: agora.StanceFor, Body: "b", Status: agora.CommentVisible}
		}
		first := mk(u, "k")
		must(t, s.CreateComment(ctx, first))
		// The same author and key: refused, on the same target or another.
		wantCode(t, s.CreateComment(ctx, mk(u, "k")), agora.ECONFLICT)
		onActivity := mk(u, "k")
		onActivity.ProposalID, onActivity.ActivityID = nil, &a.ID
		wantCode(t, s.CreateComment(ctx, onActivity), agora.ECONFLICT)
		// Another author may use the same key; the author another key.
		must(t, s.CreateComment(ctx, mk(v, "k")))
		must(t, s.CreateComment(ctx, mk(u, "k2")))
		// The empty key (a form without one) never conflicts.
		for range 2 {
			must(t, s.CreateComment(ctx, mk(u, "")))
		}
		all, err := s.ListComments(ctx, agora.CommentFilter{ProposalID: &p.ID})
		must(t, err)
		if len(all) != 5 {
			t.Fatalf("%d comments stored, want 5", len(all))
		}

		got, err := s.CommentByClientKey(ctx, u.ID, "k")
		must(t, err)
		same(t, "by key", got, first)
		// Deleted comments are still found: a late retry gets the first answer.
		first.DeletedAt, first.Body = ptr(base), ""
		must(t, s.UpdateComment(ctx, first))
		got, err = s.CommentByClientKey(ctx, u.ID, "k")
		must(t, err)
		same(t, "deleted, by key", got, first)
		_, err = s.CommentByClientKey(ctx, u.ID, "")
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.CommentByClientKey(ctx, u.ID, "k3")
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.CommentByClientKey(ctx, v.ID+1000, "k")
		wantCode(t, err, agora.ENOTFOUND)
		other, err := s.CommentByClientKey(ctx, v.ID, "k")
		must(t, err)
		if other.AuthorID != v.ID {
			t.Fatalf("other author's key found %+v", other)
		}
	}},
	{"Comment/Update", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		u := mkUser(t, s, agora.RoleCitizen)
		w := mkWorkshop(t, s)
		a := mkActivity(t, s, w.ID, "q")
		x := &agora.Comment{ConsultationID: c.ID, ActivityID: &a.ID, AuthorID: u.ID, Stance: agora.StanceFor,
			Body: "b", Status: agora.CommentVisible}
		must(t, s.CreateComment(ctx, x))
		x.Body, x.Stance, x.Status, x.HiddenReason = "b2", agora.StanceAgainst, agora.CommentHidden, "insulte"
		x.EditedAt, x.DeletedAt = ptr(base), ptr(base.Add(time.Second))
		must(t, s.UpdateComment(ctx, x))
		got, err := s.CommentByID(ctx, x.ID)
		must(t, err)
		same(t, "updated", got, x)
		wantCode(t, s.UpdateComment(ctx, &agora.Comment{ID: x.ID + 1, Stance: agora.StanceFor, Status: agora.CommentVisible}), agora.ENOTFOUND)
	}},
	{"Comment/ListAndVotes", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		p := mkProposal(t, s, c, &agora.Proposal{})
		other := mkProposal(t, s, c, &agora.Proposal{})
		author := mkUser(t, s, agora.RoleCitizen)
		voters := []*agora.User{mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)}
		var cs []*agora.Comment
		for i := range 3 {
			x := &agora.Comment{ConsultationID: c.ID, ProposalID: &p.ID, AuthorID: author.ID, Stance: agora.StanceFor,
				Body: "b", Status: agora.CommentVisible, CreatedAt: base.Add(time.Duration(i) * time.Minute)}
			must(t, s.CreateComment(ctx, x))
			cs = append(cs, x)
		}
		hidden := &agora.Comment{ConsultationID: c.ID, ProposalID: &p.ID, AuthorID: voters[0].ID, Stance: agora.StanceFor,
			Body: "b", Status: agora.CommentHidden, CreatedAt: base.Add(time.Hour)}
		must(t, s.CreateComment(ctx, hidden))
		must(t, s.CreateComment(ctx, &agora.Comment{ConsultationID: c.ID, ProposalID: &other.ID, AuthorID: author.ID,
			Stance: agora.StanceFor, Body: "b", Status: agora.CommentVisible}))
		// cs[0]: +2; cs[1]: -1 after a change of mind; cs[2]: +1 withdrawn.
		must(t, s.VoteComment(ctx, cs[0].ID, voters[0].ID, 1))
		must(t, s.VoteComment(ctx, cs[0].ID, voters[1].ID, 1))
		must(t, s.VoteComment(ctx, cs[1].ID, voters[0].ID, 1))
		must(t, s.VoteComment(ctx, cs[1].ID, voters[0].ID, -1))
		must(t, s.VoteComment(ctx, cs[2].ID, voters[2].ID, 1))
		must(t, s.VoteComment(ctx, cs[2].ID, voters[2].ID, 0))
		must(t, s.VoteComment(ctx, cs[2].ID, voters[2].ID, 0))
		wantCode(t, s.VoteComment(ctx, cs[2].ID, voters[2].ID, 2), agora.EINVALID)
		got, err := s.CommentByID(ctx, cs[1].ID)
		must(t, err)
		if got.Up != 0 || got.Down != 1 {
			t.Fatalf("replaced vote: up %d down %d, want 0 and 1", got.Up, got.Down)
		}
		visible := []agora.CommentStatus{agora.CommentVisible}
		newest, err := s.ListComments(ctx, agora.CommentFilter{ProposalID: &p.ID, Statuses: visible})
		must(t, err)
		same(t, "newest", commentIDs(newest), []int64{cs[2].ID, cs[1].ID, cs[0].ID})
		best, err := s.ListComments(ctx, agora.CommentFilter{ProposalID: &p.ID, Statuses: visible, Sort: agora.CommentsBest})
		must(t, err)
		same(t, "best", commentIDs(best), []int64{cs[0].ID, cs[2].ID, cs[1].ID})
		if best[0].Up != 2 || best[0].Down != 0 {
			t.Fatalf("best: up %d down %d, want 2 and 0", best[0].Up, best[0].Down)
		}
		all, err := s.ListComments(ctx, agora.CommentFilter{ProposalID: &p.ID})
		must(t, err)
		same(t, "all statuses", commentIDs(all), []int64{hidden.ID, cs[2].ID, cs[1].ID, cs[0].ID})
		mine, err := s.ListComments(ctx, agora.CommentFilter{AuthorID: &voters[0].ID})
		must(t, err)
		same(t, "by author", commentIDs(mine), []int64{hidden.ID})
		_, err = s.ListComments(ctx, agora.CommentFilter{})
		wantCode(t, err, agora.EINVALID)
	}},
	{"Comment/ListByActivity", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		a := mkActivity(t, s, w.ID, "q")
		u := mkUser(t, s, agora.RoleCitizen)
		x := &agora.Comment{ConsultationID: w.ConsultationID, ActivityID: &a.ID, AuthorID: u.ID,
			Stance: agora.StanceFor, Body: "b", Status: agora.CommentVisible}
		must(t, s.CreateComment(ctx, x))
		got, err := s.ListComments(ctx, agora.CommentFilter{ActivityID: &a.ID})
		must(t, err)
		same(t, "by activity", got, []*agora.Comment{x})
	}},
}

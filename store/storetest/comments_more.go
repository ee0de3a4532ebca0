package storetest

import (
	"testing"

	"github.com/agora-civic/agora"
)

// commentMoreTests cover what the debate pages and the moderators' queue
// read: a citizen's own votes, and a whole consultation's comments.
var commentMoreTests = []test{
	{"Comment/VotesByUser", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		p := mkProposal(t, s, c, &agora.Proposal{})
		author, voter, other := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		var ids []int64
		for range 3 {
			x := &agora.Comment{ConsultationID: c.ID, ProposalID: &p.ID, AuthorID: author.ID,
				Stance: agora.StanceFor, Body: "b", Status: agora.CommentVisible}
			must(t, s.CreateComment(ctx, x))
			ids = append(ids, x.ID)
		}
		must(t, s.VoteComment(ctx, ids[0], voter.ID, 1))
		must(t, s.VoteComment(ctx, ids[1], voter.ID, 1))
		must(t, s.VoteComment(ctx, ids[1], voter.ID, -1)) // replaced, not added
		must(t, s.VoteComment(ctx, ids[2], other.ID, 1))
		got, err := s.CommentVotesByUser(ctx, voter.ID, ids)
		must(t, err)
		same(t, "votes", got, map[int64]int{ids[0]: 1, ids[1]: -1})
		none, err := s.CommentVotesByUser(ctx, voter.ID, nil)
		must(t, err)
		same(t, "no ids", none, map[int64]int{})
		// More IDs than one query takes.
		many := make([]int64, 1200)
		for i := range many {
			many[i] = int64(i + 1)
		}
		got, err = s.CommentVotesByUser(ctx, voter.ID, many)
		must(t, err)
		same(t, "many ids", got, map[int64]int{ids[0]: 1, ids[1]: -1})
	}},
	{"Comment/ListByConsultation", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c, d := mkConsultation(t, s), mkConsultation(t, s)
		p, q := mkProposal(t, s, c, &agora.Proposal{}), mkProposal(t, s, d, &agora.Proposal{})
		u := mkUser(t, s, agora.RoleCitizen)
		mk := func(cons *agora.Consultation, p *agora.Proposal, st agora.CommentStatus) *agora.Comment {
			x := &agora.Comment{ConsultationID: cons.ID, ProposalID: &p.ID, AuthorID: u.ID,
				Stance: agora.StanceAgainst, Body: "b", Status: st}
			must(t, s.CreateComment(ctx, x))
			return x
		}
		mk(c, p, agora.CommentVisible)
		hidden := mk(c, p, agora.CommentHidden)
		mk(d, q, agora.CommentHidden)
		got, err := s.ListComments(ctx, agora.CommentFilter{ConsultationID: &c.ID,
			Statuses: []agora.CommentStatus{agora.CommentHidden}})
		must(t, err)
		same(t, "hidden of c", commentIDs(got), []int64{hidden.ID})
	}},
}

package live

import (
	"context"

	"github.com/agora-civic/agora"
)

// VoteChecker is a store that checks votes as they commit, batch by batch,
// such as store.GroupCommit: it calls check with the votes of a batch just
// before writing them, and refuses those check returns an error for.
type VoteChecker interface {
	CheckVotesWith(check func(ctx context.Context, vs []*agora.Vote) []error)
}

// CheckVotes checks room votes again against their activity and workshop
// as stored now, and returns one error (or nil) per vote. VoteOn's caller
// may have checked a copy read earlier (the vote API keeps one for a
// second, on each node): meanwhile, the activity may have closed or
// changed its options, here or on another node. One read per activity of
// the batch (the activity with its workshop), instead of a read per vote.
// Votes of other channels pass.
//
// The rules apply at the moment the vote was cast (Vote.CastAt), not at
// the commit, which may come a few hundred milliseconds later in a busy
// hall: a vote cast before the countdown ran out, or before the
// facilitator closed the activity, is taken, as it was when each vote
// read the activity before it was written.
func (e *Engine) CheckVotes(ctx context.Context, vs []*agora.Vote) []error {
	type room struct {
		a   *agora.Activity
		w   *agora.Workshop
		err error
	}
	rooms := map[int64]*room{}
	errs := make([]error, len(vs))
	now := e.now()
	for i, v := range vs {
		if v.Channel != agora.ChannelRoom {
			continue
		}
		r := rooms[v.ActivityID]
		if r == nil {
			r = &room{}
			r.a, r.w, r.err = activityAndWorkshop(ctx, e.st, v.ActivityID)
			rooms[v.ActivityID] = r
		}
		if r.err != nil {
			errs[i] = r.err
			continue
		}
		at := v.CastAt
		if at.IsZero() || at.After(now) {
			at = now
		}
		if errs[i] = agora.CanKeepVote(r.w, r.a, at); errs[i] == nil {
			errs[i] = agora.ValidateVote(r.a, v)
		}
	}
	return errs
}

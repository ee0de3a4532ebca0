package live

import (
	"context"

	"github.com/agora-civic/agora"
)

// An activity reopened online, or an idea supported online, may still be on
// a projector, or be again: its live tally must count what citizens do
// online as it counts the room, here and on the peers. The rules of the
// online side (the consultation's dates, the activity's online window,
// the rate limits) are the caller's; these only store and count.

// PutOnlineVote stores a signed-in citizen's vote (UserID set, channel
// online), replacing their earlier one, and counts it in the live tally of
// its activity, if this node or a peer holds it. The store fills in v's ID
// and dates.
func (e *Engine) PutOnlineVote(ctx context.Context, a *agora.Activity, v *agora.Vote) error {
	if v.UserID == nil || v.Channel != agora.ChannelOnline || v.ActivityID != a.ID {
		return agora.Errorf(agora.EINVALID, "error.invalid")
	}
	// Only a tally held is counted in: one loading gets the vote when its
	// load ends.
	return e.commitVote(ctx, nil, -*v.UserID, a.WorkshopID, v)
}

// OnlineSupportChanged counts a support of a workshop idea, added or
// withdrawn online and committed by the caller, in the live tally of the
// idea's activity, here and on the peers. Other proposals have no tally.
func (e *Engine) OnlineSupportChanged(idea *agora.Proposal, s *agora.Support, added bool) {
	if idea.ActivityID == nil || idea.WorkshopID == nil {
		return
	}
	if lt := e.tallies.get(*idea.ActivityID); lt != nil {
		e.applySupport(lt, idea.ID, s.Channel, added)
	}
	e.tell(*idea.WorkshopID, peerMessage{Support: &supportChange{ActivityID: *idea.ActivityID, Support: s, Added: added}})
}

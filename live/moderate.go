package live

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

// ModerationAction is what a facilitator or moderator does to an idea.
type ModerationAction string

// Moderation actions.
const (
	Approve     ModerationAction = "approve"     // show a pending (or hidden, or rejected) idea
	Reject      ModerationAction = "reject"      // refuse a pending idea
	HideIdea    ModerationAction = "hide"        // withdraw an approved idea
	Highlight   ModerationAction = "highlight"   // show an approved idea large on the projector
	Unhighlight ModerationAction = "unhighlight" // stop showing it large
)

// Moderate applies a moderation action to a workshop idea, with its audit
// entry, and returns the idea as it now stands. At most one idea per
// activity is highlighted: highlighting one unhighlights the other. An idea
// that is hidden or rejected is no longer highlighted.
func (e *Engine) Moderate(ctx context.Context, actor *agora.User, ideaID int64, action ModerationAction) (*agora.Proposal, error) {
	if err := moderator(actor); err != nil {
		return nil, err
	}
	var idea *agora.Proposal
	var changed []*agora.Proposal // idea and any idea it unhighlighted
	var wasVisible, wasHighlighted bool
	err := e.st.WithTx(ctx, func(tx agora.Store) error {
		changed = nil
		var err error
		if idea, err = workshopIdea(ctx, tx, ideaID); err != nil {
			return err
		}
		w, err := tx.WorkshopByID(ctx, *idea.WorkshopID)
		if err != nil {
			return err
		}
		from := idea.Status
		wasVisible, wasHighlighted = from == agora.ProposalApproved, idea.Highlighted
		if err := moderate(idea, action, e.now()); err != nil {
			return err
		}
		if from == idea.Status && wasHighlighted == idea.Highlighted {
			return nil // a double tap
		}
		if idea.Highlighted && !wasHighlighted {
			if changed, err = unhighlightOthers(ctx, tx, idea); err != nil {
				return err
			}
		}
		if err := tx.UpdateProposal(ctx, idea); err != nil {
			return err
		}
		changed = append(changed, idea)
		return tx.AppendAudit(ctx, e.audit(actor, w, "proposal."+string(action), agora.TargetProposal, idea.ID,
			map[string]any{"from": from, "to": idea.Status, "highlighted": idea.Highlighted}))
	})
	if err != nil || len(changed) == 0 {
		return idea, err
	}
	e.publishModeration(ctx, action, changed, wasVisible, wasHighlighted)
	return idea, nil
}

// workshopIdea reads an idea submitted in a workshop.
func workshopIdea(ctx context.Context, st agora.Store, id int64) (*agora.Proposal, error) {
	p, err := st.ProposalByID(ctx, id)
	if err != nil {
		return nil, notFound(err, "error.idea_not_found")
	}
	if p.WorkshopID == nil || p.ActivityID == nil || p.DeletedAt != nil {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.idea_not_found")
	}
	return p, nil
}

// moderate applies action to p's status and highlight.
func moderate(p *agora.Proposal, action ModerationAction, now time.Time) error {
	switch action {
	case Approve:
		if p.Status != agora.ProposalApproved {
			p.Status, p.HiddenReason, p.UpdatedAt = agora.ProposalApproved, "", now
		}
	case Reject:
		return fromTo(p, agora.ProposalPending, agora.ProposalRejected, now)
	case HideIdea:
		return fromTo(p, agora.ProposalApproved, agora.ProposalHidden, now)
	case Highlight:
		if p.Status != agora.ProposalApproved {
			return agora.Errorf(agora.ECONFLICT, "error.idea_not_approved")
		}
		p.Highlighted = true
	case Unhighlight:
		p.Highlighted = false
	default:
		return agora.Errorf(agora.EINVALID, "error.moderation_invalid")
	}
	return nil
}

// fromTo moves p from one status to another; being there already is fine.
func fromTo(p *agora.Proposal, from, to agora.ProposalStatus, now time.Time) error {
	switch p.Status {
	case to:
		return nil
	case from:
		p.Status, p.Highlighted, p.UpdatedAt = to, false, now
		return nil
	}
	return agora.Errorf(agora.ECONFLICT, "error.moderation_conflict")
}

// unhighlightOthers clears the highlight of the other ideas of p's activity.
func unhighlightOthers(ctx context.Context, tx agora.Store, p *agora.Proposal) ([]*agora.Proposal, error) {
	others, _, err := tx.ListProposals(ctx, agora.ProposalFilter{ActivityID: p.ActivityID,
		Statuses: []agora.ProposalStatus{agora.ProposalApproved}})
	if err != nil {
		return nil, err
	}
	var out []*agora.Proposal
	for _, o := range others {
		if o.ID == p.ID || !o.Highlighted {
			continue
		}
		o.Highlighted = false
		if err := tx.UpdateProposal(ctx, o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// publishModeration tells each audience what a moderation changed; the
// moderated idea is the last of changed.
func (e *Engine) publishModeration(ctx context.Context, action ModerationAction, changed []*agora.Proposal, wasVisible, wasHighlighted bool) {
	ctx = context.WithoutCancel(ctx)
	idea := changed[len(changed)-1]
	for _, p := range changed {
		e.ideaChanged(ctx, p)
	}
	wid := *idea.WorkshopID
	e.publish(ctx, FacilitatorsTopic(wid), EventIdeaModerated, ModerationEvent{Action: action, Idea: ideaView(idea)})
	if visible := idea.Status == agora.ProposalApproved; visible != wasVisible {
		e.publishIdea(ctx, idea, wasVisible)
	}
	if idea.Highlighted == wasHighlighted {
		return
	}
	ev := HighlightEvent{ActivityID: *idea.ActivityID}
	if idea.Highlighted {
		v := ideaView(idea)
		ev.Idea = &v
	}
	for _, aud := range audiences {
		e.publish(ctx, Topic(wid, aud), EventHighlight, ev)
	}
}

package report

import (
	"context"
	"fmt"

	"github.com/agora-civic/agora"
)

// BuildWorkshop computes one workshop's part of the report: participants,
// voters, and each activity with its tally. It may run during the
// workshop: the tallies are those of the current rounds.
func BuildWorkshop(ctx context.Context, src Source, w *agora.Workshop) (*Workshop, error) {
	if w == nil {
		return nil, fmt.Errorf("report: no workshop")
	}
	var audit []*agora.AuditEntry
	wd, err := loadWorkshop(ctx, src, w, &audit)
	if err != nil {
		return nil, err
	}
	var ideas []*agora.Proposal
	for _, a := range wd.acts {
		if a.Kind == agora.KindIdeas {
			ideas, _, err = src.ListProposals(ctx, agora.ProposalFilter{ConsultationID: w.ConsultationID,
				Statuses: []agora.ProposalStatus{agora.ProposalApproved}})
			if err != nil {
				return nil, fmt.Errorf("report: list ideas of workshop %d: %w", w.ID, err)
			}
			break
		}
	}
	return buildWorkshop(wd, func(id int64) []*agora.Proposal { return ofActivity(ideas, id) }), nil
}

// ofActivity keeps the proposals submitted to one activity.
func ofActivity(ps []*agora.Proposal, activityID int64) []*agora.Proposal {
	var out []*agora.Proposal
	for _, p := range ps {
		if p.ActivityID != nil && *p.ActivityID == activityID {
			out = append(out, p)
		}
	}
	return out
}

// buildWorkshop computes a workshop's part from its rows; ideas returns an
// ideas activity's proposals (TallyIdeas keeps the approved ones).
func buildWorkshop(wd *workshopData, ideas func(activityID int64) []*agora.Proposal) *Workshop {
	w := wd.w
	out := &Workshop{ID: w.ID, Title: w.Title, Place: w.Place, State: w.State, Participants: len(wd.parts)}
	for _, e := range wd.audit {
		if e.TargetKind != agora.TargetWorkshop || e.TargetID != w.ID {
			continue
		}
		switch e.Action {
		case "workshop.start":
			if out.StartedAt == nil {
				out.StartedAt = utcPtr(e.At)
			}
		case "workshop.end":
			out.EndedAt = utcPtr(e.At)
		}
	}
	voters := map[int64]bool{}
	for _, a := range wd.acts {
		act := &Activity{ID: a.ID, Position: a.Position, Kind: a.Kind, Prompt: a.Prompt, Settings: a.Settings,
			Round: a.Round, Resets: a.Round, OpenedAt: utcPtrP(a.OpenedAt), ClosedAt: utcPtrP(a.ClosedAt),
			OnlineUntil: utcPtrP(a.OnlineUntil)}
		if a.Kind.Votable() {
			vs := wd.votes[a.ID]
			act.Tally = agora.TallyVotes(a, vs)
			act.BothChannels = act.Tally.Room.Voters > 0 && act.Tally.Online.Voters > 0
			for _, v := range vs {
				if v.Channel == agora.ChannelRoom && v.ParticipantID != nil {
					voters[*v.ParticipantID] = true
				}
			}
		} else {
			act.Tally = agora.TallyIdeas(a, ideas(a.ID))
			room, online := 0, 0
			for _, i := range act.Tally.Ideas {
				room, online = room+i.SupportsRoom, online+i.SupportsOnline
			}
			act.BothChannels = room > 0 && online > 0
		}
		out.Activities = append(out.Activities, act)
	}
	out.Voters = len(voters)
	return out
}

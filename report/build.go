package report

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/agora-civic/agora"
)

// Build computes the report of consultation c. A consultation without
// workshops, votes or proposals gives a report of zeros; errors of src are
// returned wrapped.
func Build(ctx context.Context, src Source, c *agora.Consultation) (*Report, error) {
	d, err := load(ctx, src, c)
	if err != nil {
		return nil, err
	}
	return d.report(), nil
}

func (d *data) report() *Report {
	r := &Report{Consultation: d.c}
	for _, wd := range d.workshops {
		r.Workshops = append(r.Workshops, buildWorkshop(wd, d.ideasOf))
	}
	r.Participation = d.participation(r.Workshops)
	r.Timeline = d.timeline()
	r.Proposals = d.reportProposals()
	r.Moderation = d.moderation()
	r.Method = d.method(r.Workshops)
	r.LastChange = d.lastChange()
	return r
}

func (d *data) participation(ws []*Workshop) Participation {
	var p Participation
	online := map[int64]bool{}
	for _, wd := range d.workshops {
		p.RoomParticipants += len(wd.parts)
		for _, vs := range wd.votes {
			for _, v := range vs {
				if v.Channel == agora.ChannelOnline && v.UserID != nil {
					online[*v.UserID] = true
				}
			}
		}
	}
	for _, w := range ws {
		for _, a := range w.Activities {
			if a.Kind.Votable() {
				p.Contributions.VotesRoom += a.Tally.Room.Voters
				p.Contributions.VotesOnline += a.Tally.Online.Voters
			}
		}
	}
	for _, pr := range d.proposals {
		if !shown(pr) {
			continue
		}
		if pr.ActivityID != nil {
			p.Contributions.Ideas++
		} else {
			p.Contributions.Proposals++
		}
		if pr.AuthorID != nil {
			online[*pr.AuthorID] = true
		}
	}
	for _, s := range d.supports {
		if !d.supportShown(s) {
			continue
		}
		switch s.Channel {
		case agora.ChannelRoom:
			p.Contributions.SupportsRoom++
		case agora.ChannelOnline:
			p.Contributions.SupportsOnline++
			if s.UserID != nil {
				online[*s.UserID] = true
			}
		}
	}
	for _, c := range d.comments {
		if d.comment[c.ID] {
			p.Contributions.Comments++
			online[c.AuthorID] = true
		}
	}
	p.OnlineCitizens = len(online)
	return p
}

// timeline counts, per UTC day, the joins, the votes of the current rounds
// and the shown contributions.
func (d *data) timeline() []TimelineDay {
	days := map[time.Time]*TimelineDay{}
	at := func(t time.Time) *TimelineDay {
		k := day(t)
		if days[k] == nil {
			days[k] = &TimelineDay{Day: k}
		}
		return days[k]
	}
	for _, wd := range d.workshops {
		for _, p := range wd.parts {
			at(p.CreatedAt).Joins++
		}
		for _, vs := range wd.votes {
			for _, v := range vs {
				at(v.CreatedAt).Votes++
			}
		}
	}
	for _, p := range d.proposals {
		if shown(p) {
			at(p.CreatedAt).Contributions++
		}
	}
	for _, s := range d.supports {
		if d.supportShown(s) {
			at(s.CreatedAt).Contributions++
		}
	}
	for _, c := range d.comments {
		if d.comment[c.ID] {
			at(c.CreatedAt).Contributions++
		}
	}
	out := make([]TimelineDay, 0, len(days))
	for _, t := range days {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b TimelineDay) int { return a.Day.Compare(b.Day) })
	return out
}

// reportProposals lists the shown proposals and ideas, most supported
// first, then oldest first, as the ideas wall ranks them.
func (d *data) reportProposals() []*Proposal {
	stances := map[int64]map[agora.Stance]int{}
	for _, c := range d.comments {
		if d.comment[c.ID] && c.ProposalID != nil {
			if stances[*c.ProposalID] == nil {
				stances[*c.ProposalID] = map[agora.Stance]int{}
			}
			stances[*c.ProposalID][c.Stance]++
		}
	}
	threshold := d.c.SupportThreshold
	var out []*Proposal
	for _, p := range d.proposals {
		if !shown(p) {
			continue
		}
		s := stances[p.ID]
		rp := &Proposal{ID: p.ID, Title: p.Title, Body: p.Body, Category: p.Category, FromRoom: p.ActivityID != nil,
			SupportsRoom: p.SupportsRoom, SupportsOnline: p.SupportsOnline,
			CommentsFor: s[agora.StanceFor], CommentsAgainst: s[agora.StanceAgainst], CommentsNeutral: s[agora.StanceNeutral],
			Answer: p.Answer, AnswerText: p.AnswerText, AnsweredAt: utcPtrP(p.AnsweredAt), CreatedAt: p.CreatedAt.UTC()}
		rp.Qualified = threshold > 0 && rp.Supports() >= threshold
		out = append(out, rp)
	}
	slices.SortStableFunc(out, func(x, y *Proposal) int {
		return cmp.Or(cmp.Compare(y.Supports(), x.Supports()), x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	return out
}

// moderation counts what was kept off the pages. Deleted rows are their
// authors' doing, not moderation, and are not counted.
func (d *data) moderation() Moderation {
	var m Moderation
	reasons := map[string]int{}
	for _, p := range d.proposals {
		switch {
		case p.DeletedAt != nil:
		case p.Status == agora.ProposalHidden:
			m.HiddenProposals++
			reasons[p.HiddenReason]++
		case p.Status == agora.ProposalRejected:
			m.RejectedIdeas++
		}
	}
	for _, c := range d.comments {
		if c.Status == agora.CommentHidden && c.DeletedAt == nil {
			m.HiddenComments++
			reasons[c.HiddenReason]++
		}
	}
	for r, n := range reasons {
		m.Reasons = append(m.Reasons, ReasonCount{Reason: r, Count: n})
	}
	slices.SortFunc(m.Reasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return m
}

// method states the threshold, the pre-moderation and the phases: the
// consultation, each workshop as the audit log saw it run (else as
// planned), and each activity reopened online.
func (d *data) method(ws []*Workshop) Method {
	m := Method{SupportThreshold: d.c.SupportThreshold}
	m.Phases = append(m.Phases, Phase{Kind: PhaseConsultation, Title: d.c.Title,
		OpenedAt: utcPtrP(d.c.OpensAt), ClosedAt: utcPtrP(d.c.ClosesAt)})
	for i, w := range ws {
		wd := d.workshops[i]
		opened := w.StartedAt
		if opened == nil {
			opened = utcPtrP(wd.w.StartsAt)
		}
		m.Phases = append(m.Phases, Phase{Kind: PhaseWorkshop, Title: w.Title, OpenedAt: opened,
			ClosedAt: w.EndedAt, WorkshopID: w.ID})
		for _, a := range wd.acts {
			if a.Kind == agora.KindIdeas && a.Settings.Premoderation {
				m.Premoderated++
			}
			if a.OnlineUntil != nil {
				m.Phases = append(m.Phases, Phase{Kind: PhaseOnline, Title: a.Prompt,
					OpenedAt: onlineSince(wd.audit, a), ClosedAt: utcPtr(*a.OnlineUntil),
					WorkshopID: w.ID, ActivityID: a.ID})
			}
		}
	}
	rank := map[PhaseKind]int{PhaseConsultation: 0, PhaseWorkshop: 1, PhaseOnline: 2}
	slices.SortStableFunc(m.Phases, func(a, b Phase) int {
		return cmp.Or(compareTimes(a.OpenedAt, b.OpenedAt), cmp.Compare(rank[a.Kind], rank[b.Kind]),
			cmp.Compare(a.WorkshopID, b.WorkshopID), cmp.Compare(a.ActivityID, b.ActivityID))
	})
	return m
}

// onlineSince is when an activity was reopened online: the first
// activity.online entry since its last reset, else when it closed in the
// room.
func onlineSince(audit []*agora.AuditEntry, a *agora.Activity) *time.Time {
	var since *time.Time
	for _, e := range audit {
		if e.TargetKind != agora.TargetActivity || e.TargetID != a.ID {
			continue
		}
		switch e.Action {
		case "activity.reset":
			since = nil
		case "activity.online":
			if since == nil {
				since = utcPtr(e.At)
			}
		}
	}
	if since == nil {
		since = utcPtrP(a.ClosedAt)
	}
	return since
}

// compareTimes orders times, unknown ones last.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// lastChange is the newest time among the rows the report reads. The
// consultation's own UpdatedAt is left out: publishing the report must not
// change the exports' fingerprints.
func (d *data) lastChange() time.Time {
	var l latest
	for _, wd := range d.workshops {
		l.see(wd.w.UpdatedAt)
		for _, a := range wd.acts {
			l.see(a.UpdatedAt)
		}
		for _, p := range wd.parts {
			l.see(p.CreatedAt)
		}
		for _, vs := range wd.votes {
			for _, v := range vs {
				l.see(v.UpdatedAt)
			}
		}
	}
	for _, p := range d.proposals {
		// An idea awaiting moderation is in no figure: its time must not
		// show on the page or move the fingerprints.
		if p.Status == agora.ProposalPending {
			continue
		}
		l.see(p.UpdatedAt)
		l.seeP(p.AnsweredAt)
	}
	for _, s := range d.supports {
		if d.supportShown(s) {
			l.see(s.CreatedAt)
		}
	}
	for _, c := range d.comments {
		l.see(c.CreatedAt)
		l.seeP(c.EditedAt)
		l.seeP(c.DeletedAt)
	}
	for _, e := range d.audit {
		switch e.Action {
		case "workshop.start", "workshop.end", "activity.online", "activity.reset":
			l.see(e.At)
		}
	}
	return l.t
}

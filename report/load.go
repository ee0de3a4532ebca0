package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/agora-civic/agora"
)

// data is everything a report or an export reads, loaded once so that the
// figures, the JSON and the CSV files all come from the same rows.
type data struct {
	c         *agora.Consultation
	workshops []*workshopData
	proposals []*agora.Proposal // undeleted, every status, by ID
	supports  []*agora.Support
	comments  []*agora.Comment // every status, deleted too, by ID
	audit     []*agora.AuditEntry

	// Derived by index.
	visible  map[int64]*agora.Proposal // approved proposals and ideas
	comment  map[int64]bool            // comments that are shown
	activity map[int64]*agora.Activity
}

// workshopData is one workshop's rows.
type workshopData struct {
	w     *agora.Workshop
	acts  []*agora.Activity // by position
	parts []*agora.Participant
	votes map[int64][]*agora.Vote // by activity, current round only
	audit []*agora.AuditEntry
}

// load reads consultation c from src.
func load(ctx context.Context, src Source, c *agora.Consultation) (*data, error) {
	if c == nil {
		return nil, fmt.Errorf("report: no consultation")
	}
	d := &data{c: c}
	cid := c.ID
	ws, err := src.ListWorkshops(ctx, cid)
	if err != nil {
		return nil, fmt.Errorf("report: list workshops: %w", err)
	}
	slices.SortFunc(ws, func(a, b *agora.Workshop) int { return cmp.Compare(a.ID, b.ID) })
	if d.audit, err = src.ListAudit(ctx, agora.AuditFilter{ConsultationID: &cid}); err != nil {
		return nil, fmt.Errorf("report: list audit: %w", err)
	}
	for _, w := range ws {
		wd, err := loadWorkshop(ctx, src, w, nil)
		if err != nil {
			return nil, err
		}
		for _, e := range d.audit {
			if e.WorkshopID != nil && *e.WorkshopID == w.ID {
				wd.audit = append(wd.audit, e)
			}
		}
		d.workshops = append(d.workshops, wd)
	}
	// Deleted proposals are never listed; the others come in every status,
	// since the moderation summary counts hidden and rejected ones.
	if d.proposals, _, err = src.ListProposals(ctx, agora.ProposalFilter{ConsultationID: cid}); err != nil {
		return nil, fmt.Errorf("report: list proposals: %w", err)
	}
	slices.SortFunc(d.proposals, func(a, b *agora.Proposal) int { return cmp.Compare(a.ID, b.ID) })
	if d.supports, err = src.ListSupports(ctx, cid); err != nil {
		return nil, fmt.Errorf("report: list supports: %w", err)
	}
	if d.comments, err = src.ListComments(ctx, agora.CommentFilter{ConsultationID: &cid}); err != nil {
		return nil, fmt.Errorf("report: list comments: %w", err)
	}
	slices.SortFunc(d.comments, func(a, b *agora.Comment) int { return cmp.Compare(a.ID, b.ID) })
	d.index()
	return d, nil
}

// loadWorkshop reads a workshop's activities, participants and votes, and
// its audit entries unless audit is nil.
func loadWorkshop(ctx context.Context, src Source, w *agora.Workshop, audit *[]*agora.AuditEntry) (*workshopData, error) {
	wd := &workshopData{w: w, votes: map[int64][]*agora.Vote{}}
	var err error
	if wd.acts, err = src.ListActivities(ctx, w.ID); err != nil {
		return nil, fmt.Errorf("report: list activities of workshop %d: %w", w.ID, err)
	}
	slices.SortFunc(wd.acts, func(a, b *agora.Activity) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	if wd.parts, err = src.ListParticipants(ctx, w.ID); err != nil {
		return nil, fmt.Errorf("report: list participants of workshop %d: %w", w.ID, err)
	}
	slices.SortFunc(wd.parts, func(a, b *agora.Participant) int { return cmp.Compare(a.ID, b.ID) })
	for _, a := range wd.acts {
		if !a.Kind.Votable() {
			continue
		}
		// A reset deletes the discarded round's votes: what is listed is
		// the current round.
		vs, err := src.ListVotes(ctx, a.ID)
		if err != nil {
			return nil, fmt.Errorf("report: list votes of activity %d: %w", a.ID, err)
		}
		slices.SortFunc(vs, func(a, b *agora.Vote) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
		wd.votes[a.ID] = vs
	}
	if audit != nil {
		wid := w.ID
		if wd.audit, err = src.ListAudit(ctx, agora.AuditFilter{WorkshopID: &wid}); err != nil {
			return nil, fmt.Errorf("report: list audit of workshop %d: %w", w.ID, err)
		}
	}
	return wd, nil
}

// index works out what is shown: approved proposals and ideas, and the
// visible, undeleted comments whose proposal and parent are shown too.
func (d *data) index() {
	d.visible = map[int64]*agora.Proposal{}
	for _, p := range d.proposals {
		if shown(p) {
			d.visible[p.ID] = p
		}
	}
	d.activity = map[int64]*agora.Activity{}
	for _, wd := range d.workshops {
		for _, a := range wd.acts {
			d.activity[a.ID] = a
		}
	}
	d.comment = map[int64]bool{}
	// Parents first: a reply is shown only under a shown comment.
	for _, top := range []bool{true, false} {
		for _, c := range d.comments {
			if (c.ParentID == nil) != top {
				continue
			}
			ok := c.Status == agora.CommentVisible && c.DeletedAt == nil
			if c.ProposalID != nil {
				ok = ok && d.visible[*c.ProposalID] != nil
			}
			if c.ActivityID != nil {
				ok = ok && d.activity[*c.ActivityID] != nil
			}
			if c.ParentID != nil {
				ok = ok && d.comment[*c.ParentID]
			}
			if ok {
				d.comment[c.ID] = true
			}
		}
	}
}

// shown reports whether a proposal or idea is public.
func shown(p *agora.Proposal) bool { return p.Status == agora.ProposalApproved && p.DeletedAt == nil }

// supportShown reports whether a support counts: on a shown proposal.
func (d *data) supportShown(s *agora.Support) bool { return d.visible[s.ProposalID] != nil }

// ideasOf returns the proposals of an ideas activity, every status.
func (d *data) ideasOf(activityID int64) []*agora.Proposal {
	var out []*agora.Proposal
	for _, p := range d.proposals {
		if p.ActivityID != nil && *p.ActivityID == activityID {
			out = append(out, p)
		}
	}
	return out
}

package server

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// modItem is a proposal or a comment in the moderators' queue.
type modItem struct {
	Kind         agora.TargetKind
	ID           int64
	Cons         *agora.Consultation
	Title        string // proposals
	Body         string
	Author       string
	URL          string // its page
	Hidden       bool
	HiddenReason string
	Reports      []modReport
}

// modReport is one citizen's report.
type modReport struct {
	Reason   string
	Reporter string
	At       time.Time
}

type moderateData struct {
	Flagged []*modItem // content with open reports, oldest report first
	Hidden  []*modItem // content hidden by a moderator, to restore
	MaxLen  int
}

// handleModerateQueue shows every consultation's reported content with
// the reasons given, and the hidden content.
func (s *Server) handleModerateQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cs, err := s.store.ListConsultations(ctx, agora.ConsultationFilter{Limit: 500})
	if err != nil {
		return err
	}
	d := moderateData{MaxLen: agora.MaxFlagReasonLen}
	names := map[int64]string{}
	for _, cons := range cs {
		if err := s.queueOf(ctx, cons, names, &d); err != nil {
			return err
		}
	}
	return s.render(c, fiber.StatusOK, "moderate", form{}, d)
}

// queueOf adds one consultation's reported and hidden content to d.
func (s *Server) queueOf(ctx context.Context, cons *agora.Consultation, names map[int64]string, d *moderateData) error {
	flags, err := s.store.ListFlags(ctx, cons.ID)
	if err != nil {
		return err
	}
	byTarget := map[agora.TargetKind]map[int64]*modItem{agora.TargetProposal: {}, agora.TargetComment: {}}
	for _, f := range flags {
		items, ok := byTarget[f.TargetKind]
		if !ok {
			continue
		}
		it := items[f.TargetID]
		if it == nil {
			if it, err = s.modContent(ctx, cons, f.TargetKind, f.TargetID, names); err != nil {
				return err
			}
			items[f.TargetID] = it
			d.Flagged = append(d.Flagged, it)
		}
		it.Reports = append(it.Reports, modReport{Reason: f.Reason, Reporter: s.userName(ctx, f.ReporterID, names), At: f.CreatedAt})
	}
	ps, _, err := s.store.ListProposals(ctx, agora.ProposalFilter{ConsultationID: cons.ID,
		Statuses: []agora.ProposalStatus{agora.ProposalHidden}, Limit: 200})
	if err != nil {
		return err
	}
	for _, p := range ps {
		d.Hidden = append(d.Hidden, s.proposalModItem(ctx, cons, p, names))
	}
	cms, err := s.store.ListComments(ctx, agora.CommentFilter{ConsultationID: &cons.ID,
		Statuses: []agora.CommentStatus{agora.CommentHidden}})
	if err != nil {
		return err
	}
	for _, cm := range cms {
		d.Hidden = append(d.Hidden, s.commentModItem(ctx, cons, cm, names))
	}
	return nil
}

// modContent reads a reported proposal or comment.
func (s *Server) modContent(ctx context.Context, cons *agora.Consultation, kind agora.TargetKind, id int64, names map[int64]string) (*modItem, error) {
	if kind == agora.TargetProposal {
		p, err := s.store.ProposalByID(ctx, id)
		if err != nil {
			return nil, err
		}
		return s.proposalModItem(ctx, cons, p, names), nil
	}
	cm, err := s.store.CommentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.commentModItem(ctx, cons, cm, names), nil
}

func (s *Server) proposalModItem(ctx context.Context, cons *agora.Consultation, p *agora.Proposal, names map[int64]string) *modItem {
	it := &modItem{Kind: agora.TargetProposal, ID: p.ID, Cons: cons, Title: p.Title, Body: p.Body,
		URL: "/c/" + cons.Slug + "/p/" + strconv.FormatInt(p.ID, 10), Hidden: p.Status == agora.ProposalHidden, HiddenReason: p.HiddenReason}
	if p.AuthorID != nil {
		it.Author = s.userName(ctx, *p.AuthorID, names)
	}
	return it
}

func (s *Server) commentModItem(ctx context.Context, cons *agora.Consultation, cm *agora.Comment, names map[int64]string) *modItem {
	return &modItem{Kind: agora.TargetComment, ID: cm.ID, Cons: cons, Body: cm.Body, URL: commentURL(cons, cm),
		Author: s.userName(ctx, cm.AuthorID, names), Hidden: cm.Status == agora.CommentHidden, HiddenReason: cm.HiddenReason}
}

// userName is a user's display name, remembered in names; "" when the
// account is gone or cannot be read.
func (s *Server) userName(ctx context.Context, id int64, names map[int64]string) string {
	if n, ok := names[id]; ok {
		return n
	}
	u, err := s.store.UserByID(ctx, id)
	if err == nil && u.DeletedAt == nil {
		names[id] = u.DisplayName
	} else {
		names[id] = ""
	}
	return names[id]
}

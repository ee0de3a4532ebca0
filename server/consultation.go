package server

import (
	"context"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/markdown"
)

// Lists of proposals.
const (
	// ProposalsPerPage is the size of a page of proposals.
	ProposalsPerPage = 20
	// maxListPage bounds ?page=: deep offsets cost the database for nothing.
	maxListPage = 500
	// maxSearchLen bounds ?q=.
	maxSearchLen = 100
)

// proposalSorts are the orders a list offers, the default first.
var proposalSorts = []agora.ProposalSort{agora.SortMostSupported, agora.SortNewest, agora.SortMostDebated}

func (s *Server) registerConsultationRoutes() {
	s.app.Get("/c/:slug", s.handleConsultation)
}

// consultationPage is what consultation.html shows.
type consultationPage struct {
	Cons        *agora.Consultation
	Description template.HTML
	Open        bool // citizens may take part now
	Workshops   []workshopSummary
	Online      []activityLink // activities reopened online, still voting
	List        proposalList
	Staff       bool // may read the report before it is published
}

// workshopSummary is a workshop with its activities and how many answered.
type workshopSummary struct {
	W          *agora.Workshop
	Activities []activityLink
}

// activityLink is an activity as listed on the consultation page; its own
// page (activity_page.go) shows the results.
type activityLink struct {
	A       *agora.Activity
	Answers int // voters, or approved ideas
}

// handleConsultation shows one consultation: its description, dates and
// status, its workshops, its activities open online and its proposals. A
// draft does not exist for anyone but staff.
func (s *Server) handleConsultation(c *fiber.Ctx) error {
	cons, err := s.visibleConsultation(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	d := consultationPage{Cons: cons, Description: markdown.Render(cons.Description),
		Open: consultationOpenAt(cons, s.now()) == nil}
	if d.Workshops, d.Online, err = s.workshopSummaries(ctx, cons); err != nil {
		return err
	}
	if d.List, err = s.proposalList(c, cons); err != nil {
		return err
	}
	if u, err := s.currentUser(c); err != nil {
		return err
	} else if u != nil {
		d.Staff = isStaff(u.Role)
	}
	return s.render(c, fiber.StatusOK, "consultation", form{}, d)
}

// visibleConsultation reads the consultation of :slug; a draft is found
// by staff only.
func (s *Server) visibleConsultation(c *fiber.Ctx) (*agora.Consultation, error) {
	cons, err := s.store.ConsultationBySlug(c.UserContext(), c.Params("slug"))
	if err != nil {
		return nil, notFoundAs(err, "error.consultation_not_found")
	}
	if cons.Status == agora.ConsultationDraft {
		u, err := s.currentUser(c)
		if err != nil {
			return nil, err
		}
		if u == nil || u.Role == agora.RoleCitizen {
			return nil, agora.Errorf(agora.ENOTFOUND, "error.consultation_not_found")
		}
	}
	return cons, nil
}

// workshopSummaries lists the consultation's workshops that started, with
// their activities, and the activities still open online.
func (s *Server) workshopSummaries(ctx context.Context, cons *agora.Consultation) ([]workshopSummary, []activityLink, error) {
	ws, err := s.store.ListWorkshops(ctx, cons.ID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	var out []workshopSummary
	var online []activityLink
	for _, w := range ws {
		if w.State == agora.WorkshopDraft {
			continue // still being prepared
		}
		as, err := s.store.ListActivities(ctx, w.ID)
		if err != nil {
			return nil, nil, err
		}
		sum := workshopSummary{W: w}
		for _, a := range as {
			l := activityLink{A: a}
			if l.Answers, err = s.activityAnswers(ctx, a); err != nil {
				return nil, nil, err
			}
			sum.Activities = append(sum.Activities, l)
			if a.OnlineUntil != nil && now.Before(*a.OnlineUntil) {
				online = append(online, l)
			}
		}
		out = append(out, sum)
	}
	return out, online, nil
}

// activityAnswers counts an activity's voters, or its visible ideas.
func (s *Server) activityAnswers(ctx context.Context, a *agora.Activity) (int, error) {
	if a.Kind != agora.KindIdeas {
		return s.store.CountVotes(ctx, a.ID)
	}
	_, n, err := s.store.ListProposals(ctx, agora.ProposalFilter{ActivityID: &a.ID,
		Statuses: []agora.ProposalStatus{agora.ProposalApproved}, Limit: 1})
	return n, err
}

// listQuery is a list's state in the URL: ?sort=&category=&q=&page=.
type listQuery struct {
	Sort     agora.ProposalSort
	Category string
	Q        string
	Page     int
}

// parseListQuery reads the list's parameters, falling back to the default
// for anything unknown rather than failing: these URLs get shared.
func parseListQuery(c *fiber.Ctx) listQuery {
	q := listQuery{Sort: proposalSorts[0], Page: 1}
	for _, v := range proposalSorts {
		if string(v) == c.Query("sort") {
			q.Sort = v
		}
	}
	q.Category = agora.NormalizeCategory(c.Query("category"))
	q.Q = strings.TrimSpace(strings.ToValidUTF8(c.Query("q"), ""))
	if r := []rune(q.Q); len(r) > maxSearchLen {
		q.Q = string(r[:maxSearchLen])
	}
	if n, err := strconv.Atoi(c.Query("page")); err == nil && n > 1 {
		q.Page = min(n, maxListPage)
	}
	return q
}

// url is the consultation page with this query, page p.
func (q listQuery) url(slug string, p int) string {
	v := url.Values{}
	if q.Sort != proposalSorts[0] {
		v.Set("sort", string(q.Sort))
	}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	u := "/c/" + slug
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u + "#proposals"
}

// proposalList is a page of proposals with what its form and its
// pagination need.
type proposalList struct {
	Items      []proposalItem
	Total      int
	Query      listQuery
	Sorts      []agora.ProposalSort
	Categories []string
	Page       int
	Pages      int
	PrevURL    string
	NextURL    string
	Threshold  int
}

// proposalItem is one proposal of a list.
type proposalItem struct {
	P         *agora.Proposal
	URL       string
	Heading   string
	Qualified bool
	Supported bool // by the signed-in reader
}

// proposalList reads the page of visible proposals the query asks for:
// citizens' proposals and the ideas approved in workshops alike.
func (s *Server) proposalList(c *fiber.Ctx, cons *agora.Consultation) (proposalList, error) {
	ctx := c.UserContext()
	q := parseListQuery(c)
	l := proposalList{Query: q, Sorts: proposalSorts, Page: q.Page, Threshold: cons.SupportThreshold}
	ps, total, err := s.store.ListProposals(ctx, agora.ProposalFilter{ConsultationID: cons.ID,
		Statuses: []agora.ProposalStatus{agora.ProposalApproved}, Category: q.Category, Query: q.Q,
		Sort: q.Sort, Limit: ProposalsPerPage, Offset: (q.Page - 1) * ProposalsPerPage})
	if err != nil {
		return l, err
	}
	if l.Categories, err = s.store.ProposalCategories(ctx, cons.ID); err != nil {
		return l, err
	}
	supported, err := s.supportedSet(c, ps)
	if err != nil {
		return l, err
	}
	l.Total, l.Pages = total, max(1, (total+ProposalsPerPage-1)/ProposalsPerPage)
	for _, p := range ps {
		l.Items = append(l.Items, proposalItem{P: p, URL: proposalURL(cons, p), Heading: p.Heading(),
			Qualified: p.Qualified(cons.SupportThreshold), Supported: supported[p.ID]})
	}
	if q.Page > 1 {
		l.PrevURL = q.url(cons.Slug, min(q.Page-1, l.Pages))
	}
	if q.Page < l.Pages {
		l.NextURL = q.url(cons.Slug, q.Page+1)
	}
	return l, nil
}

// supportedSet says which of ps the signed-in reader supports.
func (s *Server) supportedSet(c *fiber.Ctx, ps []*agora.Proposal) (map[int64]bool, error) {
	u, err := s.currentUser(c)
	if err != nil || u == nil || len(ps) == 0 {
		return nil, err
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	got, err := s.store.SupportedBy(c.UserContext(), u.ID, ids)
	if err != nil {
		return nil, err
	}
	set := make(map[int64]bool, len(got))
	for _, id := range got {
		set[id] = true
	}
	return set, nil
}

// proposalURL is the page of a proposal.
func proposalURL(cons *agora.Consultation, p *agora.Proposal) string {
	return "/c/" + cons.Slug + "/p/" + strconv.FormatInt(p.ID, 10)
}

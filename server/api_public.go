package server

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// The public read-only API: consultations, their workshops and activities,
// and the results anyone may see, as open data (docs/api.md, "Public
// read-only API"). Answers are the same for every caller, signed in or
// not, so caches and other sites may keep and reuse them.

// ConsultationsPerPage is the size of a page of GET /api/v1/consultations.
const ConsultationsPerPage = 20

// publicCache lets shared caches keep public answers briefly: long enough
// to absorb a crowd reloading, short enough that a moderator's hide or a
// reveal shows within a minute.
const publicCache = "public, max-age=60"

func (s *Server) registerPublicAPIRoutes() {
	v1 := "/api/v1/consultations"
	s.app.Get(v1, s.openData, s.handlePublicConsultations)
	s.app.Get(v1+"/:slug", s.openData, s.handlePublicConsultation)
	s.app.Get(v1+"/:slug/activities", s.openData, s.handlePublicActivities)
	s.app.Get(v1+"/:slug/results", s.openData, s.handlePublicResults)
}

// openData marks an answer, error included, as readable by any site: the
// data is public and no cookie is needed to read it.
func (s *Server) openData(c *fiber.Ctx) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	return c.Next()
}

// publicJSON answers v as cacheable JSON.
func publicJSON(c *fiber.Ctx, v any) error {
	c.Set(fiber.HeaderCacheControl, publicCache)
	return c.JSON(v)
}

// pubConsultation is a consultation in the public API.
type pubConsultation struct {
	ID               int64                    `json:"id"`
	Slug             string                   `json:"slug"`
	Title            string                   `json:"title"`
	Description      string                   `json:"description,omitempty"` // Markdown
	Status           agora.ConsultationStatus `json:"status"`
	OpensAt          *time.Time               `json:"opens_at"`
	ClosesAt         *time.Time               `json:"closes_at"`
	SupportThreshold int                      `json:"support_threshold"`
	ReportPublished  bool                     `json:"report_published"`
	URL              string                   `json:"url"`
	CreatedAt        time.Time                `json:"created_at"`
}

func (s *Server) pubConsultation(cons *agora.Consultation, withDescription bool) pubConsultation {
	p := pubConsultation{ID: cons.ID, Slug: cons.Slug, Title: cons.Title, Status: cons.Status,
		OpensAt: cons.OpensAt, ClosesAt: cons.ClosesAt, SupportThreshold: cons.SupportThreshold,
		ReportPublished: cons.ReportPublished, URL: s.cfg.PublicURL + "/c/" + cons.Slug, CreatedAt: cons.CreatedAt}
	if withDescription {
		p.Description = cons.Description
	}
	return p
}

// pubWorkshop is a workshop without its secrets: no join code (it would
// let anyone far away into a live room), no screen token.
type pubWorkshop struct {
	ID           int64               `json:"id"`
	Title        string              `json:"title"`
	Place        string              `json:"place"`
	State        agora.WorkshopState `json:"state"`
	StartsAt     *time.Time          `json:"starts_at"`
	Participants int                 `json:"participants"`
	Activities   []pubActivity       `json:"activities"`
}

// pubActivity is an activity with how many answered; results_visible
// says whether its results are public (pubResultsVisible).
type pubActivity struct {
	ID             int64               `json:"id"`
	WorkshopID     int64               `json:"workshop_id"`
	Position       int                 `json:"position"`
	Kind           agora.ActivityKind  `json:"kind"`
	Prompt         string              `json:"prompt"`
	Options        []agora.Option      `json:"options,omitempty"`
	State          agora.ActivityState `json:"state"`
	ResultsVisible bool                `json:"results_visible"`
	Answers        int                 `json:"answers"` // voters, or approved ideas
	OpenedAt       *time.Time          `json:"opened_at"`
	ClosedAt       *time.Time          `json:"closed_at"`
	OnlineUntil    *time.Time          `json:"online_until"`
}

// pubResultsVisible is the one rule for anyone outside the room: results
// are public once shown to the room (never hidden, or revealed) or once
// the organiser published the report.
func pubResultsVisible(cons *agora.Consultation, a *agora.Activity) bool {
	return a.ResultsVisible() || cons.ReportPublished
}

// handlePublicConsultations is GET /api/v1/consultations?page=: the
// consultations that are not drafts, newest first.
func (s *Server) handlePublicConsultations(c *fiber.Ctx) error {
	page := 1
	if q := c.Query("page"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > maxListPage {
			return agora.Errorf(agora.EINVALID, "error.page_invalid", maxListPage)
		}
		page = n
	}
	// One more than a page tells whether another page follows.
	cs, err := s.store.ListConsultations(c.UserContext(), agora.ConsultationFilter{
		Statuses: []agora.ConsultationStatus{agora.ConsultationOpen, agora.ConsultationClosed},
		Limit:    ConsultationsPerPage + 1, Offset: (page - 1) * ConsultationsPerPage})
	if err != nil {
		return err
	}
	more := len(cs) > ConsultationsPerPage
	out := make([]pubConsultation, 0, ConsultationsPerPage)
	for i, cons := range cs {
		if i == ConsultationsPerPage {
			break
		}
		out = append(out, s.pubConsultation(cons, false))
	}
	return publicJSON(c, fiber.Map{"page": page, "per_page": ConsultationsPerPage, "has_more": more, "consultations": out})
}

// handlePublicConsultation is GET /api/v1/consultations/{slug}: the
// consultation, its workshops with their activities, and counts.
func (s *Server) handlePublicConsultation(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ws, err := s.pubWorkshops(ctx, cons)
	if err != nil {
		return err
	}
	_, proposals, err := s.store.ListProposals(ctx, agora.ProposalFilter{ConsultationID: cons.ID,
		Statuses: []agora.ProposalStatus{agora.ProposalApproved}, Limit: 1})
	if err != nil {
		return err
	}
	counts := struct {
		Workshops    int `json:"workshops"`
		Activities   int `json:"activities"`
		Participants int `json:"participants"` // devices that joined a workshop
		Proposals    int `json:"proposals"`    // visible proposals and approved ideas
	}{Workshops: len(ws), Proposals: proposals}
	for _, w := range ws {
		counts.Activities += len(w.Activities)
		counts.Participants += w.Participants
	}
	return publicJSON(c, fiber.Map{"consultation": s.pubConsultation(cons, true), "counts": counts, "workshops": ws})
}

// handlePublicActivities is GET /api/v1/consultations/{slug}/activities.
func (s *Server) handlePublicActivities(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	ws, err := s.pubWorkshops(c.UserContext(), cons)
	if err != nil {
		return err
	}
	out := []pubActivity{}
	for _, w := range ws {
		out = append(out, w.Activities...)
	}
	return publicJSON(c, fiber.Map{"activities": out})
}

// pubResult is one activity's public results; Tally is absent while they
// are hidden.
type pubResult struct {
	ActivityID     int64              `json:"activity_id"`
	WorkshopID     int64              `json:"workshop_id"`
	Kind           agora.ActivityKind `json:"kind"`
	Prompt         string             `json:"prompt"`
	ResultsVisible bool               `json:"results_visible"`
	Tally          *agora.Tally       `json:"tally,omitempty"`
}

// handlePublicResults is GET /api/v1/consultations/{slug}/results: every
// activity's tally that is public, counted as the live tallies are.
func (s *Server) handlePublicResults(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ws, err := s.shownWorkshops(ctx, cons)
	if err != nil {
		return err
	}
	out := []pubResult{}
	for _, w := range ws {
		as, err := s.store.ListActivities(ctx, w.ID)
		if err != nil {
			return err
		}
		for _, a := range as {
			r := pubResult{ActivityID: a.ID, WorkshopID: w.ID, Kind: a.Kind, Prompt: a.Prompt,
				ResultsVisible: pubResultsVisible(cons, a)}
			if r.ResultsVisible {
				t, err := s.tallyOf(ctx, a)
				if err != nil {
					return err
				}
				r.Tally = &t
			}
			out = append(out, r)
		}
	}
	return publicJSON(c, fiber.Map{"results": out})
}

// shownWorkshops are the consultation's workshops the public sees: those
// that started (a draft is still being prepared), oldest first.
func (s *Server) shownWorkshops(ctx context.Context, cons *agora.Consultation) ([]*agora.Workshop, error) {
	ws, err := s.store.ListWorkshops(ctx, cons.ID)
	if err != nil {
		return nil, err
	}
	out := ws[:0]
	for _, w := range ws {
		if w.State != agora.WorkshopDraft {
			out = append(out, w)
		}
	}
	return out, nil
}

// pubWorkshops lists the shown workshops with their activities.
func (s *Server) pubWorkshops(ctx context.Context, cons *agora.Consultation) ([]pubWorkshop, error) {
	ws, err := s.shownWorkshops(ctx, cons)
	if err != nil {
		return nil, err
	}
	out := make([]pubWorkshop, 0, len(ws))
	for _, w := range ws {
		pw := pubWorkshop{ID: w.ID, Title: w.Title, Place: w.Place, State: w.State, StartsAt: w.StartsAt,
			Activities: []pubActivity{}}
		if pw.Participants, err = s.store.CountParticipants(ctx, w.ID); err != nil {
			return nil, err
		}
		as, err := s.store.ListActivities(ctx, w.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			pa := pubActivity{ID: a.ID, WorkshopID: w.ID, Position: a.Position, Kind: a.Kind, Prompt: a.Prompt,
				Options: a.Options, State: a.State, ResultsVisible: pubResultsVisible(cons, a),
				OpenedAt: a.OpenedAt, ClosedAt: a.ClosedAt, OnlineUntil: a.OnlineUntil}
			if pa.Answers, err = s.activityAnswers(ctx, a); err != nil {
				return nil, err
			}
			pw.Activities = append(pw.Activities, pa)
		}
		out = append(out, pw)
	}
	return out, nil
}

// publicActivityResults serves GET /api/v1/activities/{id}/results to
// anyone when the results are public (pubResultsVisible) in a
// consultation and workshop the public sees. ok is false when the caller
// must be checked as a participant or staff instead.
func (s *Server) publicActivityResults(c *fiber.Ctx, a *agora.Activity, w *agora.Workshop) (ok bool, err error) {
	if w.State == agora.WorkshopDraft {
		return false, nil
	}
	cons, err := s.store.ConsultationByID(c.UserContext(), w.ConsultationID)
	if err != nil || cons.Status == agora.ConsultationDraft || !pubResultsVisible(cons, a) {
		return false, err
	}
	t, err := s.tallyOf(c.UserContext(), a)
	if err != nil {
		return false, err
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return true, noStoreJSON(c, fiber.StatusOK, fiber.Map{"activity": activityJSON(a), "tally": t})
}

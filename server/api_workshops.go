package server

import (
	"context"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// registerWorkshopAPIRoutes installs the JSON API of workshops under
// /api/v1 (docs/api.md). Every state change needs the CSRF header, as
// every form does; GET /api/v1/csrf hands it to scripts.
func (s *Server) registerWorkshopAPIRoutes() {
	v1 := s.app.Group("/api/v1")
	v1.Get("/csrf", s.handleAPICSRF)

	// Participants (api_room.go).
	v1.Post("/workshops/:code/join", s.handleAPIJoin)
	v1.Get("/workshops/:code/state", s.handleAPIState)
	v1.Post("/activities/:id/vote", s.handleAPIVote)
	v1.Post("/activities/:id/ideas", s.handleAPIIdea)
	v1.Post("/ideas/:id/support", s.handleAPISupport(true))
	v1.Delete("/ideas/:id/support", s.handleAPISupport(false))
	v1.Get("/activities/:id/results", s.handleAPIResults)

	// Staff.
	staff := s.requireRole(agora.Role.CanFacilitate)
	v1.Post("/consultations/:id/workshops", staff, s.handleAPICreateWorkshop)
	v1.Get("/workshops/:code", staff, s.handleAPIWorkshop)
	v1.Patch("/workshops/:code", staff, s.handleAPIUpdateWorkshop)
	v1.Post("/workshops/:code/activities", staff, s.handleAPIAddActivity)
	for name, cmd := range workshopCommands {
		v1.Post("/workshops/:code/"+name, staff, s.handleAPIWorkshopCommand(cmd))
	}
	v1.Patch("/activities/:id", staff, s.handleAPIUpdateActivity)
	v1.Delete("/activities/:id", staff, s.handleAPIDeleteActivity)
	v1.Post("/activities/:id/move", staff, s.handleAPIMoveActivity)
	for name, cmd := range activityCommands {
		v1.Post("/activities/:id/"+name, staff, s.handleAPIActivityCommand(cmd))
	}
	canModerate := func(r agora.Role) bool { return r.CanFacilitate() || r.CanModerate() }
	v1.Post("/ideas/:id/moderate", s.requireRole(canModerate), s.handleAPIModerate)
}

// staffCommand is one of the engine's commands on a workshop or an
// activity, by ID. The dashboard's forms call the same ones.
type staffCommand func(e *live.Engine, ctx context.Context, actor *agora.User, id int64) error

var workshopCommands = map[string]staffCommand{
	"start":    (*live.Engine).StartWorkshop,
	"next":     (*live.Engine).Next,
	"previous": (*live.Engine).Previous,
	"end":      (*live.Engine).EndWorkshop,
}

var activityCommands = map[string]staffCommand{
	"open":   (*live.Engine).OpenActivity,
	"close":  (*live.Engine).CloseActivity,
	"reveal": (*live.Engine).RevealResults,
	"hide":   (*live.Engine).HideResults,
	"reset":  (*live.Engine).ResetActivity,
}

// workshopJSON is a workshop as staff see it, with its links.
type workshopJSON struct {
	live.WorkshopView
	JoinURL   string `json:"join_url"`
	QRURL     string `json:"qr_url"`
	ScreenURL string `json:"screen_url"`
}

func (s *Server) workshopJSON(w *agora.Workshop) workshopJSON {
	code := url.PathEscape(w.JoinCode)
	return workshopJSON{
		WorkshopView: live.WorkshopView{ID: w.ID, ConsultationID: w.ConsultationID, Title: w.Title, Place: w.Place,
			State: w.State, JoinCode: w.JoinCode, ScreenToken: w.ScreenToken, CurrentActivityID: w.CurrentActivityID, StartsAt: w.StartsAt},
		JoinURL:   s.joinURL(w.JoinCode),
		QRURL:     s.cfg.PublicURL + "/w/" + code + "/qr.png",
		ScreenURL: screenURL(s.cfg.PublicURL, w),
	}
}

type workshopRequest struct {
	Title    *string    `json:"title"`
	Place    *string    `json:"place"`
	StartsAt *time.Time `json:"starts_at"`
}

func (r workshopRequest) apply(w *agora.Workshop) {
	if r.Title != nil {
		w.Title = agora.NormalizeLine(*r.Title)
	}
	if r.Place != nil {
		w.Place = agora.NormalizeLine(*r.Place)
	}
	if r.StartsAt != nil {
		w.StartsAt = r.StartsAt
	}
}

// handleAPICreateWorkshop is POST /api/v1/consultations/{id}/workshops
// {title, place, starts_at}.
func (s *Server) handleAPICreateWorkshop(c *fiber.Ctx) error {
	cid, err := pathID(c, "id", "error.consultation_not_found")
	if err != nil {
		return err
	}
	var in workshopRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	w := &agora.Workshop{ConsultationID: cid}
	in.apply(w)
	if err := w.ValidateText(); err != nil {
		return err
	}
	if err := s.engine.CreateWorkshop(c.UserContext(), s.mustUser(c), w); err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusCreated, fiber.Map{"workshop": s.workshopJSON(w)})
}

// handleAPIWorkshop is GET /api/v1/workshops/{code}: the facilitators'
// state, run of show included.
func (s *Server) handleAPIWorkshop(c *fiber.Ctx) error {
	w, err := s.workshopByCode(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	return s.facilitatorState(c, w.ID)
}

// handleAPIUpdateWorkshop is PATCH /api/v1/workshops/{code}: the fields
// given change, the others stay.
func (s *Server) handleAPIUpdateWorkshop(c *fiber.Ctx) error {
	var in workshopRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	w, err := s.workshopByCode(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	in.apply(w)
	if err := w.ValidateText(); err != nil {
		return err
	}
	if err := s.engine.UpdateWorkshop(c.UserContext(), s.mustUser(c), w); err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"workshop": s.workshopJSON(w)})
}

// handleAPIWorkshopCommand is POST /api/v1/workshops/{code}/{start|next|
// previous|end}; it answers with the facilitators' new state.
func (s *Server) handleAPIWorkshopCommand(cmd staffCommand) fiber.Handler {
	return func(c *fiber.Ctx) error {
		w, err := s.workshopByCode(c.UserContext(), c.Params("code"))
		if err != nil {
			return err
		}
		if err := cmd(s.engine, c.UserContext(), s.mustUser(c), w.ID); err != nil {
			return err
		}
		return s.facilitatorState(c, w.ID)
	}
}

// handleAPIActivityCommand is POST /api/v1/activities/{id}/{open|close|
// reveal|hide|reset}; it answers with the facilitators' new state.
func (s *Server) handleAPIActivityCommand(cmd staffCommand) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id", "error.activity_not_found")
		if err != nil {
			return err
		}
		if err := cmd(s.engine, c.UserContext(), s.mustUser(c), id); err != nil {
			return err
		}
		a, err := s.store.ActivityByID(c.UserContext(), id)
		if err != nil {
			return notFoundAs(err, "error.activity_not_found")
		}
		return s.facilitatorState(c, a.WorkshopID)
	}
}

// facilitatorState answers with a workshop's state as facilitators see it,
// read after the command.
func (s *Server) facilitatorState(c *fiber.Ctx, workshopID int64) error {
	w, err := s.store.WorkshopByID(c.UserContext(), workshopID)
	if err != nil {
		return notFoundAs(err, "error.workshop_not_found")
	}
	st, err := s.engine.State(c.UserContext(), w, live.Facilitators, nil)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, st)
}

type moderateRequest struct {
	Action live.ModerationAction `json:"action"`
}

// handleAPIModerate is POST /api/v1/ideas/{id}/moderate {action}.
func (s *Server) handleAPIModerate(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.idea_not_found")
	if err != nil {
		return err
	}
	var in moderateRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	idea, err := s.engine.Moderate(c.UserContext(), s.mustUser(c), id, in.Action)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"idea": ideaJSON(idea)})
}

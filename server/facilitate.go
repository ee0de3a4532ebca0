package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// registerFacilitateRoutes registers the staff side of workshops: the list,
// preparing a run of show (facilitate_prepare.go) and running it from the
// dashboard (facilitate_run.go). Every command is a plain form POST that
// answers 303 back to its page, or 204 to a script sending Accept: JSON.
func (s *Server) registerFacilitateRoutes() {
	g := s.app.Group("/facilitate", s.requireRole(agora.Role.CanFacilitate))
	g.Get("/", s.handleFacilitate)
	g.Post("/workshops", s.handleCreateWorkshop)
	g.Get("/:code", s.handleDashboard)
	g.Get("/:code/prepare", s.handlePrepare)
	g.Get("/:code/export.csv", s.handleExportCSV) // export_csv.go
	g.Get("/:code/summary", s.handleSummary)      // export_summary.go
	g.Post("/:code/activities", s.handleAddActivity)
	g.Post("/:code/activities/:id", s.handleUpdateActivity)
	g.Post("/:code/activities/:id/move", s.handleMoveActivity)
	g.Post("/:code/activities/:id/delete", s.handleDeleteActivity)
	g.Post("/:code/activities/:id/online", s.handleReopenOnline) // online.go
	g.Post("/:code/activities/:id/:command", s.handleActivityCommand)
	g.Post("/:code/ideas/:id/:action", s.handleModerate)
	g.Post("/:code/:command", s.handleWorkshopCommand)
}

type facilitateItem struct {
	Consultation *agora.Consultation
	Workshops    []*agora.Workshop
}

type facilitateData struct {
	Items         []facilitateItem
	Consultations []*agora.Consultation // where a workshop may be created
}

// workshopFields says which field of the new-workshop form each message
// belongs to.
var workshopFields = map[string]string{
	"error.title_length":           "title",
	"error.place_length":           "place",
	"error.title_invalid":          "title",
	"error.place_invalid":          "place",
	"error.text_invalid":           "title",
	"error.consultation_not_found": "consultation",
}

// handleFacilitate lists the workshops of consultations in preparation or
// open, for facilitators and admins to run, with a form to create one.
func (s *Server) handleFacilitate(c *fiber.Ctx) error {
	return s.renderFacilitate(c, fiber.StatusOK, form{})
}

func (s *Server) renderFacilitate(c *fiber.Ctx, status int, f form) error {
	ctx := c.UserContext()
	cs, err := s.store.ListConsultations(ctx, agora.ConsultationFilter{
		Statuses: []agora.ConsultationStatus{agora.ConsultationDraft, agora.ConsultationOpen},
		Limit:    100,
	})
	if err != nil {
		return err
	}
	d := facilitateData{Items: make([]facilitateItem, 0, len(cs)), Consultations: cs}
	for _, cons := range cs {
		ws, err := s.store.ListWorkshops(ctx, cons.ID)
		if err != nil {
			return err
		}
		d.Items = append(d.Items, facilitateItem{Consultation: cons, Workshops: ws})
	}
	return s.render(c, status, "facilitate", f, d)
}

// handleCreateWorkshop creates a workshop in a consultation and opens its
// run of show for preparation.
func (s *Server) handleCreateWorkshop(c *fiber.Ctx) error {
	values := map[string]string{
		"consultation": c.FormValue("consultation"),
		"title":        agora.NormalizeLine(c.FormValue("title")),
		"place":        agora.NormalizeLine(c.FormValue("place")),
	}
	w := &agora.Workshop{Title: values["title"], Place: values["place"]}
	cons, err := s.store.ConsultationBySlug(c.UserContext(), values["consultation"])
	if err != nil {
		err = notFoundAs(err, "error.consultation_not_found")
	} else if err = w.ValidateText(); err == nil {
		w.ConsultationID = cons.ID
		err = s.engine.CreateWorkshop(c.UserContext(), s.mustUser(c), w)
	}
	if code := agora.ErrorCode(err); code == agora.EINVALID || code == agora.ENOTFOUND {
		return s.renderFacilitate(c, statusOf[code], s.formError(c, values, err, workshopFields))
	} else if err != nil {
		return err
	}
	return c.Redirect("/facilitate/"+w.JoinCode+"/prepare", fiber.StatusSeeOther)
}

// notFoundAs gives a not-found error the message key, so the user reads
// what was missing; other errors pass unchanged.
func notFoundAs(err error, key string) error {
	if agora.IsCode(err, agora.ENOTFOUND) {
		return agora.WrapError(agora.ENOTFOUND, key, err)
	}
	return err
}

// staffWorkshop reads the workshop of the :code parameter.
func (s *Server) staffWorkshop(c *fiber.Ctx) (*agora.Workshop, error) {
	code := agora.NormalizeJoinCode(c.Params("code"))
	if code == "" {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	}
	w, err := s.store.WorkshopByCode(c.UserContext(), code)
	return w, notFoundAs(err, "error.workshop_not_found")
}

// workshopActivity reads the activity of the :id parameter, which must
// belong to workshop w.
func (s *Server) workshopActivity(c *fiber.Ctx, w *agora.Workshop) (*agora.Activity, error) {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.activity_not_found")
	}
	a, err := s.store.ActivityByID(c.UserContext(), int64(id))
	if err == nil && a.WorkshopID != w.ID {
		err = agora.Errorf(agora.ENOTFOUND, "error.activity_not_found")
	}
	return a, notFoundAs(err, "error.activity_not_found")
}

// done answers a successful command: 204 to a script, 303 back to the
// page the form came from otherwise.
func (s *Server) done(c *fiber.Ctx, w *agora.Workshop) error {
	if wantsJSON(c) {
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(backURL(c, w), fiber.StatusSeeOther)
}

// backURL is the staff page a form named in its "back" field: the run of
// show ("prepare") or the dashboard (anything else).
func backURL(c *fiber.Ctx, w *agora.Workshop) string {
	base := "/facilitate/" + w.JoinCode
	if c.FormValue("back") == "prepare" {
		return base + "/prepare"
	}
	return base
}

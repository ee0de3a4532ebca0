package server

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

func (s *Server) registerAdminRoutes() {
	g := s.app.Group("/admin", s.requireRole(isAdmin))
	g.Get("/", s.handleAdmin)
	g.Post("/consultations", s.handleCreateConsultation)
	g.Post("/users/:id/role", s.handleChangeRole)
	g.Get("/consultations/:id", s.handleConsultationEditPage)
	g.Post("/consultations/:id", s.handleConsultationEdit)
}

type adminData struct {
	Notice        string
	Consultations []*agora.Consultation
	Users         []*agora.User
	Statuses      []agora.ConsultationStatus
	Roles         []agora.Role
	RoleFilter    agora.Role // "" lists every account
	Flagged       []flaggedConsultation
}

// flaggedConsultation is a line of the flagged content section.
type flaggedConsultation struct {
	Consultation *agora.Consultation
	Open         int
}

// adminNotices are the confirmations ?done= may ask for.
var adminNotices = map[string]string{
	"consultation_created": "admin.notice.consultation_created",
	"role_changed":         "admin.notice.role_changed",
}

// consultationFields says which form field each validation message belongs to.
var consultationFields = map[string]string{
	"error.slug_invalid":        "slug",
	"error.slug_taken":          "slug",
	"error.title_length":        "title",
	"error.title_invalid":       "title",
	"error.description_length":  "description",
	"error.description_invalid": "description",
	"error.status_invalid":      "status",
}

func (s *Server) handleAdmin(c *fiber.Ctx) error {
	return s.renderAdmin(c, fiber.StatusOK, form{Values: map[string]string{"status": string(agora.ConsultationDraft)}})
}

func (s *Server) renderAdmin(c *fiber.Ctx, status int, f form) error {
	ctx := c.UserContext()
	cs, err := s.store.ListConsultations(ctx, agora.ConsultationFilter{Limit: 200})
	if err != nil {
		return err
	}
	uf := agora.UserFilter{Limit: 500}
	role := agora.Role(c.Query("role"))
	if role.Valid() {
		uf.Roles = []agora.Role{role}
	} else {
		role = ""
	}
	us, err := s.store.ListUsers(ctx, uf)
	if err != nil {
		return err
	}
	flagged, err := s.flaggedConsultations(c, cs)
	if err != nil {
		return err
	}
	d := adminData{
		Consultations: cs,
		Users:         us,
		Statuses:      []agora.ConsultationStatus{agora.ConsultationDraft, agora.ConsultationOpen, agora.ConsultationClosed},
		Roles:         []agora.Role{agora.RoleCitizen, agora.RoleFacilitator, agora.RoleModerator, agora.RoleAdmin},
		RoleFilter:    role,
		Flagged:       flagged,
	}
	if key, ok := adminNotices[c.Query("done")]; ok {
		d.Notice = s.web.T(s.lang(c), key)
	}
	return s.render(c, status, "admin", f, d)
}

// flaggedConsultations counts the open flags of each consultation that
// has any, in the order of cs (newest first); one not in cs is read.
func (s *Server) flaggedConsultations(c *fiber.Ctx, cs []*agora.Consultation) ([]flaggedConsultation, error) {
	counts, err := s.store.CountOpenFlags(c.UserContext())
	if err != nil || len(counts) == 0 {
		return nil, err
	}
	var out []flaggedConsultation
	for _, cons := range cs {
		if n := counts[cons.ID]; n > 0 {
			out = append(out, flaggedConsultation{cons, n})
			delete(counts, cons.ID)
		}
	}
	for id, n := range counts {
		cons, err := s.store.ConsultationByID(c.UserContext(), id)
		if err != nil {
			return nil, err
		}
		out = append(out, flaggedConsultation{cons, n})
	}
	return out, nil
}

// handleCreateConsultation creates a consultation and records who did.
func (s *Server) handleCreateConsultation(c *fiber.Ctx) error {
	u := s.mustUser(c)
	values := map[string]string{
		"slug":        strings.TrimSpace(c.FormValue("slug")),
		"title":       agora.NormalizeLine(c.FormValue("title")),
		"description": strings.TrimSpace(c.FormValue("description")),
		"status":      c.FormValue("status"),
	}
	cons := &agora.Consultation{
		Slug:        values["slug"],
		Title:       values["title"],
		Description: values["description"],
		Status:      agora.ConsultationStatus(values["status"]),
		CreatedBy:   &u.ID,
	}
	err := cons.Validate()
	if err == nil {
		err = s.store.WithTx(c.UserContext(), func(tx agora.Store) error {
			if err := tx.CreateConsultation(c.UserContext(), cons); err != nil {
				if agora.IsCode(err, agora.ECONFLICT) {
					return &agora.Error{Code: agora.ECONFLICT, Message: "error.slug_taken", Err: err}
				}
				return err
			}
			return tx.AppendAudit(c.UserContext(), s.audit(u, "consultation.create", agora.TargetConsultation, cons.ID, &cons.ID,
				map[string]any{"slug": cons.Slug, "status": cons.Status}))
		})
	}
	switch code := agora.ErrorCode(err); code {
	case "":
	case agora.EINVALID, agora.ECONFLICT:
		return s.renderAdmin(c, statusOf[code], s.formError(c, values, err, consultationFields))
	default:
		return err
	}
	return c.Redirect("/admin?done=consultation_created", fiber.StatusSeeOther)
}

// handleChangeRole gives a user another role. The last admin stays admin,
// so that nobody locks the instance.
func (s *Server) handleChangeRole(c *fiber.Ctx) error {
	actor := s.mustUser(c)
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return agora.Errorf(agora.ENOTFOUND, "error.not_found")
	}
	role := agora.Role(c.FormValue("role"))
	if !role.Valid() {
		return agora.Errorf(agora.EINVALID, "error.role_invalid")
	}
	ctx := c.UserContext()
	err = s.store.WithTx(ctx, func(tx agora.Store) error {
		target, err := tx.UserByID(ctx, int64(id))
		if err != nil {
			return err
		}
		if target.Role == role {
			return nil
		}
		if target.DeletedAt != nil {
			return agora.Errorf(agora.EINVALID, "error.user_deleted")
		}
		if target.Role == agora.RoleAdmin {
			n, err := tx.CountUsers(ctx, agora.RoleAdmin)
			if err != nil {
				return err
			}
			if n <= 1 {
				return agora.Errorf(agora.EINVALID, "error.last_admin")
			}
		}
		from := target.Role
		target.Role = role
		if err := tx.UpdateUser(ctx, target); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.audit(actor, "user.role", agora.TargetUser, target.ID, nil,
			map[string]any{"from": from, "to": role}))
	})
	if err != nil {
		return err
	}
	return c.Redirect("/admin?done=role_changed", fiber.StatusSeeOther)
}

// audit builds the log entry of a staff action; detail is stored as JSON.
func (s *Server) audit(actor *agora.User, action string, kind agora.TargetKind, id int64, consultationID *int64, detail map[string]any) *agora.AuditEntry {
	b, _ := json.Marshal(detail) // maps of strings and roles always encode
	return &agora.AuditEntry{
		At:             s.now(),
		ActorID:        &actor.ID,
		Action:         action,
		TargetKind:     kind,
		TargetID:       id,
		ConsultationID: consultationID,
		Detail:         string(b),
	}
}

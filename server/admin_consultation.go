package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// Editing a consultation at /admin/consultations/{id}: its texts, status,
// dates, support threshold and whether its report is published. The slug is fixed once the consultation
// has left draft, so that printed and shared links keep working.

// maxSupportThreshold bounds the threshold to something a town can reach.
const maxSupportThreshold = 1_000_000

type consultationEditData struct {
	Consultation *agora.Consultation
	Statuses     []agora.ConsultationStatus // the ones it may move to
	SlugLocked   bool
	Audit        []*agora.AuditEntry
	Notice       string
}

// consultationEditFields adds the date and threshold fields to the
// create form's.
var consultationEditFields = map[string]string{
	"error.dates_order":       "closes_at",
	"error.opens_invalid":     "opens_at",
	"error.closes_invalid":    "closes_at",
	"error.slug_locked":       "slug",
	"error.threshold_invalid": "support_threshold",
	"error.status_transition": "status",
}

func init() {
	for k, v := range consultationFields {
		consultationEditFields[k] = v
	}
}

func (s *Server) consultationParam(c *fiber.Ctx) (*agora.Consultation, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.consultation_not_found")
	}
	return s.store.ConsultationByID(c.UserContext(), id)
}

func (s *Server) handleConsultationEditPage(c *fiber.Ctx) error {
	cons, err := s.consultationParam(c)
	if err != nil {
		return err
	}
	return s.renderConsultationEdit(c, fiber.StatusOK, cons, form{Values: consultationValues(cons)})
}

// consultationValues fills the form from the stored consultation.
func consultationValues(c *agora.Consultation) map[string]string {
	v := map[string]string{
		"slug": c.Slug, "title": c.Title, "description": c.Description, "status": string(c.Status),
		"support_threshold": strconv.Itoa(c.SupportThreshold),
	}
	if c.ReportPublished {
		v["report_published"] = "on"
	}
	if c.OpensAt != nil {
		v["opens_at"] = c.OpensAt.UTC().Format(time.DateOnly)
	}
	if c.ClosesAt != nil {
		v["closes_at"] = c.ClosesAt.UTC().Format(time.DateOnly)
	}
	return v
}

func (s *Server) renderConsultationEdit(c *fiber.Ctx, status int, cons *agora.Consultation, f form) error {
	audit, err := s.store.ListAudit(c.UserContext(), agora.AuditFilter{ConsultationID: &cons.ID, TargetKind: agora.TargetConsultation, TargetID: cons.ID, Limit: 50})
	if err != nil {
		return err
	}
	d := consultationEditData{Consultation: cons, SlugLocked: cons.Status != agora.ConsultationDraft, Audit: audit}
	for _, st := range []agora.ConsultationStatus{agora.ConsultationDraft, agora.ConsultationOpen, agora.ConsultationClosed} {
		if cons.Status.CanBecome(st) {
			d.Statuses = append(d.Statuses, st)
		}
	}
	if c.Query("done") == "saved" {
		d.Notice = s.web.T(s.lang(c), "admin.notice.consultation_saved")
	}
	return s.render(c, status, "admin_consultation", f, d)
}

// handleConsultationEdit validates and saves the form, with an audit
// entry of what changed, in one transaction.
func (s *Server) handleConsultationEdit(c *fiber.Ctx) error {
	actor := s.mustUser(c)
	ctx := c.UserContext()
	cons, err := s.consultationParam(c)
	if err != nil {
		return err
	}
	values := map[string]string{"slug": cons.Slug}
	for _, k := range []string{"slug", "title", "description", "status", "opens_at", "closes_at", "support_threshold", "report_published"} {
		if v := strings.TrimSpace(c.FormValue(k)); v != "" || k != "slug" {
			values[k] = v
		}
	}
	next, err := editedConsultation(cons, values)
	if err == nil {
		err = s.store.WithTx(ctx, func(tx agora.Store) error {
			if err := tx.UpdateConsultation(ctx, next); err != nil {
				if agora.IsCode(err, agora.ECONFLICT) {
					return &agora.Error{Code: agora.ECONFLICT, Message: "error.slug_taken", Err: err}
				}
				return err
			}
			return tx.AppendAudit(ctx, s.audit(actor, "consultation.update", agora.TargetConsultation, cons.ID, &cons.ID, consultationChanges(cons, next)))
		})
	}
	switch code := agora.ErrorCode(err); code {
	case "":
	case agora.EINVALID, agora.ECONFLICT:
		return s.renderConsultationEdit(c, statusOf[code], cons, s.formError(c, values, err, consultationEditFields))
	default:
		return err
	}
	return c.Redirect("/admin/consultations/"+strconv.FormatInt(cons.ID, 10)+"?done=saved", fiber.StatusSeeOther)
}

// editedConsultation applies the form to a copy of cur and validates it.
func editedConsultation(cur *agora.Consultation, v map[string]string) (*agora.Consultation, error) {
	next := *cur
	next.Title, next.Description = agora.NormalizeLine(v["title"]), v["description"]
	next.Status = agora.ConsultationStatus(v["status"])
	// An unticked checkbox sends nothing: the report goes back to draft.
	next.ReportPublished = v["report_published"] == "on"
	if err := cur.Status.CheckTransition(next.Status); err != nil {
		return nil, err
	}
	if cur.Status == agora.ConsultationDraft {
		next.Slug = v["slug"]
	} else if v["slug"] != cur.Slug {
		return nil, agora.Errorf(agora.EINVALID, "error.slug_locked")
	}
	var err error
	if next.OpensAt, err = parseFormDate(v["opens_at"], 0, "error.opens_invalid"); err != nil {
		return nil, err
	}
	if next.ClosesAt, err = parseFormDate(v["closes_at"], 24*time.Hour-time.Second, "error.closes_invalid"); err != nil {
		return nil, err
	}
	if next.SupportThreshold, err = strconv.Atoi(v["support_threshold"]); v["support_threshold"] == "" {
		next.SupportThreshold = 0
	} else if err != nil || next.SupportThreshold > maxSupportThreshold {
		return nil, agora.Errorf(agora.EINVALID, "error.threshold_invalid")
	}
	return &next, next.Validate()
}

// parseFormDate reads a YYYY-MM-DD date input as that day at 00:00 UTC
// plus offset (the end of the day for a closing date); "" is no date.
// Dates are days, the same everywhere, as the pages show them.
func parseFormDate(s string, offset time.Duration, key string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return nil, agora.Errorf(agora.EINVALID, key)
	}
	t = t.Add(offset)
	return &t, nil
}

// consultationChanges is the audit detail: each changed field with its
// old and new value; for the description only that it changed.
func consultationChanges(a, b *agora.Consultation) map[string]any {
	ch := map[string]any{}
	diff := func(name string, from, to any) {
		if from != to {
			ch[name] = map[string]any{"from": from, "to": to}
		}
	}
	diff("slug", a.Slug, b.Slug)
	diff("title", a.Title, b.Title)
	diff("status", a.Status, b.Status)
	diff("opens_at", consultationValues(a)["opens_at"], consultationValues(b)["opens_at"])
	diff("closes_at", consultationValues(a)["closes_at"], consultationValues(b)["closes_at"])
	diff("support_threshold", a.SupportThreshold, b.SupportThreshold)
	diff("report_published", a.ReportPublished, b.ReportPublished)
	if a.Description != b.Description {
		ch["description"] = "changed"
	}
	return ch
}

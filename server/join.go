package server

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

func (s *Server) registerJoinRoutes() {
	s.app.Get("/j", s.handleJoinCode)
	s.app.Get("/j/:code", s.handleJoinPage)
	s.app.Post("/j/:code/join", s.handleJoinForm)
	s.app.Get("/w/:code/qr.png", s.handleQR)
}

// joinMode says which of the join pages to show.
type joinMode string

const (
	joinAskCode joinMode = "code"  // type a code (none given, or unknown)
	joinAsk     joinMode = "join"  // a known workshop this device has not joined
	joinEnded   joinMode = "ended" // the workshop is over
)

type joinData struct {
	Mode         joinMode
	Code         string // as typed (unknown code) or canonical
	NotFound     bool
	Workshop     *agora.Workshop
	Consultation *agora.Consultation // where to continue once ended; nil for a draft
}

// handleJoinCode is the target of the "type a code" forms: GET /j?code=…
// goes to the workshop's canonical URL; without a code, the form.
func (s *Server) handleJoinCode(c *fiber.Ctx) error {
	typed := c.Query("code")
	if typed == "" {
		return s.render(c, fiber.StatusOK, "join", form{}, joinData{Mode: joinAskCode})
	}
	if code := agora.NormalizeJoinCode(typed); code != "" {
		return c.Redirect("/j/"+code, fiber.StatusSeeOther)
	}
	return s.renderUnknownCode(c, typed)
}

// handleJoinPage is the QR code's target, GET /j/{code}: the participant's
// page once joined, the join button before, or why one cannot join.
func (s *Server) handleJoinPage(c *fiber.Ctx) error {
	typed := codeParam(c)
	code := agora.NormalizeJoinCode(typed)
	if code == "" {
		return s.renderUnknownCode(c, typed)
	}
	if code != typed { // "abc def" or "abc-def": the one canonical URL
		to := "/j/" + code
		if q := string(c.Request().URI().QueryString()); q != "" {
			to += "?" + q
		}
		return c.Redirect(to, fiber.StatusMovedPermanently)
	}
	w, err := s.workshopByCode(c.UserContext(), code)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return s.renderUnknownCode(c, typed)
	} else if err != nil {
		return err
	}
	if w.State == agora.WorkshopEnded {
		return s.renderEnded(c, w)
	}
	p, err := s.workshopParticipant(c, w)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return s.render(c, fiber.StatusOK, "join", form{}, joinData{Mode: joinAsk, Code: code, Workshop: w})
	} else if err != nil {
		return err
	}
	return s.renderParticipant(c, fiber.StatusOK, w, p, participantForm{Done: c.Query("done")})
}

// handleJoinForm is POST /j/{code}/join: the big button, with an optional
// nickname. It sets the device cookie and goes to the participant's page.
func (s *Server) handleJoinForm(c *fiber.Ctx) error {
	nickname, typed := c.FormValue("nickname"), codeParam(c)
	w, _, err := s.joinWorkshop(c, typed, nickname)
	switch {
	case err == nil:
		return c.Redirect("/j/"+url.PathEscape(w.JoinCode), fiber.StatusSeeOther)
	case agora.IsCode(err, agora.ENOTFOUND):
		return s.renderUnknownCode(c, typed)
	case agora.IsCode(err, agora.ECONFLICT):
		if w, werr := s.workshopByCode(c.UserContext(), typed); werr == nil && w.State == agora.WorkshopEnded {
			return s.renderEnded(c, w)
		}
	case agora.IsCode(err, agora.EINVALID):
		ws, werr := s.workshopByCode(c.UserContext(), typed)
		if werr != nil {
			return werr
		}
		f := s.formError(c, map[string]string{"nickname": nickname}, err, map[string]string{
			"error.nickname_length": "nickname", "error.text_invalid": "nickname"})
		return s.render(c, fiber.StatusUnprocessableEntity, "join", f, joinData{Mode: joinAsk, Code: ws.JoinCode, Workshop: ws})
	}
	return err
}

// renderUnknownCode says no workshop has that code, with the form to type
// another one.
func (s *Server) renderUnknownCode(c *fiber.Ctx, typed string) error {
	if r := []rune(typed); len(r) > 40 {
		typed = string(r[:40])
	}
	return s.render(c, fiber.StatusNotFound, "join", form{Values: map[string]string{"code": typed}},
		joinData{Mode: joinAskCode, Code: typed, NotFound: true})
}

// renderEnded says the workshop is over and where the consultation goes on.
func (s *Server) renderEnded(c *fiber.Ctx, w *agora.Workshop) error {
	d := joinData{Mode: joinEnded, Code: w.JoinCode, Workshop: w}
	cons, err := s.store.ConsultationByID(c.UserContext(), w.ConsultationID)
	if err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
		return err
	}
	if err == nil && cons.Status != agora.ConsultationDraft {
		d.Consultation = cons
	}
	return s.render(c, fiber.StatusOK, "join", form{}, d)
}

// codeParam is the :code path parameter as typed, spaces included
// ("/j/abc%20def").
func codeParam(c *fiber.Ctx) string {
	v := c.Params("code")
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

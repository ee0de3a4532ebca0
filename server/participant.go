package server

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// The participant's phone works without JavaScript: these are plain HTML
// forms that answer 303 back to /j/{code} with a confirmation, or the page
// again with the error next to the form. participant.js posts the same
// commands to their JSON twins (api_room.go).
func (s *Server) registerParticipantRoutes() {
	s.app.Post("/j/:code/vote", s.handleVoteForm)
	s.app.Post("/j/:code/idea", s.handleIdeaForm)
	s.app.Post("/j/:code/ideas/:id/support", s.handleSupportForm)
}

// participantForm is what a participant's page shows besides the state:
// a confirmation after a command, or an error with what was typed.
type participantForm struct {
	Done  string // "vote", "idea", "support", "unsupport"
	Error string // translated
	Idea  string // the idea typed, kept after an error
}

// roomForm reads the workshop of the URL and this device's participant in
// it. A device that has not joined goes to the join page (ok false).
func (s *Server) roomForm(c *fiber.Ctx) (w *agora.Workshop, p *agora.Participant, ok bool, err error) {
	if w, err = s.workshopByCode(c.UserContext(), c.Params("code")); err != nil {
		return nil, nil, false, err
	}
	p, err = s.workshopParticipant(c, w)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return w, nil, false, c.Redirect("/j/"+url.PathEscape(w.JoinCode), fiber.StatusSeeOther)
	}
	return w, p, err == nil, err
}

// handleVoteForm is POST /j/{code}/vote.
func (s *Server) handleVoteForm(c *fiber.Ctx) error {
	w, p, ok, err := s.roomForm(c)
	if !ok {
		return err
	}
	activityID, _ := strconv.ParseInt(c.FormValue("activity_id"), 10, 64)
	in, err := voteFromForm(c)
	var a *agora.Activity
	if err == nil {
		a, err = s.store.ActivityByID(c.UserContext(), activityID)
		err = notFoundAs(err, "error.activity_not_found")
	}
	if err == nil {
		_, err = s.castVote(c.UserContext(), p, a, w, in)
	}
	return s.afterForm(c, w, p, err, "vote", participantForm{})
}

// voteFromForm reads a vote's fields: choice (repeated), word (repeated),
// value and the idempotency key.
func voteFromForm(c *fiber.Ctx) (voteRequest, error) {
	args := c.Request().PostArgs()
	in := voteRequest{IdempotencyKey: c.FormValue("idempotency_key")}
	for _, v := range args.PeekMulti("choice") {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return in, agora.Errorf(agora.EINVALID, "error.unknown_option")
		}
		in.Choices = append(in.Choices, n)
	}
	for _, v := range args.PeekMulti("word") {
		in.Words = append(in.Words, string(v))
	}
	if v := c.FormValue("value"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, agora.Errorf(agora.EINVALID, "error.scale_value_required")
		}
		in.Value = &n
	}
	return in, nil
}

// handleIdeaForm is POST /j/{code}/idea.
func (s *Server) handleIdeaForm(c *fiber.Ctx) error {
	w, p, ok, err := s.roomForm(c)
	if !ok {
		return err
	}
	activityID, _ := strconv.ParseInt(c.FormValue("activity_id"), 10, 64)
	body := c.FormValue("body")
	_, err = s.submitIdea(c.UserContext(), p, activityID, body, c.FormValue("client_key"))
	return s.afterForm(c, w, p, err, "idea", participantForm{Idea: body})
}

// handleSupportForm is POST /j/{code}/ideas/{id}/support, with
// action=support (the default) or action=unsupport.
func (s *Server) handleSupportForm(c *fiber.Ctx) error {
	w, p, ok, err := s.roomForm(c)
	if !ok {
		return err
	}
	ideaID, _ := strconv.ParseInt(c.Params("id"), 10, 64)
	add := c.FormValue("action") != "unsupport"
	err = s.setSupport(c.UserContext(), p, ideaID, add)
	done := "support"
	if !add {
		done = "unsupport"
	}
	return s.afterForm(c, w, p, err, done, participantForm{})
}

// afterForm answers a participant's form: back to the page with a
// confirmation, or the page with the error in place. Internal errors and
// outages go to the error page, as everywhere.
func (s *Server) afterForm(c *fiber.Ctx, w *agora.Workshop, p *agora.Participant, err error, done string, f participantForm) error {
	if err == nil {
		return c.Redirect("/j/"+url.PathEscape(w.JoinCode)+"?done="+done, fiber.StatusSeeOther)
	}
	switch agora.ErrorCode(err) {
	case agora.EINTERNAL, agora.EUNAVAILABLE:
		return err
	}
	setRetryAfter(c, err)
	f.Error = s.message(c, err)
	return s.renderParticipant(c, statusOf[agora.ErrorCode(err)], w, p, f)
}

// renderParticipant draws the participant's page from the engine's state
// for this participant.
func (s *Server) renderParticipant(c *fiber.Ctx, status int, w *agora.Workshop, p *agora.Participant, f participantForm) error {
	st, err := s.engine.State(c.UserContext(), w, live.Participants, p)
	if err != nil {
		return err
	}
	lang := s.lang(c)
	return s.render(c, status, "participant", form{Error: f.Error}, s.participantView(lang, st, f))
}

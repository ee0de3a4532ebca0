package server

import (
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/markdown"
)

func (s *Server) registerProposalRoutes() {
	s.app.Get("/c/:slug/proposals/new", s.requireUser, s.handleNewProposal)
	s.app.Post("/c/:slug/proposals", s.requireUser, s.handleCreateProposal)
	s.app.Get("/c/:slug/p/:id", s.handleProposal)
	s.app.Post("/c/:slug/p/:id/support", s.requireUser, s.handleSupport(true))
	s.app.Post("/c/:slug/p/:id/unsupport", s.requireUser, s.handleSupport(false))
	s.app.Post("/c/:slug/p/:id/answer", s.requireRole(agora.Role.CanModerate), s.handleAnswer)
	s.registerProposalAPIRoutes()
}

// proposalFields says which form field each validation message belongs to.
var proposalFields = map[string]string{
	"error.proposal_title_length": "title",
	"error.proposal_body_length":  "body",
	"error.category_length":       "category",
}

// answerFields says which answer form field each message belongs to.
var answerFields = map[string]string{
	"error.answer_invalid":     "answer",
	"error.answer_text_length": "text",
}

// newProposalPage is what proposal_new.html shows.
type newProposalPage struct {
	Cons       *agora.Consultation
	Categories []string
	Limits     map[string]int
}

func (s *Server) handleNewProposal(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	if err := consultationOpenAt(cons, s.now()); err != nil {
		return err
	}
	return s.renderNewProposal(c, fiber.StatusOK, cons, form{Values: map[string]string{"client_key": agora.NewSecret()}})
}

func (s *Server) renderNewProposal(c *fiber.Ctx, status int, cons *agora.Consultation, f form) error {
	cats, err := s.store.ProposalCategories(c.UserContext(), cons.ID)
	if err != nil {
		return err
	}
	return s.render(c, status, "proposal_new", f, newProposalPage{Cons: cons, Categories: cats,
		Limits: map[string]int{"title": agora.MaxProposalTitleLen, "body": agora.MaxProposalBodyLen, "category": agora.MaxCategoryLen}})
}

// handleCreateProposal is the form's POST: the new proposal's page on
// success, the form again with its errors otherwise.
func (s *Server) handleCreateProposal(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	in := proposalInput{Title: c.FormValue("title"), Body: c.FormValue("body"), Category: c.FormValue("category"), ClientKey: c.FormValue("client_key")}
	p, err := s.createProposal(c.UserContext(), s.mustUser(c), cons, in)
	if code := agora.ErrorCode(err); code == agora.EINVALID {
		values := map[string]string{"title": in.Title, "body": in.Body, "category": in.Category, "client_key": in.ClientKey}
		return s.renderNewProposal(c, statusOf[code], cons, s.formError(c, values, err, proposalFields))
	} else if err != nil {
		return err
	}
	return c.Redirect(proposalURL(cons, p), fiber.StatusSeeOther)
}

// proposalPage is what proposal.html shows.
type proposalPage struct {
	Cons       *agora.Consultation
	P          *agora.Proposal
	Heading    string
	Body       template.HTML
	Author     string          // display name online; "" for a room idea or a deleted account
	Workshop   *agora.Workshop // the workshop of a room idea
	Qualified  bool            // supports reached the consultation's threshold
	Supported  bool            // by the signed-in reader
	Open       bool            // citizens may support now
	CanAnswer  bool            // the reader may give the official answer
	AnswerText template.HTML   // the official answer, rendered
	Answers    []agora.AnswerStatus
	Debate     any // the "comments" partial's data (debate_view.go)
}

// handleProposal shows a proposal: its text, author, supports in the room
// and online, the threshold, the official answer, and the debate.
// Moderators also see a hidden proposal, with a notice; others get 404.
func (s *Server) handleProposal(c *fiber.Ctx) error {
	return s.renderProposal(c, fiber.StatusOK, form{})
}

// renderProposal shows the proposal page; f carries the answer form's
// values and errors back to a moderator.
func (s *Server) renderProposal(c *fiber.Ctx, status int, f form) error {
	cons, err := s.visibleConsultation(c)
	if err != nil {
		return err
	}
	p, err := s.proposalOf(c, cons)
	if err != nil {
		return err
	}
	u, err := s.currentUser(c)
	if err != nil {
		return err
	}
	canModerate := u != nil && u.Role.CanModerate()
	if !p.Visible() && !canModerate {
		return agora.Errorf(agora.ENOTFOUND, "error.proposal_not_found")
	}
	d := proposalPage{Cons: cons, P: p, Heading: p.Heading(), Body: markdown.Render(p.Body),
		Qualified: p.Qualified(cons.SupportThreshold), Open: consultationOpenAt(cons, s.now()) == nil,
		CanAnswer: canModerate, AnswerText: markdown.Render(p.AnswerText),
		Answers: []agora.AnswerStatus{agora.AnswerAccepted, agora.AnswerUnderStudy, agora.AnswerRejected}}
	if err := s.fillProposalPeople(c, &d, u); err != nil {
		return err
	}
	if d.Debate, err = s.commentsView(c, proposalTarget(cons, p)); err != nil { // debate_view.go
		return err
	}
	return s.render(c, status, "proposal", f, d)
}

// fillProposalPeople adds the author (or the workshop of a room idea) and
// whether the reader supports it.
func (s *Server) fillProposalPeople(c *fiber.Ctx, d *proposalPage, reader *agora.User) error {
	ctx := c.UserContext()
	switch {
	case d.P.WorkshopID != nil:
		w, err := s.store.WorkshopByID(ctx, *d.P.WorkshopID)
		if err != nil {
			return err
		}
		d.Workshop = w
	case d.P.AuthorID != nil:
		a, err := s.store.UserByID(ctx, *d.P.AuthorID)
		if err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
			return err
		}
		if err == nil && a.DeletedAt == nil {
			d.Author = a.DisplayName
		}
	}
	if reader == nil {
		return nil
	}
	var err error
	d.Supported, err = s.store.HasSupport(ctx, &agora.Support{ProposalID: d.P.ID, UserID: &reader.ID})
	return err
}

// proposalOf reads the undeleted proposal :id of cons.
func (s *Server) proposalOf(c *fiber.Ctx, cons *agora.Consultation) (*agora.Proposal, error) {
	id, err := paramID(c, "error.proposal_not_found")
	if err != nil {
		return nil, err
	}
	p, err := s.store.ProposalByID(c.UserContext(), id)
	if err == nil && (p.ConsultationID != cons.ID || p.DeletedAt != nil) {
		err = agora.Errorf(agora.ENOTFOUND, "error.proposal_not_found")
	}
	return p, notFoundAs(err, "error.proposal_not_found")
}

// visibleProposalOf is proposalOf for citizens' commands: the proposal
// must be shown.
func (s *Server) visibleProposalOf(c *fiber.Ctx) (*agora.Consultation, *agora.Proposal, error) {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.proposalOf(c, cons)
	if err == nil && !p.Visible() {
		err = agora.Errorf(agora.ENOTFOUND, "error.proposal_not_found")
	}
	return cons, p, err
}

// handleSupport is the POST of the support and withdraw buttons; back to
// where the button was (the list or the proposal), at the proposal.
func (s *Server) handleSupport(add bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cons, p, err := s.visibleProposalOf(c)
		if err != nil {
			return err
		}
		if p, err = s.setOnlineSupport(c.UserContext(), s.mustUser(c), cons, p, add); err != nil {
			return err
		}
		if wantsJSON(c) {
			return noStoreJSON(c, fiber.StatusOK, supportEvent(cons, p))
		}
		back := safeNext(c.FormValue("back"))
		if back == "/" {
			back = proposalURL(cons, p)
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	}
}

// handleAnswer is the official answer form's POST (moderators, admins).
func (s *Server) handleAnswer(c *fiber.Ctx) error {
	cons, err := s.visibleConsultation(c)
	if err != nil {
		return err
	}
	p, err := s.proposalOf(c, cons)
	if err != nil {
		return err
	}
	in := answerInput{Answer: c.FormValue("answer"), Text: c.FormValue("text")}
	p, err = s.answerProposal(c.UserContext(), s.mustUser(c), cons, p.ID, in)
	if code := agora.ErrorCode(err); code == agora.EINVALID {
		values := map[string]string{"answer": in.Answer, "text": in.Text}
		return s.renderProposal(c, statusOf[code], s.formError(c, values, err, answerFields))
	} else if err != nil {
		return err
	}
	return c.Redirect(proposalURL(cons, p)+"#answer", fiber.StatusSeeOther)
}

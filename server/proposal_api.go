package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// The JSON twins of the proposal pages' commands, on the same functions.
func (s *Server) registerProposalAPIRoutes() {
	g := s.app.Group("/api/v1/consultations/:slug/proposals")
	g.Get("/", s.handleAPIProposals)
	g.Post("/", s.requireUser, s.handleAPICreateProposal)
	g.Post("/:id/support", s.requireUser, s.handleAPIProposalSupport(true))
	g.Delete("/:id/support", s.requireUser, s.handleAPIProposalSupport(false))
	g.Post("/:id/answer", s.requireRole(agora.Role.CanModerate), s.handleAPIAnswer)
}

// apiProposal is a proposal in a JSON list.
type apiProposal struct {
	ProposalEvent
	Answer    agora.AnswerStatus `json:"answer,omitempty"`
	Supported bool               `json:"supported"`
}

// handleAPIProposals is GET …/proposals?sort=&category=&q=&page=: the same
// page of proposals as the consultation page.
func (s *Server) handleAPIProposals(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	l, err := s.proposalList(c, cons)
	if err != nil {
		return err
	}
	out := make([]apiProposal, len(l.Items))
	for i, it := range l.Items {
		out[i] = apiProposal{ProposalEvent: proposalEvent(cons, it.P), Answer: it.P.Answer, Supported: it.Supported}
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"total": l.Total, "page": l.Page, "pages": l.Pages,
		"categories": l.Categories, "proposals": out})
}

func (s *Server) handleAPICreateProposal(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	var in proposalInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.createProposal(c.UserContext(), s.mustUser(c), cons, in)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusCreated, proposalEvent(cons, p))
}

func (s *Server) handleAPIProposalSupport(add bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cons, p, err := s.visibleProposalOf(c)
		if err != nil {
			return err
		}
		if p, err = s.setOnlineSupport(c.UserContext(), s.mustUser(c), cons, p, add); err != nil {
			return err
		}
		return noStoreJSON(c, fiber.StatusOK, supportEvent(cons, p))
	}
}

func (s *Server) handleAPIAnswer(c *fiber.Ctx) error {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return err
	}
	p, err := s.proposalOf(c, cons)
	if err != nil {
		return err
	}
	var in answerInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if p, err = s.answerProposal(c.UserContext(), s.mustUser(c), cons, p.ID, in); err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, AnswerEvent{ID: p.ID, Answer: p.Answer, Text: p.AnswerText})
}

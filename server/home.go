package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

func (s *Server) registerHomeRoutes() {
	s.app.Get("/", s.handleHome)
}

type homeData struct {
	Open []*agora.Consultation
	Past []*agora.Consultation
}

// handleHome lists open consultations, then closed ones. Drafts are for staff.
func (s *Server) handleHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	open, err := s.store.ListConsultations(ctx, agora.ConsultationFilter{Statuses: []agora.ConsultationStatus{agora.ConsultationOpen}, Limit: 100})
	if err != nil {
		return err
	}
	past, err := s.store.ListConsultations(ctx, agora.ConsultationFilter{Statuses: []agora.ConsultationStatus{agora.ConsultationClosed}, Limit: 50})
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "home", form{}, homeData{Open: open, Past: past})
}

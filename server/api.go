package server

import (
	"github.com/gofiber/fiber/v2"
)

func (s *Server) registerAPIRoutes() {
	api := s.app.Group("/api")
	api.Get("/me", s.requireUser, s.handleAPIMe)
}

// handleAPIMe returns the signed-in user, for scripts.
func (s *Server) handleAPIMe(c *fiber.Ctx) error {
	u := s.mustUser(c)
	return c.JSON(fiber.Map{"id": u.ID, "email": u.Email, "displayName": u.DisplayName, "role": u.Role})
}

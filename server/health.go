package server

import "github.com/gofiber/fiber/v2"

func (s *Server) registerHealthRoutes() {
	s.app.Get("/healthz", s.handleHealthz)
	s.app.Get("/readyz", s.handleReadyz)
}

// handleHealthz answers while the process runs.
func (s *Server) handleHealthz(c *fiber.Ctx) error { return c.SendString("ok") }

// handleReadyz answers 200 when the store is reachable, 503 otherwise.
func (s *Server) handleReadyz(c *fiber.Ctx) error {
	if err := s.store.Ping(c.UserContext()); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"store": "down"})
	}
	return c.JSON(fiber.Map{"store": "ok"})
}

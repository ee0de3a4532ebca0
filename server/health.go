package server

import "github.com/gofiber/fiber/v2"

func (s *Server) registerHealthRoutes() {
	s.app.Get("/healthz", s.handleHealthz)
	s.app.Get("/readyz", s.handleReadyz)
}

// handleHealthz answers while the process runs.
func (s *Server) handleHealthz(c *fiber.Ctx) error { return c.SendString("ok") }

// handleReadyz answers 200 when the store is reachable, 503 otherwise.
// "broker" is "degraded" while the hub is cut off from Redis; that alone
// keeps 200, since the node still serves its own sockets and resyncs them
// when Redis returns.
func (s *Server) handleReadyz(c *fiber.Ctx) error {
	body := fiber.Map{"store": "ok"}
	if s.hub != nil {
		body["broker"] = "ok"
		if err := s.hub.Ready(); err != nil {
			body["broker"] = "degraded"
		}
	}
	if err := s.store.Ping(c.UserContext()); err != nil {
		body["store"] = "down"
		return c.Status(fiber.StatusServiceUnavailable).JSON(body)
	}
	return c.JSON(body)
}

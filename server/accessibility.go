package server

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// statementDate is when the accessibility statement was last established,
// with the audit it reports (docs/accessibility.md).
var statementDate = time.Date(2026, time.November, 26, 12, 0, 0, 0, time.UTC)

// axeVersion is the axe-core version of the automated audit
// (.ci/node/package.json).
const axeVersion = "4.14.1"

func (s *Server) registerAccessibilityRoutes() {
	s.app.Get("/accessibilite", s.handleAccessibility)
	s.app.Get("/accessibility", func(c *fiber.Ctx) error {
		return c.Redirect("/accessibilite", fiber.StatusMovedPermanently)
	})
}

type accessibilityData struct {
	Date       time.Time
	AxeVersion string
}

// handleAccessibility is the accessibility statement ("déclaration
// d'accessibilité") in the structure the RGAA asks for.
func (s *Server) handleAccessibility(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "accessibility", form{}, accessibilityData{Date: statementDate, AxeVersion: axeVersion})
}

package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// userLocal caches the session lookup of a request, including "nobody".
type userLocal struct{ u *agora.User }

// currentUser returns the signed-in user, or nil for a visitor. Only a
// failing store is an error; an unknown or expired session is a visitor.
func (s *Server) currentUser(c *fiber.Ctx) (*agora.User, error) {
	if v, ok := c.Locals("user").(userLocal); ok {
		return v.u, nil
	}
	u, _, err := s.sessionUser(c)
	if agora.IsCode(err, agora.ENOTFOUND) {
		u, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Locals("user", userLocal{u})
	return u, nil
}

// requireUser lets signed-in users through. Visitors get EUNAUTHORIZED,
// which the error handler turns into a redirect to /signin for pages and
// a 401 for JSON.
func (s *Server) requireUser(c *fiber.Ctx) error {
	u, err := s.currentUser(c)
	if err != nil {
		return err
	}
	if u == nil {
		return agora.Errorf(agora.EUNAUTHORIZED, "error.unauthorized")
	}
	return c.Next()
}

// requireRole lets through signed-in users whose role satisfies allowed;
// others signed in get EFORBIDDEN, visitors EUNAUTHORIZED.
func (s *Server) requireRole(allowed func(agora.Role) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := s.currentUser(c)
		if err != nil {
			return err
		}
		if u == nil {
			return agora.Errorf(agora.EUNAUTHORIZED, "error.unauthorized")
		}
		if !allowed(u.Role) {
			return agora.Errorf(agora.EFORBIDDEN, "error.forbidden")
		}
		if err := s.limitStaff(c, u); err != nil {
			return err
		}
		return c.Next()
	}
}

// isAdmin is the requireRole predicate of the admin pages.
func isAdmin(r agora.Role) bool { return r == agora.RoleAdmin }

// mustUser returns the user that requireUser or requireRole let through.
func (s *Server) mustUser(c *fiber.Ctx) *agora.User {
	v, _ := c.Locals("user").(userLocal)
	return v.u
}

// limitStaff counts a signed-in account's state-changing requests per
// minute, across nodes: a stuck script or a stolen session cannot hammer
// the store, and no facilitator ever comes near the limit.
func (s *Server) limitStaff(c *fiber.Ctx, u *agora.User) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return nil
	}
	return s.limitPerMinute(c.UserContext(), map[string]int{
		"staff:u:" + strconv.FormatInt(u.ID, 10): MaxStaffCommandsPerMinute})
}

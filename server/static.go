package server

import (
	"github.com/gofiber/fiber/v2"
)

func (s *Server) registerStaticRoutes() {
	s.app.Get("/static/*", s.handleStatic)
}

// handleStatic serves web/static. Hashed URLs (from the templates' static
// function) are cached for a year; plain names, used by ES modules that
// import each other, are revalidated with their ETag.
func (s *Server) handleStatic(c *fiber.Ctx) error {
	f, ok := s.web.Static(c.Params("*"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderETag, f.ETag)
	if f.Immutable && !s.cfg.Dev {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
		if c.Get(fiber.HeaderIfNoneMatch) == f.ETag {
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	return c.Send(f.Body)
}

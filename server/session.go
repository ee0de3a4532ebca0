package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// startSession signs u in on this browser: a fresh random token in the
// cookie, only its hash in the store. Any session the browser had is
// deleted first, so a token planted before sign-in is worthless after it.
func (s *Server) startSession(c *fiber.Ctx, u *agora.User) error {
	ctx := c.UserContext()
	if old := c.Cookies(sessionCookie); old != "" {
		if err := s.store.DeleteSession(ctx, agora.HashToken(old)); err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
			return err
		}
	}
	token := agora.NewSecret()
	now := s.now()
	sess := &agora.Session{
		TokenHash: agora.HashToken(token),
		UserID:    u.ID,
		CSRFToken: agora.NewSecret(),
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, token, s.cfg.SessionTTL)
	c.Locals("user", userLocal{u})
	return nil
}

// endSession deletes the browser's session and its cookie.
func (s *Server) endSession(c *fiber.Ctx) error {
	if token := c.Cookies(sessionCookie); token != "" {
		if err := s.store.DeleteSession(c.UserContext(), agora.HashToken(token)); err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	c.Locals("user", userLocal{})
	return nil
}

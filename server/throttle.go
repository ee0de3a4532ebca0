package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// throttle counts one attempt under each key in the store's shared
// counters and returns ETOOMANY, with the wait until the window ends, once
// a key passes its limit. Every node shares the counters.
func (s *Server) throttle(c *fiber.Ctx, limits map[string]int) error {
	now := s.now()
	w := s.cfg.SigninWindow
	for key, limit := range limits {
		n, err := s.store.Hit(c.UserContext(), key, w, now)
		if err != nil {
			return err
		}
		if n > limit {
			wait := windowLeft(now, w)
			mins := int((wait + time.Minute - 1) / time.Minute)
			return tooMany("error.signin_throttled", wait, mins)
		}
	}
	return nil
}

// windowLeft is the time from now to the end of its fixed window, the
// window the store's Hit counts in.
func windowLeft(now time.Time, w time.Duration) time.Duration {
	return now.UTC().Truncate(w).Add(w).Sub(now)
}

// throttleSignin limits sign-in attempts per account and per client
// address. The address limit is high: a whole venue may share one.
func (s *Server) throttleSignin(c *fiber.Ctx, email string) error {
	return s.throttle(c, map[string]int{
		"signin:ip:" + s.clientIP(c):                  s.cfg.SigninPerIP,
		"signin:email:" + agora.HashToken(email)[:32]: s.cfg.SigninPerEmail,
	})
}

// throttleSignup limits account creation per client address.
func (s *Server) throttleSignup(c *fiber.Ctx) error {
	return s.throttle(c, map[string]int{"signup:ip:" + s.clientIP(c): s.cfg.SigninPerIP})
}

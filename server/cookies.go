package server

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site,
// Secure when the public URL is https. ttl 0 makes a browser-session cookie.
func (s *Server) setCookie(c *fiber.Ctx, name, value string, ttl time.Duration) {
	ck := &fiber.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.secure,
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	if ttl > 0 {
		ck.MaxAge = int(ttl / time.Second)
		ck.Expires = s.now().Add(ttl)
	}
	c.Cookie(ck)
}

// clearCookie tells the browser to forget a cookie.
func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{
		Name:     name,
		Value:    "",
		Path:     "/",
		HTTPOnly: true,
		Secure:   s.secure,
		SameSite: fiber.CookieSameSiteLaxMode,
		MaxAge:   -1,
		Expires:  time.Unix(0, 0),
	})
}

// safeNext returns next when it is a path on this site, and "/" otherwise,
// so that ?next= cannot send anyone elsewhere: it must start with one
// slash, not two nor a backslash, and hold no scheme, host or control
// character.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2000 {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

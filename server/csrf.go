package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// CSRF protection is a signed double submit, so that it needs no
// server-side state and works across nodes: the agora_csrf cookie holds a
// random seed, and every state-changing request must carry HMAC(key, seed)
// in the "csrf" form field or the X-CSRF-Token header. The key is shared
// by all nodes through the store's settings. A site that can plant a
// cookie (a sibling subdomain) still cannot forge the signature.
const (
	csrfCookie     = "agora_csrf"
	csrfField      = "csrf"
	csrfHeader     = "X-CSRF-Token"
	csrfSettingKey = "csrf_key"
)

// csrfKeyHolder caches the instance-wide CSRF key once read from the store.
type csrfKeyHolder struct {
	mu  sync.Mutex
	key []byte
}

// csrfKey returns the key, creating it in the store on first use; every
// node gets the first value stored.
func (s *Server) csrfKey(ctx context.Context) ([]byte, error) {
	s.csrf.mu.Lock()
	defer s.csrf.mu.Unlock()
	if s.csrf.key != nil {
		return s.csrf.key, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, agora.WrapError(agora.EINTERNAL, "csrf key", err)
	}
	v, err := s.store.EnsureSetting(ctx, csrfSettingKey, hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	s.csrf.key = []byte(v)
	return s.csrf.key, nil
}

func signCSRF(key []byte, seed string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("agora-csrf:" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token the request's page puts in its forms and in
// <meta name="csrf-token">, setting the seed cookie if the browser has none.
func (s *Server) csrfToken(c *fiber.Ctx) (string, error) {
	if t, ok := c.Locals("csrf").(string); ok {
		return t, nil
	}
	key, err := s.csrfKey(c.UserContext())
	if err != nil {
		return "", err
	}
	seed := c.Cookies(csrfCookie)
	if !validSecret(seed) {
		seed = agora.NewSecret()
		s.setCookie(c, csrfCookie, seed, s.cfg.SessionTTL)
	}
	t := signCSRF(key, seed)
	c.Locals("csrf", t)
	return t, nil
}

// checkCSRF refuses a state-changing request whose token does not match
// its cookie, before any handler runs: a refused request changes nothing.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return agora.Errorf(agora.EFORBIDDEN, "error.csrf")
	}
	seed := c.Cookies(csrfCookie)
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(csrfField)
	}
	if !validSecret(seed) || got == "" {
		return agora.Errorf(agora.EFORBIDDEN, "error.csrf")
	}
	key, err := s.csrfKey(c.UserContext())
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(got), []byte(signCSRF(key, seed))) {
		return agora.Errorf(agora.EFORBIDDEN, "error.csrf")
	}
	return c.Next()
}

// validSecret reports whether v looks like a value of agora.NewSecret, so
// that odd cookie values are replaced rather than trusted.
func validSecret(v string) bool {
	if len(v) < 20 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

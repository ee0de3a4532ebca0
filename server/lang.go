package server

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora/web"
)

// langCookie remembers the language chosen with the switcher.
const (
	langCookie    = "lang"
	langCookieTTL = 365 * 24 * time.Hour
)

func (s *Server) registerLangRoutes() {
	s.app.Get("/lang/:code", s.handleSetLang)
}

// handleSetLang remembers the chosen language and goes back to the page.
// It only sets a preference, so a plain link is enough (no CSRF token).
func (s *Server) handleSetLang(c *fiber.Ctx) error {
	code := c.Params("code")
	if !web.SupportedLanguage(code) {
		return fiber.ErrNotFound
	}
	s.setCookie(c, langCookie, code, langCookieTTL)
	c.Locals("lang", code)
	return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
}

// lang returns the request's language: the lang cookie, else the best
// match of Accept-Language, else French.
func (s *Server) lang(c *fiber.Ctx) string {
	if l, ok := c.Locals("lang").(string); ok {
		return l
	}
	l := c.Cookies(langCookie)
	if !web.SupportedLanguage(l) {
		l = matchLanguage(c.Get(fiber.HeaderAcceptLanguage))
	}
	c.Locals("lang", l)
	return l
}

// matchLanguage picks the supported language the header prefers, by
// q-value then order; "en-GB" matches "en". Nothing supported: French.
func matchLanguage(header string) string {
	type pref struct {
		lang string
		q    float64
		pos  int
	}
	var prefs []pref
	for i, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if q > 0 && web.SupportedLanguage(base) {
			prefs = append(prefs, pref{base, q, i})
		}
	}
	if len(prefs) == 0 {
		return web.DefaultLanguage
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	return prefs[0].lang
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code    string
	Name    string // the language's name in itself
	URL     string
	Current bool
}

func (s *Server) langLinks(c *fiber.Ctx) []langLink {
	cur := s.lang(c)
	next := safeNext(string(c.Request().URI().RequestURI()))
	links := make([]langLink, 0, len(web.Languages))
	for _, l := range web.Languages {
		links = append(links, langLink{
			Code:    l,
			Name:    s.web.T(l, "lang.self"),
			URL:     "/lang/" + l + "?next=" + urlQueryEscape(next),
			Current: l == cur,
		})
	}
	return links
}

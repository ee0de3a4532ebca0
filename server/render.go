package server

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// page is what every template receives. Data is the screen's own content.
type page struct {
	Lang          string
	Path          string
	User          *agora.User
	CSRF          string
	Languages     []langLink
	CanAdmin      bool
	CanModerate   bool
	CanFacilitate bool
	Form          form
	Data          any
}

// form carries a form's submitted values and translated errors back to
// its page: Errors by field name, Error for the whole form.
type form struct {
	Values map[string]string
	Errors map[string]string
	Error  string
}

// render writes a full page with the given status. It renders into a
// buffer first, so a template error gives a clean error page rather than
// half a page.
func (s *Server) render(c *fiber.Ctx, status int, name string, f form, data any) error {
	p, err := s.newPage(c, f, data)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.web.Render(&buf, p.Lang, name, p); err != nil {
		return agora.WrapError(agora.EINTERNAL, "render "+name, err)
	}
	s.setPageHeaders(c)
	return c.Status(status).Send(buf.Bytes())
}

func (s *Server) setPageHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// Pages hold a CSRF token and the user's name: never cache them.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Vary(fiber.HeaderCookie, fiber.HeaderAcceptLanguage)
}

// newPage gathers what the layout needs: language, user, CSRF token.
func (s *Server) newPage(c *fiber.Ctx, f form, data any) (*page, error) {
	u, err := s.currentUser(c)
	if err != nil {
		return nil, err
	}
	token, err := s.csrfToken(c)
	if err != nil {
		return nil, err
	}
	p := &page{
		Lang:      s.lang(c),
		Path:      c.Path(),
		User:      u,
		CSRF:      token,
		Languages: s.langLinks(c),
		Form:      f,
		Data:      data,
	}
	if u != nil {
		p.CanAdmin = u.Role == agora.RoleAdmin
		p.CanModerate = u.Role.CanModerate()
		p.CanFacilitate = u.Role.CanFacilitate()
	}
	return p, nil
}

// formError turns a validation error into a form for the page: the
// message goes next to its field when fields knows the key, above the
// form otherwise.
func (s *Server) formError(c *fiber.Ctx, values map[string]string, err error, fields map[string]string) form {
	f := form{Values: values, Errors: map[string]string{}}
	msg := s.message(c, err)
	if field, ok := fields[agora.ErrorMessage(err)]; ok {
		f.Errors[field] = msg
	} else {
		f.Error = msg
	}
	return f
}

// message translates an error for the request's language. A key the
// catalog does not know (or an internal detail) gives the generic message
// of the error's code.
func (s *Server) message(c *fiber.Ctx, err error) string {
	lang := s.lang(c)
	code := agora.ErrorCode(err)
	key := agora.ErrorMessage(err)
	if code == agora.EINTERNAL || !s.web.Catalog().Has(lang, key) {
		key = "error." + code
	}
	return s.web.T(lang, key, agora.ErrorArgs(err)...)
}

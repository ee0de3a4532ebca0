package server

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// statusOf maps error codes to HTTP statuses.
var statusOf = map[string]int{
	agora.EINVALID:      fiber.StatusUnprocessableEntity,
	agora.ENOTFOUND:     fiber.StatusNotFound,
	agora.ECONFLICT:     fiber.StatusConflict,
	agora.EUNAUTHORIZED: fiber.StatusUnauthorized,
	agora.EFORBIDDEN:    fiber.StatusForbidden,
	agora.ETOOMANY:      fiber.StatusTooManyRequests,
	agora.EUNAVAILABLE:  fiber.StatusServiceUnavailable,
	agora.EINTERNAL:     fiber.StatusInternalServerError,
}

// fiberErrors translates the errors fiber and fasthttp raise themselves.
var fiberErrors = map[int]*agora.Error{
	fiber.StatusBadRequest:                  agora.Errorf(agora.EINVALID, "error.bad_request"),
	fiber.StatusNotFound:                    agora.Errorf(agora.ENOTFOUND, "error.page_not_found"),
	fiber.StatusMethodNotAllowed:            agora.Errorf(agora.EINVALID, "error.method_not_allowed"),
	fiber.StatusRequestTimeout:              agora.Errorf(agora.EINVALID, "error.request_timeout"),
	fiber.StatusRequestEntityTooLarge:       agora.Errorf(agora.EINVALID, "error.body_too_large"),
	fiber.StatusRequestHeaderFieldsTooLarge: agora.Errorf(agora.EINVALID, "error.headers_too_large"),
	fiber.StatusTooManyRequests:             agora.Errorf(agora.ETOOMANY, "error.too_many"),
	fiber.StatusServiceUnavailable:          agora.Errorf(agora.EUNAVAILABLE, "error.unavailable"),
}

// retryAfter is the cause of an ETOOMANY error: when to try again.
type retryAfter time.Duration

func (r retryAfter) Error() string { return "retry after " + time.Duration(r).String() }

// httpStatus is the cause of an error whose status is not its code's, such
// as 400 for a request body that is not JSON at all.
type httpStatus int

func (h httpStatus) Error() string { return "http status " + strconv.Itoa(int(h)) }

// tooMany returns an ETOOMANY error telling the client to wait d.
func tooMany(key string, d time.Duration, args ...any) error {
	return &agora.Error{Code: agora.ETOOMANY, Message: key, Args: args, Err: retryAfter(d)}
}

// handleError is the one place where errors become responses: a status
// from the code, a message in the user's language, JSON for the API and
// for clients that ask for it, an HTML page otherwise. Only internal
// errors are logged, with their detail.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
		if ae, ok := fiberErrors[fe.Code]; ok {
			err = ae
		} else if fe.Code < 500 {
			err = agora.Errorf(agora.EINVALID, "error.http", fe.Code)
		} else {
			err = agora.WrapError(agora.EINTERNAL, "fiber error", fe)
		}
	} else {
		status = statusOf[agora.ErrorCode(err)]
		var hs httpStatus
		if errors.As(err, &hs) {
			status = int(hs)
		}
	}
	code := agora.ErrorCode(err)
	if code == agora.EINTERNAL {
		s.logInternal(c, err)
	}
	setRetryAfter(c, err)
	msg := s.message(c, err)
	if wantsJSON(c) {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": msg}})
	}
	if code == agora.EUNAUTHORIZED {
		return c.Redirect("/signin?next="+urlQueryEscape(signinNext(c)), fiber.StatusSeeOther)
	}
	return s.renderError(c, status, msg)
}

// renderError shows the error page; if even that fails (a broken
// template, the store down while reading the session), plain text.
func (s *Server) renderError(c *fiber.Ctx, status int, msg string) error {
	data := struct {
		Status  int
		Message string
	}{status, msg}
	if err := s.render(c, status, "error", form{}, data); err != nil {
		c.Locals("user", userLocal{}) // render as a visitor
		if err := s.render(c, status, "error", form{}, data); err != nil {
			s.logInternal(c, err)
			c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
			return c.Status(status).SendString(msg)
		}
	}
	return nil
}

// wantsJSON reports whether the error should be JSON: API routes, and
// clients that accept JSON but not HTML.
func wantsJSON(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") {
		return true
	}
	accept := c.Get(fiber.HeaderAccept)
	return strings.Contains(accept, fiber.MIMEApplicationJSON) && !strings.Contains(accept, "text/html")
}

// signinNext is where to come back after signing in: the page asked for,
// or for a form post the page it was posted from.
func signinNext(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return safeNext(string(c.Request().URI().RequestURI()))
	}
	return "/"
}

// setRetryAfter tells a throttled client when to come back, in seconds
// (60 when the error does not say).
func setRetryAfter(c *fiber.Ctx, err error) {
	if agora.ErrorCode(err) != agora.ETOOMANY {
		return
	}
	secs := 60
	var ra retryAfter
	if errors.As(err, &ra) {
		secs = int((time.Duration(ra) + time.Second - 1) / time.Second)
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(secs, 1)))
}

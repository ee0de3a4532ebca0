package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

func (s *Server) registerAccountRoutes() {
	s.app.Get("/signin", s.handleSigninPage)
	s.app.Post("/signin", s.handleSignin)
	s.app.Get("/signup", s.handleSignupPage)
	s.app.Post("/signup", s.handleSignup)
	s.app.Post("/signout", s.handleSignout)
}

// accountFields says which form field each validation message belongs to.
var accountFields = map[string]string{
	"error.email_invalid":        "email",
	"error.email_taken":          "email",
	"error.display_name_length":  "name",
	"error.display_name_invalid": "name",
	"error.password_length":      "password",
}

type nextData struct{ Next string }

func (s *Server) handleSigninPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "signin", form{}, nextData{nextParam(c)})
}

// handleSignin checks the throttles, then the password, and signs in.
// Failures re-show the form with one generic message.
func (s *Server) handleSignin(c *fiber.Ctx) error {
	email := agora.NormalizeEmail(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	values := map[string]string{"email": email}
	err := s.throttleSignin(c, email)
	var u *agora.User
	if err == nil {
		u, err = s.authenticate(c.UserContext(), email, c.FormValue("password"))
	}
	switch code := agora.ErrorCode(err); code {
	case "":
	case agora.EUNAUTHORIZED, agora.ETOOMANY:
		setRetryAfter(c, err)
		return s.render(c, statusOf[code], "signin", s.formError(c, values, err, nil), nextData{next})
	default:
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return s.redirectSignedIn(c, next)
}

func (s *Server) handleSignupPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "signup", form{}, nextData{nextParam(c)})
}

// handleSignup creates a citizen account and signs it in.
func (s *Server) handleSignup(c *fiber.Ctx) error {
	values := map[string]string{"email": c.FormValue("email"), "name": c.FormValue("name")}
	next := safeNext(c.FormValue("next"))
	err := s.throttleSignup(c)
	var u *agora.User
	if err == nil {
		u, err = CreateAccount(c.UserContext(), s.store, values["email"], values["name"], c.FormValue("password"), agora.RoleCitizen)
	}
	switch code := agora.ErrorCode(err); code {
	case "":
	case agora.EINVALID, agora.ECONFLICT, agora.ETOOMANY:
		setRetryAfter(c, err)
		return s.render(c, statusOf[code], "signup", s.formError(c, values, err, accountFields), nextData{next})
	default:
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return s.redirectSignedIn(c, next)
}

// handleSignout deletes the session, here and in the store.
func (s *Server) handleSignout(c *fiber.Ctx) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

// nextParam is the safe ?next= of a sign-in or sign-up page ("" if none).
func nextParam(c *fiber.Ctx) string {
	if n := c.Query("next"); n != "" && safeNext(n) == n {
		return n
	}
	return ""
}

// redirectSignedIn goes to next after a sign-in or sign-up; when there is
// no particular next and this browser took part in workshops not yet
// linked to an account, to /me, which offers to link them.
func (s *Server) redirectSignedIn(c *fiber.Ctx, next string) error {
	if next == "/" && len(deviceJoinCodes(c)) > 0 {
		ps, err := s.deviceParticipations(c, func(p *agora.Participant) bool { return p.UserID == nil })
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			next = "/me"
		}
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

package server

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// Password reset by email. The answer to a request never says whether an
// account exists; the link is a one-time token valid resetTTL, of which
// the store keeps only the hash.
const (
	resetTTL = time.Hour
	// resetMailsPerEmail caps the links mailed to one address per window,
	// so nobody can flood someone's inbox through the form.
	resetMailsPerEmail = 3
	// resetMailTimeout bounds a delivery that runs after the answer.
	resetMailTimeout = time.Minute
)

func (s *Server) registerPasswordResetRoutes() {
	s.app.Get("/password/forgot", s.handleForgotPage)
	s.app.Post("/password/forgot", s.handleForgot)
	s.app.Get("/password/reset/:token", s.handleResetPage)
	s.app.Post("/password/reset/:token", s.handleReset)
}

type forgotData struct{ Sent bool }

func (s *Server) handleForgotPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "password_forgot", form{}, forgotData{})
}

// handleForgot mails a reset link when the address belongs to an active
// account, and gives the same answer in every case. Only the per-address
// flood guard shows: it says nothing about the account.
func (s *Server) handleForgot(c *fiber.Ctx) error {
	email := agora.NormalizeEmail(c.FormValue("email"))
	values := map[string]string{"email": email}
	if err := agora.ValidateEmail(email); err != nil {
		return s.render(c, statusOf[agora.EINVALID], "password_forgot", s.formError(c, values, err, accountFields), forgotData{})
	}
	if err := s.throttle(c, map[string]int{"forgot:ip:" + s.clientIP(c): s.cfg.SigninPerIP}); err != nil {
		var ae *agora.Error
		if errors.As(err, &ae) && ae.Code == agora.ETOOMANY {
			ae.Message = "error.forgot_throttled"
		}
		setRetryAfter(c, err)
		return s.render(c, statusOf[agora.ETOOMANY], "password_forgot", s.formError(c, values, err, nil), forgotData{})
	}
	if err := s.sendResetLink(c, email); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "password_forgot", form{}, forgotData{Sent: true})
}

// sendResetLink creates a token for the account of email, if any, and
// mails the link in the background, so that the answer takes the same
// time whether or not a mail goes out.
func (s *Server) sendResetLink(c *fiber.Ctx, email string) error {
	ctx := c.UserContext()
	n, err := s.store.Hit(ctx, "forgot:email:"+agora.HashToken(email)[:32], s.cfg.SigninWindow, s.now())
	if err != nil || n > resetMailsPerEmail {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if agora.IsCode(err, agora.ENOTFOUND) || err == nil && u.DeletedAt != nil {
		return nil
	}
	if err != nil {
		return err
	}
	token := agora.NewSecret()
	t := &agora.OneTimeToken{Hash: agora.HashToken(token), Purpose: agora.TokenPasswordReset, UserID: &u.ID, ExpiresAt: s.now().Add(resetTTL)}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return err
	}
	lang := s.lang(c)
	link := s.cfg.PublicURL + "/password/reset/" + token
	subject := s.web.T(lang, "reset.mail_subject")
	body := s.web.T(lang, "reset.mail_body", link, int(resetTTL/time.Minute))
	s.log.Info("password reset link issued", "user_id", u.ID)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), resetMailTimeout)
		defer cancel()
		if err := s.mail.Send(ctx, u.Email, subject, body); err != nil {
			s.log.Error("password reset mail failed", "user_id", u.ID, "err", err)
		}
	}()
	return nil
}

// WaitMail waits until the mails being sent in the background are gone,
// or ctx ends, so that a shutdown does not cut them off.
func (s *Server) WaitMail(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type resetData struct{ Token string }

// handleResetPage shows the form without using the token: link previews
// in mail clients must not burn it.
func (s *Server) handleResetPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "password_reset", form{}, resetData{c.Params("token")})
}

// handleReset sets the new password, uses the token, and signs out every
// session of the account, all in one transaction; then signs this browser
// in. A password too short re-shows the form and keeps the token usable.
func (s *Server) handleReset(c *fiber.Ctx) error {
	ctx := c.UserContext()
	token := c.Params("token")
	password := c.FormValue("password")
	if err := agora.ValidatePassword(password); err != nil {
		return s.render(c, statusOf[agora.EINVALID], "password_reset", s.formError(c, nil, err, accountFields), resetData{token})
	}
	hash, err := hashPassword(password)
	if err != nil {
		return agora.WrapError(agora.EINTERNAL, "reset password", err)
	}
	var u *agora.User
	err = s.store.WithTx(ctx, func(tx agora.Store) error {
		t, err := tx.UseToken(ctx, agora.HashToken(token), agora.TokenPasswordReset, s.now())
		if agora.IsCode(err, agora.ENOTFOUND) || err == nil && t.UserID == nil {
			return agora.Errorf(agora.ENOTFOUND, "error.reset_link_invalid")
		}
		if err != nil {
			return err
		}
		if u, err = tx.UserByID(ctx, *t.UserID); err != nil {
			return err
		}
		if u.DeletedAt != nil {
			return agora.Errorf(agora.ENOTFOUND, "error.reset_link_invalid")
		}
		u.PasswordHash = hash
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, u.ID)
	})
	if err != nil {
		return err
	}
	s.log.Info("password reset", "user_id", strconv.FormatInt(u.ID, 10))
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/me?done=password_reset", fiber.StatusSeeOther)
}

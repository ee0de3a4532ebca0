package server

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// setupTTL is how long a first-admin setup link stays valid.
const setupTTL = 24 * time.Hour

func (s *Server) registerSetupRoutes() {
	s.app.Get("/setup/:token", s.handleSetupPage)
	s.app.Post("/setup/:token", s.handleSetup)
}

// SetupLink creates a one-time link, valid 24 hours, with which the first
// visitor chooses the admin's email, name and password. cmd/agora prints
// it at start when no admin exists. It returns ECONFLICT once an admin
// exists.
func (s *Server) SetupLink(ctx context.Context) (string, error) {
	return SetupLink(ctx, s.store, s.cfg.PublicURL, s.now())
}

// SetupLink is Server.SetupLink for callers without a Server.
func SetupLink(ctx context.Context, st agora.Store, publicURL string, now time.Time) (string, error) {
	n, err := st.CountUsers(ctx, agora.RoleAdmin)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", agora.Errorf(agora.ECONFLICT, "error.setup_done")
	}
	token := agora.NewSecret()
	t := &agora.OneTimeToken{Hash: agora.HashToken(token), Purpose: agora.TokenSetup, ExpiresAt: now.Add(setupTTL)}
	if err := st.CreateToken(ctx, t); err != nil {
		return "", err
	}
	return publicURL + "/setup/" + token, nil
}

type setupData struct{ Token string }

// handleSetupPage shows the form without using the token: link previews
// in chat apps must not burn it.
func (s *Server) handleSetupPage(c *fiber.Ctx) error {
	if err := s.refuseIfAdmin(c.UserContext(), s.store); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "setup", form{}, setupData{c.Params("token")})
}

// handleSetup uses the token and creates the admin in one transaction,
// then signs the admin in. Invalid fields re-show the form and keep the
// token usable.
func (s *Server) handleSetup(c *fiber.Ctx) error {
	ctx := c.UserContext()
	token := c.Params("token")
	values := map[string]string{"email": c.FormValue("email"), "name": c.FormValue("name")}
	password := c.FormValue("password")
	err := agora.ValidateSignup(agora.NormalizeEmail(values["email"]), values["name"], password)
	var u *agora.User
	if err == nil {
		err = s.store.WithTx(ctx, func(tx agora.Store) error {
			if err := s.refuseIfAdmin(ctx, tx); err != nil {
				return err
			}
			if _, err := tx.UseToken(ctx, agora.HashToken(token), agora.TokenSetup, s.now()); err != nil {
				if agora.IsCode(err, agora.ENOTFOUND) {
					return agora.Errorf(agora.ENOTFOUND, "error.setup_link_invalid")
				}
				return err
			}
			if u, err = CreateAccount(ctx, tx, values["email"], values["name"], password, agora.RoleAdmin); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, s.audit(u, "user.setup_admin", agora.TargetUser, u.ID, nil, map[string]any{"email": u.Email}))
		})
	}
	switch code := agora.ErrorCode(err); code {
	case "":
	case agora.EINVALID:
		return s.render(c, statusOf[code], "setup", s.formError(c, values, err, accountFields), setupData{token})
	default:
		if agora.ErrorMessage(err) == "error.email_taken" {
			return s.render(c, statusOf[code], "setup", s.formError(c, values, err, accountFields), setupData{token})
		}
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/admin", fiber.StatusSeeOther)
}

// refuseIfAdmin returns ECONFLICT once an admin exists: setup is over.
func (s *Server) refuseIfAdmin(ctx context.Context, st agora.UserStore) error {
	n, err := st.CountUsers(ctx, agora.RoleAdmin)
	if err != nil {
		return err
	}
	if n > 0 {
		return agora.Errorf(agora.ECONFLICT, "error.setup_done")
	}
	return nil
}

package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// deletedEmail is the unique placeholder that replaces a deleted
// account's address; .invalid is reserved and receives no mail.
func deletedEmail(id int64) string { return "deleted-" + strconv.FormatInt(id, 10) + "@invalid" }

// DeletedDisplayName is stored as a deleted account's name. Pages show
// the translation of "account.deleted_name" instead (see the "author"
// template); this is what a reader of the raw data sees.
const DeletedDisplayName = "Compte supprimé"

// handleDeleteAccount anonymises the signed-in account once its password
// is typed again: no email, name nor password remain, every session ends,
// the linked devices are unlinked and lose their nicknames. Contributions
// stay, shown under the anonymous name.
func (s *Server) handleDeleteAccount(c *fiber.Ctx) error {
	u := s.mustUser(c)
	ctx := c.UserContext()
	err := s.throttleSignin(c, u.Email)
	if err == nil {
		_, err = s.authenticate(ctx, u.Email, c.FormValue("delete_password"))
	}
	switch code := agora.ErrorCode(err); code {
	case "":
	case agora.EUNAUTHORIZED:
		err = agora.Errorf(agora.EINVALID, "error.delete_password")
		return s.renderMe(c, statusOf[agora.EINVALID], s.formError(c, nil, err, map[string]string{"error.delete_password": "delete_password"}))
	case agora.ETOOMANY:
		setRetryAfter(c, err)
		return s.renderMe(c, statusOf[code], s.formError(c, nil, err, nil))
	default:
		return err
	}
	err = s.store.WithTx(ctx, func(tx agora.Store) error { return s.anonymise(c, tx, u) })
	if agora.ErrorMessage(err) == "error.last_admin" {
		return s.renderMe(c, statusOf[agora.EINVALID], s.formError(c, nil, err, nil))
	}
	if err != nil {
		return err
	}
	s.clearCookie(c, sessionCookie)
	c.Locals("user", userLocal{})
	return s.render(c, fiber.StatusOK, "account_deleted", form{}, nil)
}

// anonymise replaces the account's personal fields, ends its sessions and
// unlinks its devices. The last admin cannot leave: nobody could run the
// instance.
func (s *Server) anonymise(c *fiber.Ctx, tx agora.Store, u *agora.User) error {
	ctx := c.UserContext()
	if u.Role == agora.RoleAdmin {
		n, err := tx.CountUsers(ctx, agora.RoleAdmin)
		if err != nil {
			return err
		}
		if n <= 1 {
			return agora.Errorf(agora.EINVALID, "error.last_admin")
		}
	}
	parts, err := tx.ListUserParticipants(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, p := range parts {
		p.UserID, p.Nickname = nil, ""
		if err := tx.UpdateParticipant(ctx, p); err != nil {
			return err
		}
	}
	now := s.now()
	u.Email, u.DisplayName, u.PasswordHash, u.DeletedAt = deletedEmail(u.ID), DeletedDisplayName, "", &now
	u.Role = agora.RoleCitizen
	if err := tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, s.audit(u, "user.delete", agora.TargetUser, u.ID, nil, map[string]any{}))
}

package server

import (
	"context"

	"github.com/agora-civic/agora"
)

// SetPassword gives an existing account a new password, hashed like at
// sign-up. `agora demo` uses it to hand out a fresh password on each run.
func SetPassword(ctx context.Context, st agora.UserStore, u *agora.User, password string) error {
	if err := agora.ValidateSignup(u.Email, u.DisplayName, password); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return agora.WrapError(agora.EINTERNAL, "set password", err)
	}
	u.PasswordHash = hash
	return st.UpdateUser(ctx, u)
}

package server

import (
	"context"

	"github.com/agora-civic/agora"
)

// CreateAccount validates the fields of a new account, hashes the password
// with argon2id and stores the user. It is used by sign-up, by the setup
// link and by `agora admin create`. A taken email gives ECONFLICT with the
// message "error.email_taken".
func CreateAccount(ctx context.Context, st agora.UserStore, email, name, password string, role agora.Role) (*agora.User, error) {
	email = agora.NormalizeEmail(email)
	name = agora.NormalizeLine(name)
	if err := agora.ValidateSignup(email, name, password); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, agora.Errorf(agora.EINVALID, "error.role_invalid")
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, agora.WrapError(agora.EINTERNAL, "create account", err)
	}
	u := &agora.User{Email: email, DisplayName: name, PasswordHash: hash, Role: role}
	if err := st.CreateUser(ctx, u); err != nil {
		if agora.IsCode(err, agora.ECONFLICT) {
			return nil, &agora.Error{Code: agora.ECONFLICT, Message: "error.email_taken", Err: err}
		}
		return nil, err
	}
	return u, nil
}

// authenticate returns the user whose email and password match. Unknown
// email, deleted account and wrong password give the same EUNAUTHORIZED
// error after the same work (a dummy hash is checked when there is no
// user), so neither the message nor the timing tells whether an account
// exists.
func (s *Server) authenticate(ctx context.Context, email, password string) (*agora.User, error) {
	u, err := s.store.UserByEmail(ctx, agora.NormalizeEmail(email))
	if err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
		return nil, err
	}
	if err != nil || u.DeletedAt != nil || u.PasswordHash == "" {
		verifyPassword(dummyHash(), password)
		return nil, agora.Errorf(agora.EUNAUTHORIZED, "error.signin_failed")
	}
	if !verifyPassword(u.PasswordHash, password) {
		return nil, agora.Errorf(agora.EUNAUTHORIZED, "error.signin_failed")
	}
	return u, nil
}

package store

import (
	"context"
	"strings"

	"github.com/agora-civic/agora"
)

const userCols = `id, email, display_name, password_hash, role, created_at, deleted_at`

func scanUser(r rowScanner) (*agora.User, error) {
	u := &agora.User{}
	err := r.Scan(&u.ID, &u.Email, &u.DisplayName, &u.PasswordHash, &u.Role,
		timeCol{&u.CreatedAt}, nullTimeCol{&u.DeletedAt})
	return u, err
}

// CreateUser inserts u with its email lower-cased and sets its ID and
// CreatedAt (kept when already set). ECONFLICT on a taken email.
func (s *DB) CreateUser(ctx context.Context, u *agora.User) error {
	u.Email = strings.ToLower(u.Email)
	u.CreatedAt = stamp(u.CreatedAt)
	err := s.q().QueryRowContext(ctx, `INSERT INTO users
		(email, display_name, password_hash, role, created_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		u.Email, u.DisplayName, u.PasswordHash, string(u.Role),
		s.d.time(u.CreatedAt), s.d.nullTime(u.DeletedAt)).Scan(&u.ID)
	return dbError("create user", err)
}

// UserByID returns a user, deleted or not.
func (s *DB) UserByID(ctx context.Context, id int64) (*agora.User, error) {
	return one(ctx, s, "user by id", scanUser, `SELECT `+userCols+` FROM users WHERE id = $1`, id)
}

// UserByEmail finds a user by email, whatever its case.
func (s *DB) UserByEmail(ctx context.Context, email string) (*agora.User, error) {
	return one(ctx, s, "user by email", scanUser,
		`SELECT `+userCols+` FROM users WHERE email = $1`, strings.ToLower(email))
}

// UpdateUser writes Email (lower-cased), DisplayName, PasswordHash, Role
// and DeletedAt.
func (s *DB) UpdateUser(ctx context.Context, u *agora.User) error {
	u.Email = strings.ToLower(u.Email)
	return s.execOne(ctx, "update user", `UPDATE users SET
		email = $1, display_name = $2, password_hash = $3, role = $4, deleted_at = $5
		WHERE id = $6`,
		u.Email, u.DisplayName, u.PasswordHash, string(u.Role), s.d.nullTime(u.DeletedAt), u.ID)
}

// ListUsers returns users by ID, deleted ones included.
func (s *DB) ListUsers(ctx context.Context, f agora.UserFilter) ([]*agora.User, error) {
	var a args
	var conds []string
	if len(f.Roles) > 0 {
		conds = append(conds, "role IN ("+in(&a, f.Roles)+")")
	}
	query := `SELECT ` + userCols + ` FROM users` + where(conds) + ` ORDER BY id` + page(&a, f.Limit, f.Offset)
	return list(ctx, s, "list users", scanUser, query, a...)
}

// CountUsers counts the users of a role, or all of them for role "".
// Deleted accounts are not counted.
func (s *DB) CountUsers(ctx context.Context, role agora.Role) (int, error) {
	if role == "" {
		return s.count(ctx, "count users", `SELECT COUNT(*) FROM users WHERE deleted_at IS NULL`)
	}
	return s.count(ctx, "count users",
		`SELECT COUNT(*) FROM users WHERE deleted_at IS NULL AND role = $1`, string(role))
}

package store

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

const sessionCols = `token_hash, user_id, csrf_token, created_at, expires_at`

func scanSession(r rowScanner) (*agora.Session, error) {
	x := &agora.Session{}
	err := r.Scan(&x.TokenHash, &x.UserID, &x.CSRFToken, timeCol{&x.CreatedAt}, timeCol{&x.ExpiresAt})
	return x, err
}

// CreateSession inserts a session; CreatedAt is set when zero.
func (s *DB) CreateSession(ctx context.Context, x *agora.Session) error {
	x.CreatedAt = stamp(x.CreatedAt)
	x.ExpiresAt = x.ExpiresAt.UTC().Truncate(time.Microsecond)
	_, err := s.exec(ctx, "create session", `INSERT INTO sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5)`,
		x.TokenHash, x.UserID, x.CSRFToken, s.d.time(x.CreatedAt), s.d.time(x.ExpiresAt))
	return err
}

// SessionByHash returns the session unless it is unknown or expired at now.
func (s *DB) SessionByHash(ctx context.Context, hash string, now time.Time) (*agora.Session, error) {
	return one(ctx, s, "session by hash", scanSession, `SELECT `+sessionCols+` FROM sessions
		WHERE token_hash = $1 AND expires_at > $2`, hash, s.d.time(now))
}

// DeleteSession removes a session; removing an absent one is not an error
// (signing out twice is fine).
func (s *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.exec(ctx, "delete session", `DELETE FROM sessions WHERE token_hash = $1`, hash)
	return err
}

// DeleteUserSessions signs a user out everywhere.
func (s *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := s.exec(ctx, "delete user sessions", `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

// DeleteExpiredSessions removes the sessions expired at now and says how many.
func (s *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.exec(ctx, "delete expired sessions",
		`DELETE FROM sessions WHERE expires_at <= $1`, s.d.time(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), dbError("delete expired sessions", err)
}

const tokenCols = `hash, purpose, user_id, expires_at, used_at`

func scanToken(r rowScanner) (*agora.OneTimeToken, error) {
	t := &agora.OneTimeToken{}
	err := r.Scan(&t.Hash, &t.Purpose, &t.UserID, timeCol{&t.ExpiresAt}, nullTimeCol{&t.UsedAt})
	return t, err
}

// CreateToken inserts a one-time token.
func (s *DB) CreateToken(ctx context.Context, t *agora.OneTimeToken) error {
	t.ExpiresAt = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	_, err := s.exec(ctx, "create token", `INSERT INTO one_time_tokens (`+tokenCols+`)
		VALUES ($1, $2, $3, $4, $5)`,
		t.Hash, string(t.Purpose), t.UserID, s.d.time(t.ExpiresAt), s.d.nullTime(t.UsedAt))
	return err
}

// UseToken marks an unused, unexpired token of that purpose used, in one
// statement, so that of two concurrent calls exactly one gets the token.
func (s *DB) UseToken(ctx context.Context, hash string, purpose agora.TokenPurpose, now time.Time) (*agora.OneTimeToken, error) {
	return one(ctx, s, "use token", scanToken, `UPDATE one_time_tokens SET used_at = $1
		WHERE hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING `+tokenCols, s.d.time(now), hash, string(purpose))
}

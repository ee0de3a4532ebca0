package store

import "context"

// EnsureSetting stores value under key unless a value is there already,
// and returns the stored one. The no-op update makes RETURNING give the
// existing row in one statement, so concurrent callers all get the first value.
func (s *DB) EnsureSetting(ctx context.Context, key, value string) (string, error) {
	var got string
	err := s.q().QueryRowContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = settings.value
		RETURNING value`, key, value).Scan(&got)
	return got, dbError("ensure setting", err)
}

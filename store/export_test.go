package store

import "context"

// ExecRaw runs a statement the store itself never runs, for tests that
// check what the schema refuses.
func (s *DB) ExecRaw(ctx context.Context, query string) error {
	_, err := s.db.ExecContext(ctx, query)
	return err
}

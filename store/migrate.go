package store

import (
	"context"
	"fmt"
	"io"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/agora-civic/agora"
)

// Migrate runs "up" (apply every pending migration), "down" (roll back the
// last one) or "status" (list them), writing a line per migration to w.
// On Postgres it holds a session advisory lock, so several nodes starting
// at once migrate one after the other; SQLite has a single node.
func (s *DB) Migrate(ctx context.Context, cmd string, w io.Writer) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	// No p.Close: it would close the pool, which the store keeps using.
	switch cmd {
	case "up":
		res, err := p.Up(ctx)
		printResults(w, res)
		return dbError("migrate up", err)
	case "down":
		res, err := p.Down(ctx)
		if res != nil {
			printResults(w, []*goose.MigrationResult{res})
		}
		return dbError("migrate down", err)
	case "status":
		return s.printStatus(ctx, p, w)
	}
	return agora.Errorf(agora.EINVALID, "error.migrate_command", cmd)
}

// provider builds the goose provider for this database.
func (s *DB) provider() (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.d == postgresDialect {
		// Poll the lock every second for up to five minutes.
		l, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, dbError("migrate lock", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(s.d.goose, s.db, s.d.migrations, opts...)
	return p, dbError("migrate", err)
}

func printResults(w io.Writer, res []*goose.MigrationResult) {
	for _, r := range res {
		fmt.Fprintln(w, r)
	}
}

func (s *DB) printStatus(ctx context.Context, p *goose.Provider, w io.Writer) error {
	st, err := p.Status(ctx)
	if err != nil {
		return dbError("migrate status", err)
	}
	for _, m := range st {
		at := "-"
		if !m.AppliedAt.IsZero() {
			at = m.AppliedAt.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "%-8s %-19s %s\n", m.State, at, m.Source.Path)
	}
	return nil
}

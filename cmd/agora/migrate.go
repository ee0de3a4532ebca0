package main

import (
	"context"
	"fmt"
	"io"

	"github.com/agora-civic/agora/store"
)

// runMigrate applies, rolls back or lists migrations: agora migrate up|down|status.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := ParseConfig("agora migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "up" && rest[0] != "down" && rest[0] != "status") {
		return fmt.Errorf("usage: agora migrate [flags] up|down|status")
	}
	m := NewMain(cfg, stderr)
	db, err := m.openStoreNoMigrate(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx, rest[0], stdout)
}

func (m *Main) openStoreNoMigrate(ctx context.Context) (*store.DB, error) {
	if err := m.ensureDataDir(); err != nil {
		return nil, err
	}
	return store.Open(ctx, m.Config.DatabaseURL, m.Logger)
}

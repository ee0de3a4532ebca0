package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the admin connection

	"github.com/agora-civic/agora/store"
)

// DefaultPostgresURL is the test database used when AGORA_TEST_DATABASE_URL
// is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL returns the test database's URL.
func PostgresURL() string {
	if u := os.Getenv("AGORA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// PostgresSchema creates a random schema, dropped when t ends, and returns
// a URL whose connections use it. Without Postgres it skips t on a laptop
// and fails it when CI is set: in CI a missing service is a failure.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresURL())
	if err == nil {
		err = admin.PingContext(context.Background())
	}
	if err != nil {
		msg := "Postgres unreachable at " + PostgresURL() + " (set AGORA_TEST_DATABASE_URL): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "agora_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
		admin.Close()
	})
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenURL opens the database at u, migrated when migrate is set, and closes
// it when t ends (before a schema made by PostgresSchema is dropped:
// cleanups run last first).
func OpenURL(t testing.TB, u string, migrate bool) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), u, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if migrate {
		if err := db.Migrate(context.Background(), "up", io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// OpenSQLite returns a fresh, migrated SQLite database in t's temp folder.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	return OpenURL(t, "sqlite:"+filepath.Join(t.TempDir(), "agora.db"), true)
}

// OpenPostgres returns a fresh, migrated Postgres schema of the test
// database, or skips t (fails it in CI) when Postgres is unreachable.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	return OpenURL(t, PostgresSchema(t), true)
}

// Backends runs fn once per database, as subtests "sqlite" and "postgres",
// each call of open giving a fresh database of that kind.
func Backends(t *testing.T, fn func(t *testing.T, open func(t testing.TB) *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres) })
}

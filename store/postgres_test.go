package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func postgresURL() string {
	if u := os.Getenv("AGORA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultPostgresURL
}

// postgresSchema creates a random schema, dropped when t ends, and returns
// a URL whose connections use it. Without Postgres it skips t on a
// laptop and fails it in CI.
func postgresSchema(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("pgx", postgresURL())
	if err == nil {
		err = admin.PingContext(t.Context())
	}
	if err != nil {
		msg := "Postgres unreachable at " + postgresURL() + " (set AGORA_TEST_DATABASE_URL): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "agora_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
		admin.Close()
	})
	u, err := url.Parse(postgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens the database at u, closed when t ends (before the
// schema is dropped: cleanups run last first).
func openPostgres(t *testing.T, u string, migrate bool) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), u, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if migrate {
		if err := db.Migrate(t.Context(), "up", io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestPostgres(t *testing.T) {
	postgresSchema(t) // skip or fail early, once, when Postgres is down
	t.Logf("store backend: postgres at %s, a fresh schema per test", postgresURL())
	storetest.Run(t, func(t *testing.T) agora.Store {
		return openPostgres(t, postgresSchema(t), true)
	})
}

func TestPostgres_ConcurrentMigrate(t *testing.T) {
	u := postgresSchema(t)
	dbs := []*store.DB{openPostgres(t, u, false), openPostgres(t, u, false)}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	for i, db := range dbs {
		wg.Go(func() { errs[i] = db.Migrate(t.Context(), "up", io.Discard) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	if err := dbs[0].CreateUser(t.Context(), &agora.User{Email: "a@b.c", DisplayName: "a", Role: agora.RoleAdmin}); err != nil {
		t.Fatalf("schema unusable after concurrent migrations: %v", err)
	}
}

func TestPostgres_MigrateExistingIsNoop(t *testing.T) {
	u := postgresSchema(t)
	db := openPostgres(t, u, true)
	if db.Dialect() != "postgres" {
		t.Fatalf("dialect %q", db.Dialect())
	}
	testMigrateIsNoop(t, db, func() *store.DB { return openPostgres(t, u, true) })
}

func TestPostgres_AuditIsAppendOnly(t *testing.T) {
	testAuditIsAppendOnly(t, openPostgres(t, postgresSchema(t), true))
}

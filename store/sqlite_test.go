package store_test

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// openSQLite opens a migrated SQLite file at path, closed when t ends.
func openSQLite(t *testing.T, path string) *store.DB {
	t.Helper()
	return storetest.OpenURL(t, "sqlite:"+path, true)
}

func TestSQLite(t *testing.T) {
	t.Logf("store backend: sqlite (modernc.org/sqlite), a fresh file per test")
	storetest.Run(t, func(t *testing.T) agora.Store {
		return storetest.OpenSQLite(t)
	})
}

func TestSQLite_MigrateExistingIsNoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agora.db")
	db := openSQLite(t, path)
	if db.Dialect() != "sqlite" {
		t.Fatalf("dialect %q", db.Dialect())
	}
	testMigrateIsNoop(t, db, func() *store.DB { return openSQLite(t, path) })
}

// testMigrateIsNoop checks that migrating a migrated database again, from
// the same pool and from a new one, applies nothing and keeps the data.
func testMigrateIsNoop(t *testing.T, db *store.DB, reopen func() *store.DB) {
	t.Helper()
	ctx := t.Context()
	u := &agora.User{Email: "keep@example.org", DisplayName: "K", Role: agora.RoleAdmin}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := db.Migrate(ctx, "up", &out); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("second migrate applied something:\n%s", out.String())
	}
	again := reopen()
	out.Reset()
	if err := again.Migrate(ctx, "status", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "applied") || strings.Contains(out.String(), "pending") {
		t.Fatalf("status after migrate:\n%s", out.String())
	}
	if _, err := again.UserByEmail(ctx, u.Email); err != nil {
		t.Fatalf("data lost by a second migrate: %v", err)
	}
}

func TestSQLite_MigrateDownUp(t *testing.T) {
	db := openSQLite(t, filepath.Join(t.TempDir(), "agora.db"))
	// Each down rolls back one migration, the newest first.
	for _, want := range []string{"00002_comment_client_key.sql", "00001_init.sql"} {
		var out bytes.Buffer
		if err := db.Migrate(t.Context(), "down", &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("down output, want %s:\n%s", want, out.String())
		}
	}
	if err := db.Migrate(t.Context(), "up", io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context(), "sideways", io.Discard); agora.ErrorCode(err) != agora.EINVALID {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestSQLite_AuditIsAppendOnly(t *testing.T) {
	testAuditIsAppendOnly(t, openSQLite(t, filepath.Join(t.TempDir(), "agora.db")))
}

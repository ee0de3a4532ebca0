package store_test

import (
	"io"
	"sync"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

func TestPostgres(t *testing.T) {
	storetest.PostgresSchema(t) // skip or fail early, once, when Postgres is down
	t.Logf("store backend: postgres at %s, a fresh schema per test", storetest.PostgresURL())
	storetest.Run(t, func(t *testing.T) agora.Store {
		return storetest.OpenURL(t, storetest.PostgresSchema(t), true)
	})
}

func TestPostgres_ConcurrentMigrate(t *testing.T) {
	u := storetest.PostgresSchema(t)
	dbs := []*store.DB{storetest.OpenURL(t, u, false), storetest.OpenURL(t, u, false)}
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
	u := storetest.PostgresSchema(t)
	db := storetest.OpenURL(t, u, true)
	if db.Dialect() != "postgres" {
		t.Fatalf("dialect %q", db.Dialect())
	}
	testMigrateIsNoop(t, db, func() *store.DB { return storetest.OpenURL(t, u, true) })
}

func TestPostgres_AuditIsAppendOnly(t *testing.T) {
	testAuditIsAppendOnly(t, storetest.OpenURL(t, storetest.PostgresSchema(t), true))
}

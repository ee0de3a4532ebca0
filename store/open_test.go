package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
)

func TestOpen_Errors(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := store.Open(ctx, "mysql://nope", nil)
	if agora.ErrorCode(err) != agora.EINVALID {
		t.Fatalf("unknown scheme: %v", err)
	}
	// Nothing listens on port 1: the database is unavailable, not broken.
	_, err = store.Open(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5", nil)
	if agora.ErrorCode(err) != agora.EUNAVAILABLE {
		t.Fatalf("refused connection: code %q (%v), want %q", agora.ErrorCode(err), err, agora.EUNAVAILABLE)
	}
}

// testAuditIsAppendOnly checks that the database itself refuses to change
// or delete an audit entry.
func testAuditIsAppendOnly(t *testing.T, db *store.DB) {
	e := &agora.AuditEntry{Action: "user.create"}
	if err := db.AppendAudit(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	// The store has no such method: reach the table through a raw statement.
	for _, q := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`} {
		if err := db.ExecRaw(t.Context(), q); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
}

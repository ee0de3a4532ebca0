package store_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

func TestSQLite_CommentClientKeyMigration(t *testing.T) {
	testCommentClientKeyMigration(t, openSQLite(t, filepath.Join(t.TempDir(), "agora.db")))
}

func TestPostgres_CommentClientKeyMigration(t *testing.T) {
	testCommentClientKeyMigration(t, storetest.OpenURL(t, storetest.PostgresSchema(t), true))
}

// testCommentClientKeyMigration rolls 00002_comment_client_key back and
// applies it again on a database holding comments: they survive, and
// those written before it have the empty key, which never conflicts.
func testCommentClientKeyMigration(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	u := &agora.User{Email: "key@example.org", DisplayName: "K", Role: agora.RoleCitizen}
	cons := &agora.Consultation{Slug: "cle", Title: "Clé", Status: agora.ConsultationOpen}
	for _, err := range []error{db.CreateUser(ctx, u), db.CreateConsultation(ctx, cons)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	p := &agora.Proposal{ConsultationID: cons.ID, AuthorID: &u.ID, Title: "T", Body: "B", Status: agora.ProposalApproved}
	if err := db.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	mk := func(key string) *agora.Comment {
		c := &agora.Comment{ConsultationID: cons.ID, ProposalID: &p.ID, AuthorID: u.ID, ClientKey: key,
			Stance: agora.StanceFor, Body: "b", Status: agora.CommentVisible}
		if err := db.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := mk("k")
	var out bytes.Buffer
	if err := db.Migrate(ctx, "down", &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "00002_comment_client_key.sql") {
		t.Fatalf("down rolled back:\n%s", out.String())
	}
	if err := db.Migrate(ctx, "up", &out); err != nil {
		t.Fatal(err)
	}
	got, err := db.CommentByID(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ClientKey != "" || got.Body != "b" {
		t.Fatalf("comment after down and up: %+v", got)
	}
	mk("")
	mk("k") // the key went with the column: free again
	if err := db.CreateComment(ctx, &agora.Comment{ConsultationID: cons.ID, ProposalID: &p.ID, AuthorID: u.ID,
		ClientKey: "k", Stance: agora.StanceFor, Body: "b", Status: agora.CommentVisible}); agora.ErrorCode(err) != agora.ECONFLICT {
		t.Fatalf("reused key after up: %v", err)
	}
}

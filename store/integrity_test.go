package store_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// TestVotes_OnePerParticipantInTheSchema: one vote per participant per
// activity holds in the database itself, for code that bypasses the
// engine and the store's upsert: a second raw INSERT fails on the unique
// constraint, on both databases.
func TestVotes_OnePerParticipantInTheSchema(t *testing.T) {
	backends := map[string]func(t *testing.T) (db *store.DB, driver, dsn string){
		"sqlite": func(t *testing.T) (*store.DB, string, string) {
			path := filepath.Join(t.TempDir(), "agora.db")
			return storetest.OpenURL(t, "sqlite:"+path, true), "sqlite", path
		},
		"postgres": func(t *testing.T) (*store.DB, string, string) {
			u := storetest.PostgresSchema(t)
			return storetest.OpenURL(t, u, true), "pgx", u
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, driver, dsn := open(t)
			c := &agora.Consultation{Slug: "c", Title: "C", Status: agora.ConsultationOpen}
			must(t, db.CreateConsultation(ctx, c))
			w := &agora.Workshop{ConsultationID: c.ID, Title: "W", JoinCode: "ABCDEF", ScreenToken: "s", State: agora.WorkshopLive}
			must(t, db.CreateWorkshop(ctx, w))
			a := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindPoll, Prompt: "Q",
				Options: []agora.Option{{ID: 1, Label: "Oui"}}, Settings: agora.ActivitySettings{MaxChoices: 1}}
			must(t, db.CreateActivity(ctx, a))
			p := &agora.Participant{WorkshopID: w.ID, TokenHash: "h", PublicID: "p"}
			must(t, db.CreateParticipant(ctx, p))

			raw, err := sql.Open(driver, dsn)
			must(t, err)
			defer raw.Close()
			now := time.Now().UTC()
			insert := `INSERT INTO votes (activity_id, participant_id, channel, choices, created_at, updated_at)
				VALUES ($1, $2, 'room', '[1]', $3, $3)`
			if _, err := raw.ExecContext(ctx, insert, a.ID, p.ID, now); err != nil {
				t.Fatalf("first raw insert: %v", err)
			}
			_, err = raw.ExecContext(ctx, insert, a.ID, p.ID, now)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") {
				t.Fatalf("second raw insert: %v, want a unique violation", err)
			}
			if n, err := db.CountVotes(ctx, a.ID); err != nil || n != 1 {
				t.Fatalf("CountVotes = %d, %v; want 1", n, err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

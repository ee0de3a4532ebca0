package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/server"
	"github.com/agora-civic/agora/store"
)

func TestSeedDemo_IdempotentOnSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "agora.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "up", io.Discard); err != nil {
		t.Fatal(err)
	}
	e := server.NewEngine(db, nil, live.Options{})
	defer e.Close()

	first, err := seedDemo(ctx, db, e)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Consultation
	if c.Status != agora.ConsultationOpen || !strings.Contains(c.Title, "Montreuil-sur-Loire") || c.Description == "" {
		t.Fatalf("consultation %+v", c)
	}
	u, err := db.UserByEmail(ctx, first.Email)
	if err != nil || u.Role != agora.RoleFacilitator {
		t.Fatalf("facilitator %+v %v", u, err)
	}
	run, err := db.ListActivities(ctx, first.Workshop.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range run {
		kinds = append(kinds, string(a.Kind))
	}
	if got := strings.Join(kinds, ","); got != "poll,ideas,wordcloud,scale" {
		t.Fatalf("activities %s", got)
	}
	if n := len(run[0].Options); n < 4 || n > 5 {
		t.Fatalf("poll has %d options", n)
	}
	if !run[1].Settings.Premoderation || run[2].Prompt != "En un mot, la rue idéale ?" || run[3].Settings.ScaleMax != 10 {
		t.Fatalf("settings %+v %+v %+v", run[1].Settings, run[2], run[3].Settings)
	}

	// Again: the same consultation and workshop, a new password.
	second, err := seedDemo(ctx, db, e)
	if err != nil {
		t.Fatal(err)
	}
	if second.Consultation.ID != c.ID || second.Workshop.ID != first.Workshop.ID || second.Password == first.Password {
		t.Fatalf("second run: %+v", second)
	}
	ws, _ := db.ListWorkshops(ctx, c.ID)
	again, _ := db.ListActivities(ctx, first.Workshop.ID)
	if len(ws) != 1 || len(again) != 4 {
		t.Fatalf("duplicated: %d workshops, %d activities", len(ws), len(again))
	}

	var out bytes.Buffer
	printDemo(&out, "http://localhost:8080", second)
	w := second.Workshop
	for _, want := range []string{second.Password, "/facilitate/" + w.JoinCode, "/screen/" + w.JoinCode + "?t=" + w.ScreenToken, "/j/" + w.JoinCode} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}

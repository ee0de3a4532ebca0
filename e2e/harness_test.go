// Package e2e drives Agora's workshop pages in a real headless Chromium:
// phones, the facilitator's dashboard and the projector, against the real
// wiring (store, hub, fiber server) on a loopback port.
//
// It needs /usr/bin/chromium (skipped without it, failed when $CI is set).
// Environment:
//
//	AGORA_ARTIFACTS           folder for the screenshots (default artifacts/ at the repository root)
//	AGORA_TEST_DATABASE_URL   Postgres for the Postgres variant of TestWorkshop_PollLive
//	                          (default postgres://postgres@127.0.0.1:5432/test; skipped when unreachable, failed under $CI)
//	AGORA_E2E_WEB_DIR         serve templates and static files from this folder instead of the embedded ones
//
// The tests wait on the pages' data-* hooks (data-activity-id, data-option-id
// with data-count, data-tally-total, data-live-status, data-idea-id…), never
// on translated text.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create a schema per test

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/server"
	"github.com/agora-civic/agora/store"
)

// Seeded accounts. The password is long enough for the signup rules.
const (
	facilitatorEmail    = "facilitatrice@agora.test"
	facilitatorPassword = "correct horse battery staple"
)

// app is one running Agora: the store, the hub and the HTTP server, wired
// as cmd/agora wires them (cmd/agora is package main and cannot be
// imported). It can be stopped and started again on the same address and
// database, like a restarted process.
type app struct {
	t       *testing.T
	dbURL   string // store.Open URL; the same across restarts
	addr    string // 127.0.0.1:port, fixed before the server exists
	baseURL string // http://127.0.0.1:port: PublicURL and the browsers' origin
	logs    *syncBuffer

	db     *store.DB
	hub    *hub.Hub
	srv    *server.Server
	served chan error

	seed        *live.Engine // prepares workshops before any page is open
	facilitator *agora.User
}

// startApp opens a fresh SQLite store (or Postgres, for backend
// "postgres"), migrates it, creates the facilitator and serves on a free
// loopback port. Everything stops when the test ends.
func startApp(t *testing.T, backend string) *app {
	t.Helper()
	a := &app{t: t, logs: &syncBuffer{}}
	switch backend {
	case "sqlite":
		a.dbURL = "sqlite:" + filepath.Join(t.TempDir(), "agora.db")
	case "postgres":
		a.dbURL = postgresURL(t)
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	ctx := context.Background()
	// Migrate on a connection of its own, as cmd/agora's migrate does:
	// goose may close the pool it was given.
	m, err := store.Open(ctx, a.dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(ctx, "up", io.Discard); err != nil {
		t.Fatal(err)
	}
	m.Close()

	// The PublicURL must be the browsers' origin (the WebSocket checks
	// Origin against it), so the port is chosen before the server is built.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	a.baseURL = "http://" + a.addr
	a.start(ln)
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			t.Logf("server logs:\n%s", a.logs.String())
		}
	})

	a.facilitator, err = server.CreateAccount(ctx, a.db, facilitatorEmail, "Fatou Facilitatrice", facilitatorPassword, agora.RoleFacilitator)
	if err != nil {
		t.Fatalf("create facilitator: %v", err)
	}
	return a
}

// start opens the store and serves on ln with a new hub and server.
func (a *app) start(ln net.Listener) {
	a.t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := store.Open(ctx, a.dbURL, logger)
	if err != nil {
		ln.Close()
		a.t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Logger: logger})
	if err != nil {
		ln.Close()
		db.Close()
		a.t.Fatal(err)
	}
	cfg := server.Config{PublicURL: a.baseURL}
	// $AGORA_E2E_WEB_DIR serves templates and static files from that folder
	// (dev mode) instead of the embedded copy: to try a change to the pages
	// without rebuilding, or a patched copy of them.
	if dir := os.Getenv("AGORA_E2E_WEB_DIR"); dir != "" {
		cfg.Dev, cfg.WebDir = true, dir
	}
	srv, err := server.New(cfg, server.Deps{Store: db, Hub: h, Logger: logger})
	if err != nil {
		ln.Close()
		h.Close(ctx)
		db.Close()
		a.t.Fatal(err)
	}
	a.db, a.hub, a.srv = db, h, srv
	// The seeding engine publishes nothing: it only prepares what the pages
	// will read in their first snapshot.
	a.seed = live.New(db, discard{}, live.Options{Logger: logger})
	a.served = make(chan error, 1)
	go func() { a.served <- srv.Serve(ln) }()
}

// stop shuts down as cmd/agora's Close does: the hub first, which closes
// the hijacked sockets with 1001 (the HTTP server does not), then the
// server, then the store. It is a no-op when already stopped.
func (a *app) stop() {
	if a.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.hub.Close(ctx); err != nil {
		a.t.Errorf("hub close: %v", err)
	}
	if err := a.srv.Shutdown(ctx); err != nil {
		a.t.Errorf("server shutdown: %v", err)
	}
	if err := <-a.served; err != nil && !errors.Is(err, net.ErrClosed) {
		a.t.Errorf("serve: %v", err)
	}
	a.seed.Close()
	if err := a.db.Close(); err != nil {
		a.t.Errorf("store close: %v", err)
	}
	a.srv, a.hub, a.db = nil, nil, nil
}

// restart stops the server and starts a new one on the same address and
// the same database, as a restarted process would.
func (a *app) restart() {
	a.t.Helper()
	a.stop()
	a.start(listenAgain(a.t, a.addr))
}

// listenAgain binds addr again. The old listener is closed, but the port
// may take a moment to be free, so it retries for a few seconds.
func listenAgain(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		<-tick.C
	}
}

// discard is a live.Notifier for the seeding engine.
type discard struct{}

func (discard) Publish(context.Context, string, string, any) error { return nil }
func (discard) PublishTally(string, string, string, any)           {}

// url is an absolute URL on the app.
func (a *app) url(path string) string { return a.baseURL + path }

// --- seeding -----------------------------------------------------------

var slugSeq atomic.Int64

// seedWorkshop creates an open consultation and a workshop in it, with the
// given activities in that order. It returns the workshop (with its join
// code and screen token) and the activities with their IDs.
func (a *app) seedWorkshop(title string, acts ...*agora.Activity) (*agora.Workshop, []*agora.Activity) {
	a.t.Helper()
	ctx := context.Background()
	c := &agora.Consultation{
		Slug:   fmt.Sprintf("atelier-e2e-%d", slugSeq.Add(1)),
		Title:  "Réaménagement de la place du marché",
		Status: agora.ConsultationOpen,
	}
	c.CreatedBy = &a.facilitator.ID
	if err := a.db.CreateConsultation(ctx, c); err != nil {
		a.t.Fatalf("create consultation: %v", err)
	}
	w := &agora.Workshop{ConsultationID: c.ID, Title: title, Place: "Salle des fêtes"}
	if err := a.seed.CreateWorkshop(ctx, a.facilitator, w); err != nil {
		a.t.Fatalf("create workshop: %v", err)
	}
	for _, act := range acts {
		act.WorkshopID = w.ID
		if err := a.seed.AddActivity(ctx, a.facilitator, act); err != nil {
			a.t.Fatalf("add activity %q: %v", act.Prompt, err)
		}
	}
	return w, acts
}

// openNow opens an activity before any page is loaded (the pages read it
// in their first snapshot). Scenarios where opening is the point click the
// dashboard's button instead.
func (a *app) openNow(act *agora.Activity) {
	a.t.Helper()
	if err := a.seed.OpenActivity(context.Background(), a.facilitator, act.ID); err != nil {
		a.t.Fatalf("open activity %d: %v", act.ID, err)
	}
}

// pollActivity is a single-choice poll with the given options.
func pollActivity(prompt string, hide bool, labels ...string) *agora.Activity {
	opts := make([]agora.Option, len(labels))
	for i, l := range labels {
		opts[i] = agora.Option{Label: l}
	}
	return &agora.Activity{Kind: agora.KindPoll, Prompt: prompt, Options: opts,
		Settings: agora.ActivitySettings{MaxChoices: 1, HideResults: hide}}
}

// screenPath is the projector's link.
func screenPath(w *agora.Workshop) string {
	return "/screen/" + w.JoinCode + "?t=" + w.ScreenToken
}

// votesByOption reads the store's votes of an activity: option ID → count.
func (a *app) votesByOption(act *agora.Activity) map[int]int {
	a.t.Helper()
	vs, err := a.db.ListVotes(context.Background(), act.ID)
	if err != nil {
		a.t.Fatalf("list votes: %v", err)
	}
	n := map[int]int{}
	for _, v := range vs {
		for _, c := range v.Choices {
			n[c]++
		}
	}
	return n
}

// --- Postgres ----------------------------------------------------------

var schemaSeq atomic.Int64

// postgresURL returns the URL of a new schema in the test database
// ($AGORA_TEST_DATABASE_URL, or the local default). It skips the test when
// Postgres is unreachable, unless $CI is set.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("AGORA_TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	raw, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = raw.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if raw != nil {
			raw.Close()
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres unreachable: %v", err)
		}
		t.Skipf("postgres unreachable (%v): set AGORA_TEST_DATABASE_URL to run the Postgres variant", err)
	}
	schema := fmt.Sprintf("e2e_%d_%d", os.Getpid(), schemaSeq.Add(1))
	if _, err := raw.Exec("CREATE SCHEMA " + schema); err != nil {
		raw.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		raw.Exec("DROP SCHEMA " + schema + " CASCADE")
		raw.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// syncBuffer collects the server's logs; it may be written after the test
// body returns (background goroutines), so it never touches t.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

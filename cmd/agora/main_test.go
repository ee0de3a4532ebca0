package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// syncBuffer is a bytes.Buffer safe for the server's log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMain runs the real wiring on a free port with the given environment.
func startMain(t *testing.T, env map[string]string) (*Main, *syncBuffer) {
	t.Helper()
	cfg, _, err := ParseConfig("agora", []string{"-addr", "127.0.0.1:0"}, envOf(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	m := NewMain(cfg, out)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m, out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMain_DefaultSQLiteServesHealthAndSetupLink(t *testing.T) {
	dir := t.TempDir()
	m, out := startMain(t, map[string]string{"AGORA_DATA_DIR": dir})
	base := "http://" + m.Addr().String()
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	if !strings.Contains(out.String(), "/setup/") {
		t.Fatalf("no setup link printed:\n%s", out)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "agora.db")); len(matches) != 1 {
		t.Fatalf("no SQLite file in the data folder")
	}
}

func TestMain_CreatesAdminFromEnvironmentOnce(t *testing.T) {
	env := map[string]string{
		"AGORA_DATA_DIR":       t.TempDir(),
		"AGORA_ADMIN_EMAIL":    "Maire@Example.fr",
		"AGORA_ADMIN_PASSWORD": "correct horse battery",
	}
	for i := 0; i < 2; i++ { // the second start finds the admin and creates nothing
		m, out := startMain(t, env)
		n, err := m.db.CountUsers(context.Background(), agora.RoleAdmin)
		if err != nil || n != 1 {
			t.Fatalf("start %d: %d admins, %v", i, n, err)
		}
		if strings.Contains(out.String(), "/setup/") {
			t.Fatalf("setup link printed although an admin was configured")
		}
		u, err := m.db.UserByEmail(context.Background(), "maire@example.fr")
		if err != nil || u.Role != agora.RoleAdmin {
			t.Fatalf("admin: %+v %v", u, err)
		}
		m.Close()
	}
}

func TestRun_Version(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envOf(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "agora ") {
		t.Fatalf("version output %q", out.String())
	}
}

func TestRun_UnknownCommand(t *testing.T) {
	if err := run(context.Background(), []string{"explode"}, envOf(nil), io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestRun_MigrateStatusAndAdminCreate(t *testing.T) {
	env := envOf(map[string]string{"AGORA_DATA_DIR": t.TempDir(), "AGORA_PASSWORD": "a long enough password"})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "up"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "status"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "00001") {
		t.Fatalf("status lists no migration:\n%s", out.String())
	}
	out.Reset()
	args := []string{"admin", "create", "-email", "anim@example.fr", "-name", "Animatrice", "-role", "facilitator"}
	if err := run(context.Background(), args, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created facilitator anim@example.fr") {
		t.Fatalf("admin create said %q", out.String())
	}
	if err := run(context.Background(), args, env, &out, io.Discard); err == nil {
		t.Fatal("a second account with the same email was accepted")
	}
	if err := run(context.Background(), []string{"migrate", "sideways"}, env, &out, io.Discard); err == nil {
		t.Fatal("bad migrate direction accepted")
	}
}

// The serve command sets the collector's target unless GOGC is set: the
// runtime has applied GOGC already, and it stays.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the quiet collector stops at once
	noGOGC := func(string) string { return "" }
	if got := tuneGC(ctx, noGOGC); got != serveGCPercent || debug.SetGCPercent(serveGCPercent) != serveGCPercent {
		t.Fatalf("without GOGC: target %d, want %d in force", got, serveGCPercent)
	}
	debug.SetGCPercent(150) // what the runtime made of GOGC=150
	withGOGC := func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}
	if got := tuneGC(ctx, withGOGC); got != 150 || debug.SetGCPercent(150) != 150 {
		t.Fatalf("with GOGC=150: target %d, want 150 left in force", got)
	}
}

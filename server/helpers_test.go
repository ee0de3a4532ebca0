package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store/storetest"
)

func TestMain(m *testing.M) {
	// Cheap hashes in tests; BenchmarkHashPassword measures the real cost.
	defaultArgon = argonParams{Time: 1, Memory: 512, Threads: 1, SaltLen: 16, KeyLen: 32}
	os.Exit(m.Run())
}

// openSQLite returns a fresh migrated SQLite store in a temporary folder.
func openSQLite(t *testing.T) agora.Store { return storetest.OpenSQLite(t) }

// openPostgres returns a fresh migrated store in a new schema of the test
// database; it skips the test when Postgres is unreachable, unless $CI is set.
func openPostgres(t *testing.T) agora.Store { return storetest.OpenPostgres(t) }

// backends runs fn against SQLite, and against Postgres when reachable.
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) agora.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgres) })
}

// testServer builds a Server on st; logs go to the returned buffer.
func testServer(t *testing.T, st agora.Store, cfg Config) (*Server, *bytes.Buffer) {
	t.Helper()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://agora.test"
	}
	var logs bytes.Buffer
	s, err := New(cfg, Deps{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

// client drives the app like a browser: it keeps cookies and reads the
// CSRF token from the pages it gets.
type client struct {
	t      *testing.T
	s      *Server
	jar    map[string]*http.Cookie
	header http.Header // sent with every request
	token  string      // last CSRF token seen in a page
}

func newClient(t *testing.T, s *Server) *client {
	return &client{t: t, s: s, jar: map[string]*http.Cookie{}, header: http.Header{}}
}

type response struct {
	*http.Response
	Body string
}

func (c *client) do(method, path string, body io.Reader, hdr map[string]string) *response {
	c.t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, ck := range c.jar {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	resp, err := c.s.App().Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.jar, ck.Name)
		} else {
			c.jar[ck.Name] = ck
		}
	}
	if m := csrfMetaRE.FindStringSubmatch(string(b)); m != nil {
		c.token = m[1]
	}
	return &response{resp, string(b)}
}

var csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func (c *client) get(path string) *response { c.t.Helper(); return c.do("GET", path, nil, nil) }

// post sends a form with the CSRF token of the last page (fetching / first
// when there is none).
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if c.token == "" {
		c.get("/")
	}
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", c.token)
	}
	return c.postRaw(path, form)
}

// postRaw sends a form as is.
func (c *client) postRaw(path string, form url.Values) *response {
	c.t.Helper()
	return c.do("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (c *client) signup(email, name, password string) *response {
	c.t.Helper()
	return c.post("/signup", url.Values{"email": {email}, "name": {name}, "password": {password}})
}

func (c *client) signin(email, password string) *response {
	c.t.Helper()
	return c.post("/signin", url.Values{"email": {email}, "password": {password}})
}

func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL, r.StatusCode, status, r.Body)
	}
}

func wantRedirect(t *testing.T, r *response, location string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != location {
		t.Fatalf("status %d Location %q, want 303 %q\n%s", r.StatusCode, r.Header.Get("Location"), location, r.Body)
	}
}

func wantContains(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Fatalf("body lacks %q:\n%s", p, body)
		}
	}
}

// mustAccount creates an account directly in the store.
func mustAccount(t *testing.T, st agora.Store, email, name string, role agora.Role) *agora.User {
	t.Helper()
	u, err := CreateAccount(context.Background(), st, email, name, "correct horse battery", role)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// uniqueSeq keeps test emails and slugs apart.
var uniqueSeq atomic.Int64

// signedIn returns a client signed in as a new account with role.
func signedIn(t *testing.T, s *Server, st agora.Store, role agora.Role) (*client, *agora.User) {
	t.Helper()
	u := mustAccount(t, st, fmt.Sprintf("%s%d@example.fr", role, uniqueSeq.Add(1)), "Camille "+string(role), role)
	c := newClient(t, s)
	wantRedirect(t, c.signin(u.Email, "correct horse battery"), "/")
	return c, u
}

package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

func TestAdmin_Access(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})

	anon := newClient(t, s)
	wantRedirect(t, anon.get("/admin"), "/signin?next=%2Fadmin")
	wantRedirect(t, anon.get("/facilitate"), "/signin?next=%2Ffacilitate")
	r := anon.do("GET", "/api/me", nil, nil)
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r.Body, `"code":"unauthorized"`)

	citizen, _ := signedIn(t, s, st, agora.RoleCitizen)
	citizen.header.Set("Accept-Language", "en")
	r = citizen.get("/admin")
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r.Body, "You do not have access to this page.", `<html lang="en">`)
	wantStatus(t, citizen.get("/facilitate"), http.StatusForbidden)
	wantStatus(t, citizen.post("/admin/consultations", url.Values{"slug": {"x"}, "title": {"X"}, "status": {"open"}}), http.StatusForbidden)
	wantStatus(t, citizen.get("/api/me"), http.StatusOK)

	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	wantStatus(t, fac.get("/facilitate"), http.StatusOK)
	wantStatus(t, fac.get("/admin"), http.StatusForbidden)

	admin, _ := signedIn(t, s, st, agora.RoleAdmin)
	wantStatus(t, admin.get("/admin"), http.StatusOK)
	wantStatus(t, admin.get("/facilitate"), http.StatusOK)
}

func TestAdmin_CreateConsultationAndChangeRole(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	ctx := context.Background()
	admin, me := signedIn(t, s, st, agora.RoleAdmin)

	r := admin.post("/admin/consultations", url.Values{"slug": {"Pas Bon"}, "title": {"Parc"}, "status": {"open"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, `id="f-slug-error"`, `aria-describedby="f-slug-hint f-slug-error"`, `value="Pas Bon"`)

	form := url.Values{"slug": {"parc-des-rives"}, "title": {"Le parc <des> rives"}, "description": {"Premier.\n\nSecond <b>gras</b>."}, "status": {"open"}}
	wantRedirect(t, admin.post("/admin/consultations", form), "/admin?done=consultation_created")
	r = admin.post("/admin/consultations", form)
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r.Body, "Cette adresse courte est déjà prise.")

	cons, err := st.ConsultationBySlug(ctx, "parc-des-rives")
	if err != nil || cons.CreatedBy == nil || *cons.CreatedBy != me.ID {
		t.Fatalf("consultation %+v %v", cons, err)
	}
	page := newClient(t, s).get("/c/parc-des-rives")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page.Body, "Le parc &lt;des&gt; rives", "<p>Premier.</p>", "<p>Second &lt;b&gt;gras&lt;/b&gt;.</p>")
	wantContains(t, newClient(t, s).get("/").Body, `href="/c/parc-des-rives"`)

	citizen := mustAccount(t, st, "sam@example.fr", "Sam", agora.RoleCitizen)
	path := "/admin/users/" + itoa(citizen.ID) + "/role"
	wantStatus(t, admin.post(path, url.Values{"role": {"emperor"}}), http.StatusUnprocessableEntity)
	wantRedirect(t, admin.post(path, url.Values{"role": {"facilitator"}}), "/admin?done=role_changed")
	if u, _ := st.UserByID(ctx, citizen.ID); u.Role != agora.RoleFacilitator {
		t.Fatalf("role %s", u.Role)
	}
	// The only admin cannot step down.
	r = admin.post("/admin/users/"+itoa(me.ID)+"/role", url.Values{"role": {"citizen"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, "Il doit rester au moins un compte administrateur.")

	entries, err := st.ListAudit(ctx, agora.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.ActorID == nil || *e.ActorID != me.ID {
			t.Fatalf("audit entry without actor: %+v", e)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "consultation.create,user.role" {
		t.Fatalf("audit actions %v", actions)
	}
}

func TestConsultation_DraftHiddenFromPublic(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	c := &agora.Consultation{Slug: "brouillon", Title: "Brouillon", Status: agora.ConsultationDraft}
	if err := st.CreateConsultation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, newClient(t, s).get("/c/brouillon"), http.StatusNotFound)
	if strings.Contains(newClient(t, s).get("/").Body, "Brouillon") {
		t.Fatal("draft listed on the home page")
	}
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	wantStatus(t, fac.get("/c/brouillon"), http.StatusOK)
}

func TestSetup_LinkCreatesFirstAdminOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		ctx := context.Background()
		link, err := s.SetupLink(ctx)
		if err != nil || !strings.HasPrefix(link, "http://agora.test/setup/") {
			t.Fatalf("SetupLink = %q, %v", link, err)
		}
		path := strings.TrimPrefix(link, "http://agora.test")

		c := newClient(t, s)
		wantStatus(t, c.get(path), http.StatusOK)
		wantStatus(t, c.get(path), http.StatusOK) // viewing does not use the token
		// A bad password re-shows the form and keeps the link usable.
		r := c.post(path, url.Values{"email": {"maire@example.fr"}, "name": {"Maire"}, "password": {"short"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, `id="f-password-error"`)
		// A wrong token does nothing.
		wantStatus(t, c.post("/setup/wrongtoken", url.Values{"email": {"maire@example.fr"}, "name": {"Maire"}, "password": {"correct horse battery"}}), http.StatusNotFound)

		form := url.Values{"email": {"maire@example.fr"}, "name": {"Maire"}, "password": {"correct horse battery"}}
		wantRedirect(t, c.post(path, form), "/admin")
		wantStatus(t, c.get("/admin"), http.StatusOK)

		again := newClient(t, s)
		form.Set("email", "intrus@example.fr")
		form.Del("csrf")
		wantStatus(t, again.post(path, form), http.StatusConflict)
		wantStatus(t, again.get(path), http.StatusConflict)
		if n, _ := st.CountUsers(ctx, agora.RoleAdmin); n != 1 {
			t.Fatalf("%d admins", n)
		}
		if _, err := s.SetupLink(ctx); !agora.IsCode(err, agora.ECONFLICT) {
			t.Fatalf("SetupLink with an admin: %v", err)
		}
	})
}

// A token is single-use even before any admin exists (UseToken marks it).
func TestSetup_TokenSingleUse(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	link, _ := s.SetupLink(context.Background())
	token := link[strings.LastIndex(link, "/")+1:]
	if _, err := st.UseToken(context.Background(), agora.HashToken(token), agora.TokenSetup, s.now()); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	r := c.post("/setup/"+token, url.Values{"email": {"maire@example.fr"}, "name": {"Maire"}, "password": {"correct horse battery"}})
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r.Body, "lien d’installation n’est pas valable")
}

func TestLanguage_SwitcherAndAcceptLanguage(t *testing.T) {
	s, _ := testServer(t, openSQLite(t), Config{})
	c := newClient(t, s)
	r := c.get("/")
	wantContains(t, r.Body, `<html lang="fr">`, "Consultations publiques", `href="/lang/en?next=%2F"`)

	c.header.Set("Accept-Language", "de-DE, en-GB;q=0.8, fr;q=0.5")
	wantContains(t, c.get("/").Body, `<html lang="en">`, "Public consultations")

	r = c.get("/lang/fr?next=/signin%3Fnext%3D%252Fadmin")
	wantRedirect(t, r, "/signin?next=%2Fadmin")
	ck := c.jar[langCookie]
	if ck == nil || ck.Value != "fr" || ck.MaxAge != 365*24*3600 || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("lang cookie %+v", ck)
	}
	// The cookie wins over Accept-Language.
	wantContains(t, c.get("/signin").Body, `<html lang="fr">`, "Se connecter")

	wantRedirect(t, c.get("/lang/en?next=//evil.example"), "/")
	wantRedirect(t, c.get("/lang/en?next=https://evil.example"), "/")
	wantStatus(t, c.get("/lang/xx"), http.StatusNotFound)
}

func TestErrors_TranslatedPagesAndJSON(t *testing.T) {
	s, logs := testServer(t, openSQLite(t), Config{BodyLimit: 1024})
	s.App().Get("/test/panic", func(*fiber.Ctx) error { panic("boom") })
	c := newClient(t, s)
	c.jar[langCookie] = &http.Cookie{Name: langCookie, Value: "en"}

	r := c.get("/nowhere")
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r.Body, `<html lang="en">`, "This page does not exist.", "Error 404")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}

	r = c.do("GET", "/nowhere", nil, map[string]string{"Accept": "application/json"})
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r.Body, `{"error":{"code":"not_found","message":"This page does not exist."}}`)
	r = c.get("/api/nowhere")
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r.Body, `"code":"not_found"`)

	r = c.post("/healthz", nil)
	wantStatus(t, r, http.StatusMethodNotAllowed)
	wantContains(t, r.Body, "This action is not possible at this address.")

	r = c.get("/test/panic")
	wantStatus(t, r, http.StatusInternalServerError)
	wantContains(t, r.Body, "An unexpected error occurred.")
	if !strings.Contains(logs.String(), "boom") {
		t.Fatalf("panic not logged:\n%s", logs)
	}
	// Expected errors are not logged.
	if strings.Contains(logs.String(), "nowhere") {
		t.Fatalf("a 404 was logged:\n%s", logs)
	}
}

var (
	inlineScriptRE = regexp.MustCompile(`(?i)<script(\s[^>]*)?>`)
	scriptSrcRE    = regexp.MustCompile(`(?i)<script\s[^>]*\bsrc=`)
	inlineStyleRE  = regexp.MustCompile(`(?i)<style|\sstyle\s*=|\son[a-z]+\s*=`)
)

func TestPages_SecurityHeadersAndNoInlineCode(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{PublicURL: "https://agora.example.fr"})
	admin, _ := signedIn(t, s, st, agora.RoleAdmin)
	admin.post("/admin/consultations", url.Values{"slug": {"parc"}, "title": {"Parc"}, "status": {"open"}})
	for _, path := range []string{"/", "/signin", "/signup", "/admin", "/facilitate", "/c/parc", "/nowhere", "/setup/x"} {
		r := admin.get(path)
		csp := r.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'", "connect-src 'self' wss://agora.example.fr"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, d)
			}
		}
		if got := r.Header.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("%s: Referrer-Policy %q", path, got)
		}
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", path, got)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, got)
		}
		for _, m := range inlineScriptRE.FindAllString(r.Body, -1) {
			if !scriptSrcRE.MatchString(m) {
				t.Errorf("%s: inline script %q", path, m)
			}
		}
		if m := inlineStyleRE.FindString(r.Body); m != "" {
			t.Errorf("%s: inline style or handler %q", path, m)
		}
		if !strings.Contains(r.Body, `<main id="main"`) || !strings.Contains(r.Body, `class="skip-link" href="#main"`) {
			t.Errorf("%s: no main landmark or skip link", path)
		}
	}
}

func TestStatic_HashedURLIsImmutable(t *testing.T) {
	s, _ := testServer(t, openSQLite(t), Config{})
	c := newClient(t, s)
	m := regexp.MustCompile(`<link rel="stylesheet" href="(/static/css/agora\.[0-9a-f]{10}\.css)">`).FindStringSubmatch(c.get("/").Body)
	if m == nil {
		t.Fatal("no hashed stylesheet link")
	}
	r := c.get(m[1])
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("headers %v", r.Header)
	}
	wantContains(t, r.Body, ":focus-visible")
	r = c.get("/static/css/agora.css")
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("plain URL Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	r2 := c.do("GET", "/static/css/agora.css", nil, map[string]string{"If-None-Match": r.Header.Get("ETag")})
	wantStatus(t, r2, http.StatusNotModified)
	wantStatus(t, c.get("/static/css/nope.css"), http.StatusNotFound)
	wantStatus(t, c.get("/static/../server.go"), http.StatusNotFound)
}

func TestXSS_DisplayNameEscaped(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	c := newClient(t, s)
	evil := `<script>alert(1)</script>`
	wantRedirect(t, c.signup("x@example.fr", evil, "correct horse battery"), "/")
	body := c.get("/").Body
	if strings.Contains(body, evil) {
		t.Fatal("display name rendered unescaped")
	}
	wantContains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")

	admin, _ := signedIn(t, s, st, agora.RoleAdmin)
	body = admin.get("/admin").Body
	if strings.Contains(body, evil) {
		t.Fatal("display name unescaped in the admin list")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A body over the limit is refused by fasthttp before any handler; the
// answer is still translated. app.Test reports that case as an error, so
// this test goes through a real listener.
func TestErrors_BodyTooLarge(t *testing.T) {
	s, _ := testServer(t, openSQLite(t), Config{BodyLimit: 1024})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/signup", strings.NewReader(strings.Repeat("a", 4096)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "What you sent is too long.") {
		t.Fatalf("status %d\n%s", resp.StatusCode, b)
	}
}

// The same over a chunked body, which fasthttp reads after resetting the
// request on failure: still the caller's language, and the CSRF cookie
// the browser has is kept rather than replaced.
func TestErrors_ChunkedBodyTooLarge(t *testing.T) {
	s, _ := testServer(t, openSQLite(t), Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	resp := sendChunked(t, ln.Addr().String(), "/signup", map[string]string{
		"Content-Type":    "application/x-www-form-urlencoded",
		"Accept-Language": "en",
		"Cookie":          csrfCookie + "=" + agora.NewSecret(),
	})
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "What you sent is too long.") {
		t.Fatalf("status %d\n%s", resp.StatusCode, b)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == csrfCookie {
			t.Fatalf("new CSRF cookie %q", ck.Value)
		}
	}
}

package server

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

func TestQR_EncodesJoinURL(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	c := newClient(t, r.s)
	for _, tc := range []struct {
		query string
		size  int
	}{{"", qrDefaultSize}, {"?size=300", 300}, {"?size=10", qrMinSize}, {"?size=99999", qrMaxSize}, {"?size=abc", qrDefaultSize}} {
		resp := c.get("/w/" + strings.ToLower(r.code()) + "/qr.png" + tc.query)
		wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
			t.Fatalf("content type %q", ct)
		}
		body := []byte(resp.Body)
		if !bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("%s: not a PNG", tc.query)
		}
		img, err := png.Decode(bytes.NewReader(body))
		must(t, err)
		if b := img.Bounds(); b.Dx() != tc.size || b.Dy() != tc.size {
			t.Fatalf("%s: size %v, want %d", tc.query, b, tc.size)
		}
		want, err := qrPNG("http://agora.test/j/"+r.code(), tc.size)
		must(t, err)
		if !bytes.Equal(body, want) {
			t.Fatalf("%s: the image does not encode the join URL", tc.query)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=86400" {
			t.Fatalf("Cache-Control %q", cc)
		}
	}
	etag := c.get("/w/" + r.code() + "/qr.png").Header.Get("ETag")
	resp := c.do("GET", "/w/"+r.code()+"/qr.png", nil, map[string]string{"If-None-Match": etag})
	wantStatus(t, resp, http.StatusNotModified)

	resp = c.get("/w/ZZZZZZ/qr.png")
	wantStatus(t, resp, http.StatusNotFound)
	wantContains(t, resp.Body, "<html", "Cet atelier n’existe pas")
}

func TestJoin_CodesAndPages(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	c := newClient(t, r.s)

	// Typed codes: lower case, spaces and dashes lead to the canonical URL.
	lower := strings.ToLower(r.code())
	resp := c.get("/j/" + lower[:3] + "%20" + lower[3:])
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/j/"+r.code() {
		t.Fatalf("status %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantRedirect(t, c.get("/j?code="+lower), "/j/"+r.code())
	wantStatus(t, c.get("/j"), http.StatusOK)
	wantContains(t, c.get("/").Body, `action="/j"`, `name="code"`)

	// Unknown codes: a translated page with the form to type another.
	for _, path := range []string{"/j/ZZZZZZ", "/j/not-a-code", "/j?code=%3Cb%3Ex"} {
		resp = c.get(path)
		wantStatus(t, resp, http.StatusNotFound)
		wantContains(t, resp.Body, "Aucun atelier n’a le code", `action="/j"`, `name="code"`)
		if strings.Contains(resp.Body, "<b>x") {
			t.Fatal("typed code not escaped")
		}
	}
	c.header.Set("Accept-Language", "en")
	wantContains(t, c.get("/j/ZZZZZZ").Body, "No workshop has the code")
	c.header.Del("Accept-Language")

	// Not joined yet: the join button and the optional nickname.
	resp = c.get("/j/" + r.code())
	wantStatus(t, resp, http.StatusOK)
	wantContains(t, resp.Body, `action="/j/`+r.code()+`/join"`, `name="nickname"`, "Rejoindre", `name="csrf"`)
	assertNoInlineCode(t, resp)
}

func TestJoin_FormSetsDeviceCookie(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	c := newClient(t, r.s)
	c.get("/j/" + r.code())
	resp := c.post("/j/"+r.code()+"/join", map[string][]string{"nickname": {`<script>alert(1)</script>`}})
	wantRedirect(t, resp, "/j/"+r.code())
	ck := c.jar[participantCookie(r.code())]
	if ck == nil || !validSecret(ck.Value) || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("device cookie %+v", ck)
	}
	if ck.MaxAge != int(30*24*time.Hour/time.Second) {
		t.Fatalf("max age %d", ck.MaxAge)
	}
	p := r.participant(c, r.w)
	if p.TokenHash != agora.HashToken(ck.Value) || p.TokenHash == ck.Value {
		t.Fatal("the store must keep the token's hash only")
	}

	page := c.get("/j/" + r.code())
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page.Body, "&lt;script&gt;alert(1)&lt;/script&gt;", "Quel accès ?", `data-participant`)
	if strings.Contains(page.Body, "<script>alert") {
		t.Fatal("nickname not escaped")
	}
	assertNoInlineCode(t, page)

	// Reload and join again: the same participant.
	c.post("/j/"+r.code()+"/join", map[string][]string{"nickname": {"Léa"}})
	if again := r.participant(c, r.w); again.ID != p.ID || again.Nickname != "Léa" {
		t.Fatalf("participant %d %q, want %d Léa", again.ID, again.Nickname, p.ID)
	}
	if n, _ := r.st.CountParticipants(context.Background(), r.w.ID); n != 1 {
		t.Fatalf("%d participants", n)
	}

	// A nickname too long is refused in place.
	other := newClient(t, r.s)
	other.get("/j/" + r.code())
	resp = other.post("/j/"+r.code()+"/join", map[string][]string{"nickname": {strings.Repeat("x", 41)}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantContains(t, resp.Body, `id="f-nickname-error"`)
	if other.jar[participantCookie(r.code())] != nil {
		t.Fatal("a refused join set the cookie")
	}
}

func TestJoin_SecureCookieUnderHTTPS(t *testing.T) {
	st := openSQLite(t)
	r := newTestRoom(t, st)
	s, _ := testServer(t, st, Config{PublicURL: "https://agora.example.fr"})
	c := newClient(t, s)
	c.get("/j/" + r.code())
	c.post("/j/"+r.code()+"/join", nil)
	if ck := c.jar[participantCookie(r.code())]; ck == nil || !ck.Secure {
		t.Fatalf("device cookie %+v", ck)
	}
}

func TestJoin_EndedWorkshop(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	joined := r.join("")
	must(t, r.s.engine.EndWorkshop(context.Background(), r.staff, r.w.ID))
	for _, c := range []*client{joined, newClient(t, r.s)} {
		resp := c.get("/j/" + r.code())
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, resp.Body, "Cet atelier est terminé", `href="/c/`+r.cons.Slug+`"`)
	}
	c := newClient(t, r.s)
	c.get("/")
	resp := c.post("/j/"+r.code()+"/join", nil)
	wantContains(t, resp.Body, "Cet atelier est terminé")
	if c.jar[participantCookie(r.code())] != nil {
		t.Fatal("joined an ended workshop")
	}
	resp = newClient(t, r.s).api("POST", "/api/v1/workshops/"+r.code()+"/join", nil)
	wantStatus(t, resp, http.StatusConflict)
}

// assertNoInlineCode checks what the CSP would refuse anyway: inline
// scripts, style attributes and event handlers.
func assertNoInlineCode(t *testing.T, r *response) {
	t.Helper()
	for _, m := range inlineScriptRE.FindAllString(r.Body, -1) {
		if !scriptSrcRE.MatchString(m) {
			t.Errorf("inline script %q", m)
		}
	}
	if m := inlineStyleRE.FindString(r.Body); m != "" {
		t.Errorf("inline style or handler %q", m)
	}
}

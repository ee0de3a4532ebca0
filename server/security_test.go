package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

// TestSecurityHeaders_EveryKind: every kind of answer carries the security
// headers, not only the pages of TestPages_SecurityHeadersAndNoInlineCode:
// the phone's pages, the projector, the dashboard, JSON answers and JSON
// errors, a 429, a redirect, a QR code and a static file.
func TestSecurityHeaders_EveryKind(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	phone := r.join("Léa")
	staff := newClient(t, r.s)
	wantRedirect(t, staff.signin(r.staff.Email, "correct horse battery"), "/")
	stranger := newClient(t, r.s)
	code := r.code()
	kinds := []struct {
		name string
		resp func() *response
	}{
		{"join page", func() *response { return stranger.get("/j/" + code) }},
		{"participant page", func() *response { return phone.get("/j/" + code) }},
		{"screen", func() *response { return stranger.get("/screen/" + code + "?t=" + r.w.ScreenToken) }},
		{"dashboard", func() *response { return staff.get("/facilitate/" + code) }},
		{"API state", func() *response { return phone.get("/api/v1/workshops/" + code + "/state") }},
		{"API error", func() *response { return stranger.get("/api/v1/workshops/" + code + "/state") }},
		{"API 429", func() *response {
			var last *response
			for i := 0; i <= MaxVotesPerMinute; i++ {
				last = phone.api("POST", actPath(r.poll, "/vote"), map[string]any{"choices": []int{r.poll.Options[0].ID}})
			}
			return last
		}},
		{"redirect", func() *response { return stranger.get("/j?code=" + strings.ToLower(code)) }},
		{"QR code", func() *response { return stranger.get("/w/" + code + "/qr.png") }},
		{"static file", func() *response { return stranger.get("/static/js/live.js") }},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			resp := k.resp()
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for h, want := range map[string]string{
				"X-Frame-Options":        "DENY",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
			} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s (%d): %s %q, want %q", k.name, resp.StatusCode, h, got, want)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP %q", k.name, csp)
			}
		})
	}
}

// TestCookies_Attributes: every cookie Agora sets is HttpOnly,
// SameSite=Lax and site-wide, and Secure exactly when the public URL is
// https: the session, the CSRF seed, the device and the language.
func TestCookies_Attributes(t *testing.T) {
	st := openSQLite(t)
	for _, public := range []string{"http://agora.test", "https://agora.example.fr"} {
		r := newTestRoom(t, st)
		s, err := New(Config{PublicURL: public}, Deps{Store: st, Engine: r.s.engine, Logger: quietLogger()})
		must(t, err)
		r.s = s
		secure := strings.HasPrefix(public, "https://")
		tests := []struct {
			cookie string
			set    func(c *client) *response
		}{
			{csrfCookie, func(c *client) *response { return c.get("/") }},
			{sessionCookie, func(c *client) *response { return c.signin(r.staff.Email, "correct horse battery") }},
			{participantCookie(r.code()), func(c *client) *response {
				c.get("/j/" + r.code())
				return c.post("/j/"+r.code()+"/join", nil)
			}},
			{langCookie, func(c *client) *response { return c.get("/lang/en?next=/") }},
		}
		for _, tt := range tests {
			t.Run(public+"/"+tt.cookie, func(t *testing.T) {
				resp := tt.set(newClient(t, s))
				var ck *http.Cookie
				for _, c := range resp.Cookies() {
					if c.Name == tt.cookie {
						ck = c
					}
				}
				if ck == nil {
					t.Fatalf("no %s cookie set (status %d)", tt.cookie, resp.StatusCode)
				}
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != secure || ck.MaxAge <= 0 {
					t.Errorf("%s: HttpOnly %v SameSite %v Path %q Secure %v MaxAge %d; want HttpOnly, Lax, /, Secure %v, persistent",
						tt.cookie, ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure, ck.MaxAge, secure)
				}
			})
		}
	}
}

// TestDeviceToken_UselessInAnotherWorkshop: a device's token from one
// workshop, presented as the device cookie of another, is not a
// participant there: 401 by the API, the join page by the form, no vote.
func TestDeviceToken_UselessInAnotherWorkshop(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		st := open(t)
		a, b := newTestRoom(t, st), newTestRoom(t, st)
		phone, _ := a.apiJoin("")
		token := phone.jar[participantCookie(a.code())].Value
		thief := newClient(t, b.s)
		thief.jar[participantCookie(b.code())] = &http.Cookie{Name: participantCookie(b.code()), Value: token}
		vote := map[string]any{"choices": []int{b.poll.Options[0].ID}}
		resp := thief.api("POST", actPath(b.poll, "/vote"), vote)
		wantStatus(t, resp, http.StatusUnauthorized)
		wantStatus(t, thief.get("/api/v1/workshops/"+b.code()+"/state"), http.StatusUnauthorized)
		wantRedirect(t, thief.post("/j/"+b.code()+"/vote", voteForm(b.poll, "k", "choice", itoa(int64(b.poll.Options[0].ID)))), "/j/"+b.code())
		if n := len(b.votes(b.poll)); n != 0 {
			t.Fatalf("%d votes in the other workshop", n)
		}
		// The token names no participant of b: joining b with it makes a
		// new participant, not a's.
		pa := a.participant(phone, a.w)
		wantStatus(t, thief.api("POST", "/api/v1/workshops/"+b.code()+"/join", nil), http.StatusOK)
		if pb := b.participant(thief, b.w); pb.ID == pa.ID || pb.WorkshopID != b.w.ID {
			t.Fatalf("participant %+v in b is a's %+v", pb, pa)
		}
	})
}

// TestDashboard_JoinedAndAnswered: the facilitator sees how many devices
// joined and how many answered the current activity, in both languages.
func TestDashboard_JoinedAndAnswered(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	for i := range 3 {
		c, _ := r.apiJoin("")
		if i < 2 {
			wantStatus(t, c.api("POST", actPath(r.poll, "/vote"), map[string]any{"choices": []int{r.poll.Options[0].ID}}), http.StatusOK)
		}
	}
	staff := newClient(t, r.s)
	wantRedirect(t, staff.signin(r.staff.Email, "correct horse battery"), "/")
	for lang, words := range map[string][]string{"fr": {"Participants :", "Réponses"}, "en": {"Participants:", "Answers:"}} {
		staff.header.Set("Accept-Language", lang)
		resp := staff.get("/facilitate/" + r.code())
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, resp.Body, words[0]+` <strong data-participant-count>3</strong>`, words[1])
		wantContains(t, resp.Body, `data-tally-total>2</strong>`)
	}
}

// TestMalformedMultipart_AnsweredByAgora: a body sent as multipart/form-data
// that does not parse (Agora takes no multipart anywhere) is answered like
// any other bad body: 415 JSON in the caller's language on the API, the
// CSRF refusal on a form, and the caller keeps its CSRF cookie. Before,
// fasthttp pre-parsed the multipart body, failed, and reset the request
// before the error handler ran: the caller got a French HTML 400 page and
// a new agora_csrf cookie, so its next commands were refused as forged.
func TestMalformedMultipart_AnsweredByAgora(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	phone := r.join("Léa")
	phone.api("GET", "/api/v1/csrf", nil)
	seed := phone.jar[csrfCookie].Value
	hdr := map[string]string{"Content-Type": "multipart/form-data; boundary=x", "X-CSRF-Token": phone.token, "Accept-Language": "en"}

	resp := phone.do("POST", actPath(r.poll, "/vote"), strings.NewReader(`{"choices":[1]}`), hdr)
	wantStatus(t, resp, http.StatusUnsupportedMediaType)
	if !strings.Contains(resp.Body, `"code":"invalid"`) || !strings.Contains(resp.Body, "Send the request body as JSON") {
		t.Errorf("API answer is not the JSON error in English: %s", resp.Body)
	}
	delete(hdr, "X-CSRF-Token")
	resp = phone.do("POST", "/j/"+r.code()+"/vote", strings.NewReader("--x\r\nbroken"), hdr)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "The form has expired") {
		t.Errorf("form: status %d, want 403 in English\n%.300s", resp.StatusCode, resp.Body)
	}
	if got := phone.jar[csrfCookie].Value; got != seed {
		t.Errorf("the CSRF cookie was replaced (%q, was %q)", got, seed)
	}
	// The token still works.
	wantStatus(t, phone.api("POST", actPath(r.poll, "/vote"), map[string]any{"choices": []int{r.poll.Options[0].ID}}), http.StatusOK)
}

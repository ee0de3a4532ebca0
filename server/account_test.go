package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

func TestSignup_SignsIn(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		c := newClient(t, s)
		wantStatus(t, c.get("/signup"), http.StatusOK)
		r := c.signup("  Camille@Example.FR ", "Camille Dupont", "correct horse battery")
		wantRedirect(t, r, "/")
		ck := c.jar[sessionCookie]
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.MaxAge != int(DefaultSessionTTL.Seconds()) {
			t.Fatalf("session cookie %+v", ck)
		}
		home := c.get("/")
		wantContains(t, home.Body, "Camille Dupont", `action="/signout"`)

		u, err := st.UserByEmail(context.Background(), "camille@example.fr")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != agora.RoleCitizen || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") {
			t.Fatalf("user %+v", u)
		}
		// Only the hash of the token is stored.
		if _, err := st.SessionByHash(context.Background(), agora.HashToken(ck.Value), s.now()); err != nil {
			t.Fatalf("session not stored by hash: %v", err)
		}

		// The same email again: an error next to the field, nothing created.
		c2 := newClient(t, s)
		r = c2.signup("camille@example.fr", "Other", "correct horse battery")
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.Body, `id="f-email-error"`, `aria-describedby="f-email-error"`, "Un compte existe déjà")
	})
}

func TestSignup_InvalidFieldsShowErrors(t *testing.T) {
	s, _ := testServer(t, openSQLite(t), Config{})
	c := newClient(t, s)
	c.header.Set("Accept-Language", "en")
	r := c.signup("not-an-email", "Camille", "correct horse battery")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, "Enter a valid email address", `aria-invalid="true"`, `value="not-an-email"`)
	r = c.signup("a@example.fr", "Camille", "short")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, "at least 10 characters", `aria-describedby="f-password-hint f-password-error"`)
	if strings.Contains(r.Body, `value="short"`) {
		t.Fatal("password echoed back")
	}
	if _, ok := c.jar[sessionCookie]; ok {
		t.Fatal("signed in after a failed sign-up")
	}
}

func TestSignin_WrongPasswordThenThrottled(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{SigninPerEmail: 3})
		mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
		c := newClient(t, s)
		c.header.Set("Accept-Language", "en")

		wrong := c.signin("alex@example.fr", "wrong password!")
		wantStatus(t, wrong, http.StatusUnauthorized)
		wantContains(t, wrong.Body, "Incorrect email address or password.", `value="alex@example.fr"`)
		unknown := c.signin("nobody@example.fr", "wrong password!")
		wantStatus(t, unknown, http.StatusUnauthorized)
		if msg(wrong.Body) != msg(unknown.Body) {
			t.Fatalf("unknown email and wrong password differ: %q vs %q", msg(wrong.Body), msg(unknown.Body))
		}
		c.signin("alex@example.fr", "wrong password!")
		c.signin("alex@example.fr", "wrong password!")
		// Fourth attempt on this account: throttled, even with the right password.
		r := c.signin("alex@example.fr", "correct horse battery")
		wantStatus(t, r, http.StatusTooManyRequests)
		wantContains(t, r.Body, "Too many sign-in attempts")
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 15*60 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		if _, ok := c.jar[sessionCookie]; ok {
			t.Fatal("signed in while throttled")
		}
	})
}

func TestSignin_RotatesSessionAndRedirectsToSafeNext(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
	c := newClient(t, s)
	wantRedirect(t, c.signin("alex@example.fr", "correct horse battery"), "/")
	first := c.jar[sessionCookie].Value

	r := c.post("/signin", url.Values{"email": {"alex@example.fr"}, "password": {"correct horse battery"}, "next": {"/c/parc?x=1"}})
	wantRedirect(t, r, "/c/parc?x=1")
	if c.jar[sessionCookie].Value == first {
		t.Fatal("session token not rotated on sign-in")
	}
	if _, err := st.SessionByHash(context.Background(), agora.HashToken(first), s.now()); !agora.IsCode(err, agora.ENOTFOUND) {
		t.Fatalf("old session still valid: %v", err)
	}
	r = c.post("/signin", url.Values{"email": {"alex@example.fr"}, "password": {"correct horse battery"}, "next": {"//evil.example/x"}})
	wantRedirect(t, r, "/")

	// Sign out deletes the session: the old cookie no longer works.
	token := c.jar[sessionCookie].Value
	wantRedirect(t, c.post("/signout", nil), "/")
	if _, ok := c.jar[sessionCookie]; ok {
		t.Fatal("session cookie kept after sign-out")
	}
	if _, err := st.SessionByHash(context.Background(), agora.HashToken(token), s.now()); !agora.IsCode(err, agora.ENOTFOUND) {
		t.Fatalf("session row kept after sign-out: %v", err)
	}
}

func TestSigninPage_SecureCookiesUnderHTTPS(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{PublicURL: "https://agora.example.fr"})
	mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
	c := newClient(t, s)
	wantRedirect(t, c.signin("alex@example.fr", "correct horse battery"), "/")
	for _, name := range []string{sessionCookie, csrfCookie} {
		if ck := c.jar[name]; ck == nil || !ck.Secure || !ck.HttpOnly {
			t.Fatalf("%s: %+v", name, ck)
		}
	}
}

func TestCSRF_RejectsAndChangesNothing(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		form := url.Values{"email": {"eve@example.fr"}, "name": {"Eve"}, "password": {"correct horse battery"}}

		// No cookie, no token.
		c := newClient(t, s)
		wantStatus(t, c.postRaw("/signup", form), http.StatusForbidden)
		// A cookie but a forged token.
		c.get("/")
		forged := url.Values{"csrf": {"forged"}}
		for k, v := range form {
			forged[k] = v
		}
		r := c.postRaw("/signup", forged)
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.Body, "Le formulaire a expiré")
		// A valid token sent by another site.
		form.Set("csrf", c.token)
		r = c.do("POST", "/signup", strings.NewReader(form.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"})
		wantStatus(t, r, http.StatusForbidden)
		// A token from another browser (another cookie) does not fit.
		other := newClient(t, s)
		other.get("/")
		form.Set("csrf", other.token)
		wantStatus(t, c.postRaw("/signup", form), http.StatusForbidden)

		if n, err := st.CountUsers(context.Background(), ""); err != nil || n != 0 {
			t.Fatalf("%d users after rejected posts (%v)", n, err)
		}
		// JSON clients send the header; the message is translated.
		r = c.do("POST", "/api/me", nil, map[string]string{"Accept-Language": "en", "Accept": "application/json"})
		wantStatus(t, r, http.StatusForbidden)
		wantContains(t, r.Body, `"code":"forbidden"`, "The form has expired")
		r = c.do("POST", "/signout", nil, map[string]string{csrfHeader: c.token})
		wantRedirect(t, r, "/")
	})
}

// The CSRF key is shared through the store, so a token from one node is
// accepted by another.
func TestCSRF_KeySharedAcrossNodes(t *testing.T) {
	st := openSQLite(t)
	a, _ := testServer(t, st, Config{})
	b, _ := testServer(t, st, Config{})
	c := newClient(t, a)
	c.get("/signup")
	c.s = b
	wantRedirect(t, c.signup("n@example.fr", "Node", "correct horse battery"), "/")
}

// msg extracts the alert text of a page.
func msg(body string) string {
	i := strings.Index(body, `role="alert"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</div>")
	return body[i : i+j]
}

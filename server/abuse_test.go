package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// phone returns a new device that shares base's CSRF cookie and token
// (the seed is not an identity) but has no device cookie of its own.
func phone(t *testing.T, base *client) *client {
	c := newClient(t, base.s)
	c.jar[csrfCookie] = base.jar[csrfCookie]
	c.token = base.token
	return c
}

// TestFlood_VenueBehindOneAddress: 2,000 phones behind one NAT (every
// request of app.Test comes from the same address) each join and vote
// once, at the same instant: the clock is frozen, so the flood guard
// never refills and the burst alone must take them all.
func TestFlood_VenueBehindOneAddress(t *testing.T) {
	n := 2000
	r := newTestRoom(t, openSQLite(t))
	frozen := time.Now()
	r.s.now = func() time.Time { return frozen }
	base := newClient(t, r.s)
	base.api("GET", "/api/v1/csrf", nil)
	opts := r.poll.Options
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := range 4 { // four at a time, as phones do
		wg.Go(func() {
			for i := w; i < n && failed.Load() == 0; i += 4 {
				c := phone(t, base)
				join := c.api("POST", "/api/v1/workshops/"+r.code()+"/join", nil)
				vote := c.api("POST", actPath(r.poll, "/vote"), map[string]any{"choices": []int{opts[i%len(opts)].ID}})
				if join.StatusCode != http.StatusOK || vote.StatusCode != http.StatusOK {
					failed.Add(1)
					t.Errorf("phone %d: join %d, vote %d %s", i, join.StatusCode, vote.StatusCode, vote.Body)
				}
			}
		})
	}
	wg.Wait()
	if got := len(r.votes(r.poll)); got != n {
		t.Fatalf("%d votes stored, want %d", got, n)
	}
}

// TestFlood_Hammer: one address sending more than its burst gets 429 with
// Retry-After and a message in its language; another address behind the
// trusted proxy is not held up; a client cannot pick its address with an
// X-Forwarded-For of its own.
func TestFlood_Hammer(t *testing.T) {
	st := openSQLite(t)
	s, err := New(Config{PublicURL: "http://agora.test", FloodRate: 1, FloodBurst: 20, TrustedProxies: []string{"0.0.0.0"}},
		Deps{Store: st, Logger: quietLogger()})
	must(t, err)
	frozen := time.Now()
	s.now = func() time.Time { return frozen }
	hammer := newClient(t, s)
	hammer.header.Set("X-Forwarded-For", "203.0.113.7")
	hammer.header.Set("Accept-Language", "en")
	var last *response
	for range 25 {
		if last = hammer.get("/api/v1/csrf"); last.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	wantStatus(t, last, http.StatusTooManyRequests)
	if got := last.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if errorCode(t, last) != agora.ETOOMANY || !strings.Contains(last.Body, "Too many requests") {
		t.Errorf("body %s", last.Body)
	}
	// A page, in French by default.
	hammer.header.Del("Accept-Language")
	resp := hammer.get("/")
	wantStatus(t, resp, http.StatusTooManyRequests)
	wantContains(t, resp.Body, "Trop de demandes")

	// Another client behind the proxy has its own bucket; health checks
	// are never refused.
	other := newClient(t, s)
	other.header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.99")
	wantStatus(t, other.get("/api/v1/csrf"), http.StatusOK)
	wantStatus(t, hammer.get("/healthz"), http.StatusOK)

	// Without a trusted proxy, X-Forwarded-For is ignored: changing it
	// does not escape the bucket of the peer address.
	s2, err := New(Config{PublicURL: "http://agora.test", FloodRate: 1, FloodBurst: 5}, Deps{Store: st, Logger: quietLogger()})
	must(t, err)
	s2.now = s.now
	liar := newClient(t, s2)
	for i := range 5 {
		liar.header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
		wantStatus(t, liar.get("/api/v1/csrf"), http.StatusOK)
	}
	liar.header.Set("X-Forwarded-For", "192.0.2.200")
	wantStatus(t, liar.get("/api/v1/csrf"), http.StatusTooManyRequests)
	// Time refills the bucket.
	frozen = frozen.Add(time.Second)
	wantStatus(t, liar.get("/api/v1/csrf"), http.StatusOK)
}

// TestRateLimits_Commands: every state-changing command of the room and
// of the staff has a limit per participant, device or account, answered
// with 429, Retry-After and a translated message; another participant is
// not held up. (Votes: TestAPI_VoteRateLimit; ideas: the engine's tests;
// sign-in and sign-up: TestSignin_Throttle.)
func TestRateLimits_Commands(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	frozen := time.Now() // the counters' minute must not end mid-test
	r.s.now = func() time.Time { return frozen }
	r.open(r.ideas)
	author, _ := r.apiJoin("")
	resp := author.api("POST", actPath(r.ideas, "/ideas"), map[string]string{"body": "Des bancs"})
	wantStatus(t, resp, http.StatusOK)
	idea := decode[struct{ Idea struct{ ID int64 } }](t, resp).Idea.ID
	supportPath := "/api/v1/ideas/" + itoa(idea) + "/support"
	staff := newClient(t, r.s)
	wantRedirect(t, staff.signin(r.staff.Email, "correct horse battery"), "/")

	newPhone := func() *client { c, _ := r.apiJoin(""); return c }
	tests := []struct {
		name   string
		limit  int
		send   func(c *client, i int) *response
		caller func() *client
		other  func() *client // another caller, not held up; nil for none
	}{
		{"supports", MaxSupportsPerMinute, func(c *client, i int) *response {
			if i%2 == 0 {
				return c.api("POST", supportPath, nil)
			}
			return c.api("DELETE", supportPath, nil)
		}, newPhone, newPhone},
		{"joins of one device", MaxJoinsPerDevicePerMinute, func(c *client, i int) *response {
			return c.api("POST", "/api/v1/workshops/"+r.code()+"/join", map[string]string{"nickname": "n" + strconv.Itoa(i)})
		}, newPhone, newPhone},
		{"staff commands", MaxStaffCommandsPerMinute, func(c *client, i int) *response {
			return c.api("POST", actPath(r.poll, "/hide"), nil)
		}, func() *client { return staff }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.caller()
			for i := range tt.limit {
				if resp := tt.send(c, i); resp.StatusCode != http.StatusOK {
					t.Fatalf("request %d: %d %s", i, resp.StatusCode, resp.Body)
				}
			}
			resp := tt.send(c, tt.limit)
			wantStatus(t, resp, http.StatusTooManyRequests)
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
			if errorCode(t, resp) != agora.ETOOMANY || !strings.Contains(resp.Body, "Trop de demandes") {
				t.Errorf("body %s", resp.Body)
			}
			if tt.other != nil {
				wantStatus(t, tt.send(tt.other(), 0), http.StatusOK)
			}
		})
	}
	// The no-JavaScript support form has the same limit (the counter is
	// the participant's): the page again with the message, 429.
	c := r.join("")
	for range MaxSupportsPerMinute {
		c.post("/j/"+r.code()+"/ideas/"+itoa(idea)+"/support", nil)
	}
	resp = c.post("/j/"+r.code()+"/ideas/"+itoa(idea)+"/support", url.Values{"action": {"unsupport"}})
	wantStatus(t, resp, http.StatusTooManyRequests)
	wantContains(t, resp.Body, "Trop de demandes")
}

// TestBadInput_NeverServerError sends malformed and hostile bodies to
// every participant command, on both databases: each gets a 4xx with a
// typed JSON error, never a 5xx, and nothing is stored.
func TestBadInput_NeverServerError(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		r := newTestRoom(t, open(t))
		c, _ := r.apiJoin("")
		join := "/api/v1/workshops/" + r.code() + "/join"
		tests := []struct {
			open                 *agora.Activity // opened first (one at a time)
			name, path, ct, body string
			want                 int
		}{
			{r.poll, "vote not JSON", actPath(r.poll, "/vote"), "application/json", `{"choices":`, 400},
			{r.poll, "vote form body", actPath(r.poll, "/vote"), "application/x-www-form-urlencoded", `choices=1`, 415},
			{r.poll, "vote two values", actPath(r.poll, "/vote"), "application/json", `{"choices":[1]} {"choices":[2]}`, 400},
			{r.poll, "vote unknown field", actPath(r.poll, "/vote"), "application/json", `{"choice":1}`, 422},
			{r.poll, "vote wrong type", actPath(r.poll, "/vote"), "application/json", `{"choices":"1"}`, 422},
			{r.poll, "vote huge number", actPath(r.poll, "/vote"), "application/json", `{"choices":[1e30]}`, 422},
			{r.poll, "vote key too long", actPath(r.poll, "/vote"), "application/json", `{"choices":[1],"idempotency_key":"` + strings.Repeat("k", 65) + `"}`, 422},
			{r.poll, "vote activity id overflow", "/api/v1/activities/99999999999999999999/vote", "application/json", `{}`, 404},
			{r.poll, "vote negative activity", "/api/v1/activities/-1/vote", "application/json", `{}`, 404},
			{r.cloud, "vote NUL in word", actPath(r.cloud, "/vote"), "application/json", `{"words":["v\u0000lo"]}`, 422},
			{r.cloud, "vote bidi override in word", actPath(r.cloud, "/vote"), "application/json", `{"words":["\u202egnirts"]}`, 422},
			{r.ideas, "idea NUL", actPath(r.ideas, "/ideas"), "application/json", `{"body":"a\u0000b"}`, 422},
			{r.ideas, "idea NUL in client key", actPath(r.ideas, "/ideas"), "application/json", `{"body":"ok","client_key":"a\u0000b"}`, 422},
			{r.ideas, "idea too long", actPath(r.ideas, "/ideas"), "application/json", `{"body":"` + strings.Repeat("é", 281) + `"}`, 422},
			{r.ideas, "join nickname control", join, "application/json", `{"nickname":"a\u0007b"}`, 422},
			{r.ideas, "join nickname not a string", join, "application/json", `{"nickname":["x"]}`, 422},
			{r.ideas, "join deep nesting", join, "application/json", `{"nickname":` + strings.Repeat("[", 10000) + `}`, 400},
		}
		for _, tt := range tests {
			if tt.open.State != agora.ActivityOpen {
				r.open(tt.open)
				for _, a := range []*agora.Activity{r.poll, r.cloud, r.ideas} {
					a.State = agora.ActivityClosed
				}
				tt.open.State = agora.ActivityOpen
			}
			t.Run(tt.name, func(t *testing.T) {
				resp := c.do("POST", tt.path, strings.NewReader(tt.body),
					map[string]string{"Content-Type": tt.ct, "X-CSRF-Token": c.token})
				if resp.StatusCode != tt.want || resp.StatusCode >= 500 {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, resp.Body)
				}
				if code := errorCode(t, resp); code == "" || code == agora.EINTERNAL {
					t.Fatalf("error code %q", code)
				}
			})
		}
		for _, a := range []*agora.Activity{r.poll, r.cloud} {
			if n := len(r.votes(a)); n != 0 {
				t.Errorf("%d votes stored by refused requests", n)
			}
		}
		if n := len(r.ideasOf(r.ideas)); n != 0 {
			t.Errorf("%d ideas stored by refused requests", n)
		}
	})
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

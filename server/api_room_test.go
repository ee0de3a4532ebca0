package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

type joinAnswer struct {
	Participant struct{ ID, Nickname string }
	State       live.RoomState
}

// apiJoin joins a room through the JSON API, like the load tool.
func (r *testRoom) apiJoin(nickname string) (*client, joinAnswer) {
	r.t.Helper()
	c := newClient(r.t, r.s)
	resp := c.api("POST", "/api/v1/workshops/"+strings.ToLower(r.code())+"/join", map[string]string{"nickname": nickname})
	wantStatus(r.t, resp, http.StatusOK)
	return c, decode[joinAnswer](r.t, resp)
}

func TestAPI_JoinVoteWithoutBrowser(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		r := newTestRoom(t, open(t))
		c, j := r.apiJoin("Nour")
		p := r.participant(c, r.w)
		if j.Participant.ID != p.PublicID || j.Participant.Nickname != "Nour" || j.State.Current == nil || j.State.Current.ID != r.poll.ID {
			t.Fatalf("join answer %+v", j)
		}
		if strings.Contains(c.get("/api/v1/workshops/"+r.code()+"/state").Body, `"screen_token"`) {
			t.Fatal("participants must not see the screen token")
		}

		opt := r.poll.Options
		vote := func(choice int, key string) *response {
			return c.api("POST", actPath(r.poll, "/vote"), map[string]any{"choices": []int{choice}, "idempotency_key": key})
		}
		resp := vote(opt[2].ID, "u1")
		wantStatus(t, resp, http.StatusOK)
		if v := decode[struct{ Vote voteJSON }](t, resp).Vote; !slices.Equal(v.Choices, []int{opt[2].ID}) {
			t.Fatalf("vote %+v", v)
		}
		wantStatus(t, vote(opt[2].ID, "u1"), http.StatusOK) // a retry
		wantStatus(t, vote(opt[0].ID, "u2"), http.StatusOK) // a change
		if vs := r.votes(r.poll); len(vs) != 1 || !slices.Equal(vs[0].Choices, []int{opt[0].ID}) {
			t.Fatalf("votes %+v", vs)
		}
		st := decode[live.RoomState](t, c.get("/api/v1/workshops/"+r.code()+"/state"))
		if st.Me == nil || st.Me.Vote == nil || !slices.Equal(st.Me.Vote.Choices, []int{opt[0].ID}) {
			t.Fatalf("state me %+v", st.Me)
		}

		// Rejoining keeps the participant.
		resp = c.api("POST", "/api/v1/workshops/"+r.code()+"/join", nil)
		wantStatus(t, resp, http.StatusOK)
		if again := decode[joinAnswer](t, resp); again.Participant.ID != p.PublicID {
			t.Fatal("a second join made a new participant")
		}
	})
}

func TestAPI_VoteRefusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		st := open(t)
		r := newTestRoom(t, st)
		c, _ := r.apiJoin("")
		ok := `{"choices":[` + strconv.Itoa(r.poll.Options[0].ID) + `]}`
		for _, tc := range []struct {
			name   string
			body   string
			ctype  string
			status int
			code   string
			msg    string
		}{
			{"garbage", `{"choices":[1,`, "", 400, "invalid", "pas du JSON valide"},
			{"two values", ok + ok, "", 400, "invalid", "pas du JSON valide"},
			{"not json", `choices=1`, "application/x-www-form-urlencoded", 415, "invalid", "JSON"},
			{"unknown field", `{"choice":[1]}`, "", 422, "invalid", "« choice » est inconnu"},
			{"wrong type", `{"choices":"1"}`, "", 422, "invalid", "« choices » n’a pas le bon type"},
			{"wrong type deep", `{"value":"five"}`, "", 422, "invalid", "« value »"},
			{"unknown option", `{"choices":[999]}`, "", 422, "invalid", "ne fait pas partie des choix"},
			{"too many choices", `{"choices":[` + strconv.Itoa(r.poll.Options[0].ID) + `,` + strconv.Itoa(r.poll.Options[1].ID) + `]}`, "", 422, "invalid", ""},
			{"nothing", ``, "", 422, "invalid", ""},
			{"long key", `{"choices":[1],"idempotency_key":"` + strings.Repeat("k", 65) + `"}`, "", 422, "invalid", "64"},
		} {
			hdr := map[string]string{"Content-Type": "application/json", "X-CSRF-Token": c.token}
			if tc.ctype != "" {
				hdr["Content-Type"] = tc.ctype
			}
			resp := c.do("POST", actPath(r.poll, "/vote"), strings.NewReader(tc.body), hdr)
			if resp.StatusCode != tc.status || errorCode(t, resp) != tc.code || !strings.Contains(resp.Body, tc.msg) {
				t.Errorf("%s: %d %s", tc.name, resp.StatusCode, resp.Body)
			}
		}
		// Missing or wrong CSRF header.
		for _, tok := range []string{"", "forged"} {
			resp := c.do("POST", actPath(r.poll, "/vote"), strings.NewReader(ok), map[string]string{"Content-Type": "application/json", "X-CSRF-Token": tok})
			wantStatus(t, resp, http.StatusForbidden)
		}
		// A participant of workshop B voting in workshop A: its cookie is
		// for B only.
		other := newTestRoom(t, st)
		otherPhone, _ := other.apiJoin("")
		resp := otherPhone.api("POST", actPath(r.poll, "/vote"), ok)
		wantStatus(t, resp, http.StatusUnauthorized)
		// Unknown and malformed activities.
		wantStatus(t, c.api("POST", "/api/v1/activities/999999/vote", ok), http.StatusNotFound)
		wantStatus(t, c.api("POST", "/api/v1/activities/abc/vote", ok), http.StatusNotFound)
		// Closed.
		must(t, r.s.engine.CloseActivity(context.Background(), r.staff, r.poll.ID))
		resp = c.api("POST", actPath(r.poll, "/vote"), ok)
		wantStatus(t, resp, http.StatusConflict)
		if n := len(r.votes(r.poll)); n != 0 {
			t.Fatalf("refused requests stored %d votes", n)
		}
	})
}

func TestAPI_VoteRateLimit(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	c, _ := r.apiJoin("")
	body := func(i int) map[string]any {
		return map[string]any{"choices": []int{r.poll.Options[i%2].ID}, "idempotency_key": "key-" + strconv.Itoa(i)}
	}
	for i := range MaxVotesPerMinute {
		wantStatus(t, c.api("POST", actPath(r.poll, "/vote"), body(i)), http.StatusOK)
	}
	// A retry of an accepted vote does not count against the limit…
	wantStatus(t, c.api("POST", actPath(r.poll, "/vote"), body(0)), http.StatusOK)
	// …a new vote does.
	resp := c.api("POST", actPath(r.poll, "/vote"), body(MaxVotesPerMinute))
	wantStatus(t, resp, http.StatusTooManyRequests)
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// Resending the refused vote with its key gains nothing: only keys of
	// accepted votes are let through.
	wantStatus(t, c.api("POST", actPath(r.poll, "/vote"), body(MaxVotesPerMinute)), http.StatusTooManyRequests)
	// Another participant is not held up.
	other, _ := r.apiJoin("")
	wantStatus(t, other.api("POST", actPath(r.poll, "/vote"), body(1)), http.StatusOK)
}

func TestAPI_IdeasAndSupports(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		r := newTestRoom(t, open(t))
		r.open(r.ideas)
		author, _ := r.apiJoin("")
		fan, _ := r.apiJoin("")
		post := func(body, key string) *response {
			return author.api("POST", actPath(r.ideas, "/ideas"), map[string]string{"body": body, "client_key": key})
		}
		wantStatus(t, post("", "e"), http.StatusUnprocessableEntity)
		wantStatus(t, post(strings.Repeat("a", 281), "l"), http.StatusUnprocessableEntity)
		first := decode[struct{ Idea live.IdeaView }](t, post("Plus <b>d’ombre</b>", "k1")).Idea
		again := decode[struct{ Idea live.IdeaView }](t, post("Plus <b>d’ombre</b>", "k1")).Idea
		if first.ID == 0 || again.ID != first.ID || len(r.ideasOf(r.ideas)) != 1 {
			t.Fatalf("ideas %+v %+v", first, again)
		}
		// Ideas are ideas: voting in them is refused.
		wantStatus(t, author.api("POST", actPath(r.ideas, "/vote"), `{"choices":[1]}`), http.StatusUnprocessableEntity)

		sup := "/api/v1/ideas/" + itoa(first.ID) + "/support"
		wantStatus(t, fan.api("POST", sup, nil), http.StatusOK)
		wantStatus(t, fan.api("POST", sup, nil), http.StatusOK)
		p, err := r.st.ProposalByID(context.Background(), first.ID)
		must(t, err)
		if p.SupportsRoom != 1 {
			t.Fatalf("%d supports", p.SupportsRoom)
		}
		st := decode[live.RoomState](t, fan.get("/api/v1/workshops/"+r.code()+"/state"))
		if st.Me == nil || !slices.Contains(st.Me.Supports, first.ID) {
			t.Fatalf("me %+v", st.Me)
		}
		wantStatus(t, fan.api("DELETE", sup, nil), http.StatusOK)
		p, _ = r.st.ProposalByID(context.Background(), first.ID)
		if p.SupportsRoom != 0 {
			t.Fatalf("%d supports after withdrawal", p.SupportsRoom)
		}
		wantStatus(t, newClient(t, r.s).api("POST", sup, nil), http.StatusUnauthorized)
	})
}

func TestAPI_StateAndResultsByAudience(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	hidden := r.add(&agora.Activity{Kind: agora.KindScale, Prompt: "Secret ?", Settings: agora.ActivitySettings{HideResults: true}})
	r.open(hidden)
	phone, _ := r.apiJoin("")
	wantStatus(t, phone.api("POST", actPath(hidden, "/vote"), `{"value":4}`), http.StatusOK)
	state := "/api/v1/workshops/" + r.code() + "/state"
	results := actPath(hidden, "/results")

	anon := newClient(t, r.s)
	wantStatus(t, anon.get(state), http.StatusUnauthorized)
	wantStatus(t, anon.get(results), http.StatusUnauthorized)
	wantStatus(t, anon.get(state+"?screen=wrong"), http.StatusForbidden)
	scr := decode[live.RoomState](t, anon.get(state+"?screen="+r.w.ScreenToken))
	if scr.Audience != live.Screen || scr.Tally != nil {
		t.Fatalf("screen state %+v", scr)
	}
	pst := decode[live.RoomState](t, phone.get(state))
	if pst.Audience != live.Participants || pst.Tally != nil || pst.Me == nil || pst.Me.Vote == nil {
		t.Fatalf("participant state %+v", pst)
	}
	resp := phone.get(results)
	wantStatus(t, resp, http.StatusForbidden)
	wantContains(t, resp.Body, "pas encore affichés")

	fac := newClient(t, r.s)
	wantRedirect(t, fac.signin(r.staff.Email, "correct horse battery"), "/")
	fst := decode[live.RoomState](t, fac.get(state))
	if fst.Audience != live.Facilitators || fst.Workshop.ScreenToken == "" || fst.Tally == nil || len(fst.Activities) != 6 {
		t.Fatalf("facilitator state %+v", fst)
	}
	res := decode[struct{ Tally agora.Tally }](t, fac.get(results))
	if res.Tally.Voters != 1 || res.Tally.Scale == nil || res.Tally.Scale.Mean != 4 {
		t.Fatalf("results %+v", res.Tally)
	}

	must(t, r.s.engine.RevealResults(context.Background(), r.staff, hidden.ID))
	wantStatus(t, phone.get(results), http.StatusOK)
	if pst := decode[live.RoomState](t, phone.get(state)); pst.Tally == nil {
		t.Fatal("revealed results missing from the participant's state")
	}
}

// An oversized body is refused before any handler (fasthttp), so this goes
// through a real listener, like TestErrors_BodyTooLarge.
func TestAPI_BodyTooLarge(t *testing.T) {
	st := openSQLite(t)
	r := newTestRoom(t, st)
	s, _ := testServer(t, st, Config{BodyLimit: 4096})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	body := `{"body":"` + strings.Repeat("a", 8192) + `"}`
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+actPath(r.ideas, "/ideas"), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d\n%s", resp.StatusCode, b)
	}
	if len(r.ideasOf(r.ideas)) != 0 {
		t.Fatal("an oversized body changed something")
	}
}

// sendChunked posts a chunked body over a raw connection: four 64 KiB
// chunks (the whole default limit), then the size line of a fifth one,
// which takes the body over the limit. Nothing is written after that
// line, so the server has read everything when it answers and closes.
func sendChunked(t *testing.T, addr, path string, hdr map[string]string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	b.WriteString("POST " + path + " HTTP/1.1\r\nHost: agora.test\r\nTransfer-Encoding: chunked\r\n")
	for k, v := range hdr {
		b.WriteString(k + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	chunk := strings.Repeat("a", 64<<10)
	for range 4 {
		b.WriteString(strconv.FormatInt(int64(len(chunk)), 16) + "\r\n" + chunk + "\r\n")
	}
	b.WriteString(strconv.FormatInt(int64(len(chunk)), 16) + "\r\n")
	_, err = io.WriteString(conn, b.String())
	must(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	must(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// A chunked body over the limit gets the same answer as one announced by
// its Content-Length: fasthttp resets the request before its error
// handler, which used to answer a French HTML page with a new CSRF cookie.
func TestAPI_ChunkedBodyTooLarge(t *testing.T) {
	st := openSQLite(t)
	r := newTestRoom(t, st)
	s, _ := testServer(t, st, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })

	for _, tc := range []struct{ lang, msg string }{
		{"en", "What you sent is too long."},
		{"fr-FR,fr;q=0.9", "Le texte envoyé est trop long."},
	} {
		resp := sendChunked(t, ln.Addr().String(), actPath(r.ideas, "/ideas"), map[string]string{
			"Content-Type": "application/json", "Accept-Language": tc.lang,
		})
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s: status %d, %s\n%s", tc.lang, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		must(t, json.Unmarshal(b, &e))
		if e.Error.Message != tc.msg {
			t.Fatalf("%s: message %q", tc.lang, e.Error.Message)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Fatalf("%s: cookies set on an API error: %q", tc.lang, sc)
		}
	}
	if len(r.ideasOf(r.ideas)) != 0 {
		t.Fatal("an oversized body changed something")
	}
}

// Each node keeps the activity a vote reads for a second, and the device
// from its join: a vote reads neither. A change made on another node
// within that second still decides: a vote on an activity closed there is
// refused, and a vote for an option just added there is taken.
func TestAPI_VoteSeesAnotherNodesChange(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		st := &countingStore{Store: open(t)}
		r := newTestRoom(t, st)
		frozen := time.Now() // the copy does not expire during the test
		r.s.now = func() time.Time { return frozen }
		otherNode := live.New(st, discardNotifier{}, live.Options{})
		t.Cleanup(otherNode.Close)
		ctx := context.Background()
		c, _ := r.apiJoin("")
		vote := func(a *agora.Activity, choices ...int) *response {
			return c.api("POST", actPath(a, "/vote"), map[string]any{"choices": choices})
		}

		// A second vote reads nothing but what the engine checks as it
		// commits: the activity with its workshop, in one read (one vote at
		// a time here, without a group commit).
		r.open(r.multi)
		wantStatus(t, vote(r.multi, r.multi.Options[0].ID), http.StatusOK) // this node now holds a copy
		acts, shops, rooms, devices := st.activities.Load(), st.workshops.Load(), st.rooms.Load(), st.devices.Load()
		wantStatus(t, vote(r.multi, r.multi.Options[1].ID), http.StatusOK)
		da, dw, dr, dd := st.activities.Load()-acts, st.workshops.Load()-shops, st.rooms.Load()-rooms, st.devices.Load()-devices
		if da != 0 || dw != 0 || dr != 1 || dd != 0 {
			t.Fatalf("a vote read %d activities, %d workshops, %d activities with their workshop and %d devices; want 0, 0, 1 and 0", da, dw, dr, dd)
		}

		// An option added on the other node.
		edit := *r.multi
		edit.Options = append(slices.Clone(r.multi.Options), agora.Option{Label: "D"})
		must(t, otherNode.UpdateActivity(ctx, r.staff, &edit))
		added := edit.Options[len(edit.Options)-1].ID
		if added == 0 || slices.ContainsFunc(r.multi.Options, func(o agora.Option) bool { return o.ID == added }) {
			t.Fatalf("the edit gave the new option ID %d", added)
		}
		resp := vote(r.multi, added)
		wantStatus(t, resp, http.StatusOK)
		if vs := r.votes(r.multi); len(vs) != 1 || !slices.Equal(vs[0].Choices, []int{added}) {
			t.Fatalf("votes after choosing the new option: %+v", vs)
		}

		// The activity closed on the other node.
		wantStatus(t, vote(r.multi, r.multi.Options[1].ID), http.StatusOK)
		must(t, otherNode.CloseActivity(ctx, r.staff, r.multi.ID))
		resp = vote(r.multi, r.multi.Options[0].ID)
		wantStatus(t, resp, http.StatusConflict)
		if errorCode(t, resp) != "conflict" {
			t.Fatalf("refusal: %s", resp.Body)
		}
		if vs := r.votes(r.multi); len(vs) != 1 || !slices.Equal(vs[0].Choices, []int{r.multi.Options[1].ID}) {
			t.Fatalf("votes after the close: %+v, want the last one taken before it", vs)
		}
	})
}

// countingStore counts the reads a vote may make.
type countingStore struct {
	agora.Store
	activities, workshops, rooms, devices atomic.Int64
}

func (s *countingStore) ActivityWithWorkshop(ctx context.Context, id int64) (*agora.Activity, *agora.Workshop, error) {
	s.rooms.Add(1)
	return s.Store.ActivityWithWorkshop(ctx, id)
}

func (s *countingStore) ActivityByID(ctx context.Context, id int64) (*agora.Activity, error) {
	s.activities.Add(1)
	return s.Store.ActivityByID(ctx, id)
}

func (s *countingStore) WorkshopByID(ctx context.Context, id int64) (*agora.Workshop, error) {
	s.workshops.Add(1)
	return s.Store.WorkshopByID(ctx, id)
}

func (s *countingStore) ParticipantByToken(ctx context.Context, workshopID int64, tokenHash string) (*agora.Participant, error) {
	s.devices.Add(1)
	return s.Store.ParticipantByToken(ctx, workshopID, tokenHash)
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

// testRoom is a live workshop with one activity of each kind, run by a
// facilitator through the engine; open says which one is open.
type testRoom struct {
	t     *testing.T
	s     *Server
	st    agora.Store
	staff *agora.User
	cons  *agora.Consultation
	w     *agora.Workshop
	poll  *agora.Activity // single choice: Nord, Sud, Est
	multi *agora.Activity // up to 2 of A, B, C
	scale *agora.Activity // 1–5
	cloud *agora.Activity // up to 2 words
	ideas *agora.Activity
}

func newTestRoom(t *testing.T, st agora.Store) *testRoom {
	t.Helper()
	s, _ := testServer(t, st, Config{})
	ctx := context.Background()
	n := uniqueSeq.Add(1)
	r := &testRoom{t: t, s: s, st: st}
	r.staff = mustAccount(t, st, fmt.Sprintf("fac%d@example.fr", n), "Fac", agora.RoleFacilitator)
	r.cons = &agora.Consultation{Slug: fmt.Sprintf("parc-%d", n), Title: "Le parc", Status: agora.ConsultationOpen}
	must(t, st.CreateConsultation(ctx, r.cons))
	r.w = &agora.Workshop{ConsultationID: r.cons.ID, Title: "Atelier du parc"}
	must(t, s.engine.CreateWorkshop(ctx, r.staff, r.w))
	opts := func(labels ...string) []agora.Option {
		var o []agora.Option
		for _, l := range labels {
			o = append(o, agora.Option{Label: l})
		}
		return o
	}
	r.poll = r.add(&agora.Activity{Kind: agora.KindPoll, Prompt: "Quel accès ?", Options: opts("Nord", "Sud", "Est")})
	r.multi = r.add(&agora.Activity{Kind: agora.KindPoll, Prompt: "Quels usages ?", Options: opts("A", "B", "C"),
		Settings: agora.ActivitySettings{MaxChoices: 2}})
	r.scale = r.add(&agora.Activity{Kind: agora.KindScale, Prompt: "Satisfait ?"})
	r.cloud = r.add(&agora.Activity{Kind: agora.KindWordCloud, Prompt: "En un mot ?", Settings: agora.ActivitySettings{MaxWords: 2}})
	r.ideas = r.add(&agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées ?"})
	r.open(r.poll)
	return r
}

func (r *testRoom) add(a *agora.Activity) *agora.Activity {
	r.t.Helper()
	a.WorkshopID = r.w.ID
	must(r.t, r.s.engine.AddActivity(context.Background(), r.staff, a))
	return a
}

// open makes a the current, open activity.
func (r *testRoom) open(a *agora.Activity) {
	r.t.Helper()
	must(r.t, r.s.engine.OpenActivity(context.Background(), r.staff, a.ID))
}

func (r *testRoom) code() string { return r.w.JoinCode }

// join returns a phone that joined the room by the no-JavaScript form.
func (r *testRoom) join(nickname string) *client {
	r.t.Helper()
	c := newClient(r.t, r.s)
	wantStatus(r.t, c.get("/j/"+r.code()), 200)
	wantRedirect(r.t, c.post("/j/"+r.code()+"/join", url.Values{"nickname": {nickname}}), "/j/"+r.code())
	return c
}

// participant returns the participant of a phone.
func (r *testRoom) participant(c *client, w *agora.Workshop) *agora.Participant {
	r.t.Helper()
	ck := c.jar[participantCookie(w.JoinCode)]
	if ck == nil {
		r.t.Fatal("no device cookie")
	}
	p, err := r.st.ParticipantByToken(context.Background(), w.ID, agora.HashToken(ck.Value))
	must(r.t, err)
	return p
}

func (r *testRoom) votes(a *agora.Activity) []*agora.Vote {
	r.t.Helper()
	vs, err := r.st.ListVotes(context.Background(), a.ID)
	must(r.t, err)
	return vs
}

func (r *testRoom) ideasOf(a *agora.Activity) []*agora.Proposal {
	r.t.Helper()
	id := a.ID
	ps, _, err := r.st.ListProposals(context.Background(), agora.ProposalFilter{ActivityID: &id})
	must(r.t, err)
	return ps
}

// api sends a JSON request with the CSRF header, fetching the token from
// /api/v1/csrf when the client has none; body may be a string (sent as is)
// or a value to encode.
func (c *client) api(method, path string, body any) *response {
	c.t.Helper()
	if c.token == "" {
		r := c.get("/api/v1/csrf")
		var v struct{ Token string }
		if err := json.Unmarshal([]byte(r.Body), &v); err != nil || v.Token == "" {
			c.t.Fatalf("csrf endpoint: %d %s", r.StatusCode, r.Body)
		}
		c.token = v.Token
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		must(c.t, err)
		rd = bytes.NewReader(buf)
	}
	return c.do(method, path, rd, map[string]string{"Content-Type": "application/json", "X-CSRF-Token": c.token})
}

// decode reads a JSON response.
func decode[T any](t *testing.T, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
	return v
}

// errorCode reads the code of a JSON error.
func errorCode(t *testing.T, r *response) string {
	t.Helper()
	return decode[struct {
		Error struct{ Code, Message string }
	}](t, r).Error.Code
}

func actPath(a *agora.Activity, rest string) string { return "/api/v1/activities/" + itoa(a.ID) + rest }

package server

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

// voteForm is the no-JavaScript vote form's fields.
func voteForm(a *agora.Activity, key string, fields ...string) url.Values {
	v := url.Values{"activity_id": {itoa(a.ID)}, "idempotency_key": {key}}
	for i := 0; i+1 < len(fields); i += 2 {
		v.Add(fields[i], fields[i+1])
	}
	return v
}

func TestVoteForm_WithoutJavaScript(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		r := newTestRoom(t, open(t))
		c := r.join("Léa")
		opt := r.poll.Options

		page := c.get("/j/" + r.code())
		wantContains(t, page.Body, `type="radio" name="choice" value="`+itoa(int64(opt[0].ID))+`"`, "<legend>", `name="idempotency_key"`)

		path := "/j/" + r.code() + "/vote"
		wantRedirect(t, c.post(path, voteForm(r.poll, "k1", "choice", itoa(int64(opt[0].ID)))), "/j/"+r.code()+"?done=vote")
		if vs := r.votes(r.poll); len(vs) != 1 || !slices.Equal(vs[0].Choices, []int{opt[0].ID}) {
			t.Fatalf("votes %+v", vs)
		}
		// A change of mind replaces the vote; a retry of the same request
		// changes nothing.
		wantRedirect(t, c.post(path, voteForm(r.poll, "k2", "choice", itoa(int64(opt[1].ID)))), "/j/"+r.code()+"?done=vote")
		wantRedirect(t, c.post(path, voteForm(r.poll, "k2", "choice", itoa(int64(opt[1].ID)))), "/j/"+r.code()+"?done=vote")
		if vs := r.votes(r.poll); len(vs) != 1 || !slices.Equal(vs[0].Choices, []int{opt[1].ID}) {
			t.Fatalf("votes %+v", vs)
		}

		page = c.get("/j/" + r.code() + "?done=vote")
		wantContains(t, page.Body, "Votre vote est enregistré.", "vous pouvez le changer jusqu’à la clôture",
			`value="`+itoa(int64(opt[1].ID))+`" checked`, "Changer mon vote")
		if strings.Contains(page.Body, `value="`+itoa(int64(opt[0].ID))+`" checked`) {
			t.Fatal("old choice still selected")
		}
	})
}

func TestVoteForm_EachKind(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	c := r.join("")
	path := "/j/" + r.code() + "/vote"

	r.open(r.multi)
	page := c.get("/j/" + r.code())
	wantContains(t, page.Body, `type="checkbox" name="choice"`, "Choisissez jusqu’à 2 réponses.")
	resp := c.post(path, voteForm(r.multi, "m1", "choice", itoa(int64(r.multi.Options[0].ID)), "choice", itoa(int64(r.multi.Options[1].ID)), "choice", itoa(int64(r.multi.Options[2].ID))))
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	wantContains(t, resp.Body, "role=\"alert\"", "Quels usages ?")
	wantRedirect(t, c.post(path, voteForm(r.multi, "m2", "choice", itoa(int64(r.multi.Options[0].ID)), "choice", itoa(int64(r.multi.Options[2].ID)))), "/j/"+r.code()+"?done=vote")

	r.open(r.scale)
	wantContains(t, c.get("/j/"+r.code()).Body, `type="radio" name="value" value="1"`, `value="5"`)
	wantStatus(t, c.post(path, voteForm(r.scale, "s1", "value", "9")), http.StatusUnprocessableEntity)
	wantRedirect(t, c.post(path, voteForm(r.scale, "s2", "value", "4")), "/j/"+r.code()+"?done=vote")
	wantContains(t, c.get("/j/"+r.code()).Body, `value="4" checked`)

	r.open(r.cloud)
	wantContains(t, c.get("/j/"+r.code()).Body, `id="word-1"`, `id="word-2"`)
	wantRedirect(t, c.post(path, voteForm(r.cloud, "c1", "word", "Arbres", "word", "")), "/j/"+r.code()+"?done=vote")
	wantContains(t, c.get("/j/"+r.code()).Body, `value="Arbres"`)

	for _, a := range []*agora.Activity{r.multi, r.scale, r.cloud} {
		if n := len(r.votes(a)); n != 1 {
			t.Fatalf("%s: %d votes", a.Kind, n)
		}
	}
}

func TestVoteForm_Refusals(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		st := open(t)
		r := newTestRoom(t, st)
		c := r.join("")
		path := "/j/" + r.code() + "/vote"
		opt := itoa(int64(r.poll.Options[0].ID))

		// Unknown option, no choice, not a number.
		for _, v := range []url.Values{voteForm(r.poll, "a", "choice", "999"), voteForm(r.poll, "b"), voteForm(r.poll, "c", "choice", "x")} {
			resp := c.post(path, v)
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			wantContains(t, resp.Body, `class="alert alert-error" role="alert"`)
		}
		// Missing CSRF token.
		v := voteForm(r.poll, "d", "choice", opt)
		v.Set("csrf", "")
		wantStatus(t, c.postRaw(path, v), http.StatusForbidden)
		// Not joined: back to the join page, nothing stored.
		stranger := newClient(t, r.s)
		stranger.get("/")
		wantRedirect(t, stranger.post(path, voteForm(r.poll, "e", "choice", opt)), "/j/"+r.code())

		// A participant of another workshop cannot vote here, by either route.
		other := newTestRoom(t, st)
		resp := c.post("/j/"+other.code()+"/vote", voteForm(other.poll, "f", "choice", itoa(int64(other.poll.Options[0].ID))))
		wantRedirect(t, resp, "/j/"+other.code())
		resp = c.post(path, voteForm(other.poll, "g", "choice", itoa(int64(other.poll.Options[0].ID))))
		wantStatus(t, resp, http.StatusNotFound)
		if n := len(other.votes(other.poll)); n != 0 {
			t.Fatalf("%d votes in the other workshop", n)
		}

		// A closed activity takes no vote.
		must(t, r.s.engine.CloseActivity(context.Background(), r.staff, r.poll.ID))
		resp = c.post(path, voteForm(r.poll, "h", "choice", opt))
		wantStatus(t, resp, http.StatusConflict)
		wantContains(t, resp.Body, "Cette activité est terminée.")
		if n := len(r.votes(r.poll)); n != 0 {
			t.Fatalf("%d votes stored by refused requests", n)
		}
	})
}

func TestIdeaForm_IdempotentEscapedSupportedOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		r := newTestRoom(t, open(t))
		r.open(r.ideas)
		author, fan := r.join("Auteur"), r.join("Fan")
		path := "/j/" + r.code() + "/idea"
		idea := func(body, key string) url.Values {
			return url.Values{"activity_id": {itoa(r.ideas.ID)}, "body": {body}, "client_key": {key}}
		}

		page := author.get("/j/" + r.code())
		wantContains(t, page.Body, `<textarea id="idea-body" name="body"`, `maxlength="280"`, `data-counter`, `name="client_key"`)

		for _, body := range []string{"", "   ", strings.Repeat("é", 281)} {
			resp := author.post(path, idea(body, "x"+itoa(int64(len(body)))))
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			wantContains(t, resp.Body, "280")
		}
		script := `<script>alert("x")</script> des bancs`
		wantRedirect(t, author.post(path, idea(script, "k1")), "/j/"+r.code()+"?done=idea")
		wantRedirect(t, author.post(path, idea(script, "k1")), "/j/"+r.code()+"?done=idea")
		ideas := r.ideasOf(r.ideas)
		if len(ideas) != 1 {
			t.Fatalf("%d ideas after a retry", len(ideas))
		}
		for _, c := range []*client{author, fan} {
			body := c.get("/j/" + r.code()).Body
			wantContains(t, body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; des bancs")
			if strings.Contains(body, "<script>alert") {
				t.Fatal("idea not escaped")
			}
		}

		sup := "/j/" + r.code() + "/ideas/" + itoa(ideas[0].ID) + "/support"
		wantRedirect(t, fan.post(sup, url.Values{"action": {"support"}}), "/j/"+r.code()+"?done=support")
		wantRedirect(t, fan.post(sup, url.Values{"action": {"support"}}), "/j/"+r.code()+"?done=support")
		p, err := r.st.ProposalByID(context.Background(), ideas[0].ID)
		must(t, err)
		if p.SupportsRoom != 1 {
			t.Fatalf("%d supports", p.SupportsRoom)
		}
		wantContains(t, fan.get("/j/"+r.code()).Body, `aria-pressed="true"`, `name="action" value="unsupport"`)
		wantRedirect(t, fan.post(sup, url.Values{"action": {"unsupport"}}), "/j/"+r.code()+"?done=unsupport")
		p, _ = r.st.ProposalByID(context.Background(), ideas[0].ID)
		if p.SupportsRoom != 0 {
			t.Fatalf("%d supports after withdrawal", p.SupportsRoom)
		}
	})
}

func TestParticipantPage_StatesAndResults(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	ctx := context.Background()
	c := r.join("")
	page := c.get("/j/" + r.code())
	wantContains(t, page.Body, `aria-live="polite"`, `data-live-status`, `data-region`, "/static/js/participant.")

	for _, v := range []string{"Nord", "Nord", "Sud"} {
		p := r.join("")
		id := r.poll.Options[slices.IndexFunc(r.poll.Options, func(o agora.Option) bool { return o.Label == v })].ID
		wantRedirect(t, p.post("/j/"+r.code()+"/vote", voteForm(r.poll, "k", "choice", itoa(int64(id)))), "/j/"+r.code()+"?done=vote")
	}
	// Results visible (not hidden by the settings): numbers and
	// percentages as text, not only bars.
	page = c.get("/j/" + r.code())
	wantContains(t, page.Body, "3 participants ont répondu", "2 votes · 67 %", "1 vote · 33 %", "0 vote · 0 %", `<meter min="0" max="100" value="67"`)

	must(t, r.s.engine.CloseActivity(ctx, r.staff, r.poll.ID))
	wantContains(t, c.get("/j/"+r.code()).Body, "Cette question est close.")

	// Hidden results stay hidden until revealed.
	hidden := r.add(&agora.Activity{Kind: agora.KindScale, Prompt: "Secret ?", Settings: agora.ActivitySettings{HideResults: true}})
	r.open(hidden)
	wantRedirect(t, c.post("/j/"+r.code()+"/vote", voteForm(hidden, "h", "value", "5")), "/j/"+r.code()+"?done=vote")
	must(t, r.s.engine.CloseActivity(ctx, r.staff, hidden.ID))
	body := c.get("/j/" + r.code()).Body
	wantContains(t, body, "En attente de la prochaine question.")
	if strings.Contains(body, "Résultats") {
		t.Fatal("hidden results shown")
	}
	must(t, r.s.engine.RevealResults(ctx, r.staff, hidden.ID))
	wantContains(t, c.get("/j/"+r.code()).Body, "Résultats", "Moyenne : 5,0", "1 vote · 100 %")

	// Reset: the activity is pending again, the phone waits.
	must(t, r.s.engine.ResetActivity(ctx, r.staff, hidden.ID))
	wantContains(t, c.get("/j/"+r.code()).Body, "En attente de la prochaine question")

	c.header.Set("Accept-Language", "en")
	wantContains(t, c.get("/j/"+r.code()).Body, "Waiting for the next question")
}

// The page signature tells participant.js when to redraw; it must change
// with each step a facilitator takes.
func TestParticipantPage_SignatureChanges(t *testing.T) {
	r := newTestRoom(t, openSQLite(t))
	c := r.join("")
	sigRE := regexp.MustCompile(`data-signature="([^"]*)"`)
	sig := func() string { return sigRE.FindStringSubmatch(c.get("/j/" + r.code()).Body)[1] }
	seen := map[string]bool{sig(): true}
	ctx := context.Background()
	for _, step := range []func() error{
		func() error { return r.s.engine.CloseActivity(ctx, r.staff, r.poll.ID) },
		func() error { return r.s.engine.Next(ctx, r.staff, r.w.ID) },
	} {
		must(t, step())
		s := sig()
		if seen[s] {
			t.Fatalf("signature %q did not change", s)
		}
		seen[s] = true
	}
}

// participant.js mirrors the page signature and uses live.js's event names.
func TestParticipantJS_MirrorsGo(t *testing.T) {
	src, err := os.ReadFile("../web/static/js/participant.js")
	must(t, err)
	js := string(src)
	// participantView formats "%s:%d:%s:%t:%d" from these fields.
	if !strings.Contains(js, "`${w.state}:${c.id}:${c.state}:${c.results_visible}:${c.round}`") {
		t.Error("participant.js does not compute the page signature as participantView does")
	}
	// Event names come from live.js's EVENTS, which TestWS_EventsMirroredInJS
	// keeps in step with the engine.
	if !strings.Contains(js, "EVENTS") {
		t.Error("participant.js does not take its event names from live.js")
	}
}

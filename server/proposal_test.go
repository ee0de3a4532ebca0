package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// onlineEnv is an open consultation (threshold 3) on a fresh store, with
// a server without hub.
type onlineEnv struct {
	t    *testing.T
	st   agora.Store
	s    *Server
	cons *agora.Consultation
}

func newOnlineEnv(t *testing.T, open func(t testing.TB) *store.DB) *onlineEnv {
	t.Helper()
	st := open(t)
	s, _ := testServer(t, st, Config{})
	cons := &agora.Consultation{Slug: "plan-velo", Title: "Plan vélo", Status: agora.ConsultationOpen, SupportThreshold: 3}
	must(t, st.CreateConsultation(context.Background(), cons))
	return &onlineEnv{t: t, st: st, s: s, cons: cons}
}

func (e *onlineEnv) path(rest string) string { return "/c/" + e.cons.Slug + rest }

// propose creates a proposal directly in the store.
func (e *onlineEnv) propose(p agora.Proposal) *agora.Proposal {
	e.t.Helper()
	p.ConsultationID = e.cons.ID
	if p.Status == "" {
		p.Status = agora.ProposalApproved
	}
	must(e.t, e.st.CreateProposal(context.Background(), &p))
	return &p
}

// roomIdea creates an approved workshop idea with n supports in the room.
func (e *onlineEnv) roomIdea(body string, n int) *agora.Proposal {
	e.t.Helper()
	ctx := context.Background()
	w := &agora.Workshop{ConsultationID: e.cons.ID, Title: "Atelier du jeudi", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopEnded}
	must(e.t, e.st.CreateWorkshop(ctx, w))
	a := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindIdeas, Prompt: "Vos idées ?", State: agora.ActivityClosed}
	must(e.t, e.st.CreateActivity(ctx, a))
	var first *int64
	for i := range max(n, 1) {
		part := &agora.Participant{WorkshopID: w.ID, TokenHash: agora.NewSecret(), PublicID: agora.NewSecret()}
		must(e.t, e.st.CreateParticipant(ctx, part))
		if i == 0 {
			first = &part.ID
		}
	}
	idea := e.propose(agora.Proposal{WorkshopID: &w.ID, ActivityID: &a.ID, ParticipantID: first, Body: body})
	for range n {
		part := &agora.Participant{WorkshopID: w.ID, TokenHash: agora.NewSecret(), PublicID: agora.NewSecret()}
		must(e.t, e.st.CreateParticipant(ctx, part))
		_, err := e.st.AddSupport(ctx, &agora.Support{ProposalID: idea.ID, ParticipantID: &part.ID, Channel: agora.ChannelRoom})
		must(e.t, err)
	}
	return idea
}

func (e *onlineEnv) proposal(id int64) *agora.Proposal {
	e.t.Helper()
	p, err := e.st.ProposalByID(context.Background(), id)
	must(e.t, err)
	return p
}

var proposalLocRE = regexp.MustCompile(`^/c/plan-velo/p/(\d+)$`)

// created returns the ID of the proposal a successful POST redirected to.
func created(t *testing.T, r *response) int64 {
	t.Helper()
	m := proposalLocRE.FindStringSubmatch(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("status %d Location %q\n%s", r.StatusCode, r.Header.Get("Location"), r.Body)
	}
	var id int64
	fmt.Sscan(m[1], &id)
	return id
}

func proposalForm(title, body, category string) url.Values {
	return url.Values{"title": {title}, "body": {body}, "category": {category}}
}

func TestProposal_Create(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		e := newOnlineEnv(t, open)
		anon := newClient(t, e.s)
		wantRedirect(t, anon.get(e.path("/proposals/new")), "/signin?next=%2Fc%2Fplan-velo%2Fproposals%2Fnew")
		wantRedirect(t, anon.post(e.path("/proposals"), proposalForm("T", "B", "")), "/signin?next=%2F")

		citizen, me := signedIn(t, e.s, e.st, agora.RoleCitizen)
		r := citizen.get(e.path("/proposals/new"))
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.Body, `name="client_key"`, `maxlength="150"`, `maxlength="5000"`)

		// Without the CSRF token: refused, nothing stored.
		wantStatus(t, citizen.postRaw(e.path("/proposals"), proposalForm("Sans jeton", "Corps", "")), http.StatusForbidden)

		for _, tc := range []struct {
			name  string
			form  url.Values
			field string
		}{
			{"empty title", proposalForm("  ", "Corps", ""), "title"},
			{"long title", proposalForm(strings.Repeat("é", 151), "Corps", ""), "title"},
			{"empty body", proposalForm("Titre", "", ""), "body"},
			{"long body", proposalForm("Titre", strings.Repeat("a", 5001), ""), "body"},
			{"long category", proposalForm("Titre", "Corps", strings.Repeat("c", 61)), "category"},
		} {
			r := citizen.post(e.path("/proposals"), tc.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r.Body, `id="f-`+tc.field+`-error"`, `aria-invalid="true"`)
		}
		if _, n, _ := e.st.ListProposals(context.Background(), agora.ProposalFilter{ConsultationID: e.cons.ID}); n != 0 {
			t.Fatalf("%d proposals stored by refused posts", n)
		}

		form := proposalForm(strings.Repeat("é", 150), "Des **arceaux** devant l’école.", "  Vélo   et stationnement ")
		form.Set("client_key", "k1")
		id := created(t, citizen.post(e.path("/proposals"), form))
		// The same submission again (a double click): the same proposal.
		if again := created(t, citizen.post(e.path("/proposals"), form)); again != id {
			t.Fatalf("retry created %d, first %d", again, id)
		}
		p := e.proposal(id)
		if p.AuthorID == nil || *p.AuthorID != me.ID || p.Category != "Vélo et stationnement" || p.Status != agora.ProposalApproved {
			t.Fatalf("stored %+v", p)
		}
		page := newClient(t, e.s).get(e.path("/p/" + itoa(id)))
		wantStatus(t, page, http.StatusOK)
		wantContains(t, page.Body, "<strong>arceaux</strong>", "Proposée par Camille citizen", "Vélo et stationnement",
			`<strong data-supports-total>0</strong>`, "Connectez-vous pour soutenir")

		// Closed consultation: refused, and the button is gone.
		e.cons.Status = agora.ConsultationClosed
		must(t, e.st.UpdateConsultation(context.Background(), e.cons))
		wantStatus(t, citizen.post(e.path("/proposals"), proposalForm("Trop tard", "Corps", "")), http.StatusConflict)
		wantStatus(t, citizen.get(e.path("/proposals/new")), http.StatusConflict)
		if strings.Contains(citizen.get(e.path("")).Body, e.path("/proposals/new")) {
			t.Fatal("closed consultation offers to propose")
		}
	})
}

func TestProposal_DraftAndUnknown(t *testing.T) {
	e := newOnlineEnv(t, storetest.OpenSQLite)
	citizen, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
	draft := &agora.Consultation{Slug: "brouillon", Title: "Brouillon", Status: agora.ConsultationDraft}
	must(t, e.st.CreateConsultation(context.Background(), draft))
	wantStatus(t, citizen.post("/c/brouillon/proposals", proposalForm("T", "B", "")), http.StatusNotFound)
	wantStatus(t, citizen.get(e.path("/p/999999")), http.StatusNotFound)
	wantStatus(t, citizen.get(e.path("/p/abc")), http.StatusNotFound)
	other := &agora.Consultation{Slug: "autre", Title: "Autre", Status: agora.ConsultationOpen}
	must(t, e.st.CreateConsultation(context.Background(), other))
	p := e.propose(agora.Proposal{Title: "Ici", Body: "b"})
	wantStatus(t, citizen.get("/c/autre/p/"+itoa(p.ID)), http.StatusNotFound)
	hidden := e.propose(agora.Proposal{Title: "Masquée", Body: "b", Status: agora.ProposalHidden})
	wantStatus(t, citizen.get(e.path("/p/"+itoa(hidden.ID))), http.StatusNotFound)
	wantStatus(t, citizen.post(e.path("/p/"+itoa(hidden.ID)+"/support"), nil), http.StatusNotFound)
	mod, _ := signedIn(t, e.s, e.st, agora.RoleModerator)
	r := mod.get(e.path("/p/" + itoa(hidden.ID)))
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r.Body, "masquée par la modération")
}

func TestProposal_SupportOnceSplitAndThreshold(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		e := newOnlineEnv(t, open)
		idea := e.roomIdea("Une piste cyclable continue le long du canal jusqu’à la gare et au-delà vers le lycée", 2)
		citizen, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
		path := e.path("/p/" + itoa(idea.ID))

		r := citizen.get(path)
		wantContains(t, r.Body, "Une piste cyclable continue le long du canal jusqu’à la gare et…",
			"Idée d’une personne présente à l’atelier « Atelier du jeudi »",
			`<span data-supports-room>2</span>`, `<span data-supports-online>0</span>`, `<strong data-supports-total>2</strong>`,
			`data-qualified hidden`)

		for range 2 { // twice: one support
			wantRedirect(t, citizen.post(path+"/support", url.Values{"back": {path}}), path)
		}
		p := e.proposal(idea.ID)
		if p.SupportsRoom != 2 || p.SupportsOnline != 1 {
			t.Fatalf("room %d online %d, want 2 and 1", p.SupportsRoom, p.SupportsOnline)
		}
		r = citizen.get(path)
		wantContains(t, r.Body, `<span data-supports-room>2</span>`, `<span data-supports-online>1</span>`,
			`<strong data-supports-total>3</strong>`, "Retirer mon soutien", "Qualifiée pour une réponse officielle")
		if strings.Contains(r.Body, "data-qualified hidden") {
			t.Fatal("3 supports of 3 not qualified")
		}
		// The list shows the same split, and the reader's support.
		list := citizen.get(e.path(""))
		wantContains(t, list.Body, `data-proposal-id="`+itoa(idea.ID)+`"`, `<span data-supports-room>2</span>`, "Retirer mon soutien")

		// JSON twin: the same rule.
		js := citizen.api("POST", "/api/v1/consultations/plan-velo/proposals/"+itoa(idea.ID)+"/support", nil)
		wantStatus(t, js, http.StatusOK)
		if got := decode[SupportEvent](t, js); got.Online != 1 || got.Room != 2 || got.Total != 3 || !got.Qualified {
			t.Fatalf("api support %+v", got)
		}

		wantRedirect(t, citizen.post(path+"/unsupport", nil), path)
		wantRedirect(t, citizen.post(path+"/unsupport", nil), path)
		if p := e.proposal(idea.ID); p.SupportsOnline != 0 || p.SupportsRoom != 2 {
			t.Fatalf("after withdrawing: room %d online %d", p.SupportsRoom, p.SupportsOnline)
		}
		// Anonymous: to the sign-in page, nothing counted.
		wantRedirect(t, newClient(t, e.s).post(path+"/support", nil), "/signin?next=%2F")

		// Closed: supports are refused.
		e.cons.Status = agora.ConsultationClosed
		must(t, e.st.UpdateConsultation(context.Background(), e.cons))
		wantStatus(t, citizen.post(path+"/support", nil), http.StatusConflict)
		wantContains(t, citizen.get(path).Body, "on ne peut plus soutenir")
		if p := e.proposal(idea.ID); p.SupportsOnline != 0 {
			t.Fatalf("support counted on a closed consultation")
		}
	})
}

func TestProposal_Answer(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		e := newOnlineEnv(t, open)
		p := e.propose(agora.Proposal{Title: "Zone 30", Body: "Partout en ville."})
		path := e.path("/p/" + itoa(p.ID))
		answer := func() url.Values {
			return url.Values{"answer": {"accepted"}, "text": {"Voté au conseil du **3 mars**."}}
		}

		citizen, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
		if strings.Contains(citizen.get(path).Body, `action="`+path+`/answer"`) {
			t.Fatal("citizen sees the answer form")
		}
		wantStatus(t, citizen.post(path+"/answer", answer()), http.StatusForbidden)
		fac, _ := signedIn(t, e.s, e.st, agora.RoleFacilitator)
		wantStatus(t, fac.post(path+"/answer", answer()), http.StatusForbidden)

		mod, me := signedIn(t, e.s, e.st, agora.RoleModerator)
		wantContains(t, mod.get(path).Body, `action="`+path+`/answer"`)
		r := mod.post(path+"/answer", url.Values{"answer": {"maybe"}, "text": {"x"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, `id="f-answer-error"`)
		r = mod.post(path+"/answer", url.Values{"answer": {"rejected"}, "text": {" "}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, `id="f-text-error"`)
		wantRedirect(t, mod.post(path+"/answer", answer()), path+"#answer")

		got := e.proposal(p.ID)
		if got.Answer != agora.AnswerAccepted || got.AnsweredBy == nil || *got.AnsweredBy != me.ID || got.AnsweredAt == nil {
			t.Fatalf("answer %+v", got)
		}
		page := newClient(t, e.s).get(path)
		wantContains(t, page.Body, "Réponse officielle", "Acceptée", "<strong>3 mars</strong>")
		entries, err := e.st.ListAudit(context.Background(), agora.AuditFilter{TargetKind: agora.TargetProposal, TargetID: p.ID})
		must(t, err)
		if len(entries) != 1 || entries[0].Action != "proposal.answer" || *entries[0].ActorID != me.ID ||
			!strings.Contains(entries[0].Detail, `"to":"accepted"`) {
			t.Fatalf("audit %+v", entries)
		}
	})
}

func TestProposal_ListSortFilterSearchPaginate(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		e := newOnlineEnv(t, open)
		ctx := context.Background()
		base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		mk := func(title, body, cat string, age int) *agora.Proposal {
			return e.propose(agora.Proposal{Title: title, Body: body, Category: cat, CreatedAt: base.Add(time.Duration(age) * time.Hour)})
		}
		old := mk("Ancienne piste", "Relier les quartiers", "Pistes", 0)
		popular := mk("Abris vélos", "Des abris couverts", "Stationnement", 1)
		recent := mk("Récente zone", "Zone apaisée près du marché", "", 2)
		idea := e.roomIdea("Parking Vélo à la gare", 0)
		for range 3 {
			u := mustAccount(t, e.st, agora.NewSecret()[:10]+"@example.fr", "S", agora.RoleCitizen)
			_, err := e.st.AddSupport(ctx, &agora.Support{ProposalID: popular.ID, UserID: &u.ID, Channel: agora.ChannelOnline})
			must(t, err)
		}
		u := mustAccount(t, e.st, "deb@example.fr", "D", agora.RoleCitizen)
		must(t, e.st.CreateComment(ctx, &agora.Comment{ConsultationID: e.cons.ID, ProposalID: &old.ID, AuthorID: u.ID,
			Stance: agora.StanceFor, Body: "Oui", Status: agora.CommentVisible}))
		e.propose(agora.Proposal{Title: "Masquée vélo", Body: "x", Status: agora.ProposalHidden})

		c := newClient(t, e.s)
		order := func(query string, want ...*agora.Proposal) {
			t.Helper()
			r := c.get(e.path(query))
			wantStatus(t, r, http.StatusOK)
			ids := regexp.MustCompile(`<li class="card proposal-card" data-proposal-id="(\d+)"`).FindAllStringSubmatch(r.Body, -1)
			var got, exp []string
			for _, m := range ids {
				got = append(got, m[1])
			}
			for _, p := range want {
				exp = append(exp, itoa(p.ID))
			}
			if strings.Join(got, ",") != strings.Join(exp, ",") {
				t.Fatalf("%s: order %v, want %v", query, got, exp)
			}
		}
		order("", popular, idea, recent, old) // most supported, then newest
		order("?sort=newest", idea, recent, popular, old)
		order("?sort=debated", old, idea, recent, popular)
		order("?category=Stationnement", popular)
		order("?q=V%C3%A9LO", popular, idea) // case-insensitive (ASCII letters on SQLite), hidden ones never listed
		order("?q=zone+march%C3%A9", recent) // every word
		order("?q=100%25")                   // LIKE wildcards are literal
		order("?sort=bogus&page=-3", popular, idea, recent, old)
		wantContains(t, c.get(e.path("")).Body, `<option value="Pistes">`, `<option value="Stationnement">`, "4 propositions")

		// JSON twin of the list.
		js := c.get("/api/v1/consultations/plan-velo/proposals?sort=newest")
		wantStatus(t, js, http.StatusOK)
		body := decode[struct {
			Total     int
			Proposals []apiProposal
		}](t, js)
		if body.Total != 4 || len(body.Proposals) != 4 || body.Proposals[0].ID != idea.ID || body.Proposals[0].Heading != "Parking Vélo à la gare" {
			t.Fatalf("api list %+v", body)
		}

		for i := range 2*ProposalsPerPage - 1 {
			mk(fmt.Sprintf("Lot %02d", i), "lot", "Lot", 10+i)
		}
		r := c.get(e.path("?category=Lot&sort=newest"))
		wantContains(t, r.Body, "39 propositions", "Page 1 sur 2", `href="/c/plan-velo?category=Lot&amp;page=2&amp;sort=newest#proposals" rel="next"`, "Lot 38")
		r = c.get(e.path("?category=Lot&sort=newest&page=2"))
		wantContains(t, r.Body, "Page 2 sur 2", `rel="prev"`, "Lot 00")
		if strings.Contains(r.Body, "Lot 38") || strings.Contains(r.Body, `rel="next"`) {
			t.Fatal("page 2 shows page 1's proposals or a next link")
		}
		wantContains(t, c.get(e.path("?category=Lot&page=99")).Body, "Aucune proposition", "Page 99 sur 2", `rel="prev"`)
	})
}

func TestProposal_MarkdownAndTextStayText(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		e := newOnlineEnv(t, open)
		citizen, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
		body := "<script>alert(1)</script>\n\n[clic](javascript:alert(2)) <img src=x onerror=alert(3)> [ok](https://example.fr)"
		id := created(t, citizen.post(e.path("/proposals"), proposalForm(`<b>Titre</b> "x"`, body, `<i>cat</i>`)))
		for _, path := range []string{e.path("/p/" + itoa(id)), e.path("")} {
			r := citizen.get(path)
			wantStatus(t, r, http.StatusOK)
			for _, bad := range []string{"<script>alert", `href="javascript`, "<img", "<b>Titre", "<i>cat"} {
				if strings.Contains(r.Body, bad) {
					t.Fatalf("%s renders %q raw", path, bad)
				}
			}
			wantContains(t, r.Body, "&lt;b&gt;Titre&lt;/b&gt;")
		}
		wantContains(t, citizen.get(e.path("/p/"+itoa(id))).Body, "&lt;script&gt;alert(1)&lt;/script&gt;",
			`<a href="https://example.fr" rel="nofollow noopener">ok</a>`)

		// The description too.
		e.cons.Description = "Intro *vive*.\n\n<script>alert(4)</script> [x](javascript:alert(5))"
		must(t, e.st.UpdateConsultation(context.Background(), e.cons))
		r := citizen.get(e.path(""))
		wantContains(t, r.Body, "Intro <em>vive</em>.", "&lt;script&gt;alert(4)")
		if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, `href="javascript`) {
			t.Fatal("description rendered raw")
		}
	})
}

func TestProposal_RateLimit(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		e := newOnlineEnv(t, open)
		citizen, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
		for i := range MaxProposalsPerHour {
			created(t, citizen.post(e.path("/proposals"), proposalForm(fmt.Sprintf("P%d", i), "Corps", "")))
		}
		r := citizen.post(e.path("/proposals"), proposalForm("Une de trop", "Corps", ""))
		wantStatus(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		wantContains(t, r.Body, "Vous avez publié 5 propositions en une heure")
		// Another citizen is not limited.
		other, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
		created(t, other.post(e.path("/proposals"), proposalForm("Autre", "Corps", "")))
	})
}

// TestProposal_LiveEvents follows a consultation's topic while citizens
// propose and support and a moderator answers.
func TestProposal_LiveEvents(t *testing.T) {
	e := newWSEnv(t)
	ws := e.mustDial(wsDial{query: "c=velo"})
	if m := wsRead(t, ws); m.Type != hub.TypeSnapshot {
		t.Fatalf("first message %q", m.Type)
	}
	citizen := newClient(t, e.s)
	citizen.jar[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: e.citizen}
	r := citizen.post("/c/velo/proposals", proposalForm("Arceaux", "Devant la mairie", "Stationnement"))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: %d %s", r.StatusCode, r.Body)
	}
	m := wsRead(t, ws)
	var pe ProposalEvent
	decodeEnvelope(t, m, EventProposal, &pe)
	if pe.Heading != "Arceaux" || pe.URL != r.Header.Get("Location") || pe.Category != "Stationnement" {
		t.Fatalf("proposal event %+v", pe)
	}
	wantRedirect(t, citizen.post(pe.URL+"/support", nil), pe.URL)
	var se SupportEvent
	decodeEnvelope(t, wsRead(t, ws), EventSupport, &se)
	if se.ID != pe.ID || se.Online != 1 || se.Room != 0 || se.Total != 1 {
		t.Fatalf("support event %+v", se)
	}
	mod, _ := signedIn(t, e.s, e.st, agora.RoleModerator)
	wantRedirect(t, mod.post(pe.URL+"/answer", url.Values{"answer": {"under_study"}, "text": {"Étude en cours."}}), pe.URL+"#answer")
	var ae AnswerEvent
	decodeEnvelope(t, wsRead(t, ws), EventAnswer, &ae)
	if ae.ID != pe.ID || ae.Answer != agora.AnswerUnderStudy || ae.Text != "Étude en cours." {
		t.Fatalf("answer event %+v", ae)
	}
}

func decodeEnvelope(t *testing.T, m hub.Envelope, typ string, v any) {
	t.Helper()
	if m.Type != typ {
		t.Fatalf("event %q, want %q: %s", m.Type, typ, m.Data)
	}
	must(t, json.Unmarshal(m.Data, v))
}

// TestProposal_EventsMirroredInJS keeps live.js's EVENTS in step with the
// proposal events.
func TestProposal_EventsMirroredInJS(t *testing.T) {
	src, err := os.ReadFile("../web/static/js/live.js")
	must(t, err)
	for _, name := range []string{EventProposal, EventSupport, EventAnswer} {
		if !regexp.MustCompile(`\b\w+: '` + regexp.QuoteMeta(name) + `'`).Match(src) {
			t.Errorf("live.js does not mirror %q", name)
		}
	}
}

package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

func TestScreen_Token(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{PublicURL: "https://agora.example.fr"})
	facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	w := facWorkshop(t, fac, st, "plan-velo")
	anon := newClient(t, s)
	// The token with its last character changed: "x", or "y" when it
	// already ends in "x" (once in a while, the token being random).
	wrong := w.ScreenToken[:len(w.ScreenToken)-1] + "x"
	if wrong == w.ScreenToken {
		wrong = w.ScreenToken[:len(w.ScreenToken)-1] + "y"
	}

	for _, path := range []string{
		"/screen/" + w.JoinCode,
		"/screen/" + w.JoinCode + "?t=",
		"/screen/" + w.JoinCode + "?t=" + wrong,
		"/screen/ZZZZZZ?t=" + w.ScreenToken,
	} {
		r := anon.get(path)
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(path, w.ScreenToken) && strings.Contains(r.Body, w.ScreenToken) {
			t.Fatalf("%s: the 403 page shows the token", path)
		}
	}
	r := anon.get("/screen/" + w.JoinCode + "?t=" + w.ScreenToken)
	wantStatus(t, r, http.StatusOK)
	// The lobby: QR, code, short URL, no site chrome.
	wantContains(t, r.Body, `src="/w/`+w.JoinCode+`/qr.png"`, `data-join-code>`+w.JoinCode+`<`, "agora.example.fr/j/"+w.JoinCode,
		`data-participant-count`, `data-live-status`, `css/screen.`, `js/screen.`, `data-token="`+w.ScreenToken+`"`)
	if strings.Contains(r.Body, `class="site-header"`) {
		t.Fatal("the screen has the site header")
	}
}

func TestScreen_IdeasAndResults(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	ctx := context.Background()
	facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	w := facWorkshop(t, fac, st, "plan-velo")
	addActivity(t, fac, w, url.Values{"kind": {"ideas"}, "prompt": {"Vos idées ?"}, "premoderation": {"on"}})
	addActivity(t, fac, w, url.Values{"kind": {"poll"}, "prompt": {"Priorité ?"}, "options": {"Pistes\nParkings"}, "hide_results": {"on"}})
	run := activities(t, st, w)
	base := "/facilitate/" + w.JoinCode
	wantRedirect(t, fac.post(base+"/activities/"+itoa(run[0].ID)+"/open", nil), base)

	_, p, err := s.engine.Join(ctx, w.JoinCode, agora.NewSecret(), "Léa")
	if err != nil {
		t.Fatal(err)
	}
	evil, err := s.engine.SubmitIdea(ctx, p, run[0].ID, `<script>alert("x")</script> des arceaux`, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.engine.SubmitIdea(ctx, p, run[0].ID, "Idée encore secrète", "k2"); err != nil {
		t.Fatal(err)
	}
	screen := newClient(t, s)
	path := "/screen/" + w.JoinCode + "?t=" + w.ScreenToken
	r := screen.get(path)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "arceaux") || strings.Contains(r.Body, "encore secrète") {
		t.Fatalf("the screen shows pending ideas:\n%s", r.Body)
	}
	wantContains(t, r.Body, "Vos idées ?")

	// The dashboard has both in its queue, pending first, escaped.
	d := fac.get(base)
	wantContains(t, d.Body, `data-idea-id="`+itoa(evil.ID)+`" data-status="pending"`, "&lt;script&gt;", "Idée encore secrète")
	if strings.Contains(d.Body, `<script>alert`) {
		t.Fatal("raw script on the dashboard")
	}

	wantRedirect(t, fac.post(base+"/ideas/"+itoa(evil.ID)+"/approve", nil), base)
	wantRedirect(t, fac.post(base+"/ideas/"+itoa(evil.ID)+"/highlight", nil), base)
	r = screen.get(path)
	wantContains(t, r.Body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; des arceaux", `data-highlight data-idea-id="`+itoa(evil.ID)+`"`)
	if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, "encore secrète") {
		t.Fatalf("raw script or pending idea on the screen:\n%s", r.Body)
	}
	if got, _ := st.ProposalByID(ctx, evil.ID); got.Status != agora.ProposalApproved || !got.Highlighted {
		t.Fatalf("moderated idea %+v", got)
	}
	// An idea of another workshop cannot be moderated from this one.
	w2 := facWorkshop(t, fac, st, "plan-velo")
	wantStatus(t, fac.post("/facilitate/"+w2.JoinCode+"/ideas/"+itoa(evil.ID)+"/hide", nil), http.StatusNotFound)

	// Hidden results: the count, not the figures.
	wantRedirect(t, fac.post(base+"/next", nil), base)
	if _, err := s.engine.Vote(ctx, p, run[1].ID, voteFor(1)); err != nil {
		t.Fatal(err)
	}
	r = screen.get(path)
	wantContains(t, r.Body, `data-results-hidden`, `data-answer-count>1<`)
	if strings.Contains(r.Body, `data-option-id`) {
		t.Fatal("hidden poll results on the screen")
	}
	wantRedirect(t, fac.post(base+"/activities/"+itoa(run[1].ID)+"/reveal", nil), base)
	r = screen.get(path)
	wantContains(t, r.Body, `data-option-id="1" data-count="1" data-percent="100"`, `data-tally-total>1<`)
}

func voteFor(option int) live.VoteInput { return live.VoteInput{Choices: []int{option}} }

package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// wantPublic checks the headers of a public answer: readable from any
// site, cacheable.
func wantPublic(t *testing.T, r *response) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	if got := r.Header.Get("Cache-Control"); got != publicCache {
		t.Errorf("Cache-Control %q", got)
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type %q", got)
	}
}

// wantAPIError checks a typed JSON error and its message.
func wantAPIError(t *testing.T, r *response, status int, code, message string) {
	t.Helper()
	wantStatus(t, r, status)
	e := decode[struct {
		Error struct{ Code, Message string }
	}](t, r).Error
	if e.Code != code || !strings.Contains(e.Message, message) {
		t.Errorf("%s: error %+v, want %s %q", r.Request.URL, e, code, message)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("error Cache-Control %q", got)
	}
}

type pubList struct {
	Page          int
	PerPage       int  `json:"per_page"`
	HasMore       bool `json:"has_more"`
	Consultations []struct {
		Slug, Status, URL string
	}
}

func TestPublicAPI_ConsultationsList(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	ctx := context.Background()
	for i := range ConsultationsPerPage + 2 {
		status := agora.ConsultationOpen
		switch i % 3 {
		case 1:
			status = agora.ConsultationClosed
		case 2:
			status = agora.ConsultationDraft
		}
		must(t, st.CreateConsultation(ctx, &agora.Consultation{Slug: fmt.Sprintf("c-%02d", i), Title: "C", Status: status}))
	}
	// 22 created, 7 drafts: 15 listed, newest first, on one page.
	anon := newClient(t, s)
	r := anon.get("/api/v1/consultations")
	wantPublic(t, r)
	l := decode[pubList](t, r)
	if l.Page != 1 || l.PerPage != ConsultationsPerPage || l.HasMore || len(l.Consultations) != 15 {
		t.Fatalf("list %+v", l)
	}
	if l.Consultations[0].Slug != "c-21" || l.Consultations[14].Slug != "c-00" || l.Consultations[0].URL != "http://agora.test/c/c-21" {
		t.Errorf("order: first %+v, last %+v", l.Consultations[0], l.Consultations[14])
	}
	for _, c := range l.Consultations {
		if c.Status == "draft" {
			t.Errorf("draft %s listed", c.Slug)
		}
	}
	// Staff see no more than anyone: the answer is the same for all.
	admin, _ := signedIn(t, s, st, agora.RoleAdmin)
	if got := decode[pubList](t, admin.get("/api/v1/consultations")); len(got.Consultations) != 15 {
		t.Errorf("admin sees %d", len(got.Consultations))
	}
	if l := decode[pubList](t, anon.get("/api/v1/consultations?page=2")); l.Page != 2 || len(l.Consultations) != 0 || l.HasMore {
		t.Errorf("page 2 %+v", l)
	}

	for _, q := range []string{"-1", "0", "abc", "1.5", "501", "99999999999999999999"} {
		r := anon.get("/api/v1/consultations?page=" + q)
		wantAPIError(t, r, http.StatusUnprocessableEntity, "invalid", "entre 1 et 500")
		if r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("page=%s: error not readable cross-origin", q)
		}
	}
	anon.header.Set("Accept-Language", "en")
	wantAPIError(t, anon.get("/api/v1/consultations?page=-1"), http.StatusUnprocessableEntity, "invalid", "from 1 to 500")
}

// pubDetail is GET /api/v1/consultations/{slug}.
type pubDetail struct {
	Consultation struct {
		Slug, Title, Description, Status string
		ReportPublished                  bool `json:"report_published"`
	}
	Counts struct {
		Workshops, Activities, Participants, Proposals int
	}
	Workshops []struct {
		ID           int64
		Title, State string
		Participants int
		Activities   []pubActivity
	}
}

func TestPublicAPI_ConsultationDetail(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		r := newBilanRoom(t, open(t))
		ctx := context.Background()
		// A workshop still in preparation is not shown.
		draft := &agora.Workshop{ConsultationID: r.cons.ID, Title: "Atelier en préparation"}
		must(t, r.s.engine.CreateWorkshop(ctx, r.staff, draft))
		anon := newClient(t, r.s)
		base := "/api/v1/consultations/" + r.cons.Slug

		resp := anon.get(base)
		wantPublic(t, resp)
		d := decode[pubDetail](t, resp)
		if d.Consultation.Slug != r.cons.Slug || d.Consultation.Title != "Le parc" || d.Consultation.Status != "open" {
			t.Errorf("consultation %+v", d.Consultation)
		}
		// 4 devices; proposals: the 2 approved ideas (hidden and pending left out).
		if d.Counts.Workshops != 1 || d.Counts.Activities != 5 || d.Counts.Participants != 4 || d.Counts.Proposals != 2 {
			t.Errorf("counts %+v", d.Counts)
		}
		if len(d.Workshops) != 1 || d.Workshops[0].ID != r.w.ID || d.Workshops[0].State != "live" || len(d.Workshops[0].Activities) != 5 {
			t.Fatalf("workshops %+v", d.Workshops)
		}
		as := d.Workshops[0].Activities
		want := []struct {
			id      int64
			kind    agora.ActivityKind
			answers int
		}{{r.poll.ID, "poll", 6}, {r.multi.ID, "poll", 3}, {r.scale.ID, "scale", 4}, {r.cloud.ID, "wordcloud", 4}, {r.testRoom.ideas.ID, "ideas", 2}}
		for i, w := range want {
			if as[i].ID != w.id || as[i].Kind != w.kind || as[i].Answers != w.answers || as[i].Position != i || !as[i].ResultsVisible {
				t.Errorf("activity %d: %+v, want %+v", i, as[i], w)
			}
		}
		if len(as[0].Options) != 3 || as[0].Options[0].Label != "Nord" || as[0].State != "open" || as[0].OpenedAt == nil {
			t.Errorf("poll %+v", as[0])
		}

		acts := anon.get(base + "/activities")
		wantPublic(t, acts)
		if l := decode[struct{ Activities []pubActivity }](t, acts).Activities; len(l) != 5 || l[4].WorkshopID != r.w.ID {
			t.Errorf("activities %+v", l)
		}

		// Nothing personal, secret or unpublished in any answer.
		for _, body := range []string{resp.Body, acts.Body, anon.get(base + "/results").Body} {
			for _, leak := range []string{r.users[0].Email, "Léa-secrète", "Citoyen Caché", r.parts[0].PublicID,
				r.w.ScreenToken, r.w.JoinCode, r.hidden, "en attente", "Atelier en préparation", "token", "email"} {
				if strings.Contains(body, leak) {
					t.Errorf("answer holds %q:\n%s", leak, body)
				}
			}
		}

		// Drafts and unknown slugs do not exist, for staff too.
		must(t, r.st.CreateConsultation(ctx, &agora.Consultation{Slug: "brouillon-api", Title: "B", Status: agora.ConsultationDraft}))
		admin, _ := signedIn(t, r.s, r.st, agora.RoleAdmin)
		for _, p := range []string{"/api/v1/consultations/brouillon-api", "/api/v1/consultations/brouillon-api/activities",
			"/api/v1/consultations/brouillon-api/results", "/api/v1/consultations/inconnue", "/api/v1/consultations/inconnue/results"} {
			wantAPIError(t, anon.get(p), http.StatusNotFound, "not_found", "Cette consultation n’existe pas.")
			wantStatus(t, admin.get(p), http.StatusNotFound)
		}
		anon.header.Set("Accept-Language", "en")
		wantAPIError(t, anon.get("/api/v1/consultations/inconnue"), http.StatusNotFound, "not_found", "This consultation does not exist.")
	})
}

// pubResults is GET /api/v1/consultations/{slug}/results.
type pubResults struct {
	Results []struct {
		ActivityID     int64 `json:"activity_id"`
		Kind           agora.ActivityKind
		ResultsVisible bool `json:"results_visible"`
		Tally          *agora.Tally
	}
}

func (p pubResults) of(id int64) (visible bool, t *agora.Tally) {
	for _, r := range p.Results {
		if r.ActivityID == id {
			return r.ResultsVisible, r.Tally
		}
	}
	return false, nil
}

func TestPublicAPI_ResultsHiddenRevealedPublished(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		r := newBilanRoom(t, open(t))
		ctx := context.Background()
		// The scale's results are hidden from the room until revealed.
		r.scale.Settings.HideResults = true
		must(t, r.st.UpdateActivity(ctx, r.scale))
		anon := newClient(t, r.s)
		all := "/api/v1/consultations/" + r.cons.Slug + "/results"
		one := actPath(r.scale, "/results")

		resp := anon.get(all)
		wantPublic(t, resp)
		res := decode[pubResults](t, resp)
		if len(res.Results) != 5 {
			t.Fatalf("%d results", len(res.Results))
		}
		if vis, tally := res.of(r.scale.ID); vis || tally != nil {
			t.Fatalf("hidden scale: visible %v, tally %+v", vis, tally)
		}
		if strings.Contains(resp.Body, `"mean"`) {
			t.Fatal("a hidden mean leaked")
		}
		// Anonymous, the activity's own results stay closed (not joined).
		wantAPIError(t, anon.get(one), http.StatusUnauthorized, "unauthorized", "")

		// The other numbers are the seeded ones, room and online.
		_, poll := res.of(r.poll.ID)
		if poll == nil || poll.Voters != 6 || poll.Room.Voters != 4 || poll.Online.Voters != 2 ||
			poll.Options[0].Label != "Nord" || poll.Options[0].Count != 4 || poll.Options[0].Percent != 66.7 ||
			poll.Room.Options[0].Count != 3 || poll.Online.Options[2].Count != 1 || poll.Options[1].Count != 1 {
			t.Errorf("poll %+v", poll)
		}
		_, cloud := res.of(r.cloud.ID)
		if cloud == nil || len(cloud.Words) != 2 || cloud.Words[0].Label != "vélo" || cloud.Words[0].Count != 3 ||
			cloud.Words[1].Count != 2 || cloud.Online.Voters != 1 {
			t.Errorf("cloud %+v", cloud)
		}
		_, ideas := res.of(r.testRoom.ideas.ID)
		if ideas == nil || len(ideas.Ideas) != 2 || ideas.Ideas[0].Body != r.bancs || ideas.Ideas[0].Supports != 3 ||
			ideas.Ideas[0].SupportsOnline != 1 || ideas.Ideas[1].Body != formulaIdea || ideas.Ideas[1].Supports != 1 {
			t.Errorf("ideas %+v", ideas)
		}
		// The same poll through the activity's own endpoint, for anyone.
		pr := anon.get(actPath(r.poll, "/results"))
		wantStatus(t, pr, http.StatusOK)
		if got := decode[struct{ Tally agora.Tally }](t, pr).Tally; got.Voters != 6 || got.Options[0].Count != 4 {
			t.Errorf("poll by activity %+v", got)
		}
		if pr.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Error("public activity results not readable cross-origin")
		}

		// Revealed: public, with the seeded numbers (room 4, 5, 2; online 3).
		r.open(r.scale) // a pending activity cannot be revealed
		must(t, r.s.engine.RevealResults(ctx, r.staff, r.scale.ID))
		checkScale := func(when string) {
			t.Helper()
			vis, tally := decode[pubResults](t, anon.get(all)).of(r.scale.ID)
			if !vis || tally == nil || tally.Scale == nil || tally.Voters != 4 || tally.Scale.Mean != 3.5 ||
				tally.Room.Scale.Mean != 3.67 || tally.Online.Scale.Mean != 3 ||
				fmt.Sprint(tally.Scale.Distribution) != "[0 1 1 1 1]" {
				t.Fatalf("%s: visible %v, tally %+v", when, vis, tally)
			}
			one := anon.get(one)
			wantStatus(t, one, http.StatusOK)
			if got := decode[struct{ Tally agora.Tally }](t, one).Tally; got.Scale == nil || got.Scale.Mean != 3.5 {
				t.Fatalf("%s: by activity %+v", when, got)
			}
		}
		checkScale("revealed")

		// Hidden again, then the report published: public for good.
		must(t, r.s.engine.HideResults(ctx, r.staff, r.scale.ID))
		if vis, _ := decode[pubResults](t, anon.get(all)).of(r.scale.ID); vis {
			t.Fatal("hidden again, still public")
		}
		r.cons.ReportPublished = true
		must(t, r.st.UpdateConsultation(ctx, r.cons))
		checkScale("report published")

		// Back to draft: nothing is public.
		r.cons.Status = agora.ConsultationDraft
		must(t, r.st.UpdateConsultation(ctx, r.cons))
		wantStatus(t, anon.get(all), http.StatusNotFound)
		wantStatus(t, anon.get(one), http.StatusUnauthorized)
	})
}

func TestPublicAPI_ActivityResultsBadID(t *testing.T) {
	r := newBilanRoom(t, openSQLite(t))
	anon := newClient(t, r.s)
	for _, id := range []string{"abc", "-1", "0", "1.5", "99999999999999999999", "999999"} {
		wantAPIError(t, anon.get("/api/v1/activities/"+id+"/results"), http.StatusNotFound, "not_found", "Cette activité n’existe pas.")
	}
}

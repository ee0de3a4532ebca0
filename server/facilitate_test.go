package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

// facConsultation stores an open consultation.
func facConsultation(t *testing.T, st agora.Store, slug string) *agora.Consultation {
	t.Helper()
	c := &agora.Consultation{Slug: slug, Title: "Plan vélo", Status: agora.ConsultationOpen}
	if err := st.CreateConsultation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// facWorkshop creates a workshop through the form and returns it.
func facWorkshop(t *testing.T, c *client, st agora.Store, slug string) *agora.Workshop {
	t.Helper()
	c.get("/facilitate")
	r := c.post("/facilitate/workshops", url.Values{"consultation": {slug}, "title": {"Atelier mobilités"}, "place": {"Salle des fêtes"}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "/prepare") {
		t.Fatalf("create workshop: %d %q\n%s", r.StatusCode, loc, r.Body)
	}
	code := strings.TrimSuffix(strings.TrimPrefix(loc, "/facilitate/"), "/prepare")
	w, err := st.WorkshopByCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// addActivity posts an activity form from the run of show.
func addActivity(t *testing.T, c *client, w *agora.Workshop, v url.Values) *response {
	t.Helper()
	v.Set("back", "prepare")
	return c.post("/facilitate/"+w.JoinCode+"/activities", v)
}

func activities(t *testing.T, st agora.Store, w *agora.Workshop) []*agora.Activity {
	t.Helper()
	run, err := st.ListActivities(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestFacilitate_CreateWorkshopAndActivities(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	ctx := context.Background()
	facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)

	page := fac.get("/facilitate")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page.Body, `action="/facilitate/workshops"`, `<option value="plan-velo"`)

	// A workshop without a title is refused next to the field; nothing stored.
	r := fac.post("/facilitate/workshops", url.Values{"consultation": {"plan-velo"}, "title": {"  "}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, `id="f-title-error"`, `aria-invalid="true"`)
	r = fac.post("/facilitate/workshops", url.Values{"consultation": {"nope"}, "title": {"X"}})
	wantStatus(t, r, http.StatusNotFound)
	wantContains(t, r.Body, `id="f-consultation-error"`)
	cons, _ := st.ConsultationBySlug(ctx, "plan-velo")
	if ws, _ := st.ListWorkshops(ctx, cons.ID); len(ws) != 0 {
		t.Fatalf("workshops stored after refusals: %d", len(ws))
	}

	w := facWorkshop(t, fac, st, "plan-velo")
	if w.Title != "Atelier mobilités" || w.Place != "Salle des fêtes" || w.State != agora.WorkshopDraft || w.ScreenToken == "" {
		t.Fatalf("workshop %+v", w)
	}
	prep := fac.get("/facilitate/" + w.JoinCode + "/prepare")
	wantStatus(t, prep, http.StatusOK)
	wantContains(t, prep.Body, `data-add-kind="poll"`, `data-add-kind="ideas"`, `data-add-kind="wordcloud"`, `data-add-kind="scale"`)

	// Invalid activities: the error shows next to the field, in the page's language.
	refusals := []struct {
		values url.Values
		id     string
		text   string
	}{
		{url.Values{"kind": {"poll"}, "prompt": {"Priorité ?"}, "options": {"Une seule"}}, "add-poll-options-error", "entre 2 et 12"},
		{url.Values{"kind": {"poll"}, "prompt": {""}, "options": {"A\nB"}}, "add-poll-prompt-error", ""},
		{url.Values{"kind": {"poll"}, "prompt": {"Q"}, "options": {"A\nB"}, "max_choices": {"3"}}, "add-poll-max_choices-error", ""},
		{url.Values{"kind": {"poll"}, "prompt": {"Q"}, "options": {"A\nB"}, "timer": {"abc"}}, "add-poll-timer-error", "nombre entier"},
		{url.Values{"kind": {"wordcloud"}, "prompt": {"Q"}, "max_words": {"4"}}, "add-wordcloud-max_words-error", ""},
		{url.Values{"kind": {"scale"}, "prompt": {"Q"}, "scale": {"2-7"}}, "add-scale-scale-error", ""},
		{url.Values{"kind": {"ideas"}, "prompt": {"Q"}, "timer": {"99999"}}, "add-ideas-timer-error", ""},
	}
	for _, c := range refusals {
		r := addActivity(t, fac, w, c.values)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, `id="`+c.id+`"`, c.text)
	}
	fac.header.Set("Accept-Language", "en")
	r = addActivity(t, fac, w, url.Values{"kind": {"poll"}, "prompt": {"Q"}, "options": {"A"}})
	wantContains(t, r.Body, "between 2 and 12")
	fac.header.Del("Accept-Language")
	if n := len(activities(t, st, w)); n != 0 {
		t.Fatalf("%d activities stored after refusals", n)
	}

	for _, v := range []url.Values{
		{"kind": {"poll"}, "prompt": {"Votre priorité ?"}, "options": {"Pistes cyclables\r\nParkings vélo\n\nZones 30"}, "max_choices": {"2"}, "hide_results": {"on"}, "timer": {"90"}},
		{"kind": {"ideas"}, "prompt": {"Vos idées ?"}, "premoderation": {"on"}},
		{"kind": {"wordcloud"}, "prompt": {"En un mot ?"}, "max_words": {"1"}},
		{"kind": {"scale"}, "prompt": {"La sécurité ?"}, "scale": {"0-10"}},
	} {
		wantRedirect(t, addActivity(t, fac, w, v), "/facilitate/"+w.JoinCode+"/prepare")
	}
	run := activities(t, st, w)
	if len(run) != 4 {
		t.Fatalf("%d activities", len(run))
	}
	poll, ideas, cloud, scale := run[0], run[1], run[2], run[3]
	if poll.Kind != agora.KindPoll || len(poll.Options) != 3 || poll.Options[2].Label != "Zones 30" ||
		poll.Settings.MaxChoices != 2 || !poll.Settings.HideResults || poll.Settings.TimerSeconds != 90 {
		t.Fatalf("poll %+v", poll)
	}
	if ideas.Kind != agora.KindIdeas || !ideas.Settings.Premoderation {
		t.Fatalf("ideas %+v", ideas)
	}
	if cloud.Kind != agora.KindWordCloud || cloud.Settings.MaxWords != 1 {
		t.Fatalf("cloud %+v", cloud)
	}
	if scale.Kind != agora.KindScale || scale.Settings.ScaleMin != 0 || scale.Settings.ScaleMax != 10 {
		t.Fatalf("scale %+v", scale)
	}

	// Editing keeps option IDs: a corrected label, a reordered one, a new one.
	path := "/facilitate/" + w.JoinCode + "/activities/" + itoa(poll.ID)
	r = fac.post(path, url.Values{"prompt": {"Q"}, "options": {"Un seul"}, "back": {"prepare"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, `id="edit-`+itoa(poll.ID)+`-options-error"`)
	wantRedirect(t, fac.post(path, url.Values{"prompt": {"Votre priorité ?"}, "options": {"Zones 30\nPistes cyclabes\nParkings vélo\nBus"}, "max_choices": {"1"}, "back": {"prepare"}}),
		"/facilitate/"+w.JoinCode+"/prepare")
	got, _ := st.ActivityByID(ctx, poll.ID)
	ids := map[string]int{}
	for _, o := range got.Options {
		ids[o.Label] = o.ID
	}
	if ids["Zones 30"] != 3 || ids["Parkings vélo"] != 2 || ids["Bus"] != 4 || ids["Pistes cyclabes"] != 1 || got.Settings.HideResults {
		t.Fatalf("edited options %+v settings %+v", got.Options, got.Settings)
	}

	// Reorder: the scale goes up one place, the poll down; delete the cloud.
	move := func(a *agora.Activity, dir string) *response {
		return fac.post("/facilitate/"+w.JoinCode+"/activities/"+itoa(a.ID)+"/move", url.Values{"dir": {dir}, "back": {"prepare"}})
	}
	wantRedirect(t, move(scale, "up"), "/facilitate/"+w.JoinCode+"/prepare")
	wantRedirect(t, move(poll, "down"), "/facilitate/"+w.JoinCode+"/prepare")
	wantRedirect(t, move(ideas, "up"), "/facilitate/"+w.JoinCode+"/prepare") // first already: stays
	order := func() string {
		var ks []string
		for _, a := range activities(t, st, w) {
			ks = append(ks, string(a.Kind))
		}
		return strings.Join(ks, ",")
	}
	if o := order(); o != "ideas,poll,scale,wordcloud" {
		t.Fatalf("order %s", o)
	}
	wantRedirect(t, fac.post("/facilitate/"+w.JoinCode+"/activities/"+itoa(cloud.ID)+"/delete", url.Values{"back": {"prepare"}}),
		"/facilitate/"+w.JoinCode+"/prepare")
	if o := order(); o != "ideas,poll,scale" {
		t.Fatalf("order after delete %s", o)
	}
	prep = fac.get("/facilitate/" + w.JoinCode + "/prepare")
	wantContains(t, prep.Body, `data-activity-id="`+itoa(poll.ID)+`"`, "Pistes cyclabes")
}

func TestFacilitate_RunWorkshop(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{PublicURL: "https://agora.example.fr"})
	ctx := context.Background()
	facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	w := facWorkshop(t, fac, st, "plan-velo")
	for _, v := range []url.Values{
		{"kind": {"poll"}, "prompt": {"Priorité ?"}, "options": {"A\nB"}, "hide_results": {"on"}, "timer": {"120"}},
		{"kind": {"scale"}, "prompt": {"Sécurité ?"}, "scale": {"0-10"}},
	} {
		addActivity(t, fac, w, v)
	}
	run := activities(t, st, w)
	base := "/facilitate/" + w.JoinCode
	act := func(a *agora.Activity, cmd string, v url.Values) *response {
		return fac.post(base+"/activities/"+itoa(a.ID)+"/"+cmd, v)
	}
	activity := func(a *agora.Activity) *agora.Activity {
		got, err := st.ActivityByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	workshop := func() *agora.Workshop {
		got, err := st.WorkshopByID(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	d := fac.get(base)
	wantStatus(t, d, http.StatusOK)
	wantContains(t, d.Body, `data-participant-count`, `data-live-status`, `data-run-of-show`,
		`value="https://agora.example.fr/screen/`+w.JoinCode+`?t=`+w.ScreenToken+`"`,
		`value="https://agora.example.fr/j/`+w.JoinCode+`"`, `data-copy="screen-url"`, `js/dashboard.`)

	wantRedirect(t, act(run[0], "open", nil), base)
	if a, ww := activity(run[0]), workshop(); a.State != agora.ActivityOpen || a.ClosesAt == nil ||
		ww.State != agora.WorkshopLive || ww.CurrentActivityID == nil || *ww.CurrentActivityID != a.ID {
		t.Fatalf("after open: %+v %+v", a, ww)
	}
	d = fac.get(base)
	wantContains(t, d.Body, `data-countdown`, `data-closes-at=`, `data-hidden-label`, `data-option-id="1" data-count="0"`,
		`data-current="true"`, `data-tally-total`)
	wantRedirect(t, act(run[0], "close", nil), base)
	wantRedirect(t, act(run[0], "reveal", nil), base)
	if a := activity(run[0]); a.State != agora.ActivityClosed || !a.Revealed {
		t.Fatalf("after close+reveal: %+v", a)
	}
	wantRedirect(t, act(run[0], "hide", nil), base)
	if a := activity(run[0]); a.Revealed {
		t.Fatal("still revealed")
	}

	wantRedirect(t, fac.post(base+"/next", nil), base)
	if ww := workshop(); *ww.CurrentActivityID != run[1].ID || activity(run[1]).State != agora.ActivityOpen {
		t.Fatalf("next: %+v", ww)
	}
	// Nothing after the last: refused on the dashboard, in its language.
	r := fac.post(base+"/next", nil)
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r.Body, `role="alert"`, `data-dashboard`)
	wantRedirect(t, fac.post(base+"/previous", nil), base)
	if ww := workshop(); *ww.CurrentActivityID != run[0].ID {
		t.Fatalf("previous: %+v", ww)
	}

	// Reset asks first, then discards with an audit entry.
	confirmURL := base + "?confirm=reset&activity=" + itoa(run[0].ID) + "#confirm"
	wantRedirect(t, act(run[0], "reset", nil), confirmURL)
	if a := activity(run[0]); a.Round != 0 {
		t.Fatal("reset without confirmation")
	}
	d = fac.get(base + "?confirm=reset&activity=" + itoa(run[0].ID))
	wantContains(t, d.Body, `data-confirm-panel="reset" id="confirm"`, `name="confirm" value="yes"`)
	wantRedirect(t, act(run[0], "reset", url.Values{"confirm": {"yes"}}), base)
	if a := activity(run[0]); a.Round != 1 || a.State != agora.ActivityPending {
		t.Fatalf("after reset: %+v", a)
	}
	entries, err := st.ListAudit(ctx, agora.AuditFilter{WorkshopID: &w.ID, TargetKind: agora.TargetActivity, TargetID: run[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Action == "activity.reset"
	}
	if !found {
		t.Fatalf("no activity.reset audit entry in %d entries", len(entries))
	}

	// Reorder during the session, and a script's command gets 204.
	wantRedirect(t, fac.post(base+"/activities/"+itoa(run[1].ID)+"/move", url.Values{"dir": {"up"}}), base)
	if a := activity(run[1]); a.Position != 0 {
		t.Fatalf("moved: %+v", a)
	}
	r = fac.do("POST", base+"/activities/"+itoa(run[1].ID)+"/close", nil, map[string]string{"X-CSRF-Token": fac.token, "Accept": "application/json"})
	wantStatus(t, r, http.StatusNoContent)
	if a := activity(run[1]); a.State != agora.ActivityClosed {
		t.Fatalf("closed by script: %+v", a)
	}

	// Ending asks first too.
	wantRedirect(t, fac.post(base+"/end", nil), base+"?confirm=end#confirm")
	if workshop().State == agora.WorkshopEnded {
		t.Fatal("ended without confirmation")
	}
	wantRedirect(t, fac.post(base+"/end", url.Values{"confirm": {"yes"}}), base)
	if workshop().State != agora.WorkshopEnded {
		t.Fatal("not ended")
	}
	wantContains(t, fac.get(base).Body, `data-workshop-state="ended"`)
}

func TestFacilitate_Access(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	w := facWorkshop(t, fac, st, "plan-velo")
	addActivity(t, fac, w, url.Values{"kind": {"scale"}, "prompt": {"Q"}})
	a := activities(t, st, w)[0]
	base := "/facilitate/" + w.JoinCode

	posts := []string{base + "/next", base + "/start", base + "/activities/" + itoa(a.ID) + "/open",
		base + "/activities", base + "/activities/" + itoa(a.ID) + "/delete", "/facilitate/workshops"}
	for _, role := range []agora.Role{agora.RoleCitizen, agora.RoleModerator} {
		c, _ := signedIn(t, s, st, role)
		wantStatus(t, c.get(base), http.StatusForbidden)
		wantStatus(t, c.get(base+"/prepare"), http.StatusForbidden)
		for _, p := range posts {
			wantStatus(t, c.post(p, url.Values{"kind": {"poll"}, "prompt": {"x"}, "options": {"a\nb"}}), http.StatusForbidden)
		}
	}
	// A participant's phone has no account: sent to sign in.
	phone := newClient(t, s)
	if _, _, err := s.engine.Join(context.Background(), w.JoinCode, agora.NewSecret(), "Léa"); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, phone.get(base), "/signin?next=%2Ffacilitate%2F"+w.JoinCode)
	r := phone.post(base+"/next", nil)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("anonymous post: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if got, _ := st.WorkshopByID(context.Background(), w.ID); got.State != agora.WorkshopDraft || len(activities(t, st, w)) != 1 {
		t.Fatalf("refused commands changed the workshop: %+v", got)
	}
	// Unknown workshop and an activity of another workshop: not found.
	wantStatus(t, fac.get("/facilitate/ZZZZZZ"), http.StatusNotFound)
	w2 := facWorkshop(t, fac, st, "plan-velo")
	wantStatus(t, fac.post("/facilitate/"+w2.JoinCode+"/activities/"+itoa(a.ID)+"/open", nil), http.StatusNotFound)
}

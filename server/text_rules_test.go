package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

// Characters refused in every text field: NUL, another control character,
// and the bidirectional override, embedding and isolate controls, which
// make a text read differently from what it says (a poll choice
// "\u202eelbuod" shows as "double").
var badText = map[string]string{
	"NUL": "Matin\x00",
	"BEL": "Ma\x07tin",
	"RLO": "Matin \u202eelbuod",
	"LRE": "\u202aMatin",
	"RLI": "Matin \u2067soir",
	"PDI": "Matin\u2069",
}

const (
	optionInvalidEN = "A choice contains characters that are not allowed"
	optionInvalidFR = "Un choix contient des caractères non autorisés"
)

func apiError(t *testing.T, r *response) (code, msg string) {
	t.Helper()
	e := decode[struct {
		Error struct{ Code, Message string }
	}](t, r).Error
	return e.Code, e.Message
}

// Poll choices and activity prompts, through the JSON API: refused with a
// 422 naming the field in the caller's language; a tab or a newline in a
// one-line field becomes a space, as in ideas.
func TestText_ActivityAPIRefusesControlAndBidi(t *testing.T) {
	st := openSQLite(t)
	r := newTestRoom(t, st)
	fac, _ := signedIn(t, r.s, st, agora.RoleFacilitator)
	fac.header.Set("Accept-Language", "en")
	base := "/api/v1/workshops/" + r.code() + "/activities"
	before := len(activitiesOf(t, st, r.w.ID))

	for name, bad := range badText {
		resp := fac.api("POST", base, map[string]any{"kind": "poll", "prompt": "Quand ?",
			"options": []map[string]string{{"label": bad}, {"label": "Soir"}}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if code, msg := apiError(t, resp); code != agora.EINVALID || !strings.HasPrefix(msg, optionInvalidEN) {
			t.Errorf("%s in a choice: %s %q", name, code, msg)
		}
		resp = fac.api("POST", base, map[string]any{"kind": "scale", "prompt": bad})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if _, msg := apiError(t, resp); !strings.HasPrefix(msg, "The question contains characters that are not allowed") {
			t.Errorf("%s in a prompt: %q", name, msg)
		}
		resp = fac.api("PATCH", actPath(r.poll, ""), map[string]any{"prompt": bad})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		resp = fac.api("PATCH", actPath(r.poll, ""), map[string]any{"options": []map[string]any{{"id": 1, "label": "Oui"}, {"label": bad}}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
	}
	if n := len(activitiesOf(t, st, r.w.ID)); n != before {
		t.Fatalf("refused activities stored: %d, want %d", n, before)
	}
	if a, _ := st.ActivityByID(t.Context(), r.poll.ID); a.Prompt != r.poll.Prompt || len(a.Options) != len(r.poll.Options) {
		t.Fatalf("refused edits changed the poll: %+v", a)
	}

	// French by default.
	fr := newClient(t, r.s)
	fr.jar, fr.token = fac.jar, ""
	resp := fr.api("POST", base, map[string]any{"kind": "poll", "prompt": "Quand ?",
		"options": []map[string]string{{"label": "Matin \u202eelbuod"}, {"label": "Soir"}}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if _, msg := apiError(t, resp); !strings.HasPrefix(msg, optionInvalidFR) {
		t.Fatalf("French message %q", msg)
	}

	// White space is not refused but made one line; the marks LRM and RLM,
	// which reorder nothing, stay allowed.
	resp = fac.api("POST", base, map[string]any{"kind": "poll", "prompt": " Quand\n venir ?\t",
		"options": []map[string]string{{"label": "Tôt\tle\r\nmatin"}, {"label": "Soir\u200f"}}})
	wantStatus(t, resp, http.StatusCreated)
	a := decode[struct {
		Activity struct {
			Prompt  string
			Options []agora.Option
		}
	}](t, resp).Activity
	if a.Prompt != "Quand venir ?" || a.Options[0].Label != "Tôt le matin" || a.Options[1].Label != "Soir\u200f" {
		t.Fatalf("stored %+v", a)
	}
}

func activitiesOf(t *testing.T, st agora.Store, workshopID int64) []*agora.Activity {
	t.Helper()
	run, err := st.ListActivities(context.Background(), workshopID)
	must(t, err)
	return run
}

// The same rules through the run-of-show forms: the message shows next to
// the field, in French by default.
func TestText_ActivityFormRefusesControlAndBidi(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, s, st, agora.RoleFacilitator)
	w := facWorkshop(t, fac, st, "plan-velo")

	for _, bad := range badText {
		r := addActivity(t, fac, w, url.Values{"kind": {"poll"}, "prompt": {"Quand ?"}, "options": {"Soir\n" + bad}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, optionInvalidFR, `-options-error"`)
		r = addActivity(t, fac, w, url.Values{"kind": {"scale"}, "prompt": {bad}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, "La question contient des caractères non autorisés", `-prompt-error"`)
	}
	if run := activities(t, st, w); len(run) != 0 {
		t.Fatalf("refused activities stored: %d", len(run))
	}
}

// Workshop title and place, through the form and the API.
func TestText_WorkshopRefusesControlAndBidi(t *testing.T) {
	st := openSQLite(t)
	r := newTestRoom(t, st)
	cons := facConsultation(t, st, "plan-velo")
	fac, _ := signedIn(t, r.s, st, agora.RoleFacilitator)
	fac.get("/facilitate")

	for _, bad := range badText {
		resp := fac.post("/facilitate/workshops", url.Values{"consultation": {"plan-velo"}, "title": {"Atelier"}, "place": {bad}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		wantContains(t, resp.Body, "Le lieu contient des caractères non autorisés", `id="f-place-error"`)
		resp = fac.post("/facilitate/workshops", url.Values{"consultation": {"plan-velo"}, "title": {bad}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		wantContains(t, resp.Body, `id="f-title-error"`)

		resp = fac.api("POST", "/api/v1/consultations/"+itoa(cons.ID)+"/workshops", map[string]string{"title": bad})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		resp = fac.api("PATCH", "/api/v1/workshops/"+r.code(), map[string]string{"place": bad})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
	}
	if ws, _ := st.ListWorkshops(t.Context(), cons.ID); len(ws) != 0 {
		t.Fatalf("refused workshops stored: %d", len(ws))
	}
	if w, _ := st.WorkshopByCode(t.Context(), r.code()); w.Place != r.w.Place {
		t.Fatalf("refused edit changed the place: %q", w.Place)
	}
	resp := fac.api("POST", "/api/v1/consultations/"+itoa(cons.ID)+"/workshops", map[string]string{"title": "Atelier\tdu\nsoir", "place": " Salle  B "})
	wantStatus(t, resp, http.StatusCreated)
	if w := decode[struct{ Workshop workshopJSON }](t, resp).Workshop; w.Title != "Atelier du soir" || w.Place != "Salle B" {
		t.Fatalf("stored %q %q", w.Title, w.Place)
	}
}

// Consultation title (one line) and description (several lines: newlines
// kept), through the create and edit forms.
func TestText_ConsultationRefusesControlAndBidi(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	admin, _ := signedIn(t, s, st, agora.RoleAdmin)
	admin.header.Set("Accept-Language", "en")
	cons := draftConsultation(t, st)
	edit := "/admin/consultations/" + itoa(cons.ID)
	admin.get(edit)

	for _, bad := range badText {
		r := admin.post("/admin/consultations", url.Values{"slug": {"parc"}, "title": {bad}, "status": {"open"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, "The title contains characters that are not allowed", `id="f-title-error"`)
		r = admin.post("/admin/consultations", url.Values{"slug": {"parc"}, "title": {"Parc"}, "description": {"Premier.\n\n" + bad}, "status": {"open"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, "The description contains characters that are not allowed", `id="f-description-error"`)

		f := editForm(cons)
		f.Set("description", "## Contexte\n\n"+bad)
		wantStatus(t, admin.post(edit, f), http.StatusUnprocessableEntity)
		f = editForm(cons)
		f.Set("title", bad)
		wantStatus(t, admin.post(edit, f), http.StatusUnprocessableEntity)
	}
	if _, err := st.ConsultationBySlug(t.Context(), "parc"); !agora.IsCode(err, agora.ENOTFOUND) {
		t.Fatalf("refused consultation stored: %v", err)
	}
	if got, _ := st.ConsultationByID(t.Context(), cons.ID); got.Title != cons.Title || got.Description != cons.Description {
		t.Fatalf("refused edits stored: %+v", got)
	}

	f := editForm(cons)
	f.Set("title", "Le parc\tdes rives")
	f.Set("description", "## Contexte\r\n\r\n\tLe parc,\nses arbres.")
	wantRedirect(t, admin.post(edit, f), edit+"?done=saved")
	got, _ := st.ConsultationByID(t.Context(), cons.ID)
	if got.Title != "Le parc des rives" || got.Description != "## Contexte\r\n\r\n\tLe parc,\nses arbres." {
		t.Fatalf("saved %q %q", got.Title, got.Description)
	}
}

// The display name of a new account, through the sign-up form.
func TestText_SignupNameRefusesControlAndBidi(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	for _, bad := range badText {
		c := newClient(t, s)
		r := c.signup("x@example.fr", bad, "correct horse battery")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, "Le nom affiché contient des caractères non autorisés", `id="f-name-error"`)
	}
	if _, err := st.UserByEmail(t.Context(), "x@example.fr"); !agora.IsCode(err, agora.ENOTFOUND) {
		t.Fatalf("refused account stored: %v", err)
	}
	c := newClient(t, s)
	c.header.Set("Accept-Language", "en")
	r := c.signup("y@example.fr", "Nour \u202eelbuod", "correct horse battery")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, "The display name contains characters that are not allowed")

	wantRedirect(t, newClient(t, s).signup("x@example.fr", " Camille\tDupont ", "correct horse battery"), "/")
	u, err := st.UserByEmail(t.Context(), "x@example.fr")
	must(t, err)
	if u.DisplayName != "Camille Dupont" {
		t.Fatalf("stored name %q", u.DisplayName)
	}
}

package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

func TestAPIStaff_Access(t *testing.T) {
	st := openSQLite(t)
	r := newTestRoom(t, st)
	phone, _ := r.apiJoin("")
	citizen, _ := signedIn(t, r.s, st, agora.RoleCitizen)
	wantStatus(t, citizen.api("POST", "/api/v1/workshops/"+r.code()+"/join", nil), http.StatusOK)

	staffCalls := []struct{ method, path, body string }{
		{"GET", "/api/v1/workshops/" + r.code(), ""},
		{"PATCH", "/api/v1/workshops/" + r.code(), `{"title":"Pris"}`},
		{"POST", "/api/v1/consultations/" + itoa(r.cons.ID) + "/workshops", `{"title":"Pris"}`},
		{"POST", "/api/v1/workshops/" + r.code() + "/activities", `{"kind":"scale","prompt":"?"}`},
		{"POST", "/api/v1/workshops/" + r.code() + "/end", ""},
		{"POST", "/api/v1/workshops/" + r.code() + "/next", ""},
		{"POST", actPath(r.poll, "/close"), ""},
		{"POST", actPath(r.poll, "/reset"), ""},
		{"POST", actPath(r.poll, "/move"), `{"position":2}`},
		{"PATCH", actPath(r.poll, ""), `{"prompt":"Pris"}`},
		{"DELETE", actPath(r.scale, ""), ""},
		{"POST", "/api/v1/ideas/1/moderate", `{"action":"approve"}`},
	}
	for _, call := range staffCalls {
		if resp := phone.api(call.method, call.path, call.body); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("participant %s %s: %d", call.method, call.path, resp.StatusCode)
		}
		if resp := citizen.api(call.method, call.path, call.body); resp.StatusCode != http.StatusForbidden || errorCode(t, resp) != "forbidden" {
			t.Errorf("citizen %s %s: %d %s", call.method, call.path, resp.StatusCode, resp.Body)
		}
	}
	// The dashboard too.
	wantStatus(t, citizen.get("/facilitate/"+r.code()), http.StatusForbidden)
	if resp := phone.get("/facilitate/" + r.code()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("participant on the dashboard: %d", resp.StatusCode)
	}
	w, _ := st.WorkshopByCode(t.Context(), r.code())
	if w.Title != r.w.Title || w.State != agora.WorkshopLive {
		t.Fatalf("refused calls changed the workshop: %+v", w)
	}
	if a, _ := st.ActivityByID(t.Context(), r.poll.ID); a.Prompt != r.poll.Prompt || a.State != agora.ActivityOpen {
		t.Fatalf("refused calls changed the activity: %+v", a)
	}
}

func TestAPIStaff_RunAWorkshop(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		st := open(t)
		r := newTestRoom(t, st)
		fac, _ := signedIn(t, r.s, st, agora.RoleFacilitator)

		resp := fac.api("POST", "/api/v1/consultations/"+itoa(r.cons.ID)+"/workshops", `{"title":"Atelier <i>2</i>","place":"Salle B","starts_at":"2026-03-14T18:30:00+01:00"}`)
		wantStatus(t, resp, http.StatusCreated)
		w := decode[struct{ Workshop workshopJSON }](t, resp).Workshop
		if w.JoinCode == "" || w.ScreenToken == "" || w.State != agora.WorkshopDraft || !strings.HasSuffix(w.JoinURL, "/j/"+w.JoinCode) || w.StartsAt == nil {
			t.Fatalf("workshop %+v", w)
		}
		base := "/api/v1/workshops/" + w.JoinCode
		wantStatus(t, fac.api("POST", "/api/v1/consultations/999999/workshops", `{"title":"X"}`), http.StatusNotFound)
		wantStatus(t, fac.api("POST", "/api/v1/consultations/"+itoa(r.cons.ID)+"/workshops", `{"title":""}`), http.StatusUnprocessableEntity)
		wantStatus(t, fac.api("POST", "/api/v1/consultations/"+itoa(r.cons.ID)+"/workshops", `{"title":"X","starts_at":"demain"}`), http.StatusUnprocessableEntity)

		resp = fac.api("PATCH", base, `{"place":"Salle C"}`)
		wantStatus(t, resp, http.StatusOK)
		if got := decode[struct{ Workshop workshopJSON }](t, resp).Workshop; got.Title != "Atelier <i>2</i>" || got.Place != "Salle C" {
			t.Fatalf("patched %+v", got)
		}

		add := func(body string) *response { return fac.api("POST", base+"/activities", body) }
		resp = add(`{"kind":"poll","prompt":"Quand ?","options":[{"label":"Matin"},{"label":"Soir"}],"settings":{"max_choices":1}}`)
		wantStatus(t, resp, http.StatusCreated)
		poll := decode[struct{ Activity live.ActivityView }](t, resp).Activity
		if poll.ID == 0 || len(poll.Options) != 2 || poll.Options[1].ID != 2 || poll.State != agora.ActivityPending {
			t.Fatalf("activity %+v", poll)
		}
		if resp := add(`{"kind":"poll","prompt":"Quand ?","options":[{"label":"Matin"}]}`); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("one option: %d", resp.StatusCode)
		}
		resp = add(`{"kind":"scale","prompt":"?","settings":{"colour":"red"}}`)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		wantContains(t, resp.Body, "colour")
		resp = add(`{"kind":"ideas","prompt":"Vos idées","settings":{"premoderation":true}}`)
		wantStatus(t, resp, http.StatusCreated)
		ideas := decode[struct{ Activity live.ActivityView }](t, resp).Activity

		pollPath := "/api/v1/activities/" + itoa(poll.ID)
		resp = fac.api("PATCH", pollPath, `{"prompt":"Quand venir ?","settings":{"hide_results":true}}`)
		wantStatus(t, resp, http.StatusOK)
		if got := decode[struct{ Activity live.ActivityView }](t, resp).Activity; got.Prompt != "Quand venir ?" || !got.Settings.HideResults || got.Settings.MaxChoices != 1 || len(got.Options) != 2 {
			t.Fatalf("patched activity %+v", got)
		}
		resp = fac.api("POST", "/api/v1/activities/"+itoa(ideas.ID)+"/move", `{"position":0}`)
		wantStatus(t, resp, http.StatusOK)
		if st := decode[live.RoomState](t, resp); st.Activities[0].ID != ideas.ID {
			t.Fatalf("run of show %+v", st.Activities)
		}
		wantStatus(t, fac.api("POST", "/api/v1/activities/"+itoa(ideas.ID)+"/move", `{}`), http.StatusUnprocessableEntity)

		// Run it: a phone joins and votes while the facilitator drives.
		resp = fac.api("POST", pollPath+"/open", nil)
		wantStatus(t, resp, http.StatusOK)
		if st := decode[live.RoomState](t, resp); st.Workshop.State != agora.WorkshopLive || st.Current == nil || st.Current.ID != poll.ID {
			t.Fatalf("after open %+v", st)
		}
		phone := newClient(t, r.s)
		wantStatus(t, phone.api("POST", base+"/join", nil), http.StatusOK)
		wantStatus(t, phone.api("POST", pollPath+"/vote", `{"choices":[2]}`), http.StatusOK)
		for _, cmd := range []string{"close", "reveal", "hide", "reveal"} {
			wantStatus(t, fac.api("POST", pollPath+"/"+cmd, nil), http.StatusOK)
		}
		wantStatus(t, phone.get(pollPath+"/results"), http.StatusOK)
		wantStatus(t, fac.api("DELETE", pollPath, nil), http.StatusNoContent)
		wantStatus(t, fac.api("POST", pollPath+"/open", nil), http.StatusNotFound)

		// Ideas, premoderated: pending until approved.
		wantStatus(t, fac.api("POST", base+"/previous", nil), http.StatusConflict) // nothing before
		wantStatus(t, fac.api("POST", base+"/next", nil), http.StatusOK)
		resp = phone.api("POST", "/api/v1/activities/"+itoa(ideas.ID)+"/ideas", `{"body":"Des bancs","client_key":"c1"}`)
		wantStatus(t, resp, http.StatusOK)
		idea := decode[struct{ Idea live.IdeaView }](t, resp).Idea
		if idea.Status != agora.ProposalPending {
			t.Fatalf("idea %+v", idea)
		}
		mod := "/api/v1/ideas/" + itoa(idea.ID) + "/moderate"
		wantStatus(t, fac.api("POST", mod, `{"action":"explode"}`), http.StatusUnprocessableEntity)
		resp = fac.api("POST", mod, `{"action":"approve"}`)
		wantStatus(t, resp, http.StatusOK)
		if got := decode[struct{ Idea live.IdeaView }](t, resp).Idea; got.Status != agora.ProposalApproved {
			t.Fatalf("moderated %+v", got)
		}
		wantStatus(t, fac.api("POST", "/api/v1/activities/"+itoa(ideas.ID)+"/reset", nil), http.StatusOK)

		resp = fac.api("POST", base+"/end", nil)
		wantStatus(t, resp, http.StatusOK)
		if st := decode[live.RoomState](t, resp); st.Workshop.State != agora.WorkshopEnded {
			t.Fatalf("after end %+v", st.Workshop)
		}
		wantStatus(t, fac.api("POST", base+"/start", nil), http.StatusConflict)
		wantStatus(t, fac.api("POST", "/api/v1/workshops/ZZZZZZ/start", nil), http.StatusNotFound)
	})
}

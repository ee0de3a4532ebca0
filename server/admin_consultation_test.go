package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// editForm is a valid edit of a draft consultation.
func editForm(c *agora.Consultation) url.Values {
	return url.Values{
		"slug": {c.Slug}, "title": {"Le parc des rives, saison 2"}, "description": {"## Contexte\n\nLe parc."},
		"status": {"open"}, "opens_at": {"2026-04-01"}, "closes_at": {"2026-05-31"}, "support_threshold": {"50"},
	}
}

func draftConsultation(t *testing.T, st agora.Store) *agora.Consultation {
	t.Helper()
	c := &agora.Consultation{Slug: "parc-" + itoa(uniqueSeq.Add(1)), Title: "Le parc", Status: agora.ConsultationDraft}
	must(t, st.CreateConsultation(context.Background(), c))
	return c
}

func TestAdmin_EditConsultation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		ctx := context.Background()
		admin, au := signedIn(t, s, st, agora.RoleAdmin)
		cons := draftConsultation(t, st)
		path := "/admin/consultations/" + itoa(cons.ID)
		wantContains(t, admin.get("/admin").Body, `href="`+path+`"`)
		r := admin.get(path)
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.Body, `value="`+cons.Slug+`"`, `<option value="open"`)

		f := editForm(cons)
		f.Set("slug", "parc-des-rives")
		wantRedirect(t, admin.post(path, f), path+"?done=saved")
		got, err := st.ConsultationByID(ctx, cons.ID)
		must(t, err)
		if got.Slug != "parc-des-rives" || got.Title != "Le parc des rives, saison 2" || got.Status != agora.ConsultationOpen ||
			got.SupportThreshold != 50 || got.Description != "## Contexte\n\nLe parc." {
			t.Fatalf("saved %+v", got)
		}
		if !got.OpensAt.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) || got.ClosesAt.Format(time.DateOnly) != "2026-05-31" {
			t.Fatalf("dates %v %v", got.OpensAt, got.ClosesAt)
		}
		es, err := st.ListAudit(ctx, agora.AuditFilter{ConsultationID: &cons.ID})
		must(t, err)
		if len(es) != 1 || es[0].Action != "consultation.update" || *es[0].ActorID != au.ID {
			t.Fatalf("audit %+v", es)
		}
		var detail map[string]any
		must(t, json.Unmarshal([]byte(es[0].Detail), &detail))
		if st, ok := detail["status"].(map[string]any); !ok || st["from"] != "draft" || st["to"] != "open" || detail["description"] != "changed" {
			t.Fatalf("audit detail %s", es[0].Detail)
		}
		r = admin.get(path + "?done=saved")
		wantContains(t, r.Body, "La consultation a été enregistrée.", "consultation.update", "readonly")
	})
}

func TestAdmin_EditConsultationRefusesBadInput(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	admin, _ := signedIn(t, s, st, agora.RoleAdmin)
	cons := draftConsultation(t, st)
	path := "/admin/consultations/" + itoa(cons.ID)
	admin.get(path)
	taken := draftConsultation(t, st)
	tests := []struct {
		name, field, value string
		status             int
		want               string
	}{
		{"empty title", "title", "", 422, "Le titre"},
		{"bad slug", "slug", "Pas Bon", 422, "adresse"},
		{"taken slug", "slug", taken.Slug, 409, ""},
		{"draft to closed", "status", "closed", 422, "Ce changement d’état n’est pas possible"},
		{"unknown status", "status", "archived", 422, ""},
		{"closes before opens", "closes_at", "2026-03-01", 422, "La date de clôture doit suivre"},
		{"bad date", "opens_at", "1er avril", 422, "date d’ouverture"},
		{"negative threshold", "support_threshold", "-1", 422, ""},
		{"huge threshold", "support_threshold", "99999999999", 422, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := editForm(cons)
			f.Set(tc.field, tc.value)
			r := admin.post(path, f)
			wantStatus(t, r, tc.status)
			wantContains(t, r.Body, tc.want)
			if !strings.Contains(r.Body, `class="field-error"`) && !strings.Contains(r.Body, `role="alert"`) {
				t.Fatalf("no error shown:\n%s", r.Body)
			}
		})
	}
	got, err := st.ConsultationByID(context.Background(), cons.ID)
	must(t, err)
	if got.Status != agora.ConsultationDraft || got.Title != "Le parc" {
		t.Fatalf("changed by invalid input: %+v", got)
	}
	es, err := st.ListAudit(context.Background(), agora.AuditFilter{ConsultationID: &cons.ID})
	must(t, err)
	if len(es) != 0 {
		t.Fatalf("audit of refused edits: %+v", es)
	}

	// Once open, the slug stays and the consultation never goes back to draft.
	wantRedirect(t, admin.post(path, editForm(cons)), path+"?done=saved")
	f := editForm(cons)
	f.Set("slug", "nouvelle-adresse")
	wantStatus(t, admin.post(path, f), 422)
	f = editForm(cons)
	f.Set("status", "draft")
	wantStatus(t, admin.post(path, f), 422)
	f.Set("status", "closed")
	wantRedirect(t, admin.post(path, f), path+"?done=saved")
	wantStatus(t, admin.get("/admin/consultations/999999"), http.StatusNotFound)
	wantStatus(t, admin.get("/admin/consultations/abc"), http.StatusNotFound)
}

func TestAdmin_StaffAndCitizensAreForbidden(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	cons := draftConsultation(t, st)
	path := "/admin/consultations/" + itoa(cons.ID)
	for _, role := range []agora.Role{agora.RoleCitizen, agora.RoleModerator, agora.RoleFacilitator} {
		c, _ := signedIn(t, s, st, role)
		wantStatus(t, c.get(path), http.StatusForbidden)
		wantStatus(t, c.post(path, editForm(cons)), http.StatusForbidden)
		wantStatus(t, c.get("/admin?role=admin"), http.StatusForbidden)
	}
	wantRedirect(t, newClient(t, s).get(path), "/signin?next=%2Fadmin%2Fconsultations%2F"+itoa(cons.ID))
}

func TestAdmin_UsersByRoleAndFlaggedContent(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		ctx := context.Background()
		admin, _ := signedIn(t, s, st, agora.RoleAdmin)
		fac := mustAccount(t, st, "fac@example.fr", "Fanny Facilitatrice", agora.RoleFacilitator)
		mustAccount(t, st, "cit@example.fr", "Cyril Citoyen", agora.RoleCitizen)

		r := admin.get("/admin?role=facilitator")
		wantContains(t, r.Body, "Fanny Facilitatrice", `<option value="facilitator" selected>`)
		if strings.Contains(r.Body, "Cyril Citoyen") {
			t.Fatal("filter by role lists a citizen")
		}
		wantContains(t, admin.get("/admin?role=nonsense").Body, "Cyril Citoyen", "Fanny Facilitatrice")

		r = admin.get("/admin")
		wantContains(t, r.Body, "Aucun signalement à traiter.")
		cons := draftConsultation(t, st)
		for _, reporter := range []int64{fac.ID} {
			must(t, st.CreateFlag(ctx, &agora.Flag{ConsultationID: cons.ID, TargetKind: agora.TargetProposal, TargetID: 1, ReporterID: reporter, Reason: "spam"}))
		}
		r = admin.get("/admin")
		wantContains(t, r.Body, "Contenus signalés", "1 signalement à traiter", `href="/moderate?consultation=`+itoa(cons.ID)+`"`)

		// Roles: promote, then the last admin stays.
		admin.get("/admin")
		wantRedirect(t, admin.post("/admin/users/"+itoa(fac.ID)+"/role", url.Values{"role": {"moderator"}}), "/admin?done=role_changed")
		got, err := st.UserByID(ctx, fac.ID)
		must(t, err)
		if got.Role != agora.RoleModerator {
			t.Fatalf("role %s", got.Role)
		}
	})
}

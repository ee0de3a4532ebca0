package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

var workshopTests = []test{
	{"Workshop/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		u := mkUser(t, s, agora.RoleFacilitator)
		w := &agora.Workshop{ConsultationID: c.ID, Title: "Mairie", Place: "Salle 2", JoinCode: "ABC234",
			ScreenToken: "s3cret", State: agora.WorkshopDraft, StartsAt: ptr(base), CreatedBy: &u.ID}
		must(t, s.CreateWorkshop(ctx, w))
		if w.ID == 0 || w.CreatedAt.IsZero() {
			t.Fatalf("create did not fill ID and timestamps: %+v", w)
		}
		got, err := s.WorkshopByID(ctx, w.ID)
		must(t, err)
		same(t, "by id", got, w)
		got, err = s.WorkshopByCode(ctx, "ABC234")
		must(t, err)
		same(t, "by code", got, w)
	}},
	{"Workshop/DuplicateJoinCode", func(t *testing.T, s agora.Store) {
		w := mkWorkshop(t, s)
		dup := &agora.Workshop{ConsultationID: w.ConsultationID, Title: "x", JoinCode: w.JoinCode,
			ScreenToken: "y", State: agora.WorkshopDraft}
		wantCode(t, s.CreateWorkshop(t.Context(), dup), agora.ECONFLICT)
	}},
	{"Workshop/NotFound", func(t *testing.T, s agora.Store) {
		_, err := s.WorkshopByID(t.Context(), 7)
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.WorkshopByCode(t.Context(), "ZZZZZZ")
		wantCode(t, err, agora.ENOTFOUND)
		wantCode(t, s.UpdateWorkshop(t.Context(), &agora.Workshop{ID: 7, State: agora.WorkshopLive}), agora.ENOTFOUND)
	}},
	{"Workshop/Update", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		a := mkActivity(t, s, w.ID, "Q?")
		w.Title, w.Place, w.State, w.CurrentActivityID, w.StartsAt = "T", "P", agora.WorkshopEnded, &a.ID, ptr(base)
		must(t, s.UpdateWorkshop(ctx, w))
		got, err := s.WorkshopByID(ctx, w.ID)
		must(t, err)
		same(t, "updated", got, w)
	}},
	{"Workshop/List", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		other := mkWorkshop(t, s)
		var ws []*agora.Workshop
		for i := range 3 {
			w := &agora.Workshop{ConsultationID: c.ID, Title: "w", JoinCode: uniq("L"), ScreenToken: "s",
				State: agora.WorkshopDraft, CreatedAt: base.Add(time.Duration(i) * time.Hour)}
			must(t, s.CreateWorkshop(ctx, w))
			ws = append(ws, w)
		}
		got, err := s.ListWorkshops(ctx, c.ID)
		must(t, err)
		same(t, "oldest first", got, ws)
		got, err = s.ListWorkshops(ctx, other.ConsultationID)
		must(t, err)
		same(t, "other consultation", got, []*agora.Workshop{other})
	}},
}

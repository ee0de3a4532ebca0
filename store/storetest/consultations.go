package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

var consultationTests = []test{
	{"Consultation/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u := mkUser(t, s, agora.RoleAdmin)
		c := &agora.Consultation{Slug: "parc-des-buttes", Title: "Le parc", Description: "**Quoi** ?",
			Status: agora.ConsultationDraft, OpensAt: ptr(base), ClosesAt: ptr(base.Add(48 * time.Hour)),
			SupportThreshold: 50, ReportPublished: true, CreatedBy: &u.ID}
		must(t, s.CreateConsultation(ctx, c))
		if c.ID == 0 || c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() {
			t.Fatalf("create did not fill ID and timestamps: %+v", c)
		}
		got, err := s.ConsultationByID(ctx, c.ID)
		must(t, err)
		same(t, "by id", got, c)
		got, err = s.ConsultationBySlug(ctx, "parc-des-buttes")
		must(t, err)
		same(t, "by slug", got, c)
	}},
	{"Consultation/DuplicateSlug", func(t *testing.T, s agora.Store) {
		c := mkConsultation(t, s)
		wantCode(t, s.CreateConsultation(t.Context(), &agora.Consultation{Slug: c.Slug, Title: "x",
			Status: agora.ConsultationDraft}), agora.ECONFLICT)
	}},
	{"Consultation/NotFound", func(t *testing.T, s agora.Store) {
		_, err := s.ConsultationByID(t.Context(), 42)
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.ConsultationBySlug(t.Context(), "nope")
		wantCode(t, err, agora.ENOTFOUND)
		wantCode(t, s.UpdateConsultation(t.Context(), &agora.Consultation{ID: 42, Slug: "x", Title: "x",
			Status: agora.ConsultationDraft}), agora.ENOTFOUND)
	}},
	{"Consultation/Update", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		before := c.UpdatedAt
		c.Slug, c.Title, c.Description, c.Status = "new-slug", "T2", "D2", agora.ConsultationClosed
		c.OpensAt, c.ClosesAt, c.SupportThreshold, c.ReportPublished = ptr(base), ptr(base), 3, true
		must(t, s.UpdateConsultation(ctx, c))
		if c.UpdatedAt.Before(before) {
			t.Fatalf("UpdatedAt went back: %v < %v", c.UpdatedAt, before)
		}
		got, err := s.ConsultationBySlug(ctx, "new-slug")
		must(t, err)
		same(t, "updated", got, c)
	}},
	{"Consultation/List", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		var cs []*agora.Consultation
		for i, st := range []agora.ConsultationStatus{agora.ConsultationDraft, agora.ConsultationOpen,
			agora.ConsultationOpen, agora.ConsultationClosed} {
			c := &agora.Consultation{Slug: uniq("l"), Title: "t", Status: st, CreatedAt: base.Add(time.Duration(i) * time.Minute)}
			must(t, s.CreateConsultation(ctx, c))
			cs = append(cs, c)
		}
		all, err := s.ListConsultations(ctx, agora.ConsultationFilter{})
		must(t, err)
		same(t, "newest first", all, []*agora.Consultation{cs[3], cs[2], cs[1], cs[0]})
		open, err := s.ListConsultations(ctx, agora.ConsultationFilter{Statuses: []agora.ConsultationStatus{agora.ConsultationOpen}})
		must(t, err)
		same(t, "open", open, []*agora.Consultation{cs[2], cs[1]})
		pg, err := s.ListConsultations(ctx, agora.ConsultationFilter{Limit: 2, Offset: 1})
		must(t, err)
		same(t, "page", pg, []*agora.Consultation{cs[2], cs[1]})
	}},
}

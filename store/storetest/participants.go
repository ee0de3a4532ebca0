package storetest

import (
	"testing"

	"github.com/agora-civic/agora"
)

var participantTests = []test{
	{"Participant/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		p := &agora.Participant{WorkshopID: w.ID, TokenHash: "th", PublicID: "pub1", Nickname: "Zoé"}
		must(t, s.CreateParticipant(ctx, p))
		if p.ID == 0 || p.CreatedAt.IsZero() {
			t.Fatalf("create did not fill ID, CreatedAt: %+v", p)
		}
		got, err := s.ParticipantByID(ctx, p.ID)
		must(t, err)
		same(t, "by id", got, p)
		got, err = s.ParticipantByToken(ctx, w.ID, "th")
		must(t, err)
		same(t, "by token", got, p)
	}},
	{"Participant/TokenScopedToWorkshop", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w1, w2 := mkWorkshop(t, s), mkWorkshop(t, s)
		must(t, s.CreateParticipant(ctx, &agora.Participant{WorkshopID: w1.ID, TokenHash: "same", PublicID: "p1"}))
		_, err := s.ParticipantByToken(ctx, w2.ID, "same")
		wantCode(t, err, agora.ENOTFOUND)
		must(t, s.CreateParticipant(ctx, &agora.Participant{WorkshopID: w2.ID, TokenHash: "same", PublicID: "p2"}))
		err = s.CreateParticipant(ctx, &agora.Participant{WorkshopID: w2.ID, TokenHash: "same", PublicID: "p3"})
		wantCode(t, err, agora.ECONFLICT)
		err = s.CreateParticipant(ctx, &agora.Participant{WorkshopID: w2.ID, TokenHash: "other", PublicID: "p1"})
		wantCode(t, err, agora.ECONFLICT)
	}},
	{"Participant/NotFound", func(t *testing.T, s agora.Store) {
		_, err := s.ParticipantByID(t.Context(), 3)
		wantCode(t, err, agora.ENOTFOUND)
		wantCode(t, s.UpdateParticipant(t.Context(), &agora.Participant{ID: 3}), agora.ENOTFOUND)
	}},
	{"Participant/UpdateAndCount", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		p := mkParticipant(t, s, w.ID)
		mkParticipant(t, s, w.ID)
		mkParticipant(t, s, mkWorkshop(t, s).ID)
		u := mkUser(t, s, agora.RoleCitizen)
		p.Nickname, p.UserID = "Nina", &u.ID
		p.TokenHash = "ignored"
		must(t, s.UpdateParticipant(ctx, p))
		got, err := s.ParticipantByID(ctx, p.ID)
		must(t, err)
		if got.Nickname != "Nina" || got.UserID == nil || *got.UserID != u.ID || got.TokenHash == "ignored" {
			t.Fatalf("update wrote %+v", got)
		}
		n, err := s.CountParticipants(ctx, w.ID)
		must(t, err)
		if n != 2 {
			t.Fatalf("count %d, want 2", n)
		}
	}},
}

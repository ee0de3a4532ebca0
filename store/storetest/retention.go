package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// mkWorkshopAt returns a workshop in state whose last change was at.
func mkWorkshopAt(t *testing.T, s agora.Store, state agora.WorkshopState, at time.Time) *agora.Workshop {
	t.Helper()
	c := mkConsultation(t, s)
	w := &agora.Workshop{ConsultationID: c.ID, Title: "Soirée", JoinCode: uniq("J"),
		ScreenToken: "screen", State: state, CreatedAt: at.Add(-time.Hour), UpdatedAt: at}
	must(t, s.CreateWorkshop(t.Context(), w))
	return w
}

var retentionTests = []test{
	{"Retention/ForgetsParticipantsOfLongEndedWorkshops", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		cutoff := base.Add(-time.Hour)
		u := mkUser(t, s, agora.RoleCitizen)
		old := mkWorkshopAt(t, s, agora.WorkshopEnded, cutoff.Add(-time.Minute))
		recent := mkWorkshopAt(t, s, agora.WorkshopEnded, cutoff.Add(time.Minute))
		live := mkWorkshopAt(t, s, agora.WorkshopLive, cutoff.Add(-time.Minute)) // not ended: kept
		mk := func(w *agora.Workshop, nick string, user *int64) *agora.Participant {
			p := &agora.Participant{WorkshopID: w.ID, TokenHash: agora.HashToken(uniq("dev")), PublicID: uniq("pub"),
				Nickname: nick, UserID: user, CreatedAt: w.CreatedAt}
			must(t, s.CreateParticipant(ctx, p))
			return p
		}
		gone := mk(old, "Ada", &u.ID)
		gone2 := mk(old, "", nil)
		keptRecent := mk(recent, "Bob", nil)
		keptLive := mk(live, "Cléo", nil)
		// What the participant did stays, under the pseudonym.
		a := mkActivity(t, s, old.ID, "Quel parc ?")
		_, err := s.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &gone.ID, Channel: agora.ChannelRoom, Choices: []int{1}})
		must(t, err)
		c, err := s.ConsultationByID(ctx, old.ConsultationID)
		must(t, err)
		idea := mkProposal(t, s, c, &agora.Proposal{WorkshopID: &old.ID, ActivityID: &a.ID, ParticipantID: &gone.ID, Body: "Des bancs"})

		r, err := s.ForgetBefore(ctx, cutoff)
		must(t, err)
		same(t, "report", r, agora.ForgetReport{Participants: 2})

		for _, p := range []*agora.Participant{gone, gone2} {
			got, err := s.ParticipantByID(ctx, p.ID)
			must(t, err)
			if got.Nickname != "" || got.TokenHash == p.TokenHash || got.TokenHash == "" {
				t.Fatalf("participant %d not reduced: nickname %q, token hash %q", p.ID, got.Nickname, got.TokenHash)
			}
			want := *p
			want.Nickname, want.TokenHash = "", got.TokenHash
			same(t, "reduced participant", got, &want) // PublicID, UserID, CreatedAt stay
			_, err = s.ParticipantByToken(ctx, old.ID, p.TokenHash)
			wantCode(t, err, agora.ENOTFOUND)
		}
		for _, p := range []*agora.Participant{keptRecent, keptLive} {
			got, err := s.ParticipantByID(ctx, p.ID)
			must(t, err)
			same(t, "kept participant", got, p)
		}
		n, err := s.CountVotes(ctx, a.ID)
		must(t, err)
		if n != 1 {
			t.Fatalf("votes after forgetting: %d, want 1", n)
		}
		got, err := s.ProposalByID(ctx, idea.ID)
		must(t, err)
		if got.ParticipantID == nil || *got.ParticipantID != gone.ID {
			t.Fatalf("idea lost its pseudonymous author: %v", got.ParticipantID)
		}
		linked, err := s.ListUserParticipants(ctx, u.ID)
		must(t, err)
		if len(linked) != 1 || linked[0].ID != gone.ID {
			t.Fatalf("user link: %+v", linked)
		}
		// Idempotent: nothing left to forget, nothing counted twice.
		r, err = s.ForgetBefore(ctx, cutoff)
		must(t, err)
		same(t, "second report", r, agora.ForgetReport{})
	}},
	{"Retention/DeletesOldUsedOrExpiredTokens", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		cutoff := base.Add(-time.Hour)
		u := mkUser(t, s, agora.RoleCitizen)
		toks := map[string]*agora.OneTimeToken{
			"usedLongAgo":    {UsedAt: ptr(cutoff.Add(-time.Minute)), ExpiresAt: base.Add(time.Hour)},
			"expiredLongAgo": {ExpiresAt: cutoff.Add(-time.Minute)},
			"usedRecently":   {UsedAt: ptr(cutoff.Add(time.Minute)), ExpiresAt: base.Add(time.Hour)},
			"expiredRecent":  {ExpiresAt: cutoff.Add(time.Minute)},
			"valid":          {ExpiresAt: base.Add(time.Hour)},
		}
		for hash, tok := range toks {
			tok.Hash, tok.Purpose, tok.UserID = hash, agora.TokenPasswordReset, &u.ID
			must(t, s.CreateToken(ctx, tok))
		}
		r, err := s.ForgetBefore(ctx, cutoff)
		must(t, err)
		same(t, "report", r, agora.ForgetReport{Tokens: 2})
		// A deleted token's hash can be stored again; a kept one conflicts.
		for hash, tok := range toks {
			err := s.CreateToken(ctx, tok)
			switch hash {
			case "usedLongAgo", "expiredLongAgo":
				must(t, err)
			default:
				wantCode(t, err, agora.ECONFLICT)
			}
		}
		if _, err := s.UseToken(ctx, "valid", agora.TokenPasswordReset, base); err != nil {
			t.Fatalf("the valid token was lost: %v", err)
		}
	}},
}

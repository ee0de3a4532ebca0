package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

func TestMain_SweepsExpiredSessions(t *testing.T) {
	cfg, _, err := ParseConfig("agora", []string{"-addr", "127.0.0.1:0"}, envOf(map[string]string{"AGORA_DATA_DIR": t.TempDir()}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, &syncBuffer{})
	m.sweepEvery = 20 * time.Millisecond
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	u := &agora.User{Email: "a@example.fr", DisplayName: "A", Role: agora.RoleCitizen}
	if err := m.db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	expired := &agora.Session{TokenHash: agora.HashToken("old"), UserID: u.ID, CSRFToken: "x", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	valid := &agora.Session{TokenHash: agora.HashToken("new"), UserID: u.ID, CSRFToken: "y", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, s := range []*agora.Session{expired, valid} {
		if err := m.db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// The sweep runs in the background: poll until the expired row is gone.
	// Reading it "as of" its creation finds it as long as the row exists.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := m.db.SessionByHash(ctx, expired.TokenHash, expired.CreatedAt)
		if agora.IsCode(err, agora.ENOTFOUND) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session was never swept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := m.db.SessionByHash(ctx, valid.TokenHash, now); err != nil {
		t.Fatalf("a valid session was swept: %v", err)
	}
}

// TestMain_SweepErasesPersonalDataPastRetention runs the real wiring with a
// one-hour retention and a fast sweep: the participants of a workshop
// ended two hours ago lose their nickname and device token, those of a
// workshop ended just now keep theirs, and the log holds counts only.
// With the retention at 0 nothing is erased.
func TestMain_SweepErasesPersonalDataPastRetention(t *testing.T) {
	for _, tc := range []struct {
		retention string
		erased    bool
	}{{"1h", true}, {"0", false}} {
		t.Run("retention="+tc.retention, func(t *testing.T) {
			cfg, _, err := ParseConfig("agora", []string{"-addr", "127.0.0.1:0"},
				envOf(map[string]string{"AGORA_DATA_DIR": t.TempDir(), "AGORA_RETENTION": tc.retention}), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			out := &syncBuffer{}
			m := NewMain(cfg, out)
			m.sweepEvery = 20 * time.Millisecond
			if err := m.Run(context.Background()); err != nil {
				m.Close()
				t.Fatal(err)
			}
			defer m.Close()
			ctx := context.Background()
			now := time.Now()
			cons := &agora.Consultation{Slug: "parc", Title: "Parc", Status: agora.ConsultationOpen}
			mustT(t, m.db.CreateConsultation(ctx, cons))
			mkParticipant := func(endedAt time.Time, nick string) *agora.Participant {
				w := &agora.Workshop{ConsultationID: cons.ID, Title: "Atelier", JoinCode: agora.NewJoinCode(),
					ScreenToken: agora.NewSecret(), State: agora.WorkshopEnded, CreatedAt: endedAt.Add(-time.Hour), UpdatedAt: endedAt}
				mustT(t, m.db.CreateWorkshop(ctx, w))
				p := &agora.Participant{WorkshopID: w.ID, TokenHash: agora.HashToken(agora.NewSecret()),
					PublicID: agora.NewSecret(), Nickname: nick, CreatedAt: w.CreatedAt}
				mustT(t, m.db.CreateParticipant(ctx, p))
				return p
			}
			old := mkParticipant(now.Add(-2*time.Hour), "Zoé du 3e")
			recent := mkParticipant(now.Add(-time.Minute), "Yann du 5e")

			if tc.erased {
				deadline := time.Now().Add(5 * time.Second)
				for {
					got, err := m.db.ParticipantByID(ctx, old.ID)
					mustT(t, err)
					if got.Nickname == "" && got.TokenHash != old.TokenHash {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the participant of a workshop ended 2h ago was never reduced: %+v", got)
					}
					time.Sleep(10 * time.Millisecond)
				}
				deadline = time.Now().Add(5 * time.Second)
				for !strings.Contains(out.String(), "personal data past retention erased") {
					if time.Now().After(deadline) {
						t.Fatalf("the sweep did not log its counts:\n%s", out)
					}
					time.Sleep(10 * time.Millisecond)
				}
			} else {
				time.Sleep(200 * time.Millisecond) // about ten sweeps
				got, err := m.db.ParticipantByID(ctx, old.ID)
				mustT(t, err)
				if got.Nickname != old.Nickname || got.TokenHash != old.TokenHash {
					t.Fatalf("retention 0 erased a participant: %+v", got)
				}
			}
			got, err := m.db.ParticipantByID(ctx, recent.ID)
			mustT(t, err)
			if got.Nickname != recent.Nickname || got.TokenHash != recent.TokenHash {
				t.Fatalf("a participant of a workshop ended a minute ago was reduced: %+v", got)
			}
			for _, secret := range []string{old.Nickname, old.TokenHash, old.PublicID, recent.Nickname} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("the log holds personal data %q:\n%s", secret, out)
				}
			}
		})
	}
}

func TestParseConfig_Retention(t *testing.T) {
	c, _, err := ParseConfig("agora", nil, envOf(nil), io.Discard)
	mustT(t, err)
	if c.Retention != 365*24*time.Hour {
		t.Fatalf("default retention %v, want 8760h", c.Retention)
	}
	c, _, err = ParseConfig("agora", nil, envOf(map[string]string{"AGORA_RETENTION": "720h"}), io.Discard)
	mustT(t, err)
	if c.Retention != 720*time.Hour {
		t.Fatalf("retention %v, want 720h", c.Retention)
	}
	if _, _, err := ParseConfig("agora", []string{"-retention", "-1h"}, envOf(nil), io.Discard); err == nil {
		t.Fatal("a negative retention was accepted")
	}
}

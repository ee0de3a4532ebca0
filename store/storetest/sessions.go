package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

var sessionTests = []test{
	{"Session/RoundTripAndExpiry", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u := mkUser(t, s, agora.RoleCitizen)
		x := &agora.Session{TokenHash: "h1", UserID: u.ID, CSRFToken: "csrf", ExpiresAt: base.Add(time.Hour)}
		must(t, s.CreateSession(ctx, x))
		if x.CreatedAt.IsZero() {
			t.Fatal("CreatedAt not set")
		}
		got, err := s.SessionByHash(ctx, "h1", base)
		must(t, err)
		same(t, "session", got, x)
		_, err = s.SessionByHash(ctx, "h1", base.Add(time.Hour))
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.SessionByHash(ctx, "nope", base)
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Session/DuplicateHash", func(t *testing.T, s agora.Store) {
		u := mkUser(t, s, agora.RoleCitizen)
		x := &agora.Session{TokenHash: "h", UserID: u.ID, ExpiresAt: base}
		must(t, s.CreateSession(t.Context(), x))
		wantCode(t, s.CreateSession(t.Context(), x), agora.ECONFLICT)
	}},
	{"Session/Delete", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u, v := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		for _, x := range []*agora.Session{
			{TokenHash: "a", UserID: u.ID, ExpiresAt: base.Add(time.Hour)},
			{TokenHash: "b", UserID: u.ID, ExpiresAt: base.Add(time.Hour)},
			{TokenHash: "c", UserID: u.ID, ExpiresAt: base.Add(time.Hour)},
			{TokenHash: "d", UserID: v.ID, ExpiresAt: base.Add(time.Hour)},
		} {
			must(t, s.CreateSession(ctx, x))
		}
		must(t, s.DeleteSession(ctx, "a"))
		must(t, s.DeleteSession(ctx, "a")) // signing out twice is fine
		_, err := s.SessionByHash(ctx, "a", base)
		wantCode(t, err, agora.ENOTFOUND)
		must(t, s.DeleteUserSessions(ctx, u.ID))
		for _, h := range []string{"b", "c"} {
			_, err := s.SessionByHash(ctx, h, base)
			wantCode(t, err, agora.ENOTFOUND)
		}
		_, err = s.SessionByHash(ctx, "d", base)
		must(t, err)
	}},
	{"Session/DeleteExpired", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u := mkUser(t, s, agora.RoleCitizen)
		for i, h := range []string{"old1", "old2", "fresh"} {
			x := &agora.Session{TokenHash: h, UserID: u.ID, ExpiresAt: base.Add(time.Duration(i) * time.Hour)}
			must(t, s.CreateSession(ctx, x))
		}
		n, err := s.DeleteExpiredSessions(ctx, base.Add(90*time.Minute))
		must(t, err)
		if n != 2 {
			t.Fatalf("deleted %d, want 2", n)
		}
		_, err = s.SessionByHash(ctx, "fresh", base.Add(90*time.Minute))
		must(t, err)
	}},
	{"Token/SingleUse", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u := mkUser(t, s, agora.RoleAdmin)
		tok := &agora.OneTimeToken{Hash: "t1", Purpose: agora.TokenSetup, UserID: &u.ID, ExpiresAt: base.Add(time.Hour)}
		must(t, s.CreateToken(ctx, tok))
		_, err := s.UseToken(ctx, "t1", agora.TokenPasswordReset, base)
		wantCode(t, err, agora.ENOTFOUND)
		got, err := s.UseToken(ctx, "t1", agora.TokenSetup, base)
		must(t, err)
		tok.UsedAt = ptr(base)
		same(t, "used token", got, tok)
		_, err = s.UseToken(ctx, "t1", agora.TokenSetup, base)
		wantCode(t, err, agora.ENOTFOUND)
		wantCode(t, s.CreateToken(ctx, tok), agora.ECONFLICT)
	}},
	{"Token/Expired", func(t *testing.T, s agora.Store) {
		tok := &agora.OneTimeToken{Hash: "t2", Purpose: agora.TokenPasswordReset, ExpiresAt: base}
		must(t, s.CreateToken(t.Context(), tok))
		_, err := s.UseToken(t.Context(), "t2", agora.TokenPasswordReset, base)
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.UseToken(t.Context(), "missing", agora.TokenPasswordReset, base)
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Token/ConcurrentUseOneWins", func(t *testing.T, s agora.Store) {
		tok := &agora.OneTimeToken{Hash: "t3", Purpose: agora.TokenSetup, ExpiresAt: base.Add(time.Hour)}
		must(t, s.CreateToken(t.Context(), tok))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, errs := 0, []error{}
		for range 10 {
			wg.Go(func() {
				_, err := s.UseToken(t.Context(), "t3", agora.TokenSetup, base)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !agora.IsCode(err, agora.ENOTFOUND) {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || len(errs) > 0 {
			t.Fatalf("wins %d (want 1), unexpected errors %v", wins, errs)
		}
	}},
}

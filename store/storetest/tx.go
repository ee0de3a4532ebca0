package storetest

import (
	"errors"
	"testing"

	"github.com/agora-civic/agora"
)

var txTests = []test{
	{"Tx/RollbackOnError", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		boom := errors.New("boom")
		err := s.WithTx(ctx, func(tx agora.Store) error {
			u := mkUser(t, tx, agora.RoleCitizen)
			_, err := tx.EnsureSetting(ctx, "k", "v")
			must(t, err)
			if _, err := tx.UserByID(ctx, u.ID); err != nil {
				t.Errorf("the transaction does not see its own write: %v", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx returned %v, want fn's error", err)
		}
		if n, _ := s.CountUsers(ctx, ""); n != 0 {
			t.Fatalf("%d users survive the rollback", n)
		}
		if v, _ := s.EnsureSetting(ctx, "k", "after"); v != "after" {
			t.Fatalf("setting %q survives the rollback", v)
		}
	}},
	{"Tx/CommitKeepsAll", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		var u *agora.User
		var c *agora.Consultation
		err := s.WithTx(ctx, func(tx agora.Store) error {
			u = mkUser(t, tx, agora.RoleAdmin)
			// A nested WithTx runs in the same transaction.
			return tx.WithTx(ctx, func(inner agora.Store) error {
				c = mkConsultation(t, inner)
				return nil
			})
		})
		must(t, err)
		if _, err := s.UserByID(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConsultationByID(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
	}},
	{"Tx/ErrorCodeSurvivesRollback", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		err := s.WithTx(ctx, func(tx agora.Store) error {
			mkUser(t, tx, agora.RoleAdmin)
			return tx.WithTx(ctx, func(inner agora.Store) error {
				return inner.CreateUser(ctx, &agora.User{Email: "dup@x.org", DisplayName: "a", Role: agora.RoleCitizen})
			})
		})
		must(t, err)
		err = s.WithTx(ctx, func(tx agora.Store) error {
			mkConsultation(t, tx)
			// A failed statement on Postgres aborts the transaction; the
			// error must reach the caller, and nothing be kept.
			return tx.CreateUser(ctx, &agora.User{Email: "dup@x.org", DisplayName: "b", Role: agora.RoleCitizen})
		})
		wantCode(t, err, agora.ECONFLICT)
		cs, err := s.ListConsultations(ctx, agora.ConsultationFilter{})
		must(t, err)
		if len(cs) != 0 {
			t.Fatalf("%d consultations survive the rollback", len(cs))
		}
	}},
	{"Ping", func(t *testing.T, s agora.Store) {
		must(t, s.Ping(t.Context()))
		must(t, s.WithTx(t.Context(), func(tx agora.Store) error { return tx.Ping(t.Context()) }))
	}},
}

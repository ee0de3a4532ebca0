package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

var userTests = []test{
	{"User/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u := &agora.User{Email: "Ada@Example.org", DisplayName: "Ada", PasswordHash: "x", Role: agora.RoleAdmin}
		must(t, s.CreateUser(ctx, u))
		if u.ID == 0 || u.CreatedAt.IsZero() || u.Email != "ada@example.org" {
			t.Fatalf("create did not fill ID, CreatedAt, email: %+v", u)
		}
		got, err := s.UserByID(ctx, u.ID)
		must(t, err)
		same(t, "by id", got, u)
		got, err = s.UserByEmail(ctx, "ADA@example.ORG")
		must(t, err)
		same(t, "by email", got, u)
	}},
	{"User/DuplicateEmail", func(t *testing.T, s agora.Store) {
		u := mkUser(t, s, agora.RoleCitizen)
		dup := &agora.User{Email: strings.ToUpper(u.Email), DisplayName: "B", Role: agora.RoleCitizen}
		wantCode(t, s.CreateUser(t.Context(), dup), agora.ECONFLICT)
	}},
	{"User/NotFound", func(t *testing.T, s agora.Store) {
		_, err := s.UserByID(t.Context(), 999)
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.UserByEmail(t.Context(), "nobody@example.org")
		wantCode(t, err, agora.ENOTFOUND)
		wantCode(t, s.UpdateUser(t.Context(), &agora.User{ID: 999, Email: "x@y.z", Role: agora.RoleCitizen}), agora.ENOTFOUND)
	}},
	{"User/Update", func(t *testing.T, s agora.Store) {
		u := mkUser(t, s, agora.RoleCitizen)
		u.Email, u.DisplayName, u.PasswordHash, u.Role = "New@example.org", "Grace", "h2", agora.RoleModerator
		u.DeletedAt = ptr(base)
		must(t, s.UpdateUser(t.Context(), u))
		got, err := s.UserByID(t.Context(), u.ID)
		must(t, err)
		same(t, "updated user", got, u)
		if got.Email != "new@example.org" {
			t.Fatalf("email %q not lower-cased", got.Email)
		}
	}},
	{"User/UpdateConflict", func(t *testing.T, s agora.Store) {
		a, b := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		b.Email = a.Email
		wantCode(t, s.UpdateUser(t.Context(), b), agora.ECONFLICT)
	}},
	{"User/ListAndCount", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		admin := mkUser(t, s, agora.RoleAdmin)
		c1, c2 := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		mod := mkUser(t, s, agora.RoleModerator)
		all, err := s.ListUsers(ctx, agora.UserFilter{})
		must(t, err)
		same(t, "all users", all, []*agora.User{admin, c1, c2, mod})
		staff, err := s.ListUsers(ctx, agora.UserFilter{Roles: []agora.Role{agora.RoleAdmin, agora.RoleModerator}})
		must(t, err)
		same(t, "staff", staff, []*agora.User{admin, mod})
		pg, err := s.ListUsers(ctx, agora.UserFilter{Limit: 2, Offset: 1})
		must(t, err)
		same(t, "page", pg, []*agora.User{c1, c2})
		rest, err := s.ListUsers(ctx, agora.UserFilter{Offset: 3})
		must(t, err)
		same(t, "offset only", rest, []*agora.User{mod})
		n, err := s.CountUsers(ctx, agora.RoleCitizen)
		must(t, err)
		total, err := s.CountUsers(ctx, "")
		must(t, err)
		if n != 2 || total != 4 {
			t.Fatalf("counts: citizens %d, all %d; want 2, 4", n, total)
		}
		c2.DeletedAt = ptr(time.Now())
		must(t, s.UpdateUser(ctx, c2))
		if n, _ := s.CountUsers(ctx, agora.RoleCitizen); n != 1 {
			t.Fatalf("citizens after deletion: %d, want 1 (deleted accounts do not count)", n)
		}
	}},
}

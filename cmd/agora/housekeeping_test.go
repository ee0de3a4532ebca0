package main

import (
	"context"
	"io"
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

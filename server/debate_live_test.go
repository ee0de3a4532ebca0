package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/agora-civic/agora"
)

// TestDebate_LiveEvents follows a comment's life on the consultation's
// topic, through the real hub and WebSocket.
func TestDebate_LiveEvents(t *testing.T) {
	e := newWSEnv(t)
	ws := e.mustDial(wsDial{query: "c=velo"})
	if m := wsRead(t, ws); m.Type != "snapshot" {
		t.Fatalf("first message %q", m.Type)
	}
	alice, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
	bob, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
	mod, _ := signedIn(t, e.s, e.st, agora.RoleModerator)
	path := fmt.Sprintf("/c/velo/a/%d", e.act.ID)
	wantStatus(t, alice.post(path+"/comments", url.Values{"stance": {"against"}, "body": {"Trop cher"}}), 303)

	next := func(typ string, v any) {
		t.Helper()
		m := wsRead(t, ws)
		if m.Type != typ {
			t.Fatalf("event %q, want %q: %s", m.Type, typ, m.Data)
		}
		must(t, json.Unmarshal(m.Data, v))
	}
	var ref CommentRef
	next(EventComment, &ref)
	if ref.ActivityID == nil || *ref.ActivityID != e.act.ID || ref.Stance != agora.StanceAgainst {
		t.Fatalf("comment event %+v", ref)
	}
	wantStatus(t, bob.post(fmt.Sprintf("/comments/%d/vote", ref.ID), url.Values{"value": {"up"}}), 303)
	var votes CommentVotes
	next(EventCommentVotes, &votes)
	if votes != (CommentVotes{ID: ref.ID, Up: 1}) {
		t.Fatalf("votes event %+v", votes)
	}
	wantStatus(t, mod.post(fmt.Sprintf("/moderate/comment/%d/hide", ref.ID), url.Values{"reason": {"Hors sujet"}}), 303)
	var gone ContentRef
	next(EventHidden, &gone)
	if gone != (ContentRef{Kind: agora.TargetComment, ID: ref.ID}) {
		t.Fatalf("hidden event %+v", gone)
	}
	wantStatus(t, mod.post(fmt.Sprintf("/moderate/comment/%d/restore", ref.ID), url.Values{"reason": {"Erreur"}}), 303)
	next(EventRestored, &gone)
}

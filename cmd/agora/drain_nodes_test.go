package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/internal/redistest"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/store/storetest"
)

// TestMain_DrainTellsPeersOfLateVotes: two nodes share Postgres and Redis.
// Node A starts closing; once its sockets got 1001, a vote whose request
// was in flight reaches A, which acknowledges it after its group commit
// (a long batch window keeps it queued while A drains). Node B's projector
// must show that vote: A tells its peers before it closes the broker.
func TestMain_DrainTellsPeersOfLateVotes(t *testing.T) {
	redisURL := redistest.Start(t).URL() // its own Redis: Main has no key prefix
	db := storetest.PostgresSchema(t)
	const batch = 1500 * time.Millisecond // A's votes wait this long in the group commit
	a, baseA := startNode(t, map[string]string{"AGORA_DATABASE_URL": db, "AGORA_REDIS_URL": redisURL,
		"AGORA_VOTE_BATCH": batch.String()})
	aClosed := false
	t.Cleanup(func() {
		if !aClosed {
			a.Close()
		}
	})
	b, baseB := startNode(t, map[string]string{"AGORA_DATABASE_URL": db, "AGORA_REDIS_URL": redisURL})
	t.Cleanup(func() { b.Close() })
	w, poll := liveWorkshop(t, a.db)

	// The phone joins on A.
	phone := newAPIClient(t, baseA)
	if status, code, err := phone.post("/api/v1/workshops/"+w.JoinCode+"/join", nil); err != nil || status != 200 {
		t.Fatalf("join: %d %s %v", status, code, err)
	}
	u, _ := url.Parse(baseA)
	var cookies []string
	for _, ck := range phone.http.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	screen := "aud=screen&w=" + w.JoinCode + "&screen=" + w.ScreenToken
	screenB := dialNode(ctx, t, baseB, screen)
	// B's first tally says it follows the workshop: what A tells from now
	// on reaches it.
	if err := waitVoters(ctx, screenB, poll.ID, 0); err != nil {
		t.Fatalf("screen on B, first tally: %v", err)
	}
	screenA := dialNode(ctx, t, baseA, screen)

	// The vote, its body half sent: it is in flight when A starts closing.
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseA, "http://"))
	mustT(t, err)
	defer conn.Close()
	body := `{"choices":[1],"idempotency_key":"late"}`
	fmt.Fprintf(conn, "POST /api/v1/activities/%d/vote HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"X-CSRF-Token: %s\r\nCookie: %s\r\nContent-Length: %d\r\n\r\n%s",
		poll.ID, u.Host, phone.token, strings.Join(cookies, "; "), len(body), body[:10])

	closed := make(chan error, 1)
	aClosed = true
	go func() { closed <- a.Close() }()
	// A's sockets are closed: from here on, the old order had closed the broker too.
	for {
		_, _, err := screenA.Read(ctx)
		if err == nil {
			continue
		}
		if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
			t.Fatalf("screen on A closed with %v (%v), want 1001", code, err)
		}
		break
	}
	fmt.Fprint(conn, body[10:])
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("vote during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("vote during the drain: status %d", resp.StatusCode)
	}

	waitCtx, waitCancel := context.WithTimeout(ctx, 10*time.Second) // B's tally goes out within a TallyInterval
	defer waitCancel()
	if err := waitVoters(waitCtx, screenB, poll.ID, 1); err != nil {
		t.Fatalf("screen on B never showed the vote A acknowledged while draining: %v", err)
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("A's Close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("A's Close did not return")
	}
	n, err := b.db.CountVotes(context.Background(), poll.ID)
	mustT(t, err)
	if n != 1 {
		t.Fatalf("store holds %d votes, want 1", n)
	}
}

// startNode runs the real wiring on a free port whose address is the
// public URL, as the WebSocket origin check needs.
func startNode(t *testing.T, env map[string]string) (*Main, string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	base := "http://" + addr
	env["AGORA_PUBLIC_URL"] = base
	env["AGORA_DATA_DIR"] = t.TempDir()
	env["AGORA_SHUTDOWN_TIMEOUT"] = "10s"
	env["AGORA_LOG_LEVEL"] = "warn"
	cfg, _, err := ParseConfig("agora", []string{"-addr", addr}, envOf(env), &bytes.Buffer{})
	mustT(t, err)
	m := NewMain(cfg, &syncBuffer{})
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m, base
}

// dialNode opens a socket and reads its snapshot.
func dialNode(ctx context.Context, t *testing.T, base, query string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?"+query,
		&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {base}}})
	mustT(t, err)
	t.Cleanup(func() { ws.CloseNow() })
	var env hub.Envelope
	_, msg, err := ws.Read(ctx)
	mustT(t, err)
	if err := json.Unmarshal(msg, &env); err != nil || env.Type != hub.TypeSnapshot {
		t.Fatalf("first message %s: %v", msg, err)
	}
	return ws
}

// waitVoters reads a screen until a tally of the activity counts want
// voters, or ctx ends.
func waitVoters(ctx context.Context, ws *websocket.Conn, activityID int64, want int) error {
	last := -1
	for {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("last tally counted %d voters, want %d: %w", last, want, err)
		}
		var env hub.Envelope
		if json.Unmarshal(msg, &env) != nil || env.Type != live.EventTally {
			continue
		}
		var tally agora.Tally
		if err := json.Unmarshal(env.Data, &tally); err != nil {
			return err
		}
		if tally.ActivityID != activityID {
			continue
		}
		if last = tally.Voters; last == want {
			return nil
		}
	}
}

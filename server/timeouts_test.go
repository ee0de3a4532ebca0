package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
)

// A half-sent request (slowloris) is cut after ReadTimeout, while an
// upgraded WebSocket outlives it: the timeout armed for the upgrade
// request must not carry over to the socket.
func TestTimeouts_HalfSentRequestCutSocketKept(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	e := newWSEnvWith(t, Config{ReadTimeout: readTimeout, IdleTimeout: readTimeout})
	ws := e.mustDial(e.participant())
	wsRead(t, ws) // snapshot

	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	must(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ")
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn) // the server answers 408 or just closes
	if err != nil {
		t.Fatalf("half-sent request still open after %v: %v", time.Since(start), err)
	}
	if held := time.Since(start); held > 10*readTimeout {
		t.Errorf("half-sent request held %v, want about %v", held, readTimeout)
	}
	t.Logf("half-sent request closed after %v: %q", time.Since(start).Round(time.Millisecond), firstLine(b))

	time.Sleep(2 * readTimeout) // the socket is well past the read timeout
	topic := hub.WorkshopTopic(e.ws.ID, hub.Participants)
	must(t, e.hub.Publish(context.Background(), topic, live.EventState, map[string]int{"i": 1}))
	for m := wsRead(t, ws); m.Type != live.EventState; m = wsRead(t, ws) {
		// the snapshot's tally may come first; a closed socket fails wsRead
	}
}

// Shutdown does not wait its whole timeout for a connection holding a
// half-sent request: reads are cut after drainReads at most.
func TestTimeouts_ShutdownCutsStalledConnection(t *testing.T) {
	e := newWSEnvWith(t, Config{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	must(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/csrf HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	time.Sleep(100 * time.Millisecond) // the server is reading the body
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	e.hub.Close(ctx)
	if err := e.s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v after %v", err, time.Since(start))
	}
	if took := time.Since(start); took > drainReads+time.Second {
		t.Errorf("shutdown took %v with a stalled connection, want under %v", took, drainReads+time.Second)
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\r\n")
	return s
}

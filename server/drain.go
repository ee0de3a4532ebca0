package server

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// connTracker knows the HTTP connections the server holds, so a shutdown
// can bound them. fasthttp's Shutdown waits for every connection to go
// idle, and a keep-alive connection whose request ends as the drain starts
// can stay counted until the timeout (exit 1 instead of a clean stop).
// Hijacked connections are the hub's: it closes them with 1001.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func newConnTracker() *connTracker { return &connTracker{conns: map[net.Conn]struct{}{}} }

// state is fasthttp's ConnState hook.
func (t *connTracker) state(c net.Conn, st fasthttp.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch st {
	case fasthttp.StateNew:
		t.conns[c] = struct{}{}
	case fasthttp.StateHijacked, fasthttp.StateClosed:
		delete(t.conns, c)
	}
}

// readDeadline gives every tracked connection until at to receive what it
// is still receiving. Only reads are cut: a handler already running writes
// its answer whatever the time; a request whose body is on its way
// completes if it arrives in time; a connection waiting for a next request,
// or holding a half-sent one, fails its read and closes.
func (t *connTracker) readDeadline(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		c.SetReadDeadline(at)
	}
}

// drainReads bounds how long a shutdown waits for requests still arriving;
// it is shortened to fit the shutdown's own deadline.
const drainReads = time.Second

// shutdown stops accepting requests, answers those in flight and closes
// every connection before ctx ends.
func (s *Server) shutdown(ctx context.Context) error {
	now := time.Now()
	at := now.Add(drainReads)
	if d, ok := ctx.Deadline(); ok && d.Sub(now) < 2*drainReads {
		at = now.Add(d.Sub(now) / 2)
	}
	s.conns.readDeadline(at)
	return s.app.ShutdownWithContext(ctx)
}

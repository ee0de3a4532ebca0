package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// round is one room event the facilitator triggers (open, close, reveal,
// hide): the "state" event it causes must reach every socket. Rounds run
// one at a time, so the first "state" event a socket receives after the
// round starts is the round's.
type round struct {
	id        int
	name      string
	t0        time.Time      // just before the command was sent
	lat       []atomic.Int64 // by socket: delivery latency in ns, 0 when not received
	remaining atomic.Int64
	done      chan struct{}
	ack       time.Duration // the command's HTTP answer time
}

// deliver counts every message a socket receives and, for a "state"
// event, records its delivery in the current round. It calls first, when
// not nil, with the round the event belongs to before the delivery is
// counted, so whatever first does happens before broadcast returns.
func (r *runner) deliver(s *socket, ev event, first func(*round)) {
	r.messages.Add(1)
	if ev.Type != "state" {
		return
	}
	rd := r.round.Load()
	if rd == nil || s.seen >= rd.id {
		return
	}
	s.seen = rd.id
	if first != nil {
		first(rd)
	}
	rd.lat[s.idx].Store(max(1, int64(ev.At.Sub(rd.t0))))
	if rd.remaining.Add(-1) == 0 {
		close(rd.done)
	}
}

// untilQuiet returns once no socket has received anything for quiet, or
// after limit whatever arrives.
func (r *runner) untilQuiet(ctx context.Context, quiet, limit time.Duration) error {
	end := time.Now().Add(limit)
	last, since := r.messages.Load(), time.Now()
	for time.Since(since) < quiet && time.Now().Before(end) {
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
		if n := r.messages.Load(); n != last {
			last, since = n, time.Now()
		}
	}
	return nil
}

// broadcast sends a staff command and waits until every socket received
// its "state" event, or the timeout.
func (r *runner) broadcast(ctx context.Context, name, path string, timeout time.Duration) (*round, error) {
	rd := &round{id: len(r.rounds) + 1, name: name, lat: make([]atomic.Int64, len(r.sockets)), done: make(chan struct{})}
	rd.remaining.Store(int64(r.liveSockets()))
	r.rounds = append(r.rounds, rd)
	rd.t0 = time.Now()
	r.round.Store(rd)
	ack, err := r.staff.command(ctx, path)
	rd.ack = ack
	if err != nil {
		return rd, err
	}
	select {
	case <-rd.done:
	case <-time.After(timeout):
		r.logf("%s: %d of %d sockets did not get the event within %v", name, rd.remaining.Load(), r.liveSockets(), timeout)
	case <-ctx.Done():
		return rd, ctx.Err()
	}
	return rd, nil
}

// latencies returns the deliveries of the rounds to the open sockets and
// how many were missed.
func latencies(rounds []*round, sockets []*socket) (got []time.Duration, missed int) {
	for _, rd := range rounds {
		for i := range rd.lat {
			if sockets[i] == nil {
				continue
			}
			if v := rd.lat[i].Load(); v > 0 {
				got = append(got, time.Duration(v))
			} else {
				missed++
			}
		}
	}
	return got, missed
}

// byNode splits the deliveries of rounds by the node each socket is on,
// when there are several: a node behind the others shows in its own tail.
func (r *runner) byNode(rounds []*round) []Dist {
	nodes := len(r.cfg.Bases)
	if nodes < 2 {
		return nil
	}
	out := make([]Dist, nodes)
	for k := range out {
		mine := make([]*socket, len(r.sockets)) // the others' left nil
		for i, s := range r.sockets {
			if r.nodeOf(i) == k {
				mine[i] = s
			}
		}
		got, _ := latencies(rounds, mine)
		out[k] = distOf(got)
	}
	return out
}

// nodeOf is the node of socket i, which setup and joinAll dial it on:
// participants go round-robin, the projector (socket n) is on the first
// node and the facilitator (n+1) on the last.
func (r *runner) nodeOf(i int) int {
	switch n := r.cfg.Participants; {
	case i < n:
		return i % len(r.cfg.Bases)
	case i == n:
		return 0
	default:
		return len(r.cfg.Bases) - 1
	}
}

// liveSockets counts the sockets that opened.
func (r *runner) liveSockets() int {
	n := 0
	for _, s := range r.sockets {
		if s != nil {
			n++
		}
	}
	return n
}

// failures counts failed operations by a short description.
type failures struct {
	mu sync.Mutex
	m  map[string]int
}

func (f *failures) fail(op string, err error) {
	key := op
	if se, ok := err.(*statusError); ok {
		key = fmt.Sprintf("%s: HTTP %d", op, se.status)
	} else if err != nil {
		key = op + ": " + shortErr(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]int{}
	}
	f.m[key]++
}

func (f *failures) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.m))
	for k, v := range f.m {
		out[k] = v
	}
	return out
}

// shortErr keeps the end of an error, where the cause is.
func shortErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		s = "…" + s[len(s)-80:]
	}
	return s
}

package server

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The flood guard is a token bucket per client address, in the memory of
// each node. It is not the rate limit of any command (those count per
// participant and per session in the store, shared by every node): a whole
// venue shares one public address, so a per-address limit can only stop a
// runaway script or a crude flood. That is also why it may stay per node:
// behind a load balancer a flood is spread over the nodes, each of which
// still refuses its share beyond the rate, and nothing is shared to slow
// the legitimate requests down.
//
// The defaults let 2,000 phones behind one NAT join, load the page and
// vote in the same minute (about 10 requests each, from the burst), then
// keep up a 2-hour workshop (under 15 requests a second on average).
const (
	// DefaultFloodRate is the sustained requests per second per address.
	DefaultFloodRate = 50
	// DefaultFloodBurst is how many requests an address may send at once.
	DefaultFloodBurst = 20000
	// floodMaxAddrs bounds the buckets kept; beyond it, full buckets are
	// forgotten (an address with a full bucket is like a new one).
	floodMaxAddrs = 50000
)

// floodGuard holds the buckets of one node.
type floodGuard struct {
	rate  float64 // tokens per second
	burst float64
	mu    sync.Mutex
	addrs map[string]*floodBucket
}

type floodBucket struct {
	tokens float64
	at     time.Time
}

func newFloodGuard(rate float64, burst int) *floodGuard {
	return &floodGuard{rate: rate, burst: float64(burst), addrs: map[string]*floodBucket{}}
}

// allow takes a token from addr's bucket at now; when it is empty it
// returns false and how long until the next token.
func (g *floodGuard) allow(addr string, now time.Time) (bool, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.addrs[addr]
	if b == nil {
		if len(g.addrs) >= floodMaxAddrs {
			g.sweep(now)
		}
		b = &floodBucket{tokens: g.burst, at: now}
		g.addrs[addr] = b
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = math.Min(g.burst, b.tokens+dt*g.rate)
		b.at = now
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / g.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// sweep forgets the buckets that have refilled by now.
func (g *floodGuard) sweep(now time.Time) {
	for a, b := range g.addrs {
		if b.tokens+now.Sub(b.at).Seconds()*g.rate >= g.burst {
			delete(g.addrs, a)
		}
	}
}

// guardFlood refuses a request with 429 once its client address (the real
// one: X-Forwarded-For only from trusted proxies) has emptied its bucket.
// Health checks and the content-hashed static files are not counted.
func (s *Server) guardFlood(c *fiber.Ctx) error {
	p := c.Path()
	if s.flood == nil || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/static/") {
		return c.Next()
	}
	if ok, wait := s.flood.allow(s.clientIP(c), s.now()); !ok {
		return tooMany("error.too_many", wait)
	}
	return c.Next()
}

package server

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// trustedNets are the proxies whose X-Forwarded-For is believed.
type trustedNets struct{ prefixes []netip.Prefix }

// parseTrustedNets reads IPs and CIDRs ("10.0.0.1", "10.0.0.0/8", "::1").
func parseTrustedNets(list []string) (*trustedNets, error) {
	t := &trustedNets{}
	for _, v := range list {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", v, err)
			}
			t.prefixes = append(t.prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", v, err)
		}
		a = a.Unmap()
		t.prefixes = append(t.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

func (t *trustedNets) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the address of the client: the peer, unless the peer
// is a trusted proxy; then X-Forwarded-For is read from the right, each
// trusted hop skipped, and the first address not trusted is the client.
// (The leftmost entry is whatever the client claimed, so it is never used
// blindly.)
func (t *trustedNets) clientIP(peer netip.Addr, xff string) netip.Addr {
	peer = peer.Unmap()
	if !t.contains(peer) || xff == "" {
		return peer
	}
	hops := strings.Split(xff, ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !t.contains(client) {
			break
		}
	}
	return client
}

// clientIP returns the request's client address as text.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return "unknown"
	}
	return s.proxies.clientIP(peer, strings.Join(c.GetReqHeaders()[fiber.HeaderXForwardedFor], ",")).String()
}

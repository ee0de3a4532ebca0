package server

import (
	"net/netip"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

func TestTrustedNets_ClientIP(t *testing.T) {
	nets, err := parseTrustedNets([]string{"10.0.0.0/8", "::1", " 192.168.1.5 "})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer, xff, want string
	}{
		{"no proxy: peer, header ignored", "203.0.113.7", "1.2.3.4", "203.0.113.7"},
		{"trusted proxy: last hop", "10.1.2.3", "198.51.100.9", "198.51.100.9"},
		{"spoofed left entry skipped", "10.1.2.3", "6.6.6.6, 198.51.100.9", "198.51.100.9"},
		{"chain of trusted proxies", "10.1.2.3", "198.51.100.9, 192.168.1.5, 10.9.9.9", "198.51.100.9"},
		{"trusted peer, no header", "192.168.1.5", "", "192.168.1.5"},
		{"garbage hop stops the walk", "10.1.2.3", "198.51.100.9, nonsense", "10.1.2.3"},
		{"IPv6 proxy", "::1", "2001:db8::1", "2001:db8::1"},
		{"IPv4-mapped peer", "::ffff:10.0.0.1", "198.51.100.9", "198.51.100.9"},
		{"all trusted: leftmost", "10.1.2.3", "10.0.0.2", "10.0.0.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nets.clientIP(netip.MustParseAddr(tc.peer), tc.xff)
			if got.String() != tc.want {
				t.Fatalf("clientIP(%s, %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
	if _, err := parseTrustedNets([]string{"not an ip"}); err == nil {
		t.Fatal("bad proxy accepted")
	}
	empty, _ := parseTrustedNets(nil)
	if got := empty.clientIP(netip.MustParseAddr("127.0.0.1"), "1.2.3.4"); got.String() != "127.0.0.1" {
		t.Fatalf("no trusted proxies: %s", got)
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"":                      "/",
		"/":                     "/",
		"/admin":                "/admin",
		"/c/parc?tab=1#x":       "/c/parc?tab=1#x",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"admin":                 "/",
		"/a\nb":                 "/",
		"/%2F/evil.example":     "/%2F/evil.example", // a path on this site
	}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchLanguage(t *testing.T) {
	tests := map[string]string{
		"":                          "fr",
		"en":                        "en",
		"en-GB,en;q=0.9":            "en",
		"de-DE, en;q=0.5, fr;q=0.8": "fr",
		"de, en;q=0.1":              "en",
		"EN-us":                     "en",
		"fr;q=0, en;q=0.2":          "en",
		"en;q=abc, fr":              "fr",
		"*":                         "fr",
		"es, it":                    "fr",
	}
	for in, want := range tests {
		if got := matchLanguage(in); got != want {
			t.Errorf("matchLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPassword_HashAndVerify(t *testing.T) {
	h, err := hashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=512,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := hashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("same hash twice: no salt")
	}
	if !verifyPassword(h, "correct horse battery") || verifyPassword(h, "correct horse batterY") {
		t.Fatal("verify")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=512,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=512,t=1,p=1$!!$aGFzaA"} {
		if verifyPassword(bad, "x") {
			t.Fatalf("malformed hash %q matched", bad)
		}
	}
}

func TestWindowLeft(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	if got := windowLeft(now, 15*time.Minute); got != 3*time.Minute+7*time.Second {
		t.Fatalf("windowLeft = %v", got)
	}
}

// BenchmarkHashPassword measures the production cost (defaultArgon is
// lowered for the tests, so the real parameters are spelled here).
func BenchmarkHashPassword(b *testing.B) {
	saved := defaultArgon
	defaultArgon = argonParams{Time: 2, Memory: 46 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}
	defer func() { defaultArgon = saved }()
	for b.Loop() {
		if _, err := hashPassword("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

// A hash with the production cost gives its 46 MiB back to the system
// soon after, instead of keeping them for minutes in an idle node.
func TestHashPassword_GivesMemoryBack(t *testing.T) {
	saved, savedAfter := defaultArgon, releaseAfter
	defaultArgon = argonParams{Time: 1, Memory: 46 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}
	releaseAfter = 50 * time.Millisecond
	defer func() { defaultArgon, releaseAfter = saved, savedAfter }()
	released := func() uint64 {
		s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	if _, err := hashPassword("correct horse battery"); err != nil {
		t.Fatal(err)
	}
	before := released() // the hash's memory is garbage, not yet given back
	deadline := time.Now().Add(5 * time.Second)
	for released() < before+40<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("released %d MiB after the hash, want 40 more than %d MiB", released()>>20, before>>20)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A node's copies expire after their TTL, are not trusted when the clock
// goes back, and the map starts over once full.
func TestStampedMap_TTLAndBound(t *testing.T) {
	var m stampedMap[int, string]
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if _, ok := m.get(1, t0, time.Second); ok {
		t.Fatal("empty map returned a value")
	}
	m.put(1, "a", t0, 2)
	for _, c := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"at once", t0, true},
		{"just before the TTL", t0.Add(999 * time.Millisecond), true},
		{"at the TTL", t0.Add(time.Second), false},
		{"clock went back", t0.Add(-time.Millisecond), false},
	} {
		if v, ok := m.get(1, c.at, time.Second); ok != c.want || (ok && v != "a") {
			t.Errorf("%s: got %q, %v; want found %v", c.name, v, ok, c.want)
		}
	}
	m.put(2, "b", t0, 2)
	m.put(3, "c", t0, 2) // full at 2: starts over
	if _, ok := m.get(1, t0, time.Second); ok {
		t.Error("a full map kept its old entries")
	}
	if v, ok := m.get(3, t0, time.Second); !ok || v != "c" {
		t.Errorf("the entry put after the reset: %q, %v", v, ok)
	}
}

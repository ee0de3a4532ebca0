package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// argonParams are the cost of argon2id. Verification reads them from the
// stored hash, so raising them later keeps old hashes valid.
type argonParams struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// defaultArgon takes about 70 ms on one core of the development machine
// (46 MiB, 2 passes: OWASP's m=46MiB, t=1 minimum with one more pass).
// Tests lower it.
var defaultArgon = argonParams{Time: 2, Memory: 46 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}

// hashSlots bounds how many hashes run at once, so that a burst of
// sign-ins cannot take 46 MiB each without limit.
var hashSlots = make(chan struct{}, max(2, runtime.NumCPU()))

// hashPassword returns a PHC-style string:
// $argon2id$v=19$m=47104,t=2,p=1$<salt>$<hash> (base64 without padding).
func hashPassword(password string) (string, error) {
	p := defaultArgon
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argonKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func argonKey(password string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, t, m, p, n)
	<-hashSlots
	if m >= releaseFromKiB {
		releaseHashMemory()
	}
	return key
}

// The 46 MiB a hash takes are garbage once it returns, but Go hands freed
// memory back to the system slowly: a node that had hashed one password
// (the admin's at start, a sign-in) kept them, more than half of an idle
// node's memory (86 MB, 38 without). So once the hashes stop for
// releaseAfter, the memory goes back at once: one collection after a
// burst of sign-ins, not one per sign-in. (A busy node reuses those pages
// for its sockets anyway: this is for the many idle ones.)
const releaseFromKiB = 8 << 10

var (
	releaseAfter = time.Second
	releaseMu    sync.Mutex
	releaseTimer *time.Timer
)

func releaseHashMemory() {
	releaseMu.Lock()
	defer releaseMu.Unlock()
	if releaseTimer == nil {
		releaseTimer = time.AfterFunc(releaseAfter, func() {
			if len(hashSlots) > 0 { // another hash runs: it calls again
				return
			}
			debug.FreeOSMemory()
		})
		return
	}
	releaseTimer.Reset(releaseAfter)
}

// verifyPassword reports whether password matches encoded, comparing in
// constant time. A malformed hash never matches.
func verifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	// Refuse absurd costs from a tampered row rather than exhaust memory.
	if m == 0 || m > 1<<20 || t == 0 || t > 20 || p == 0 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argonKey(password, salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the email is unknown, so that the
// answer takes as long as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := hashPassword("not a real password, only for timing")
	if err != nil {
		panic(err) // crypto/rand failed
	}
	return h
})

package agora

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// WorkshopState is the life cycle of an in-room session.
type WorkshopState string

// Workshop states.
const (
	WorkshopDraft WorkshopState = "draft" // being prepared; participants may already join the lobby
	WorkshopLive  WorkshopState = "live"  // running
	WorkshopEnded WorkshopState = "ended" // over; the join code no longer admits anyone
)

// Workshop is a session in a room, attached to a consultation.
type Workshop struct {
	ID                int64
	ConsultationID    int64
	Title             string
	Place             string
	JoinCode          string // JoinCodeLen characters of JoinCodeAlphabet, unique
	ScreenToken       string // secret in the projector's link; random, unguessable
	State             WorkshopState
	CurrentActivityID *int64
	StartsAt          *time.Time
	CreatedBy         *int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Join codes: six characters from an alphabet without look-alikes (no 0/O, 1/I/L).
const (
	JoinCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	JoinCodeLen      = 6
)

// NewJoinCode returns a random join code. Uniqueness is the store's job:
// callers retry on ECONFLICT.
func NewJoinCode() string {
	return randomString(JoinCodeAlphabet, JoinCodeLen)
}

// NormalizeJoinCode trims a typed code, drops spaces and dashes and
// upper-cases it. It returns "" when the result is not a well-formed code.
func NormalizeJoinCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, " ", "")
	s = strings.ReplaceAll(s, "-", "")
	if len(s) != JoinCodeLen {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(JoinCodeAlphabet, rune(s[i])) {
			return ""
		}
	}
	return s
}

// NewSecret returns a random URL-safe token with at least 128 bits of entropy,
// for screen links, setup links, sessions and device cookies.
func NewSecret() string {
	return randomString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 26)
}

// randomString draws n characters uniformly from alphabet (len < 256).
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	limit := byte(256 - 256%len(alphabet)) // reject the tail to avoid modulo bias
	var buf [1]byte
	for i := 0; i < n; {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("agora: crypto/rand failed: " + err.Error())
		}
		if buf[0] >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// Participant is a pseudonymous person in a workshop, one per device and
// workshop. A device's token is valid in its own workshop only.
type Participant struct {
	ID         int64
	WorkshopID int64
	TokenHash  string // hash of the device cookie's token for this workshop
	PublicID   string // stable random pseudonym for open data
	Nickname   string // optional, shown only if set
	UserID     *int64 // set when the person links the device to an account
	CreatedAt  time.Time
}

// MaxNicknameLen is the longest nickname, in characters.
const MaxNicknameLen = 40

// HashToken returns the hex SHA-256 of a secret token. Stores keep only this
// hash of session, device and one-time tokens, so a leaked database grants
// no access.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ValidateText refuses a title or a place that CheckLine refuses; the
// engine checks their lengths.
func (w *Workshop) ValidateText() error {
	if err := CheckLine(w.Title, "error.title_invalid"); err != nil {
		return err
	}
	return CheckLine(w.Place, "error.place_invalid")
}

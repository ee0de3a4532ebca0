package agora

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a signed-in user may do. Moderators and facilitators have
// different powers, so ask the Can* helpers rather than comparing roles.
type Role string

// Roles.
const (
	RoleAdmin       Role = "admin"       // everything, including accounts and settings
	RoleModerator   Role = "moderator"   // moderation queues and official answers
	RoleFacilitator Role = "facilitator" // prepares and runs workshops
	RoleCitizen     Role = "citizen"     // takes part online
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleModerator, RoleFacilitator, RoleCitizen:
		return true
	}
	return false
}

// CanFacilitate reports whether the role may prepare and run workshops.
func (r Role) CanFacilitate() bool { return r == RoleAdmin || r == RoleFacilitator }

// CanModerate reports whether the role may moderate content and answer proposals.
func (r Role) CanModerate() bool { return r == RoleAdmin || r == RoleModerator }

// User is a signed-up person: an admin, a staff member or a citizen.
type User struct {
	ID           int64
	Email        string // lower-cased, unique
	DisplayName  string
	PasswordHash string // never leaves the server
	Role         Role
	CreatedAt    time.Time
	DeletedAt    *time.Time // accounts are anonymised, not removed: contributions stay
}

// Limits on account fields.
const (
	MaxEmailLen       = 254
	MaxDisplayNameLen = 80
	MinPasswordLen    = 10
	MaxPasswordLen    = 256
)

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateSignup checks the fields of a new account. It returns an EINVALID
// *Error whose message is a catalog key.
func ValidateSignup(email, displayName, password string) error {
	if err := ValidateEmail(email); err != nil {
		return err
	}
	n := utf8.RuneCountInString(strings.TrimSpace(displayName))
	if n == 0 || n > MaxDisplayNameLen {
		return Errorf(EINVALID, "error.display_name_length", MaxDisplayNameLen)
	}
	if err := CheckLine(displayName, "error.display_name_invalid"); err != nil {
		return err
	}
	return ValidatePassword(password)
}

// ValidateEmail checks that s is a plain email address.
func ValidateEmail(s string) error {
	if len(s) == 0 || len(s) > MaxEmailLen {
		return Errorf(EINVALID, "error.email_invalid")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return Errorf(EINVALID, "error.email_invalid")
	}
	return nil
}

// ValidatePassword checks a new password's length.
func ValidatePassword(p string) error {
	n := utf8.RuneCountInString(p)
	if n < MinPasswordLen || len(p) > MaxPasswordLen {
		return Errorf(EINVALID, "error.password_length", MinPasswordLen)
	}
	return nil
}

// Session is a signed-in browser. The cookie holds a random token; the store
// keeps only its hash.
type Session struct {
	TokenHash string
	UserID    int64
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TokenPurpose says what a one-time token is for.
type TokenPurpose string

// Token purposes.
const (
	TokenSetup         TokenPurpose = "setup"          // first admin chooses a password
	TokenPasswordReset TokenPurpose = "password_reset" // a user forgot a password
)

// OneTimeToken is a single-use secret link. The store keeps only its hash.
type OneTimeToken struct {
	Hash      string
	Purpose   TokenPurpose
	UserID    *int64
	ExpiresAt time.Time
	UsedAt    *time.Time
}

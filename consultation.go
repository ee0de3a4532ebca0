package agora

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ConsultationStatus is the life cycle of a consultation.
type ConsultationStatus string

// Consultation statuses.
const (
	ConsultationDraft  ConsultationStatus = "draft"  // visible to staff only
	ConsultationOpen   ConsultationStatus = "open"   // citizens take part
	ConsultationClosed ConsultationStatus = "closed" // read-only, report may be published
)

// Valid reports whether s is a known status.
func (s ConsultationStatus) Valid() bool {
	return s == ConsultationDraft || s == ConsultationOpen || s == ConsultationClosed
}

// Consultation is a public question put to citizens, in the room and online.
type Consultation struct {
	ID               int64
	Slug             string // URL name, unique
	Title            string
	Description      string // Markdown, sanitised when rendered
	Status           ConsultationStatus
	OpensAt          *time.Time
	ClosesAt         *time.Time
	SupportThreshold int // supports that qualify a proposal for an official answer; 0: none
	ReportPublished  bool
	CreatedBy        *int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Limits on consultation fields.
const (
	MaxSlugLen        = 64
	MaxTitleLen       = 200
	MaxDescriptionLen = 20000
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks the fields a consultation must have.
func (c *Consultation) Validate() error {
	if len(c.Slug) == 0 || len(c.Slug) > MaxSlugLen || !slugPattern.MatchString(c.Slug) {
		return Errorf(EINVALID, "error.slug_invalid")
	}
	if err := validateText(c.Title, 1, MaxTitleLen, "error.title_length"); err != nil {
		return err
	}
	if err := CheckLine(c.Title, "error.title_invalid"); err != nil {
		return err
	}
	if utf8.RuneCountInString(c.Description) > MaxDescriptionLen {
		return Errorf(EINVALID, "error.description_length", MaxDescriptionLen)
	}
	if err := CheckText(c.Description, "error.description_invalid"); err != nil {
		return err
	}
	if !c.Status.Valid() {
		return Errorf(EINVALID, "error.status_invalid")
	}
	if c.OpensAt != nil && c.ClosesAt != nil && c.ClosesAt.Before(*c.OpensAt) {
		return Errorf(EINVALID, "error.dates_order")
	}
	if c.SupportThreshold < 0 {
		return Errorf(EINVALID, "error.threshold_invalid")
	}
	return nil
}

// validateText checks that s, trimmed, has between min and max characters.
func validateText(s string, min, max int, key string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	if n < min || n > max {
		return Errorf(EINVALID, key, max)
	}
	return nil
}

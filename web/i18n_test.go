package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
)

// literalAllowlist is text that templates may hold as is: names that are
// the same in every language.
var literalAllowlist = map[string]bool{
	"Agora":      true,
	"HTML5":      true,
	"CSS":        true,
	"JavaScript": true,
	"WAI-ARIA":   true,
}

var (
	tmplCommentRE = regexp.MustCompile(`(?s)\{\{-?\s*/\*.*?\*/\s*-?\}\}`)
	actionRE      = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	commentRE     = regexp.MustCompile(`(?s)<!--.*?-->`)
	rawRE         = regexp.MustCompile(`(?is)<(script|style|template-src)\b.*?</(script|style|template-src)>`)
	tagRE         = regexp.MustCompile(`(?s)<[^>]*>`)
	entityRE      = regexp.MustCompile(`&[a-zA-Z]+;|&#[0-9]+;`)
	humanAttrs    = regexp.MustCompile(`\b(alt|title|placeholder|aria-label|aria-description|aria-roledescription|label)\s*=\s*"([^"]*)"`)
)

// Every word a person reads comes from the catalogs: a template holds no
// text outside {{…}} but punctuation, numbers, symbols and a few names,
// neither between tags nor in the attributes people read (alt, title,
// placeholder, aria-label).
func TestTemplates_NoUntranslatedText(t *testing.T) {
	files, _ := fs.Glob(embedded, "templates/*.html")
	if len(files) == 0 {
		t.Fatal("no templates")
	}
	for _, f := range files {
		b, _ := fs.ReadFile(embedded, f)
		src := actionRE.ReplaceAllString(tmplCommentRE.ReplaceAllString(string(b), ""), "")
		src = commentRE.ReplaceAllString(src, "")
		src = rawRE.ReplaceAllString(src, "")
		for _, m := range tagRE.FindAllString(src, -1) {
			for _, a := range humanAttrs.FindAllStringSubmatch(m, -1) {
				if hasWords(a[2]) {
					t.Errorf("%s: untranslated attribute %s=%q", f, a[1], a[2])
				}
			}
		}
		text := entityRE.ReplaceAllString(tagRE.ReplaceAllString(src, "\n"), " ")
		for _, line := range strings.Split(text, "\n") {
			// A path shown as the link's own text (/c/{slug}) is not words.
			if line = strings.TrimSpace(line); hasWords(line) && !strings.HasPrefix(line, "/") {
				t.Errorf("%s: untranslated text %q", f, line)
			}
		}
	}
}

// hasWords reports whether s holds a letter outside the allowlisted names.
func hasWords(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' }) {
		if literalAllowlist[w] {
			continue
		}
		for _, r := range w {
			if unicode.IsLetter(r) {
				return true
			}
		}
	}
	return false
}

// The scan must catch what it is for.
func TestHasWords(t *testing.T) {
	for s, want := range map[string]bool{"Envoyer": true, " · ": false, "» (": false, "404": false, "Agora": false, "12 %": false, "Vote": true, "HTML5 CSS": false} {
		if got := hasWords(s); got != want {
			t.Errorf("hasWords(%q) = %v, want %v", s, got, want)
		}
	}
}

// Counts people read (participants, votes, supports, comments…) have a
// singular and a plural form in both languages, and each form reads right:
// French takes the singular for 0 and 1, English for 1 only.
func TestCatalog_PluralForms(t *testing.T) {
	c := newWeb(t).Catalog()
	counts := []string{
		"participant.voters", "participant.supports", "participant.bar", "dashboard.supports",
		"me.supports", "me.supports_count", "me.votes_count", "proposal.comments", "proposals.count",
		"debate.count", "home.open_count", "consultation.ideas_count", "consultation.answers_count",
		"admin.flag_count", "moderate.reports",
	}
	for _, key := range counts {
		for _, lang := range Languages {
			if !c.IsPlural(lang, key) {
				t.Errorf("%s (%s) has no plural forms", key, lang)
				continue
			}
			f := c.Forms(lang, key)
			if f[0] == f[1] {
				t.Errorf("%s (%s): singular and plural are the same: %q", key, lang, f[0])
			}
			for _, form := range f {
				if !strings.Contains(form, "{0}") {
					t.Errorf("%s (%s): form %q does not show the count", key, lang, form)
				}
			}
		}
	}
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"fr", 0, "0 participant a répondu"},
		{"fr", 1, "1 participant a répondu"},
		{"fr", 2, "2 participants ont répondu"},
		{"fr", 1234, "1\u202f234 participants ont répondu"},
		{"en", 0, "0 participants answered"},
		{"en", 1, "1 participant answered"},
		{"en", 1234, "1,234 participants answered"},
	}
	for _, tc := range tests {
		if got := c.T(tc.lang, "participant.voters", tc.n); got != tc.want {
			t.Errorf("T(%s, participant.voters, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	c := newWeb(t).Catalog()
	tests := []struct {
		lang string
		v    any
		want string
	}{
		{"fr", 0, "0"},
		{"fr", 999, "999"},
		{"fr", 1234, "1\u202f234"},
		{"fr", int64(-1234567), "-1\u202f234\u202f567"},
		{"fr", 1234.5, "1\u202f234,5"},
		{"fr", 7.0, "7"},
		{"fr", "7.5", "7,5"},
		{"en", 1234, "1,234"},
		{"en", 1234.5, "1,234.5"},
		{"en", uint64(1000000), "1,000,000"},
		{"en", "7.5", "7.5"},
		{"en", "abc", "abc"},
	}
	for _, tc := range tests {
		if got := FormatNumber(c, tc.lang, tc.v); got != tc.want {
			t.Errorf("FormatNumber(%s, %v) = %q, want %q", tc.lang, tc.v, got, tc.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	c := newWeb(t).Catalog()
	nov := time.Date(2026, time.November, 26, 17, 5, 0, 0, time.UTC)
	first := time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC)
	// 23:30 UTC on 31 December is already 1 January in Paris.
	eve := time.Date(2026, time.December, 31, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		got, want string
	}{
		{formatDate(c, "fr", nov), "26 novembre 2026"},
		{formatDate(c, "en", nov), "November 26, 2026"},
		{formatDate(c, "fr", &first), "1er mars 2026"},
		{formatDate(c, "en", first), "March 1, 2026"},
		{formatDate(c, "fr", eve), "1er janvier 2027"},
		{formatDate(c, "fr", (*time.Time)(nil)), ""},
		{formatDateTime(c, "fr", nov), "26 novembre 2026 à 18 h 05"},
		{formatDateTime(c, "en", nov), "November 26, 2026 at 18:05"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

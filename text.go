package agora

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules on user text, shared by every field that takes some. Text that
// breaks them is refused with an EINVALID error naming the field, never
// silently stripped, so the author sees why it was not taken (the same
// choice as for ideas and comments). Markup is no concern here: templates
// escape it, and descriptions are sanitised when rendered.

// NormalizeLine returns s as one trimmed line with single spaces: newlines,
// tabs and runs of white space become one space, as in ideas.
func NormalizeLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// CheckLine refuses in a one-line text what ideas and nicknames refuse:
// invalid UTF-8, control characters (NUL included) and the bidirectional
// embeddings, overrides and isolates, which could make a label, a title or
// a name read differently from what it says. White space is allowed, as
// NormalizeLine makes one line of it. key is the field's message.
func CheckLine(s, key string) error {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsSpace(r) && unicode.IsControl(r) || isBidiControl(r)
	}) {
		return Errorf(EINVALID, key)
	}
	return nil
}

// CheckText is CheckLine for text of several lines, like comments: only
// newlines, carriage returns and tabs are allowed among control characters.
func CheckText(s, key string) error {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
		return r != '\n' && r != '\r' && r != '\t' && unicode.IsControl(r) || isBidiControl(r)
	}) {
		return Errorf(EINVALID, key)
	}
	return nil
}

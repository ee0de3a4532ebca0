package agora

import (
	"bytes"
	"slices"
	"unicode"
	"unicode/utf8"
)

// maxKeyRunes bounds the folded text NormalizeWord looks at. Valid entries
// have at most MaxWordLen characters; folding may lengthen them (œ → oe), so
// the bound leaves room for that, and a pasted essay costs no more than it.
const maxKeyRunes = 3 * MaxWordLen

// NormalizeWord returns the grouping key of a word-cloud entry, so that
// "Vélo", "velo!" and "le vélo" land in one group. It lower-cases, folds
// accents and ligatures to ASCII (é → e, œ → oe, ß → ss), collapses white
// space, trims punctuation and symbols (emoji included) around each word,
// drops French elisions (l'école → ecole) and the stop words at either end
// of a phrase. Phrases stay phrases: "Pistes cyclables" → "pistes cyclables".
//
// ok is false when nothing meaningful is left: an empty entry, punctuation or
// emoji only, or stop words only ("de la"). Only the first maxKeyRunes
// folded characters are read, so a pasted essay costs no more than a word.
// The result is a fixed point: normalising a key again returns the same key.
func NormalizeWord(s string) (key string, ok bool) {
	var buf [maxKeyRunes * utf8.UTFMax]byte
	b, ok := appendKey(buf[:0], s)
	if !ok {
		return "", false
	}
	return string(b), true
}

// SplitWords returns the distinct keys of a participant's entries, in the
// order typed. Entries with no key (stop words only, blank) are dropped, and
// two spellings of one word count once, so nobody weighs twice in the cloud.
func SplitWords(entries []string) []string {
	var keys []string
	for _, e := range entries {
		k, ok := NormalizeWord(e)
		if ok && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// appendKey appends the key of s to dst without allocating, for the live
// tally; ok is false when s has no key.
func appendKey(dst []byte, s string) ([]byte, bool) {
	var buf [maxKeyRunes * utf8.UTFMax]byte
	folded := appendFolded(buf[:0], s)
	start, end := len(dst), len(dst) // end: after the last meaningful word
	for len(folded) > 0 {
		var tok []byte
		tok, folded = cutToken(folded)
		tok = cleanToken(tok)
		stop := isStopWord(tok)
		if len(tok) == 0 || stop && end == start {
			continue // leading stop words never start a key
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = append(dst, tok...)
		if !stop {
			end = len(dst)
		}
	}
	return dst[:end], end > start
}

// cutToken splits folded text at its first space.
func cutToken(b []byte) (tok, rest []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// cleanToken trims what surrounds a word and its elided articles. It loops
// because one trim can uncover the next elision ("«l'école»", "qu'l'…"), and
// a key must not change when normalised again.
func cleanToken(tok []byte) []byte {
	for {
		tok = trimNonWord(tok)
		rest, ok := cutElision(tok)
		if !ok {
			return tok
		}
		tok = rest
	}
}

// cutElision drops an article or conjunction that French (or Italian)
// glues to the next word with an apostrophe: l'école, qu'on, dell'arte.
func cutElision(tok []byte) ([]byte, bool) {
	i := bytes.IndexByte(tok, '\'')
	if i < 0 || i == len(tok)-1 {
		return tok, false
	}
	switch string(tok[:i]) {
	case "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
		"dell", "nell", "all", "dall", "sull", "un":
		return tok[i+1:], true
	}
	return tok, false
}

// trimNonWord trims everything but letters, digits and marks from both ends.
func trimNonWord(b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if isWordRune(r) {
			break
		}
		b = b[n:]
	}
	for len(b) > 0 {
		r, n := utf8.DecodeLastRune(b)
		if isWordRune(r) {
			break
		}
		b = b[:len(b)-n]
	}
	return b
}

// isWordRune keeps marks so that scripts whose words end in a vowel sign
// (Devanagari, Thai) are not clipped.
func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r))
}

// appendFolded appends s to dst lower-cased and folded: letters with
// accents and ligatures become ASCII, typographic apostrophes become ', runs
// of white space one space (none leading), and combining accents, control
// and format characters vanish. It stops before maxKeyRunes runes.
func appendFolded(dst []byte, s string) []byte {
	n, space := 0, true
	for _, r := range s {
		if r < utf8.RuneSelf {
			r = foldASCII(r)
		} else {
			r = unicode.ToLower(r)
		}
		switch {
		case unicode.IsSpace(r) && space:
			continue
		case unicode.IsSpace(r):
			r = ' '
		case isInvisible(r):
			continue
		}
		space = r == ' '
		rep, folded := "", false
		if r >= utf8.RuneSelf {
			rep, folded = foldTable[r] // replacements are ASCII: bytes are runes
		}
		if n += max(1, len(rep)); n > maxKeyRunes {
			break
		}
		if folded {
			dst = append(dst, rep...)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// foldASCII lower-cases an ASCII letter and turns a backquote into an
// apostrophe; it spares the common case the table lookup.
func foldASCII(r rune) rune {
	switch {
	case 'A' <= r && r <= 'Z':
		return r + 'a' - 'A'
	case r == '`':
		return '\''
	}
	return r
}

// isInvisible reports combining accents (what is left of "é" typed as e +
// U+0301), control and format characters (soft hyphens, zero-width joiners).
func isInvisible(r rune) bool {
	switch {
	case r >= 0x300 && r <= 0x36f, r >= 0x1ab0 && r <= 0x1aff, r >= 0x1dc0 && r <= 0x1dff,
		r >= 0x20d0 && r <= 0x20ff, r >= 0xfe20 && r <= 0xfe2f:
		return true
	}
	if r < utf8.RuneSelf {
		return r < ' ' || r == 0x7f
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)
}

// foldGroups lists, for each ASCII replacement, the lower-case letters that
// fold to it: Latin-1 and Latin Extended-A (every European language written
// in Latin script), the typographic ligatures, and the apostrophes and
// hyphens phones type in place of ' and -.
var foldGroups = [...]struct{ to, from string }{
	{"a", "àáâãäåāăąǎ"}, {"ae", "æǽ"}, {"c", "çćĉċč"}, {"d", "ďđð"},
	{"e", "èéêëēĕėęě"}, {"g", "ĝğġģ"}, {"h", "ĥħ"}, {"i", "ìíîïĩīĭįıǐ"},
	{"ij", "ĳ"}, {"j", "ĵ"}, {"k", "ķĸ"}, {"l", "ĺļľŀł"}, {"n", "ñńņňŉŋ"},
	{"o", "òóôõöøōŏőǒ"}, {"oe", "œ"}, {"r", "ŕŗř"}, {"s", "śŝşšșſ"}, {"ss", "ß"},
	{"t", "ţťŧț"}, {"th", "þ"}, {"u", "ùúûüũūŭůűųǔ"}, {"w", "ŵ"}, {"y", "ýÿŷ"},
	{"z", "źżž"}, {"ff", "ﬀ"}, {"fi", "ﬁ"}, {"fl", "ﬂ"}, {"ffi", "ﬃ"}, {"ffl", "ﬄ"},
	{"st", "ﬅﬆ"}, {"'", "’‘ʼ´′"}, {"-", "‐‑"}, // ` is folded by foldASCII
}

// foldTable is foldGroups indexed by letter.
var foldTable = buildFoldTable()

func buildFoldTable() map[rune]string {
	t := make(map[rune]string)
	for _, g := range foldGroups {
		for _, r := range g.from {
			t[r] = g.to
		}
	}
	return t
}

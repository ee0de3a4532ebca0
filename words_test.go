package agora

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeWord_Keys(t *testing.T) {
	tests := []struct {
		name, in, key string
		ok            bool
	}{
		{"plain", "vélo", "velo", true},
		{"upper case", "VÉLO", "velo", true},
		{"title case", "Vélo", "velo", true},
		{"surrounding space", "  vélo \t", "velo", true},
		{"cedilla", "Garçon", "garcon", true},
		{"all French accents", "àâäéèêëîïôöùûüÿç", "aaaeeeeiioouuuyc", true},
		{"oe ligature", "Œuvre cœur", "oeuvre coeur", true},
		{"ae ligature", "Ætna ex æquo", "aetna ex aequo", true},
		{"sharp s", "Straße", "strasse", true},
		{"capital sharp s", "STRAẞE", "strasse", true},
		{"Scandinavian", "Ørsted Åland", "orsted aland", true},
		{"Polish", "Łódź", "lodz", true},
		{"Romanian", "Țară Școală", "tara scoala", true},
		{"decomposed accent", "e\u0301cole", "ecole", true},
		{"fi ligature", "ﬁlet", "filet", true},
		{"elision l'", "l'école", "ecole", true},
		{"elision typographic apostrophe", "L’École", "ecole", true},
		{"elision d'", "d'accord", "accord", true},
		{"elision qu'", "qu'importe", "importe", true},
		{"elision jusqu'", "jusqu'au bout", "bout", true},
		{"elision in a phrase", "accès à l'eau", "acces a eau", true},
		{"inner apostrophe kept", "aujourd'hui", "aujourd'hui", true},
		{"English contraction kept", "don't", "don't", true},
		{"trailing punctuation", "vélo!!!", "velo", true},
		{"quotes", "« vélo »", "velo", true},
		{"brackets", "(vélo)", "velo", true},
		{"hashtag", "#climat", "climat", true},
		{"inner hyphen kept", "Saint-Étienne", "saint-etienne", true},
		{"lone punctuation between words", "vélo , bus", "velo bus", true},
		{"phrase", "Pistes cyclables", "pistes cyclables", true},
		{"phrase spaces collapsed", " pistes \n\t  cyclables ", "pistes cyclables", true},
		{"non-breaking spaces", "pistes\u00a0cyclables\u202f!", "pistes cyclables", true},
		{"leading article dropped", "le vélo", "velo", true},
		{"leading articles dropped", "de la verdure", "verdure", true},
		{"English article dropped", "The bike", "bike", true},
		{"trailing stop word dropped", "vélo et", "velo", true},
		{"inner stop word kept", "pomme de terre", "pomme de terre", true},
		{"digits", "30 km/h", "30 km/h", true},
		{"number alone", "2030", "2030", true},
		{"emoji around word", "🚲 vélo 🚲", "velo", true},
		{"emoji with joiner", "vélo👩‍👩‍👧", "velo", true},
		{"soft hyphen", "vé\u00adlo", "velo", true},
		{"zero width space", "vé\u200blo", "velo", true},
		{"greek", "Ελλάδα", "ελλάδα", true},
		{"devanagari vowel sign kept", "नमस्ते", "नमस्ते", true},
		{"meaningful short answers", "oui", "oui", true},
		{"summer is not a stop word", "Été", "ete", true},
		{"car is not a stop word", "car", "car", true},
		{"empty", "", "", false},
		{"blank", " \t\n ", "", false},
		{"punctuation only", "?!…", "", false},
		{"emoji only", "🚲🚲", "", false},
		{"stop word", "le", "", false},
		{"stop word upper case", "LES", "", false},
		{"stop word with accent", "À", "", false},
		{"stop word folded where", "où", "", false},
		{"stop words only", "de la", "", false},
		{"English stop words only", "of the", "", false},
		{"elided stop word", "qu'il", "", false},
		{"control characters only", "\x00\x07", "", false},
		{"invalid UTF-8 only", "\xff\xfe", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok := NormalizeWord(tt.in)
			if key != tt.key || ok != tt.ok {
				t.Errorf("NormalizeWord(%q) = %q, %v; want %q, %v", tt.in, key, ok, tt.key, tt.ok)
			}
		})
	}
}

func TestNormalizeWord_VeryLongInput(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"one huge word", strings.Repeat("é", 100_000), true},
		{"many words", strings.Repeat("vélo ", 50_000), true},
		{"ligatures expand", strings.Repeat("œ", 1_000), true},
		// Only the first maxKeyRunes characters are read, whatever follows.
		{"word after the limit", strings.Repeat("!", 100_000) + "vélo", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, ok := NormalizeWord(tt.in)
			if ok != tt.ok {
				t.Fatalf("NormalizeWord: ok = %v, want %v", ok, tt.ok)
			}
			if n := utf8.RuneCountInString(key); n > maxKeyRunes {
				t.Errorf("key has %d runes, want at most %d", n, maxKeyRunes)
			}
			if again, _ := NormalizeWord(key); again != key {
				t.Errorf("not idempotent: %q then %q", key, again)
			}
		})
	}
}

func TestNormalizeWord_StopWordList(t *testing.T) {
	n := len(strings.Fields(stopWordList))
	if n < 150 || n > 250 {
		t.Errorf("stop word list has %d words, want about 150–250", n)
	}
	for w := range stopWords {
		if strings.ContainsAny(w, " '") || w != strings.ToLower(w) {
			t.Errorf("stop word %q is not a folded single word", w)
		}
	}
}

func TestSplitWords_Entries(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"three words", []string{"Vélo", "bus", "Marche"}, []string{"velo", "bus", "marche"}},
		{"phrase kept whole", []string{"pistes cyclables", "tram"}, []string{"pistes cyclables", "tram"}},
		{"stop words dropped", []string{"le", "vélo", "de la"}, []string{"velo"}},
		{"blank dropped", []string{"", "  ", "vélo"}, []string{"velo"}},
		{"same word twice counts once", []string{"Vélo", "velo!", "le vélo"}, []string{"velo"}},
		{"nothing left", []string{"et", "ou", "🙂"}, nil},
		{"no entries", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, SplitWords(tt.in)); diff != "" {
				t.Errorf("SplitWords(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzNormalizeWord(f *testing.F) {
	for _, s := range []string{"l'École", "Pistes  cyclables!", "de la", "œuvre", "🚲 vélo", "qu'l'x", "\xff", "ϒ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, ok := NormalizeWord(s)
		if ok != (key != "") {
			t.Fatalf("NormalizeWord(%q) = %q, %v", s, key, ok)
		}
		if !ok {
			return
		}
		if !utf8.ValidString(key) || strings.IndexFunc(key, hasLower) >= 0 {
			t.Fatalf("NormalizeWord(%q) = %q: not a folded key", s, key)
		}
		again, ok2 := NormalizeWord(key)
		if again != key || !ok2 {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, key, again, ok2)
		}
	})
}

func BenchmarkNormalizeWord(b *testing.B) {
	for _, in := range []string{"vélo", "L’École de la République", "pistes cyclables"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NormalizeWord(in)
			}
		})
	}
}

// hasLower reports an upper-case letter that has a lower-case form (ϒ has none).
func hasLower(r rune) bool { return unicode.ToLower(r) != r }

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Languages Agora speaks, the default first.
var Languages = []string{"fr", "en"}

// DefaultLanguage is used when nothing else decides.
const DefaultLanguage = "fr"

// SupportedLanguage reports whether lang has a catalog.
func SupportedLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// message is one catalog entry: a plain text, or plural forms.
type message struct {
	Text   string // set when the entry is a plain string
	One    string // plural forms, set when the entry is an object
	Other  string
	Plural bool
}

// Catalog holds the translations of every UI string, one flat map of keys
// ("nav.home", "error.email_invalid") per language.
//
// A value is either a string or an object {"one": …, "other": …} for plural
// forms; the first argument then chooses the form. Placeholders {0}, {1}, …
// are replaced by the arguments, in order.
type Catalog struct {
	langs map[string]map[string]message
}

// LoadCatalog reads i18n/{lang}.json from fsys for every language.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{langs: make(map[string]map[string]message)}
	for _, lang := range Languages {
		b, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("load catalog: %w", err)
		}
		msgs, err := parseCatalog(b)
		if err != nil {
			return nil, fmt.Errorf("load catalog %s: %w", lang, err)
		}
		c.langs[lang] = msgs
	}
	return c, nil
}

func parseCatalog(b []byte) (map[string]message, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	msgs := make(map[string]message, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		if len(v) > 0 && v[0] == '"' {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			msgs[k] = message{Text: s}
			continue
		}
		var p struct{ One, Other *string }
		if err := json.Unmarshal(v, &p); err != nil || p.One == nil || p.Other == nil {
			return nil, fmt.Errorf("%s: want a string or {\"one\", \"other\"}", k)
		}
		msgs[k] = message{One: *p.One, Other: *p.Other, Plural: true}
	}
	return msgs, nil
}

// Keys returns the sorted keys of a language's catalog.
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.langs[lang]))
	for k := range c.langs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether key is translated in lang.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.langs[lang][key]
	return ok
}

// IsPlural reports whether key has plural forms in lang.
func (c *Catalog) IsPlural(lang, key string) bool { return c.langs[lang][key].Plural }

// Forms returns every text of key in lang (one, or the plural forms), for checks.
func (c *Catalog) Forms(lang, key string) []string {
	m := c.langs[lang][key]
	if m.Plural {
		return []string{m.One, m.Other}
	}
	return []string{m.Text}
}

// T translates key into lang, falling back to the default language and
// then to the key itself, so a missing translation shows up but breaks
// nothing. For plural entries, args[0] is the count.
func (c *Catalog) T(lang, key string, args ...any) string {
	m, ok := c.langs[lang][key]
	if !ok {
		lang = DefaultLanguage
		if m, ok = c.langs[lang][key]; !ok {
			return key
		}
	}
	s := m.Text
	if m.Plural {
		s = m.Other
		if n, ok := count(args); ok && pluralOne(lang, n) {
			s = m.One
		}
	}
	return fill(s, localNumbers(c, lang, args))
}

// localNumbers writes the numeric arguments as the language does (see
// FormatNumber); the others stay as they are.
func localNumbers(c *Catalog, lang string, args []any) []any {
	out := args
	for i, a := range args {
		switch a.(type) {
		case int, int64, int32, uint, uint64, float64, float32:
			if &out[0] == &args[0] {
				out = append([]any(nil), args...)
			}
			out[i] = FormatNumber(c, lang, a)
		}
	}
	return out
}

// FormatNumber writes a number for people reading lang: groups of three
// digits and the decimal mark from the catalog ("number.group",
// "number.decimal"): 1 234,5 in French (a narrow no-break space), 1,234.5
// in English. Floats keep one decimal, or none when whole. Anything else
// is printed as is.
func FormatNumber(c *Catalog, lang string, v any) string {
	var (
		neg       bool
		whole     uint64
		frac      string
		isNumeric = true
	)
	switch n := v.(type) {
	case int:
		neg, whole = n < 0, abs64(int64(n))
	case int64:
		neg, whole = n < 0, abs64(n)
	case int32:
		neg, whole = n < 0, abs64(int64(n))
	case uint:
		whole = uint64(n)
	case uint64:
		whole = n
	case float32, float64:
		f := toFloat(n)
		s := strconv.FormatFloat(f, 'f', 1, 64)
		if strings.HasPrefix(s, "-") {
			neg, s = true, s[1:]
		}
		w, fr, _ := strings.Cut(s, ".")
		whole, _ = strconv.ParseUint(w, 10, 64)
		if fr != "0" {
			frac = fr
		}
	case string:
		// A decimal already written by Go ("7.5"): only the mark changes.
		if _, err := strconv.ParseFloat(n, 64); err != nil || strings.ContainsAny(n, "eE") {
			return n
		}
		w, fr, ok := strings.Cut(n, ".")
		if !ok {
			return n
		}
		return w + c.text(lang, "number.decimal", ".") + fr
	default:
		isNumeric = false
	}
	if !isNumeric {
		return fmt.Sprint(v)
	}
	group := c.text(lang, "number.group", ",")
	digits := strconv.FormatUint(whole, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString(c.text(lang, "number.decimal", "."))
		b.WriteString(frac)
	}
	return b.String()
}

func abs64(n int64) uint64 {
	if n < 0 {
		return uint64(-n)
	}
	return uint64(n)
}

func toFloat(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	return v.(float64)
}

// text is a plain entry of lang, or def when there is none.
func (c *Catalog) text(lang, key, def string) string {
	if m, ok := c.langs[lang][key]; ok && !m.Plural {
		return m.Text
	}
	if m, ok := c.langs[DefaultLanguage][key]; ok && !m.Plural {
		return m.Text
	}
	return def
}

// pluralOne reports whether n takes the "one" form: 0 and 1 in French,
// only 1 in English.
func pluralOne(lang string, n int64) bool {
	if lang == "fr" {
		return n == 0 || n == 1
	}
	return n == 1
}

func count(args []any) (int64, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch v := args[0].(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case uint:
		return int64(v), true
	case uint64:
		return int64(v), true
	}
	return 0, false
}

// fill replaces {0}, {1}, … with the arguments; other braces stay.
func fill(s string, args []any) string {
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		n, err := strconv.Atoi(s[i+1 : i+j])
		if err != nil || n < 0 || n >= len(args) {
			b.WriteString(s[:i+j+1])
		} else {
			b.WriteString(s[:i])
			fmt.Fprint(&b, args[n])
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

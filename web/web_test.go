package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newWeb(t *testing.T) *Web {
	t.Helper()
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCatalog_LanguagesHaveSameKeys(t *testing.T) {
	c := newWeb(t).Catalog()
	fr, en := c.Keys("fr"), c.Keys("en")
	if diff := cmp.Diff(fr, en); diff != "" {
		t.Fatalf("fr and en keys differ (-fr +en):\n%s", diff)
	}
	for _, k := range fr {
		if c.IsPlural("fr", k) != c.IsPlural("en", k) {
			t.Errorf("%s: plural in one language only", k)
		}
		if pf, pe := placeholders(c.Forms("fr", k)), placeholders(c.Forms("en", k)); pf != pe {
			t.Errorf("%s: placeholders fr %q, en %q", k, pf, pe)
		}
	}
}

var placeholderRE = regexp.MustCompile(`\{\d+\}`)

func placeholders(forms []string) string {
	set := map[string]bool{}
	for _, f := range forms {
		for _, p := range placeholderRE.FindAllString(f, -1) {
			set[p] = true
		}
	}
	var ps []string
	for p := range set {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return strings.Join(ps, "")
}

// Every "error.…" key written in the Go code of the repository must be
// translated, or users would see the raw key.
func TestCatalog_HasEveryErrorKeyUsedInCode(t *testing.T) {
	c := newWeb(t).Catalog()
	keyRE := regexp.MustCompile(`"(error\.[a-z0-9_.]*[a-z0-9_])"`)
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && d.Name() != ".." || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			found++
			for _, lang := range Languages {
				if !c.Has(lang, m[1]) {
					t.Errorf("%s: %s missing from %s.json", path, m[1], lang)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 20 {
		t.Fatalf("found only %d error keys: is the scan looking at the repository?", found)
	}
}

func TestCatalog_T(t *testing.T) {
	c := newWeb(t).Catalog()
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"fr", "nav.home", nil, "Accueil"},
		{"en", "nav.home", nil, "Home"},
		{"de", "nav.home", nil, "Accueil"}, // unknown language: French
		{"en", "no.such.key", nil, "no.such.key"},
		{"fr", "error.password_length", []any{10}, "Le mot de passe doit compter au moins 10 caractères."},
		{"en", "error.options_count", []any{2, 10}, "There must be between 2 and 10 answer options."},
		// French treats 0 and 1 as singular, English only 1.
		{"fr", "home.open_count", []any{0}, "0 consultation ouverte"},
		{"fr", "home.open_count", []any{1}, "1 consultation ouverte"},
		{"fr", "home.open_count", []any{2}, "2 consultations ouvertes"},
		{"en", "home.open_count", []any{0}, "0 open consultations"},
		{"en", "home.open_count", []any{1}, "1 open consultation"},
		{"en", "home.open_count", []any{int64(3)}, "3 open consultations"},
	}
	for _, tc := range tests {
		if got := c.T(tc.lang, tc.key, tc.args...); got != tc.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", tc.lang, tc.key, tc.args, got, tc.want)
		}
	}
}

func TestFill(t *testing.T) {
	tests := []struct {
		s    string
		args []any
		want string
	}{
		{"a {0} b {1}", []any{1, "x"}, "a 1 b x"},
		{"{1}{0}", []any{"a", "b"}, "ba"},
		{"{2} {x} {", []any{1}, "{2} {x} {"},
		{"no args {0}", nil, "no args {0}"},
	}
	for _, tc := range tests {
		if got := fill(tc.s, tc.args); got != tc.want {
			t.Errorf("fill(%q, %v) = %q, want %q", tc.s, tc.args, got, tc.want)
		}
	}
}

// Templates must have no inline script, no inline style and no event
// handler attribute: the Content-Security-Policy forbids them.
func TestTemplates_NoInlineScriptOrStyle(t *testing.T) {
	bad := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(\s[^>]*)?>`),
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	srcRE := regexp.MustCompile(`(?i)<script\s[^>]*\bsrc=`)
	files, _ := fs.Glob(embedded, "templates/*.html")
	if len(files) == 0 {
		t.Fatal("no templates")
	}
	for _, f := range files {
		b, _ := fs.ReadFile(embedded, f)
		for _, re := range bad {
			for _, m := range re.FindAllString(string(b), -1) {
				if re == bad[0] && srcRE.MatchString(m) {
					continue
				}
				t.Errorf("%s: %q", f, m)
			}
		}
	}
}

func TestWeb_StaticHashedURL(t *testing.T) {
	w := newWeb(t)
	u := w.StaticURL("css/agora.css")
	if !regexp.MustCompile(`^/static/css/agora\.[0-9a-f]{10}\.css$`).MatchString(u) {
		t.Fatalf("StaticURL = %q", u)
	}
	f, ok := w.Static(strings.TrimPrefix(u, "/static/"))
	if !ok || !f.Immutable || f.ContentType != "text/css; charset=utf-8" || len(f.Body) == 0 {
		t.Fatalf("hashed lookup: %v %+v", ok, f)
	}
	f, ok = w.Static("css/agora.css")
	if !ok || f.Immutable {
		t.Fatalf("plain lookup: %v %+v", ok, f)
	}
	if _, ok := w.Static("css/agora.0000000000.css"); ok {
		t.Fatal("a wrong hash was served")
	}
	if _, ok := w.Static("../web.go"); ok {
		t.Fatal("served a file outside static/")
	}
	if got := w.StaticURL("nope.js"); got != "/static/nope.js" {
		t.Fatalf("unknown file URL %q", got)
	}
}

// Dev mode reads the same files from disk through the same code.
func TestWeb_DevReadsFromDisk(t *testing.T) {
	dev, err := New(Options{Dev: true, Dir: "."})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dev.StaticURL("css/agora.css"), newWeb(t).StaticURL("css/agora.css"); got != want {
		t.Fatalf("dev URL %q, embedded %q", got, want)
	}
	if got := dev.T("en", "nav.home"); got != "Home" {
		t.Fatalf("dev T = %q", got)
	}
}

func TestParagraphs(t *testing.T) {
	got := paragraphs("One\r\nline two\n\n\n  Three  \n\n")
	if diff := cmp.Diff([]string{"One\nline two", "Three"}, got); diff != "" {
		t.Fatal(diff)
	}
}

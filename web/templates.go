package web

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris on hosts without a zone database
)

// layouts are parsed with every page: the base layout and shared partials.
var layouts = []string{"base.html", "partials.html", "proposals.html", "comments.html"}

// Pages lists every page template, by name (the file is templates/{name}.html).
// Each defines "title" and "content", which the base layout places.
var Pages = []string{
	"home",
	"consultation",
	"proposal",
	"proposal_new",
	"signin",
	"signup",
	"setup",
	"admin",
	"facilitate",
	"facilitate_prepare",
	"facilitate_dashboard",
	"facilitate_summary",
	"screen",
	"error",
	"join",
	"participant",
	"activity",
	"moderate",
	"password_forgot",
	"password_reset",
	"me",
	"account_deleted",
	"admin_consultation",
	"accessibility",
	"report",
}

// pageTemplate is one page parsed with the layouts, for one language.
type pageTemplate struct{ t *template.Template }

func (p pageTemplate) Execute(w io.Writer, data any) error {
	return p.t.ExecuteTemplate(w, "base", data)
}

// parsePages parses every page for lang. Each language has its own set, so
// that {{t "key"}} needs no language argument and nothing is parsed or
// escaped per request.
func parsePages(fsys fs.FS, lang string, cat *Catalog, st *staticSet) (map[string]pageTemplate, error) {
	funcs := funcMap(lang, cat, st)
	base := template.New("").Funcs(funcs)
	for _, name := range layouts {
		b, err := fs.ReadFile(fsys, "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse templates: %w", err)
		}
		if _, err := base.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("parse templates: %w", err)
		}
	}
	pages := make(map[string]pageTemplate, len(Pages))
	for _, name := range Pages {
		b, err := fs.ReadFile(fsys, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse templates: %w", err)
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("parse templates: %w", err)
		}
		if _, err := t.New(name + ".html").Parse(string(b)); err != nil {
			return nil, fmt.Errorf("parse templates: %w", err)
		}
		pages[name] = pageTemplate{t: t}
	}
	return pages, nil
}

// funcMap returns the template functions bound to one language.
func funcMap(lang string, cat *Catalog, st *staticSet) template.FuncMap {
	return template.FuncMap{
		"t":          func(key string, args ...any) string { return cat.T(lang, key, args...) },
		"lang":       func() string { return lang },
		"static":     st.url,
		"date":       func(v any) string { return formatDate(cat, lang, v) },
		"datetime":   func(v any) string { return formatDateTime(cat, lang, v) },
		"number":     func(v any) string { return FormatNumber(cat, lang, v) },
		"isodate":    isoDate,
		"paragraphs": paragraphs,
		"dict":       dict,
		"localtime":  func(v any) string { return localFormat(v, "2006-01-02 15:04") },
		"localinput": func(v any) string { return localFormat(v, "2006-01-02T15:04") },
	}
}

// dict builds a map from key, value pairs, to pass several values to a
// partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// formatDate writes a date the way the language does, in the instance's
// zone: "1er mars 2026", "26 novembre 2026"; "March 1, 2026". It accepts
// time.Time and *time.Time; nil gives "".
func formatDate(cat *Catalog, lang string, v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	t = t.In(localZone)
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = cat.T(lang, "date.day_first")
	}
	month := cat.T(lang, fmt.Sprintf("month.%d", int(t.Month())))
	// The year is text: a number would be grouped ("2 026").
	return cat.T(lang, "date.format", day, month, strconv.Itoa(t.Year()))
}

// formatDateTime writes a date and its time of day in the instance's
// zone: "14 mars 2026 à 18 h 30", "March 14, 2026 at 18:30", as the
// catalog's "datetime.format" and "time.format" say.
func formatDateTime(cat *Catalog, lang string, v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	t = t.In(localZone)
	clock := cat.T(lang, "time.format", fmt.Sprintf("%02d", t.Hour()), fmt.Sprintf("%02d", t.Minute()))
	return cat.T(lang, "datetime.format", formatDate(cat, lang, t), clock)
}

// isoDate gives the machine-readable value of a <time datetime>.
func isoDate(v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	return t.Format("2006-01-02")
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, false
		}
		return *t, true
	}
	return time.Time{}, false
}

// localZone is where people read and type dates and times: the instance
// serves French public bodies.
var localZone = func() *time.Location {
	if z, err := time.LoadLocation("Europe/Paris"); err == nil {
		return z
	}
	return time.UTC
}()

// localFormat writes an instant in localZone with layout (a datetime-local
// field's value, or a date and time to read); nil gives "".
func localFormat(v any, layout string) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	return t.In(localZone).Format(layout)
}

// paragraphs splits plain text on blank lines, for <p> elements. The text
// stays text: the template escapes each paragraph.
func paragraphs(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Package web owns every byte Agora serves that is not computed: the HTML
// templates, the static CSS and JavaScript, and the translation catalogs.
// They are embedded in the binary; in Dev mode they are read from disk on
// each use, through the same code.
package web

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
)

//go:embed templates static i18n
var embedded embed.FS

// Options configure New.
type Options struct {
	// Dev reads the files from Dir on each use instead of the embedded copy.
	Dev bool
	// Dir is the web folder read in Dev mode (default "web").
	Dir string
}

// Web serves templates, static files and translations.
type Web struct {
	fsys fs.FS
	dev  bool

	mu   sync.Mutex
	snap *snapshot // the parsed files; reloaded on each use in Dev mode
}

// snapshot is everything parsed from one state of the files.
type snapshot struct {
	catalog *Catalog
	static  *staticSet
	pages   map[string]map[string]pageTemplate // lang → page → template
}

// New loads and parses everything once, so a broken template or catalog
// fails at start.
func New(opts Options) (*Web, error) {
	w := &Web{fsys: embedded, dev: opts.Dev}
	if opts.Dev {
		dir := opts.Dir
		if dir == "" {
			dir = "web"
		}
		w.fsys = os.DirFS(dir)
	}
	snap, err := load(w.fsys)
	if err != nil {
		return nil, err
	}
	w.snap = snap
	return w, nil
}

// load parses the catalogs, indexes the static files and parses the
// templates of every language.
func load(fsys fs.FS) (*snapshot, error) {
	cat, err := LoadCatalog(fsys)
	if err != nil {
		return nil, err
	}
	st, err := loadStatic(fsys)
	if err != nil {
		return nil, err
	}
	s := &snapshot{catalog: cat, static: st, pages: make(map[string]map[string]pageTemplate)}
	for _, lang := range Languages {
		p, err := parsePages(fsys, lang, cat, st)
		if err != nil {
			return nil, err
		}
		s.pages[lang] = p
	}
	return s, nil
}

// current returns the snapshot, reloading it from disk in Dev mode. A
// reload that fails keeps the error visible and the last good snapshot.
func (w *Web) current() (*snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dev {
		snap, err := load(w.fsys)
		if err != nil {
			return w.snap, err
		}
		w.snap = snap
	}
	return w.snap, nil
}

// Catalog returns the translations.
func (w *Web) Catalog() *Catalog {
	s, _ := w.current()
	return s.catalog
}

// T translates key into lang; see Catalog.T.
func (w *Web) T(lang, key string, args ...any) string { return w.Catalog().T(lang, key, args...) }

// Render executes page (a name from the pages list) in lang with data.
func (w *Web) Render(out io.Writer, lang, page string, data any) error {
	s, err := w.current()
	if err != nil {
		return err
	}
	if !SupportedLanguage(lang) {
		lang = DefaultLanguage
	}
	t, ok := s.pages[lang][page]
	if !ok {
		return fmt.Errorf("render: unknown page %q", page)
	}
	return t.Execute(out, data)
}

// StaticURL returns the content-hashed URL of a file under static/, e.g.
// "css/agora.css" → "/static/css/agora.3f2a1c9d0e.css". An unknown file
// gets its plain URL, so a typo shows as a 404 rather than a crash.
func (w *Web) StaticURL(name string) string {
	s, _ := w.current()
	return s.static.url(name)
}

// StaticFile is a file ready to serve.
type StaticFile struct {
	Body        []byte
	ContentType string
	ETag        string
	// Immutable is true when the file was asked for by its hashed name: its
	// content can never change at that URL.
	Immutable bool
}

// Static finds the file asked for by a path below /static/, either by its
// hashed name or by its plain name (for ES modules importing each other
// by relative path).
func (w *Web) Static(name string) (*StaticFile, bool) {
	s, _ := w.current()
	return s.static.lookup(path.Clean("/" + name)[1:])
}

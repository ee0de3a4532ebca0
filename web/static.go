package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// hashLen is how many hex digits of the SHA-256 go into a static URL.
const hashLen = 10

// staticSet indexes the files under static/ by plain and hashed name.
type staticSet struct {
	files  map[string]*StaticFile // plain name → file
	hashed map[string]string      // hashed name → plain name
	urls   map[string]string      // plain name → hashed URL
}

func loadStatic(fsys fs.FS) (*staticSet, error) {
	s := &staticSet{
		files:  make(map[string]*StaticFile),
		hashed: make(map[string]string),
		urls:   make(map[string]string),
	}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:hashLen]
		hn := hashedName(name, h)
		s.files[name] = &StaticFile{Body: body, ContentType: contentType(name), ETag: `"` + h + `"`}
		s.hashed[hn] = name
		s.urls[name] = "/static/" + hn
		return nil
	})
	return s, err
}

// hashedName inserts the hash before the extension: css/agora.css →
// css/agora.3f2a1c9d0e.css.
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

func (s *staticSet) url(name string) string {
	if u, ok := s.urls[name]; ok {
		return u
	}
	return "/static/" + name
}

func (s *staticSet) lookup(name string) (*StaticFile, bool) {
	if plain, ok := s.hashed[name]; ok {
		f := *s.files[plain]
		f.Immutable = true
		return &f, true
	}
	f, ok := s.files[name]
	return f, ok
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

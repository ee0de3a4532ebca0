package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/report"
)

// The bilan at /c/{slug}/report and its open data: public once the
// organiser publishes it, visible to staff before, marked as a draft.

// opendataKeySetting names the instance-wide key that pseudonymises
// participants in the open data: the same person keeps the same id in
// every export, and nobody without the key can link it back.
const opendataKeySetting = "opendata_pseudonym_key"

// pseudoKeyCache caches the key once read from the store.
type pseudoKeyCache struct {
	mu  sync.Mutex
	key []byte
}

func (s *Server) registerReportRoutes() {
	s.app.Get("/c/:slug/report", s.handleReport)
	s.app.Get("/c/:slug/report/opendata.json", s.handleOpendata(false))
	s.app.Get("/c/:slug/report/opendata.zip", s.handleOpendata(true))
}

// opendataKey returns the pseudonym key, creating it on first use; every
// node gets the first value stored.
func (s *Server) opendataKey(ctx context.Context) ([]byte, error) {
	s.pseudo.mu.Lock()
	defer s.pseudo.mu.Unlock()
	if s.pseudo.key != nil {
		return s.pseudo.key, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, agora.WrapError(agora.EINTERNAL, "opendata key", err)
	}
	v, err := s.store.EnsureSetting(ctx, opendataKeySetting, hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) == 0 {
		return nil, agora.WrapError(agora.EINTERNAL, "opendata key: not hex", err)
	}
	s.pseudo.key = key
	return key, nil
}

// reportConsultation reads the consultation of :slug when its report may
// be shown: published, or to staff. draft tells the page to say it is not
// public. Anyone else gets the same 404 as for no report at all.
func (s *Server) reportConsultation(c *fiber.Ctx) (cons *agora.Consultation, draft bool, err error) {
	cons, err = s.visibleConsultation(c)
	if err != nil {
		return nil, false, err
	}
	if cons.ReportPublished {
		return cons, false, nil
	}
	u, err := s.currentUser(c)
	if err != nil {
		return nil, false, err
	}
	if u == nil || !isStaff(u.Role) {
		return nil, false, agora.Errorf(agora.ENOTFOUND, "report.not_found")
	}
	return cons, true, nil
}

// isStaff: the roles that run a consultation and may read its draft report.
func isStaff(r agora.Role) bool { return r.CanFacilitate() || r.CanModerate() }

// built returns a report's figures and files from one reading of the
// store: shared for a moment when the report is published, fresh for a
// draft.
func (s *Server) built(ctx context.Context, cons *agora.Consultation, draft bool) (builtReport, error) {
	key, err := s.opendataKey(ctx)
	if err != nil {
		return builtReport{}, err
	}
	if !draft {
		return s.publishedReport(ctx, cons, key)
	}
	r, ex, err := report.BuildAll(ctx, s.store, cons, key)
	return builtReport{r: r, ex: ex}, err
}

func (s *Server) handleReport(c *fiber.Ctx) error {
	cons, draft, err := s.reportConsultation(c)
	if err != nil {
		return err
	}
	// One read for both: the figures shown and the files fingerprinted
	// come from the same rows, whatever votes arrive meanwhile.
	b, err := s.built(c.UserContext(), cons, draft)
	if err != nil {
		return err
	}
	r, ex := b.r, b.ex
	v := reportShaper{cat: s.web.Catalog(), lang: s.lang(c)}.view(r)
	v.Draft = draft
	base := "/c/" + cons.Slug + "/report/"
	v.JSONFile, v.ZipFile = cons.Slug+"-opendata.json", cons.Slug+"-opendata.zip"
	v.JSONURL, v.ZipURL = base+"opendata.json", base+"opendata.zip"
	v.Base = s.cfg.PublicURL
	v.JSONSHA256, v.ZipSHA256 = ex.JSONSHA256, ex.ZipSHA256
	v.JSONSize, v.ZipSize = len(ex.JSON), len(ex.Zip)
	if draft {
		c.Set("X-Robots-Tag", "noindex")
	}
	return s.render(c, fiber.StatusOK, "report", form{}, v)
}

// handleOpendata sends the JSON document or the zip of CSV files, the
// same bytes whose fingerprint the page shows.
func (s *Server) handleOpendata(zip bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cons, draft, err := s.reportConsultation(c)
		if err != nil {
			return err
		}
		b, err := s.built(c.UserContext(), cons, draft)
		if err != nil {
			return err
		}
		ex := b.ex
		body, sum, ext, ctype := ex.JSON, ex.JSONSHA256, "json", "application/json; charset=utf-8"
		if zip {
			body, sum, ext, ctype = ex.Zip, ex.ZipSHA256, "zip", "application/zip"
		}
		c.Set(fiber.HeaderContentType, ctype)
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+cons.Slug+"-opendata."+ext+`"`)
		c.Set("X-Content-SHA256", sum)
		if b, err := hex.DecodeString(sum); err == nil {
			c.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(b))
		}
		// A draft's data is for staff only: no shared cache may keep it.
		if draft {
			c.Set(fiber.HeaderCacheControl, "private, no-store")
		} else {
			c.Set(fiber.HeaderCacheControl, "no-cache")
		}
		return c.Status(fiber.StatusOK).Send(body)
	}
}

package server

import (
	"context"
	"sync"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/report"
)

// reportCache shares the build of a published report between the
// requests of a moment. A report of 10,000 votes took about 130 ms of CPU
// to build (figures, JSON, CSV, zip) on every request, and its page and
// files are public: the day a report is announced, a thousand readers a
// minute would have kept two cores busy. Now one build runs at a time on
// a node, readers who arrive meanwhile wait for it and take its result,
// and it serves every request for reportTTL after it, so a published
// report is about that old at most. Drafts, read by staff only, are built
// fresh on every request.
type reportCache struct {
	builds stampedMap[int64, builtReport] // consultation ID
	mu     sync.Mutex                     // held while a published report builds
}

// builtReport is a report's figures and files from one reading of the
// store: the page's fingerprints are those of the files.
type builtReport struct {
	r  *report.Report
	ex *report.Exports
}

const (
	reportTTL = 2 * time.Second
	// reportsMax: the map starts over past this many consultations. A
	// build holds its files (a few MB for 10,000 votes) until then, and
	// few reports are read within the same two seconds.
	reportsMax = 16
	// reportBuildTimeout bounds a build, which other readers wait for.
	reportBuildTimeout = 30 * time.Second
)

// publishedReport returns the build of a published consultation's report
// made less than reportTTL ago, building it if there is none: the readers
// who waited for the lock meanwhile find it made.
func (s *Server) publishedReport(ctx context.Context, cons *agora.Consultation, key []byte) (builtReport, error) {
	c := &s.reports
	if b, ok := c.builds.get(cons.ID, s.now(), reportTTL); ok {
		return b, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.builds.get(cons.ID, s.now(), reportTTL); ok {
		return b, nil // built while this reader waited
	}
	ctx, cancel := context.WithTimeout(ctx, reportBuildTimeout)
	defer cancel()
	r, ex, err := report.BuildAll(ctx, s.store, cons, key)
	if err != nil {
		return builtReport{}, err
	}
	b := builtReport{r: r, ex: ex}
	c.builds.put(cons.ID, b, s.now(), reportsMax)
	return b, nil
}

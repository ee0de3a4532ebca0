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
// minute would have kept two cores busy. Now at most one build per
// consultation runs at a time, and its result serves every request for
// reportTTL after it, so a published report is about that old at most.
// Drafts, read by staff only, are built fresh on every request.
type reportCache struct {
	builds stampedMap[int64, builtReport] // consultation ID

	mu      sync.Mutex
	flights map[int64]*reportFlight // builds running, by consultation ID
}

// builtReport is a report's figures and files from one reading of the
// store: the page's fingerprints are those of the files.
type builtReport struct {
	r  *report.Report
	ex *report.Exports
}

// reportFlight is a build that other requests wait for.
type reportFlight struct {
	done chan struct{}
	b    builtReport
	err  error
}

const (
	reportTTL = 2 * time.Second
	// reportsMax: the map starts over past this many consultations. A
	// build holds its files (a few MB for 10,000 votes) until then, and
	// few reports are read within the same two seconds.
	reportsMax = 16
	// reportBuildTimeout bounds a shared build, which outlives the
	// request that started it if that one goes away.
	reportBuildTimeout = 30 * time.Second
)

// publishedReport returns the build of a published consultation's report,
// shared with the requests of the last reportTTL, or with the build that
// is running for it.
func (s *Server) publishedReport(ctx context.Context, cons *agora.Consultation, key []byte) (builtReport, error) {
	c := &s.reports
	if b, ok := c.builds.get(cons.ID, s.now(), reportTTL); ok {
		return b, nil
	}
	c.mu.Lock()
	f, running := c.flights[cons.ID]
	if !running {
		f = &reportFlight{done: make(chan struct{})}
		if c.flights == nil {
			c.flights = map[int64]*reportFlight{}
		}
		c.flights[cons.ID] = f
	}
	c.mu.Unlock()
	if !running {
		s.buildShared(ctx, cons, key, f)
	}
	select {
	case <-f.done:
		return f.b, f.err
	case <-ctx.Done():
		return builtReport{}, ctx.Err()
	}
}

// buildShared runs f's build. The build is everyone's: a reader who leaves
// does not cancel it. Whatever happens to it, a panic included, f is done
// and no longer running when this returns.
func (s *Server) buildShared(ctx context.Context, cons *agora.Consultation, key []byte, f *reportFlight) {
	c := &s.reports
	f.err = agora.Errorf(agora.EINTERNAL, "report build failed")
	defer func() {
		c.mu.Lock()
		delete(c.flights, cons.ID)
		c.mu.Unlock()
		close(f.done)
	}()
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportBuildTimeout)
	defer cancel()
	r, ex, err := report.BuildAll(bctx, s.store, cons, key)
	f.b, f.err = builtReport{r: r, ex: ex}, err
	if err == nil {
		c.builds.put(cons.ID, f.b, s.now(), reportsMax)
	}
}

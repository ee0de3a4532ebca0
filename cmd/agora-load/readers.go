package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// readers are visitors of the poll's public results during the vote
// burst, as the public of a streamed town hall refreshing its results
// page: anonymous, no socket, each reading GET /api/v1/activities/{id}/results
// every Config.ReadEvery, from the poll's opening to the last vote's
// answer, in turn on every node.
type readers struct {
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu     sync.Mutex
	lat    []time.Duration
	errors int
}

// startReaders starts cfg.Readers readers; finish stops them.
func (r *runner) startReaders(ctx context.Context) *readers {
	ctx, stop := context.WithCancel(ctx)
	rd := &readers{stop: stop}
	for i := range r.cfg.Readers {
		rd.wg.Go(func() { rd.read(ctx, r, i) })
	}
	return rd
}

func (rd *readers) read(ctx context.Context, r *runner, i int) {
	// Readers start spread over one period, as visitors do.
	next := time.Now().Add(r.cfg.ReadEvery * time.Duration(i) / time.Duration(r.cfg.Readers))
	for n := i; ; n++ {
		if sleep(ctx, time.Until(next)) != nil {
			return
		}
		next = next.Add(r.cfg.ReadEvery)
		base := r.cfg.Bases[n%len(r.cfg.Bases)]
		t0 := time.Now()
		err := r.readResults(ctx, base)
		if ctx.Err() != nil {
			return // stopped mid-read: not a reader's answer
		}
		rd.mu.Lock()
		if err != nil {
			rd.errors++
			r.stats.fail("public results read", err)
		} else {
			rd.lat = append(rd.lat, time.Since(t0))
		}
		rd.mu.Unlock()
	}
}

// readResults reads the poll's public results once; anything but a 200
// is an error.
func (r *runner) readResults(ctx context.Context, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/activities/%d/results", base, r.poll.ID), nil)
	if err != nil {
		return err
	}
	resp, err := r.pool.readers.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return &statusError{op: "results", status: resp.StatusCode, body: string(body)}
	}
	_, err = io.Copy(io.Discard, resp.Body) // read whole, as a browser does
	return err
}

// finish stops the readers and reports their reads.
func (rd *readers) finish(rep *Report) {
	rd.stop()
	rd.wg.Wait()
	rep.Reads, rep.ReadErrors = distOf(rd.lat), rd.errors
}

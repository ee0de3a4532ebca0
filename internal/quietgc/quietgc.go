// Package quietgc runs the garbage collector's cycles while the process is
// quiet, rather than wherever the heap happens to reach its goal.
//
// A workshop's load comes in bursts: a hall of phones joins, then nothing
// much happens while the facilitator speaks, then every phone votes within
// seconds. A node holding 10,000 sockets marks about 100 MB of small
// objects and 10,000 goroutine stacks in each cycle: half a second of a
// core. Left to the heap's goal, that cycle often fell inside the vote
// burst, where its mark assists slowed the votes being answered: over nine
// runs the acknowledgement p99 had a median of 86 ms, against 39 ms with
// this package (BENCHMARKS.md, host K). A cycle run in the quiet before
// costs the same CPU, but nobody waits for it, and leaves the burst the
// heap's whole growth allowance.
package quietgc

import (
	"context"
	"runtime"
	"runtime/metrics"
	"time"
)

// Options tune the collector. The zero value takes the defaults.
type Options struct {
	// Every is how often the process is looked at (250 ms when zero).
	Every time.Duration
	// QuietLooks is how many looks in a row must find the process quiet
	// (8 when zero: two seconds). A facilitator's commands come a second
	// or so apart (close the poll, then show its results), and a cycle
	// begun in that gap marks while the next command goes out.
	QuietLooks int
	// BusyShare is the share of the CPU (GOMAXPROCS cores) the process may
	// use between two looks and still be quiet (0.1 when zero).
	BusyShare float64
	// Spent is the share of the heap's growth allowance (from the live heap
	// to the goal) that must be used up before a cycle is worth running
	// early (0.25 when zero): the burst that follows gets at least three
	// quarters of it. While quiet the process allocates little, so the
	// cycles it adds are few, and it adds none while busy.
	Spent float64
}

func (o Options) withDefaults() Options {
	if o.Every <= 0 {
		o.Every = 250 * time.Millisecond
	}
	if o.QuietLooks <= 0 {
		o.QuietLooks = 8
	}
	if o.BusyShare <= 0 {
		o.BusyShare = 0.1
	}
	if o.Spent <= 0 {
		o.Spent = 0.25
	}
	return o
}

// reading is what one look finds.
type reading struct {
	at     time.Time
	cpu    time.Duration // the process's CPU time so far, user and system
	cpuOK  bool          // false where the platform does not tell it
	live   uint64        // heap marked live by the last cycle
	goal   uint64        // heap size at which the next cycle starts
	heap   uint64        // heap occupied now, garbage included
	procs  int           // GOMAXPROCS
	cycles uint64        // cycles completed so far
}

// watcher decides, look by look, when to collect.
type watcher struct {
	opts    Options
	last    reading
	started bool
	quiet   int // looks in a row that found the process quiet
}

// look takes a new reading and reports whether a cycle should run now.
func (w *watcher) look(r reading) bool {
	prev, had := w.last, w.started
	w.last, w.started = r, true
	if !had || !r.cpuOK || !prev.cpuOK {
		w.quiet = 0
		return false
	}
	if r.cycles != prev.cycles {
		w.quiet = 0 // a cycle ran meanwhile: its own CPU is not the process being busy
		return false
	}
	wall := r.at.Sub(prev.at)
	if wall <= 0 {
		return false
	}
	share := float64(r.cpu-prev.cpu) / (float64(wall) * float64(max(r.procs, 1)))
	if share > w.opts.BusyShare {
		w.quiet = 0
		return false
	}
	w.quiet++
	if w.quiet < w.opts.QuietLooks || r.goal <= r.live || r.heap <= r.live {
		return false
	}
	spent := float64(r.heap-r.live) / float64(r.goal-r.live)
	if spent < w.opts.Spent {
		return false
	}
	w.quiet = 0
	return true
}

// Run looks at the process every opts.Every and runs a cycle when it has
// been quiet for a while and has used up enough of the heap's allowance,
// until ctx ends. Where the process's CPU time is not known, it never
// collects.
func Run(ctx context.Context, opts Options) {
	w := &watcher{opts: opts.withDefaults()}
	t := time.NewTicker(w.opts.Every)
	defer t.Stop()
	samples := newSamples()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.look(samples.read()) {
			runtime.GC()
			w.last = samples.read() // the cycle's CPU is not the process being busy
		}
	}
}

// samples reads the heap's figures from runtime/metrics, reusing its slice.
type samples struct{ s []metrics.Sample }

func newSamples() *samples {
	return &samples{s: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}}
}

func (s *samples) read() reading {
	metrics.Read(s.s)
	cpu, ok := processCPU()
	return reading{
		at:     time.Now(),
		cpu:    cpu,
		cpuOK:  ok,
		live:   s.s[0].Value.Uint64(),
		goal:   s.s[1].Value.Uint64(),
		heap:   s.s[2].Value.Uint64(),
		cycles: s.s[3].Value.Uint64(),
		procs:  runtime.GOMAXPROCS(0),
	}
}

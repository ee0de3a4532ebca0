package main

import (
	"context"
	"runtime/debug"

	"github.com/agora-civic/agora/internal/quietgc"
)

// serveGCPercent is the collector's target when GOGC is not set: the heap
// may grow to four times what is live before a cycle, against Go's two.
// A node at rest with 10,000 sockets holds about 90 MB live; at Go's
// default a poll's vote burst met a cycle in most runs, and the
// acknowledgement p99 doubled (BENCHMARKS.md, host I). The price is about
// 3.5 KiB more memory per participant, far inside the budget.
const serveGCPercent = 300

// tuneGC sets serveGCPercent unless the operator chose with GOGC, which
// the runtime has already applied, and runs the collector's cycles in the
// node's quiet moments until ctx ends (see quietgc). It returns the target
// in force.
func tuneGC(ctx context.Context, getenv func(string) string) int {
	go quietgc.Run(ctx, quietgc.Options{})
	if getenv("GOGC") != "" {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(serveGCPercent)
	return serveGCPercent
}

//go:build !unix

package quietgc

import "time"

// processCPU is not known here: the collector then never runs a cycle.
func processCPU() (time.Duration, bool) { return 0, false }

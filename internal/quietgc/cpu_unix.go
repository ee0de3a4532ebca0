//go:build unix

package quietgc

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system:
// a socket write's kernel time is most of a broadcast's cost.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

package hub

import (
	"syscall"
	"unsafe"
)

// writeNonblocking is write(2) on a non-blocking descriptor, as a raw
// system call: it cannot block, so it needs none of the scheduler's
// bookkeeping for one that might, which lets the runtime give the
// processor to another thread when the call runs long, and on a crowded
// machine many do. Measured with two nodes on two cores, 2 × 5,000
// phones: the poll's opening reached the last phones 158 ms after the
// command with syscall.Write, 124 ms with this (medians of five
// alternated pairs); one node alone lost a little on the toggles, 90
// against 103 ms (BENCHMARKS.md, host L). Linux only: other systems,
// OpenBSD among them, want their system calls made through libc.
func writeNonblocking(fd uintptr, b []byte) (int, error) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd,
		uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

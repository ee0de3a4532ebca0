//go:build unix && !linux

package hub

import "syscall"

// writeNonblocking is write(2) on a non-blocking descriptor; see
// direct_linux.go for why Linux makes it a raw system call.
func writeNonblocking(fd uintptr, b []byte) (int, error) {
	n, err := syscall.Write(int(fd), b)
	if err != nil {
		return 0, err
	}
	return n, nil
}

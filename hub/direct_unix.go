//go:build unix

package hub

import (
	"net"
	"syscall"
)

// rawConn returns the descriptor of nc for direct writes, or nil when nc
// has none (TLS, a pipe in tests): its frames then always go through the
// writer.
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// writeOnce makes one non-blocking write(2) of b: the runtime keeps every
// socket non-blocking, and the function given to raw.Write reports done
// whatever happened, so that the runtime never parks the caller.
func writeOnce(raw syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if werr == syscall.EAGAIN {
		return 0, errWouldBlock
	}
	if werr != nil {
		return 0, werr
	}
	return n, nil
}

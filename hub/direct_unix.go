//go:build unix

package hub

import (
	"net"
	"syscall"
)

// directWriter makes non-blocking writes on one connection. raw.Write
// takes a function; a closure made for each write cost three allocations
// a socket, 800 KB of garbage a broadcast to 10,000, so the function is
// made once and reads the bytes from the writer. Used under the line's
// lock only.
type directWriter struct {
	raw syscall.RawConn
	fn  func(fd uintptr) bool
	buf []byte
	n   int
	err error
}

// newDirectWriter returns a direct writer on nc, or nil when nc has no
// descriptor (TLS, a pipe in tests): its frames then always go through
// the socket's writer.
func newDirectWriter(nc net.Conn) *directWriter {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &directWriter{raw: raw}
	w.fn = w.write
	return w
}

// write is given to raw.Write. The runtime keeps every socket
// non-blocking, and write reports done whatever happened, so that the
// runtime never parks the caller.
func (w *directWriter) write(fd uintptr) bool {
	for {
		w.n, w.err = writeNonblocking(fd, w.buf)
		if w.err != syscall.EINTR {
			return true
		}
	}
}

// writeOnce makes one non-blocking write(2) of b.
func (w *directWriter) writeOnce(b []byte) (int, error) {
	w.buf = b
	err := w.raw.Write(w.fn)
	w.buf = nil
	switch {
	case err != nil:
		return 0, err
	case w.err == syscall.EAGAIN:
		return 0, errWouldBlock
	case w.err != nil:
		return 0, w.err
	}
	return w.n, nil
}

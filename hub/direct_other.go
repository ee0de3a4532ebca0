//go:build !unix

package hub

import (
	"net"
	"syscall"
)

// Direct writes are for unix systems: elsewhere every frame goes through
// its socket's writer.
func rawConn(net.Conn) syscall.RawConn { return nil }

func writeOnce(syscall.RawConn, []byte) (int, error) { return 0, errWouldBlock }

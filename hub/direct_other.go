//go:build !unix

package hub

import "net"

// Direct writes are for unix systems: elsewhere every frame goes through
// its socket's writer.
type directWriter struct{}

func newDirectWriter(net.Conn) *directWriter { return nil }

func (*directWriter) writeOnce([]byte) (int, error) { return 0, errWouldBlock }

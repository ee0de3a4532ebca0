package hub

import "errors"

// Direct writes.
//
// A broadcast to a crowd used to queue its frame on every socket and wake
// every socket's writer goroutine: at 10,000 sockets, 10,000 channel
// handoffs and goroutine switches per message (a sixth of a broadcast's
// CPU), and 10,000 runnable goroutines sharing two cores with everything
// else. Most sockets are idle, with room in their kernel buffer, so the
// goroutine that delivers now writes the frame itself, with one
// non-blocking write(2) per socket (direct_unix.go). A socket whose writer
// still has frames to send, or whose buffer is full, falls back to its
// queue: order and the slow-socket rules are those of the queue.

// errWouldBlock: the kernel took nothing, the socket's buffer is full.
var errWouldBlock = errors.New("hub: write would block")

// tryWrite writes f from the caller's goroutine when the socket's writer
// has nothing to do, and reports whether f is dealt with: written, begun
// (the writer sends the rest), or not for this socket. False: queue it.
func (c *conn) tryWrite(f *frame) bool {
	if c.direct == nil || c.owed.Load() != 0 || !c.line.mu.TryLock() {
		return false
	}
	if c.owed.Load() != 0 || c.line.rest != nil { // checked again under the lock
		c.line.mu.Unlock()
		return false
	}
	if c.halted.Load() || c.line.closeSent.Load() || (f.kind == frameEvent && f.seq <= c.floor) {
		c.line.mu.Unlock()
		return true // nothing more goes out, or the client has it already
	}
	n, err := c.direct.writeOnce(f.wire)
	switch {
	case err != nil && err != errWouldBlock:
		c.line.mu.Unlock()
		return false // the writer meets the error too, and ends the socket
	case n == len(f.wire):
		c.line.mu.Unlock()
		c.h.direct.Add(1)
		return true
	}
	// The buffer is full: the writer sends the rest before anything else,
	// blocking like any write, under the watchdog. An empty frame wakes it.
	c.line.rest = f.wire[n:]
	c.line.mu.Unlock()
	c.h.split.Add(1)
	c.enqueue(restFrame)
	return true
}

// restFrame wakes a writer to send the rest of a direct write.
var restFrame = &frame{kind: frameControl}

package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Subscription is what one socket receives. The server decides it from who
// the client is, and checks the Origin, before calling Serve: the client
// never chooses its own topic.
type Subscription struct {
	Topic string
	// Resume asks for the events after Since instead of a snapshot; the
	// hub sends a snapshot anyway when its history does not reach back.
	Resume bool
	Since  uint64
	// Member identifies a person for presence (e.g. the participant ID);
	// one person with two tabs counts once. Empty: not counted.
	Member string
}

// conn is one WebSocket. Its reader goroutine owns its life: when reading
// fails, for whatever reason, the socket is closed and detached.
type conn struct {
	h         *Hub
	ws        *websocket.Conn
	nc        net.Conn // the hub writes its frames here (see write)
	topicName string
	member    string

	t   *topic // set by attach
	idx int    // position in t.conns, guarded by t.mu; -1 once detached

	send      chan *frame
	halted    atomic.Bool // the writer is told to stop (halt)
	stopOnce  sync.Once
	leaveOnce sync.Once // detach from the topic
	dropping  atomic.Bool
	pingTimer atomic.Pointer[time.Timer]
	// writingSince is the hub clock's tick when the current write began,
	// 0 between writes (see watchdog.go).
	writingSince atomic.Int64
	line         *line
	floor        uint64 // under line.mu: events at or below it are already known

	// Direct writes (direct.go): direct writes to the descriptor (nil:
	// none), and owed counts the frames the writer has yet to send (the
	// initial ones count as one).
	direct *directWriter
	owed   atomic.Int32
}

// line is what the writers of one connection share: the hub's writer,
// direct writes, and coder/websocket's control frames (through
// lockedWriter). mu serialises whole frames; closeSent is set once a close
// frame is out; rest is the end of a frame a direct write began, which
// goes out before anything else.
type line struct {
	mu        sync.Mutex
	closeSent atomic.Bool
	rest      []byte
}

// flushRest sends the end of a frame begun by a direct write. Called
// under l.mu.
func (l *line) flushRest(w io.Writer) error {
	if len(l.rest) == 0 {
		return nil
	}
	_, err := w.Write(l.rest)
	l.rest = nil
	return err
}

// Serve upgrades the request to a WebSocket subscribed to sub.Topic and
// returns once the socket runs on its own goroutines, owned by the hub: the
// request and its context may be gone by then.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, sub Subscription) error {
	if h.isClosed() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return ErrClosed
	}
	cw := &captureWriter{ResponseWriter: w, line: new(line)}
	// The caller has checked the Origin against the public URL, which
	// coder/websocket cannot know behind a proxy.
	ws, err := websocket.Accept(cw, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return err
	}
	if cw.conn == nil {
		ws.CloseNow()
		return errors.New("hub: hijacked connection not captured")
	}
	ws.SetReadLimit(h.cfg.MaxMessageSize)
	c := &conn{
		h: h, ws: ws, nc: cw.conn, line: cw.line, topicName: sub.Topic, member: sub.Member,
		idx: -1, send: make(chan *frame, h.cfg.SendQueue), direct: newDirectWriter(cw.conn),
	}
	c.owed.Store(1) // the initial frames: nothing is written before them
	if err := h.attach(c); err != nil {
		ws.Close(CloseGoingAway, "going away")
		return err
	}
	initial, err := c.initial(sub)
	if err != nil {
		h.logger.Error("hub: initial state", "topic", sub.Topic, "err", err)
		go c.readLoop()
		c.closeWith(CloseSnapshot, "state unavailable")
		return err
	}
	jitter := time.Duration(rand.Int64N(int64(h.cfg.PingInterval)/2 + 1))
	c.pingTimer.Store(time.AfterFunc(h.cfg.PingInterval/2+jitter, c.ping))
	go c.writeLoop(initial)
	go c.readLoop()
	return nil
}

// initial returns what the socket gets first: the missed events when it
// resumes and history reaches back, a snapshot otherwise. The socket is
// already attached, so nothing published meanwhile is missed; the floor
// skips what the initial frames already cover.
func (c *conn) initial(sub Subscription) ([]*frame, error) {
	if sub.Resume {
		ctx, cancel := context.WithTimeout(c.h.ctx, c.h.cfg.SnapshotTimeout)
		frames, ok := c.h.catchUp(ctx, c.t, sub.Since)
		cancel()
		if ok {
			c.floor = sub.Since
			return frames, nil
		}
	}
	f, err := c.h.snapshot(c.t, false)
	if err != nil {
		return nil, err
	}
	return []*frame{f}, nil
}

func (c *conn) writeLoop(initial []*frame) {
	for _, f := range initial {
		if !c.write(f) {
			return
		}
	}
	c.owed.Add(-1)
	// One channel to wait on, not a select with a stop channel: when a
	// crowd's sockets are busy a message wakes thousands of writers, and a
	// two-way select costs more than a receive. halt wakes an idle writer
	// with a nil frame.
	for f := range c.send {
		if f == nil || c.halted.Load() {
			return
		}
		if !c.write(f) {
			return
		}
		c.owed.Add(-1)
	}
}

// halt stops the writer: at once when idle, after its current write
// otherwise (closing the socket ends a write that blocks).
func (c *conn) halt() {
	c.stopOnce.Do(func() {
		c.halted.Store(true)
		select {
		case c.send <- nil:
		default: // full: the writer is busy and checks halted next
		}
	})
}

// write sends one frame, watched by the hub's write watchdog; false ends
// the writer.
func (c *conn) write(f *frame) bool {
	// The frame's bytes go straight to the connection, under the lock
	// that coder/websocket's own frames (pings, pongs, the closing
	// handshake) take too: one write(2) of bytes framed once for every
	// socket, without coder/websocket's locks and copy per message (15 %
	// of the CPU of a broadcast to 10,000 sockets). Once halted, nothing
	// more is written: the closing frame may be out.
	c.line.mu.Lock()
	if c.halted.Load() || c.line.closeSent.Load() {
		c.line.mu.Unlock()
		return false
	}
	switch f.kind {
	case frameEvent:
		if f.seq <= c.floor {
			f = restFrame // the client has it: only a begun frame's end goes out
		}
	case frameSnapshot:
		c.floor = f.seq
	case frameReplay:
		c.floor = max(c.floor, f.seq)
	}
	c.writingSince.Store(c.h.clock.Load()) // the watchdog closes it if stuck
	err := c.line.flushRest(c.nc)
	if err == nil && len(f.wire) > 0 {
		_, err = c.nc.Write(f.wire)
	}
	c.writingSince.Store(0)
	c.line.mu.Unlock()
	if err != nil {
		c.ws.CloseNow()
		return false
	}
	return true
}

// enqueue queues a frame for this socket alone, dropping it when full.
func (c *conn) enqueue(f *frame) {
	if !c.queue(f) {
		c.drop()
	}
}

// queue hands f to the socket's writer; false when its queue is full.
func (c *conn) queue(f *frame) bool {
	c.owed.Add(1)
	select {
	case c.send <- f:
		return true
	default:
		c.owed.Add(-1)
		return false
	}
}

// drop closes a socket that cannot keep up, without waiting for it.
func (c *conn) drop() {
	if c.dropping.CompareAndSwap(false, true) {
		c.h.dropped.Add(1)
		go func() {
			c.leave() // at once: the closing handshake may take seconds
			c.closeWith(CloseTooSlow, "too slow")
		}()
	}
}

func (c *conn) readLoop() {
	defer c.end()
	for {
		typ, data, err := c.ws.Read(c.h.ctx)
		if err != nil {
			return // closed, too big (coder/websocket sent 1009), or gone
		}
		if typ != websocket.MessageText {
			c.closeWith(ClosePolicy, "text messages only")
			return
		}
		var m Envelope
		if err := json.Unmarshal(data, &m); err != nil {
			c.closeWith(CloseMalformed, "malformed message")
			return
		}
		switch m.Type {
		case TypePing:
			c.enqueue(pongFrame)
		case TypeResume:
			c.resume(m.Seq)
		default:
			c.closeWith(ClosePolicy, "unexpected message type")
			return
		}
	}
}

// resume answers a client that saw a gap: the missed events if history has
// them and they fit in the queue, a snapshot otherwise.
func (c *conn) resume(since uint64) {
	ctx, cancel := context.WithTimeout(c.h.ctx, c.h.cfg.SnapshotTimeout)
	defer cancel()
	frames, ok := c.h.catchUp(ctx, c.t, since)
	if ok && len(frames) <= cap(c.send)-len(c.send) {
		for _, f := range frames {
			c.enqueue(f)
		}
		return
	}
	f, err := c.h.snapshot(c.t, false)
	if err != nil {
		c.h.logger.Error("hub: resume snapshot", "topic", c.topicName, "err", err)
		c.closeWith(CloseSnapshot, "state unavailable")
		return
	}
	c.enqueue(f)
}

func (c *conn) ping() {
	ctx, cancel := context.WithTimeout(c.h.ctx, c.h.cfg.PongTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if c.halted.Load() {
		return
	}
	if err != nil { // a dead phone answers nothing: no closing handshake
		c.ws.CloseNow()
		return
	}
	if t := c.pingTimer.Load(); t != nil {
		t.Reset(c.h.cfg.PingInterval)
	}
}

// closeWith stops the writer and closes the socket with a code. It may
// wait for the peer's closing handshake, so callers that must not block
// run it in a goroutine.
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	c.halt()
	c.nc.SetWriteDeadline(time.Now().Add(min(c.h.cfg.WriteTimeout, 5*time.Second)))
	c.ws.Close(code, reason)
}

// end runs once, when the reader stops.
func (c *conn) end() {
	c.halt()
	if t := c.pingTimer.Load(); t != nil {
		t.Stop()
	}
	c.ws.CloseNow()
	c.leave()
}

func (c *conn) leave() { c.leaveOnce.Do(func() { c.h.detach(c) }) }

// captureWriter keeps the net.Conn coder/websocket hijacks, for the hub
// to write frames to it directly, and gives coder/websocket a writer that
// takes the socket's frame lock.
type captureWriter struct {
	http.ResponseWriter
	conn net.Conn
	line *line
}

// Hijack implements http.Hijacker. What the server still buffers (the
// 101 response) is flushed first; coder/websocket then writes its frames
// through a buffer of its own, flushed once per frame under the line's lock.
func (w *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nc, brw, err
	}
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	w.conn = nc
	brw.Writer = bufio.NewWriterSize(lockedWriter{nc, w.line}, controlFrameBuffer)
	return nc, brw, nil
}

// controlFrameBuffer holds coder/websocket's largest frame, a control
// frame: 2 bytes of header and at most 125 of payload (RFC 6455, 5.5). The
// hub writes every message itself, so a bigger buffer was 3.75 KiB of
// every idle socket's memory for nothing.
const controlFrameBuffer = 256

// lockedWriter writes under a lock. coder/websocket flushes a control
// frame (at most 127 bytes, in a buffer of controlFrameBuffer) with one
// Write, so each of its frames is whole between the hub's. It also sends
// close frames of its own (echoing a client's close, 1009, protocol
// errors): once one is out, closeSent stops the hub's frames, which may
// not follow it. A frame a direct write began is finished first.
type lockedWriter struct {
	w    io.Writer
	line *line
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.line.mu.Lock()
	defer l.line.mu.Unlock()
	if err := l.line.flushRest(l.w); err != nil {
		return 0, err
	}
	if len(p) > 0 && p[0]&0x0f == 0x8 { // opcode close
		l.line.closeSent.Store(true)
	}
	return l.w.Write(p)
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

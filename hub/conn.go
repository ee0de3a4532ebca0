package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
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
	nc        net.Conn // for write deadlines without a context per message
	topicName string
	member    string

	t   *topic // set by attach
	idx int    // position in t.conns, guarded by t.mu; -1 once detached

	send      chan *frame
	stop      chan struct{} // closed to stop the writer
	stopOnce  sync.Once
	leaveOnce sync.Once // detach from the topic
	dropping  atomic.Bool
	pingTimer atomic.Pointer[time.Timer]
	floor     uint64 // writer only: events at or below it are already known
}

// Serve upgrades the request to a WebSocket subscribed to sub.Topic and
// returns once the socket runs on its own goroutines, owned by the hub: the
// request and its context may be gone by then.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, sub Subscription) error {
	if h.isClosed() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return ErrClosed
	}
	cw := &captureWriter{ResponseWriter: w}
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
		h: h, ws: ws, nc: cw.conn, topicName: sub.Topic, member: sub.Member,
		idx: -1, send: make(chan *frame, h.cfg.SendQueue), stop: make(chan struct{}),
	}
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
	for {
		select {
		case <-c.stop:
			return
		case f := <-c.send:
			if !c.write(f) {
				return
			}
		}
	}
}

// write sends one frame under the write deadline; false ends the writer.
func (c *conn) write(f *frame) bool {
	switch f.kind {
	case frameEvent:
		if f.seq <= c.floor {
			return true
		}
	case frameSnapshot:
		c.floor = f.seq
	case frameReplay:
		c.floor = max(c.floor, f.seq)
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout))
	err := c.ws.Write(context.Background(), websocket.MessageText, f.data)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) && c.dropping.CompareAndSwap(false, true) {
			c.h.dropped.Add(1)
		}
		c.ws.CloseNow()
		return false
	}
	if len(c.send) == 0 { // idle: no deadline for pings and the closing handshake
		c.nc.SetWriteDeadline(time.Time{})
	}
	return true
}

// enqueue queues a frame for this socket alone, dropping it when full.
func (c *conn) enqueue(f *frame) {
	select {
	case c.send <- f:
	default:
		c.drop()
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
			c.enqueue(&frame{data: pongMessage, kind: frameControl})
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
	select {
	case <-c.stop:
		return
	default:
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
	c.stopOnce.Do(func() { close(c.stop) })
	c.nc.SetWriteDeadline(time.Now().Add(min(c.h.cfg.WriteTimeout, 5*time.Second)))
	c.ws.Close(code, reason)
}

// end runs once, when the reader stops.
func (c *conn) end() {
	c.stopOnce.Do(func() { close(c.stop) })
	if t := c.pingTimer.Load(); t != nil {
		t.Stop()
	}
	c.ws.CloseNow()
	c.leave()
}

func (c *conn) leave() { c.leaveOnce.Do(func() { c.h.detach(c) }) }

// captureWriter keeps the net.Conn coder/websocket hijacks, to set write
// deadlines on it directly.
type captureWriter struct {
	http.ResponseWriter
	conn net.Conn
}

// Hijack implements http.Hijacker.
func (w *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.conn = nc
	}
	return nc, brw, err
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

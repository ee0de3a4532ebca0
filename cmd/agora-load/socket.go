package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// event is the head of a server message, read without decoding the data:
// the hub writes {"type":…,"topic":…,"seq":N,"data":…} in that order.
type event struct {
	Type string
	Seq  uint64
	Msg  []byte // the whole message
	At   time.Time
}

// latestField marks a value the node computed (a tally, a count): it
// replaces the client's copy and reuses the seq it follows, so it is never
// a gap nor a duplicate.
const latestField = `,"latest":true`

// parseHead reads the type and seq of a message, and whether it is a
// "latest" value.
func parseHead(msg []byte) (typ string, seq uint64, latest, ok bool) {
	const pre = `{"type":"`
	if !bytes.HasPrefix(msg, []byte(pre)) {
		return "", 0, false, false
	}
	rest := msg[len(pre):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return "", 0, false, false
	}
	typ = string(rest[:end])
	i := bytes.Index(rest, []byte(`"seq":`))
	if i < 0 {
		return typ, 0, false, true
	}
	digits := rest[i+len(`"seq":`):]
	n := 0
	for n < len(digits) && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	seq, err := strconv.ParseUint(string(digits[:n]), 10, 64)
	latest = bytes.HasPrefix(digits[n:], []byte(latestField))
	return typ, seq, latest, err == nil
}

// socket is one client WebSocket: it reads until closed, checks the
// sequence and hands every event to onEvent, on its own goroutine.
type socket struct {
	idx     int // position in the runner's socket list (delivery records)
	conn    *websocket.Conn
	onEvent func(s *socket, ev event)

	last     uint64      // seq of the last event applied
	gaps     int         // events the sequence says were missed
	seen     int         // broadcast rounds seen (the runner's round IDs)
	closing  atomic.Bool // closed by us: a read error is not a failure
	err      error       // why the socket ended, when not closed by us
	done     chan struct{}
	snapshot chan struct{} // closed on the first snapshot
}

// dialSocket opens a WebSocket and waits for its snapshot.
func dialSocket(ctx context.Context, client *http.Client, url, origin, cookie string, idx int, onEvent func(*socket, event)) (*socket, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPClient: client, HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return nil, &statusError{op: "ws", status: resp.StatusCode}
		}
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	s := &socket{idx: idx, conn: c, onEvent: onEvent, done: make(chan struct{}), snapshot: make(chan struct{})}
	go s.read(ctx)
	select {
	case <-s.snapshot:
		return s, nil
	case <-s.done:
		return nil, s.err
	case <-dctx.Done():
		c.CloseNow()
		return nil, errors.New("ws: no snapshot")
	}
}

func (s *socket) read(ctx context.Context) {
	defer close(s.done)
	// Reads take no context: with one, coder/websocket registers a
	// cancellation on it for every message, and 10,000 sockets sharing
	// the run's context contended on its lock (tool CPU the server then
	// lacked). One registration per socket closes it when the run ends.
	stop := context.AfterFunc(ctx, func() { s.conn.CloseNow() })
	defer stop()
	gotSnapshot := false
	var buf bytes.Buffer // one per socket, reused: onEvent does not keep msg
	for {
		msg, err := s.next(&buf)
		at := time.Now()
		if err != nil {
			if !s.closing.Load() && ctx.Err() == nil {
				s.err = err
			}
			return
		}
		typ, seq, latest, ok := parseHead(msg)
		if !ok {
			continue
		}
		switch {
		case latest: // outside the sequence
		case typ == "snapshot":
			s.last = seq
			if !gotSnapshot {
				gotSnapshot = true
				close(s.snapshot)
			}
		case seq == 0: // pong
		case seq <= s.last:
			continue
		case seq > s.last+1:
			s.gaps += int(seq - s.last - 1)
			s.last = seq
		default:
			s.last = seq
		}
		if s.onEvent != nil {
			s.onEvent(s, event{Type: typ, Seq: seq, Msg: msg, At: at})
		}
	}
}

// next reads one message into buf, which it returns the bytes of.
func (s *socket) next(buf *bytes.Buffer) ([]byte, error) {
	_, r, err := s.conn.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// closeStatus is the close code of a socket that ended on its own, or -1.
func (s *socket) closeStatus() websocket.StatusCode { return websocket.CloseStatus(s.err) }

// close ends the socket without waiting for the server's closing
// handshake, then waits for the reader.
func (s *socket) close() {
	s.closing.Store(true)
	s.conn.CloseNow()
	<-s.done
}

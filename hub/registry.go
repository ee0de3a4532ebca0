package hub

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// frame is one message on its way to sockets. Frames of a broadcast are
// shared by every queue: the bytes are encoded once, WebSocket framing
// included (a server's frames are not masked, so they are the same for
// every socket), and never copied.
type frame struct {
	seq  uint64
	wire []byte // the WebSocket text frame: header, then the message
	kind frameKind
}

// newFrame frames msg as one WebSocket text message.
func newFrame(seq uint64, msg []byte, kind frameKind) *frame {
	return &frame{seq: seq, wire: textFrame(msg), kind: kind}
}

type frameKind uint8

const (
	frameEvent    frameKind = iota // sequenced event: skipped when at or below the socket's floor
	frameSnapshot                  // replaces the client's state; sets the floor to its seq
	frameReplay                    // history answering a resume; always sent
	frameControl                   // outside the sequence (pong)
	frameLatest                    // a value computed on this node; always sent, takes no seq
)

// topic is the local subscriber set of one topic.
type topic struct {
	name string

	mu      sync.RWMutex
	conns   []*conn        // index kept in conn.idx
	members map[string]int // presence: sockets per member, participants topics only

	snapMu   sync.Mutex // one snapshot build at a time per topic
	snapshot *frame
	snapAt   time.Time
	lastSeq  uint64 // highest seq delivered here (guarded by mu)

	pace pacing // how a latest value spreads over a crowd
}

// deliver queues f on every socket of the topic without blocking.
func (t *topic) deliver(f *frame) {
	t.mu.Lock() // write lock: lastSeq, and slow sockets are removed below
	if f.kind == frameEvent && f.seq > t.lastSeq {
		t.lastSeq = f.seq
	}
	slow := offer(f, t.conns)
	t.mu.Unlock()
	for _, c := range slow {
		c.drop()
	}
}

// offer writes f to each of conns still attached, or queues it when the
// socket is busy (direct.go), without blocking, and returns those whose
// queue is full. The caller holds the topic's lock. A crowd is written by
// several goroutines, a share of it each: one goroutine writing to 10,000
// sockets got one runnable goroutine's share of the cores while votes
// were being answered, and a poll's opening reached the last phones
// 350-450 ms late.
func offer(f *frame, conns []*conn) []*conn {
	if len(conns) <= offerShare {
		return offerTo(f, conns)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slow []*conn
	for i := 0; i < len(conns); i += offerShare {
		share := conns[i:min(i+offerShare, len(conns))]
		wg.Go(func() {
			if s := offerTo(f, share); len(s) > 0 {
				mu.Lock()
				slow = append(slow, s...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return slow
}

// offerShare is how many sockets one goroutine of offer writes to.
const offerShare = 256

// offerTo is offer by one goroutine.
func offerTo(f *frame, conns []*conn) (slow []*conn) {
	for _, c := range conns {
		if c.idx < 0 { // left since the caller took the list
			continue
		}
		if !c.tryWrite(f) && !c.queue(f) {
			slow = append(slow, c)
		}
	}
	return slow
}

// deliverLatest queues a latest message, numbered with the topic's last
// seq here, on every socket of the topic. It is not an event: it never
// moves lastSeq, and sockets write it whatever their floor, since a value
// built after a snapshot may follow a seq the node has not received yet.
//
// A crowd gets it in slices of pace.slice sockets, pace.gap apart: queued
// at once, a tally to 10,000 phones woke 10,000 writers together, and the
// votes arriving meanwhile waited behind them (vote ack p99 over 200 ms,
// every second). A value is the latest: a socket that joins meanwhile has
// it from its snapshot, one that leaves is skipped.
func (t *topic) deliverLatest(head, tail []byte) {
	pace := t.pace
	t.mu.RLock()
	seq := t.lastSeq
	var conns []*conn
	if len(t.conns) > pace.slice {
		conns = slices.Clone(t.conns)
	}
	t.mu.RUnlock()
	f := newFrame(seq, joinEnvelope(head, seq, tail), frameLatest)
	if conns == nil {
		t.deliver(f)
		return
	}
	for i := 0; i < len(conns); i += pace.slice {
		if i > 0 {
			time.Sleep(pace.gap)
		}
		t.deliverTo(f, conns[i:min(i+pace.slice, len(conns))])
	}
}

// pacing is how deliverLatest spreads a value over a crowd.
type pacing struct {
	slice int           // sockets queued at once
	gap   time.Duration // pause between two slices
}

// deliverTo queues f on those of conns still attached to the topic.
func (t *topic) deliverTo(f *frame, conns []*conn) {
	t.mu.RLock()
	slow := offer(f, conns)
	t.mu.RUnlock()
	for _, c := range slow {
		c.drop()
	}
}

// internalSub is a subscriber of this node's own code to a broker channel,
// such as the engines' messages between nodes.
type internalSub struct{ fn func(msg []byte) }

// SubscribeInternal calls fn with every message published on channel with
// PublishInternal, by any node, this one included, until the returned
// function is called. fn runs on the broker's goroutine: it must not block.
// The broker is subscribed while channel has sockets or internal
// subscribers. Internal channels must not be named like socket topics.
func (h *Hub) SubscribeInternal(channel string, fn func(msg []byte)) (unsubscribe func()) {
	s := &internalSub{fn: fn}
	h.mu.Lock()
	h.internal[channel] = append(h.internal[channel], s)
	h.mu.Unlock()
	if err := h.syncSubscription(channel); err != nil {
		h.logger.Warn("hub: subscribe", "channel", channel, "err", err)
	}
	var once sync.Once
	return func() { once.Do(func() { h.unsubscribeInternal(channel, s) }) }
}

func (h *Hub) unsubscribeInternal(channel string, s *internalSub) {
	h.mu.Lock()
	subs := h.internal[channel]
	for i, x := range subs {
		if x == s {
			subs = append(subs[:i:i], subs[i+1:]...)
			break
		}
	}
	if len(subs) == 0 {
		delete(h.internal, channel)
	} else {
		h.internal[channel] = subs
	}
	h.mu.Unlock()
	if h.isShut() {
		return // the broker is closed with the hub
	}
	if err := h.syncSubscription(channel); err != nil {
		h.logger.Warn("hub: unsubscribe", "channel", channel, "err", err)
	}
}

// PublishInternal sends msg as is to the internal subscribers of channel on
// every node: no seq, no history, at most once, like everything the broker
// carries.
func (h *Hub) PublishInternal(ctx context.Context, channel string, msg []byte) error {
	if h.isShut() { // still open while the sockets close: peers hear of late votes
		return ErrClosed
	}
	if err := h.broker.Publish(ctx, channel, msg); err != nil {
		return fmt.Errorf("hub: publish on %s: %w", channel, err)
	}
	return nil
}

// attach adds c to its topic, subscribing the broker on the first socket.
func (h *Hub) attach(c *conn) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	t := h.topics[c.topicName]
	if t == nil {
		t = &topic{name: c.topicName, members: map[string]int{}, pace: pacing{h.cfg.PaceSlice, h.cfg.PaceGap}}
		h.topics[c.topicName] = t
	}
	t.mu.Lock()
	c.t = t
	c.idx = len(t.conns)
	t.conns = append(t.conns, c)
	joined := c.member != "" && t.members[c.member] == 0
	if c.member != "" {
		t.members[c.member]++
	}
	t.mu.Unlock()
	h.wg.Add(1)
	h.mu.Unlock()
	if joined && presenceTopic(t.name) {
		h.markPresenceDirty(t.name)
	}
	return h.syncSubscription(t.name)
}

// detach removes c, unsubscribing the broker after the last socket.
func (h *Hub) detach(c *conn) {
	h.mu.Lock()
	t := c.t
	t.mu.Lock()
	if c.idx >= 0 {
		last := len(t.conns) - 1
		t.conns[c.idx] = t.conns[last]
		t.conns[c.idx].idx = c.idx
		t.conns[last] = nil
		t.conns = t.conns[:last]
		c.idx = -1
	}
	left := false
	if c.member != "" {
		t.members[c.member]--
		if t.members[c.member] <= 0 {
			delete(t.members, c.member)
			left = true
		}
	}
	empty := len(t.conns) == 0
	t.mu.Unlock()
	if empty && h.topics[t.name] == t {
		delete(h.topics, t.name)
	}
	h.mu.Unlock()
	if left && presenceTopic(t.name) {
		h.markPresenceDirty(t.name)
	}
	if empty {
		if err := h.syncSubscription(t.name); err != nil {
			h.logger.Warn("hub: unsubscribe", "topic", t.name, "err", err)
		}
	}
	h.wg.Done()
}

// syncSubscription brings the broker's subscription to channel in line
// with the registry. Calls are serialised, and each reads the registry
// afresh, so the last one leaves it right whatever the interleaving.
func (h *Hub) syncSubscription(channel string) error {
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.RLock()
	want := h.topics[channel] != nil || len(h.internal[channel]) > 0
	h.mu.RUnlock()
	if want == h.subscribed[channel] {
		return nil
	}
	ctx, cancel := context.WithTimeout(h.bctx, 5*time.Second) // the broker's, not the sockets' lifetime
	defer cancel()
	var err error
	if want {
		err = h.broker.Subscribe(ctx, channel)
	} else {
		err = h.broker.Unsubscribe(ctx, channel)
	}
	if want {
		// A broker that is down keeps the channel and subscribes when it
		// comes back, so the registry counts it subscribed either way.
		h.subscribed[channel] = true
	} else {
		delete(h.subscribed, channel)
	}
	return err
}

// snapshot returns the snapshot frame of t at the topic's current seq,
// reusing a recent one built at that same seq unless fresh is set.
func (h *Hub) snapshot(t *topic, fresh bool) (*frame, error) {
	fn := h.snap.Load()
	if fn == nil {
		return nil, fmt.Errorf("hub: no snapshotter")
	}
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.SnapshotTimeout)
	defer cancel()
	t.snapMu.Lock()
	defer t.snapMu.Unlock()
	seq, err := h.log.Last(ctx, t.name)
	if err != nil { // broker down: the seq we saw last, resynced when it returns
		t.mu.RLock()
		seq = t.lastSeq
		t.mu.RUnlock()
	}
	if !fresh && t.snapshot != nil && t.snapshot.seq == seq && time.Since(t.snapAt) < h.cfg.SnapshotTTL {
		return t.snapshot, nil
	}
	data, err := (*fn)(ctx, t.name)
	if err != nil {
		return nil, fmt.Errorf("hub: snapshot %s: %w", t.name, err)
	}
	msg, err := encodeEnvelope(t.name, TypeSnapshot, seq, data)
	if err != nil {
		return nil, fmt.Errorf("hub: encode snapshot %s: %w", t.name, err)
	}
	t.snapshot, t.snapAt = newFrame(seq, msg, frameSnapshot), time.Now()
	return t.snapshot, nil
}

// catchUp returns what a socket resuming after seq since needs: the missed
// events from history, or nil when history does not reach back (the caller
// then sends a snapshot). ok is false in that case.
func (h *Hub) catchUp(ctx context.Context, t *topic, since uint64) (frames []*frame, ok bool) {
	last, msgs, err := h.log.Since(ctx, t.name, since)
	if err != nil || since > last {
		return nil, false // unknown future seq: the log was reset
	}
	if since == last {
		return nil, true
	}
	if len(msgs) == 0 || parseSeq(msgs[0]) != since+1 {
		return nil, false
	}
	frames = make([]*frame, len(msgs))
	for i, m := range msgs {
		frames[i] = newFrame(parseSeq(m), m, frameReplay)
	}
	return frames, true
}

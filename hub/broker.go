package hub

import (
	"context"
	"errors"
	"sync"
)

// Broker moves bytes between nodes, and nothing else. The hub subscribes to
// a channel when the first local socket joins its topic and unsubscribes
// when the last one leaves; what arrives goes to the Handler given to Start.
// Delivery is at most once: the store is the truth, and snapshots repair
// whatever a broker loses.
type Broker interface {
	// Start begins delivering to h. The hub calls it once, before anything else.
	Start(h Handler) error
	// Publish sends msg to every node subscribed to channel, this one included.
	Publish(ctx context.Context, channel string, msg []byte) error
	Subscribe(ctx context.Context, channel string) error
	Unsubscribe(ctx context.Context, channel string) error
	// Close stops delivery and releases the connections.
	Close() error
}

// Handler receives what a Broker delivers. Calls come from one goroutine
// at a time per broker and must not block.
type Handler interface {
	// HandleMessage is a message published on a subscribed channel.
	HandleMessage(channel string, msg []byte)
	// HandleReconnect says the broker was cut off and is back: messages may
	// have been lost meanwhile.
	HandleReconnect()
}

// Log is implemented by a broker that numbers each channel's messages
// itself and keeps the recent ones, so that every node agrees on the
// sequence. Without it the hub numbers messages on its own node, which is
// only right when there is one node.
type Log interface {
	// Append numbers the next message of channel, builds it as
	// head + decimal(seq) + tail, keeps it in the channel's recent history
	// and publishes it, all at once, so that messages of a channel are
	// delivered in seq order.
	Append(ctx context.Context, channel string, head, tail []byte) (seq uint64, err error)
	// Last returns the seq of the channel's latest message, 0 if none.
	Last(ctx context.Context, channel string) (uint64, error)
	// Since returns last and the retained messages of channel with a seq
	// above after, oldest first. The history may start later than after+1.
	Since(ctx context.Context, channel string, after uint64) (last uint64, msgs [][]byte, err error)
}

// Presence is implemented by a broker that counts sockets across nodes.
// Without it the hub counts its own sockets only.
type Presence interface {
	// SetPresence records this node's count for key; 0 removes it.
	SetPresence(ctx context.Context, key string, n int) error
	// PresenceCount returns the sum of every live node's count for key.
	PresenceCount(ctx context.Context, key string) (int, error)
}

// Healther is implemented by a broker that can be cut off from its server.
type Healther interface {
	// Health returns nil while the broker delivers, an error while degraded.
	Health() error
}

// ErrBrokerClosed is returned by a closed broker.
var ErrBrokerClosed = errors.New("hub: broker closed")

// InProcBroker is the single-node Broker: Publish calls the handler at once,
// in the caller's goroutine.
type InProcBroker struct {
	mu     sync.RWMutex
	h      Handler
	subs   map[string]bool
	closed bool
}

var _ Broker = (*InProcBroker)(nil)

// NewInProcBroker returns an in-process broker.
func NewInProcBroker() *InProcBroker { return &InProcBroker{subs: map[string]bool{}} }

// Start implements Broker.
func (b *InProcBroker) Start(h Handler) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.h = h
	return nil
}

// Publish implements Broker.
func (b *InProcBroker) Publish(_ context.Context, channel string, msg []byte) error {
	b.mu.RLock()
	h, sub, closed := b.h, b.subs[channel], b.closed
	b.mu.RUnlock()
	if closed {
		return ErrBrokerClosed
	}
	if sub && h != nil {
		h.HandleMessage(channel, msg)
	}
	return nil
}

// Subscribe implements Broker.
func (b *InProcBroker) Subscribe(_ context.Context, channel string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[channel] = true
	return nil
}

// Unsubscribe implements Broker.
func (b *InProcBroker) Unsubscribe(_ context.Context, channel string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, channel)
	return nil
}

// Close implements Broker.
func (b *InProcBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// memLog numbers messages on this node and keeps the last size of each
// channel in a ring. Append holds one lock while publishing, which keeps
// each channel's messages in seq order.
type memLog struct {
	b    Broker
	size int

	mu       sync.Mutex
	channels map[string]*memChannel
}

type memChannel struct {
	seq  uint64
	ring [][]byte // ring[(seq-1) % size] holds message seq
}

func newMemLog(b Broker, size int) *memLog {
	return &memLog{b: b, size: size, channels: map[string]*memChannel{}}
}

func (l *memLog) Append(ctx context.Context, channel string, head, tail []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.channels[channel]
	if ch == nil {
		ch = &memChannel{ring: make([][]byte, l.size)}
		l.channels[channel] = ch
	}
	ch.seq++
	msg := joinEnvelope(head, ch.seq, tail)
	ch.ring[(ch.seq-1)%uint64(l.size)] = msg
	return ch.seq, l.b.Publish(ctx, channel, msg)
}

func (l *memLog) Last(_ context.Context, channel string) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch := l.channels[channel]; ch != nil {
		return ch.seq, nil
	}
	return 0, nil
}

func (l *memLog) Since(_ context.Context, channel string, after uint64) (uint64, [][]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.channels[channel]
	if ch == nil || after >= ch.seq {
		return l.lastOf(ch), nil, nil
	}
	first := after + 1
	if ch.seq >= uint64(l.size) && first <= ch.seq-uint64(l.size) {
		first = ch.seq - uint64(l.size) + 1
	}
	msgs := make([][]byte, 0, ch.seq-first+1)
	for s := first; s <= ch.seq; s++ {
		msgs = append(msgs, ch.ring[(s-1)%uint64(l.size)])
	}
	return ch.seq, msgs, nil
}

func (l *memLog) lastOf(ch *memChannel) uint64 {
	if ch == nil {
		return 0
	}
	return ch.seq
}

// Package hub fans events out to WebSocket connections, by room and audience,
// on one node and across nodes through a Broker.
//
// The server publishes after a command commits: Publish encodes the message
// once, the broker numbers and carries it, and every node hands the same
// bytes to the bounded send queue of each local socket of the topic. A socket
// whose queue is full is closed (1013); it never slows the others. Clients
// get a snapshot of the topic on connect, then every event in seq order, and
// resume by seq after a gap or a reconnection. Values that every node
// computes itself (tallies) go to local sockets only, outside the sequence
// (PublishLocalCoalesced); the nodes' own code talks across nodes on
// internal channels (PublishInternal, SubscribeInternal). See
// docs/protocol.md.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Config tunes the hub. Zero fields take the defaults in parentheses.
type Config struct {
	// Broker carries messages between nodes (NewInProcBroker() when nil).
	// The hub starts it and closes it in Close.
	Broker Broker
	// CoalesceInterval is the least time between two messages of one
	// PublishCoalesced key (100 ms).
	CoalesceInterval time.Duration
	// PhoneInterval replaces CoalesceInterval on the participants' topics
	// (1 s). Phones are thousands where projectors and dashboards are a
	// few: ten tallies a second to 10,000 phones would take most of a core
	// to write, for figures a phone shows no better than once a second.
	PhoneInterval time.Duration
	// PaceSlice and PaceGap spread a latest value (a tally, a count) over
	// a topic of many sockets: PaceSlice sockets at a time (256), PaceGap
	// apart (10 ms), so that requests arriving meanwhile are not queued
	// behind thousands of writers. 10,000 phones get it within 0.4 s.
	PaceSlice int
	PaceGap   time.Duration
	// SendQueue is how many messages wait for a slow socket before it is
	// closed with 1013 (64).
	SendQueue int
	// WriteTimeout bounds each write to a socket; a write blocked longer
	// closes it, with up to a quarter of it more (10 s; see watchdog.go).
	WriteTimeout time.Duration
	// PingInterval is how often each socket is pinged (25 s), and
	// PongTimeout how long its pong may take before it is closed (10 s).
	PingInterval time.Duration
	PongTimeout  time.Duration
	// MaxMessageSize caps inbound messages in bytes; larger ones close the
	// socket with 1009 (4096).
	MaxMessageSize int64
	// History is how many recent messages per topic the in-process log
	// keeps for resume (256). The Redis broker has its own setting.
	History int
	// SnapshotTTL is how long a topic's snapshot may be reused for sockets
	// connecting at the same seq, so that a room reconnecting at once costs
	// one store read (1 s).
	SnapshotTTL time.Duration
	// SnapshotTimeout bounds one snapshot (10 s).
	SnapshotTimeout time.Duration
	// Logger receives errors (slog.Default()).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CoalesceInterval, 100*time.Millisecond)
	def(&c.PhoneInterval, time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.PingInterval, 25*time.Second)
	def(&c.PongTimeout, 10*time.Second)
	def(&c.SnapshotTTL, time.Second)
	def(&c.SnapshotTimeout, 10*time.Second)
	def(&c.PaceGap, 10*time.Millisecond)
	if c.PaceSlice <= 0 {
		c.PaceSlice = 256
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 64
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = 4096
	}
	if c.History <= 0 {
		c.History = 256
	}
	if c.Broker == nil {
		c.Broker = NewInProcBroker()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Snapshotter returns the whole state of a topic, as the server sees it in
// the store. It is encoded once and shared by every socket of the topic, so
// it must not depend on who asks.
type Snapshotter func(ctx context.Context, topic string) (any, error)

// Hub keeps the topics of this node and their sockets.
type Hub struct {
	cfg      Config
	broker   Broker
	log      Log
	presence Presence // nil: local counts only
	snap     atomic.Pointer[Snapshotter]
	coal     *coalescer
	logger   *slog.Logger

	ctx    context.Context // owns every socket; cancelled by CloseSockets
	cancel context.CancelFunc
	// bctx bounds the broker's calls; it outlives the sockets so that a
	// draining node still publishes what it commits (cancelled by Close).
	bctx    context.Context
	bcancel context.CancelFunc

	mu     sync.RWMutex
	topics map[string]*topic
	closed bool // no more sockets (CloseSockets)
	shut   bool // broker closed (Close)

	subMu      sync.Mutex // serialises broker Subscribe/Unsubscribe
	subscribed map[string]bool
	internal   map[string][]*internalSub // guarded by mu, like topics

	onReconnect atomic.Pointer[func(context.Context)]

	presMu    sync.Mutex
	presDirty map[string]bool // keys whose count changed since the last write
	presKnown map[string]bool // keys this node wrote a non-zero count for
	presDone  chan struct{}   // closed when presenceLoop has written its last counts
	presWake  chan struct{}

	wg      sync.WaitGroup // socket goroutines
	dropped atomic.Int64
	direct  atomic.Int64 // see Stats
	split   atomic.Int64
	clock   atomic.Int64 // the write watchdog's ticks, from 1
}

// ErrClosed is returned once the hub is closed.
var ErrClosed = errors.New("hub: closed")

// New starts a hub on cfg.Broker.
func New(cfg Config) (*Hub, error) {
	cfg.setDefaults()
	h := &Hub{
		cfg:        cfg,
		broker:     cfg.Broker,
		logger:     cfg.Logger,
		topics:     map[string]*topic{},
		subscribed: map[string]bool{},
		internal:   map[string][]*internalSub{},
		presDirty:  map[string]bool{},
		presKnown:  map[string]bool{},
		presDone:   make(chan struct{}),
		presWake:   make(chan struct{}, 1),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.bctx, h.bcancel = context.WithCancel(context.Background())
	if l, ok := cfg.Broker.(Log); ok {
		h.log = l
	} else {
		h.log = newMemLog(cfg.Broker, cfg.History)
	}
	if p, ok := cfg.Broker.(Presence); ok {
		h.presence = p
		go h.presenceLoop()
	}
	h.coal = newCoalescer(h, cfg.CoalesceInterval, cfg.PhoneInterval)
	h.clock.Store(1) // 0 marks a socket that is not writing
	go h.watchdog()
	if err := cfg.Broker.Start(h); err != nil {
		h.cancel()
		h.bcancel()
		return nil, fmt.Errorf("hub: start broker: %w", err)
	}
	return h, nil
}

// SetSnapshotter sets the function that builds snapshots. The server calls
// it once while registering its routes, before any socket connects.
func (h *Hub) SetSnapshotter(fn Snapshotter) { h.snap.Store(&fn) }

// Ready returns nil when the broker delivers, an error while it is cut off.
// The node still serves its own sockets meanwhile.
func (h *Hub) Ready() error {
	if hc, ok := h.broker.(Healther); ok {
		return hc.Health()
	}
	return nil
}

// Publish sends an event to every socket of topic, on every node. data is
// encoded once. Call it after the command is committed. When the broker
// cannot take it, the local sockets of topic get a fresh snapshot instead
// and the error is returned for the log: the command stands.
func (h *Hub) Publish(ctx context.Context, topic, typ string, data any) error {
	if h.isShut() {
		return ErrClosed
	}
	head, tail, err := envelopeParts(topic, typ, data)
	if err != nil {
		return fmt.Errorf("hub: encode %s: %w", typ, err)
	}
	if _, err := h.log.Append(ctx, topic, head, tail); err != nil {
		go h.resyncTopic(topic)
		return fmt.Errorf("hub: publish %s on %s: %w", typ, topic, err)
	}
	return nil
}

// PublishCoalesced publishes the latest data of (topic, key) at most once
// per Config.CoalesceInterval (Config.PhoneInterval on a participants
// topic): the first at once, later ones when the
// interval is over, only the last state of each interval. Use it for
// tallies and counters; key is e.g. "tally:{activityID}". Errors are logged.
func (h *Hub) PublishCoalesced(topic, key, typ string, data any) {
	h.coal.publish(topic, key, typ, data, false)
}

// PublishLocalCoalesced is PublishCoalesced for a value that every node
// computes on its own (a tally, a count): it goes to this node's sockets
// only, never through the broker, as a "latest" message that replaces a
// value without taking a seq (see docs/protocol.md). It is not kept in
// history: a socket resuming from history gets the value when it is next
// published, so the publisher republishes when a socket connects.
func (h *Hub) PublishLocalCoalesced(topic, key, typ string, data any) {
	h.coal.publish(topic, key, typ, data, true)
}

// publishLocal hands a latest message to the local sockets of topic.
func (h *Hub) publishLocal(topic, typ string, data any) error {
	h.mu.RLock()
	t := h.topics[topic]
	h.mu.RUnlock()
	if t == nil {
		return nil
	}
	head, tail, err := envelopeParts(topic, typ, data)
	if err != nil {
		return fmt.Errorf("hub: encode %s: %w", typ, err)
	}
	t.deliverLatest(head, append([]byte(latestField), tail...))
	return nil
}

// Alone reports whether this hub has no other node to reach: its broker
// is the in-process one.
func (h *Hub) Alone() bool {
	_, ok := h.broker.(*InProcBroker)
	return ok
}

// OnReconnect sets a function the hub calls when the broker is back after
// an outage, before it resyncs the local sockets by snapshot: whatever
// state was fed by messages from other nodes (the engines' tallies) must
// be rebuilt from the store first, or the snapshots would carry it stale.
// Call it once, before the hub serves.
func (h *Hub) OnReconnect(fn func(ctx context.Context)) { h.onReconnect.Store(&fn) }

// Presence returns how many participants' devices are connected to a
// workshop, on every node.
func (h *Hub) Presence(ctx context.Context, workshopID int64) (int, error) {
	key := WorkshopTopic(workshopID, Participants)
	if h.presence != nil {
		return h.presence.PresenceCount(ctx, key)
	}
	return h.localPresence(key), nil
}

// Stats are counters for tests and metrics.
type Stats struct {
	Topics  int   // topics with local sockets
	Sockets int   // local sockets
	Dropped int64 // sockets closed for being too slow, since start
	Direct  int64 // frames written whole by the goroutine that delivered them, since start
	Split   int64 // frames it began, whose end the socket's writer sent
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	st := Stats{Topics: len(h.topics), Dropped: h.dropped.Load(), Direct: h.direct.Load(), Split: h.split.Load()}
	for _, t := range h.topics {
		t.mu.RLock()
		st.Sockets += len(t.conns)
		t.mu.RUnlock()
	}
	return st
}

// CloseSockets refuses new sockets, closes every socket with 1001 "going
// away" and waits for them until ctx ends. The broker stays open, so that
// what a draining node still commits (votes in flight) reaches the other
// nodes: Publish and PublishInternal work until Close.
func (h *Hub) CloseSockets(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	var conns []*conn
	for _, t := range h.topics {
		conns = append(conns, t.conns...)
	}
	h.mu.Unlock()
	for _, c := range conns {
		go c.closeWith(CloseGoingAway, "going away")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	h.cancel() // drops whatever did not finish its closing handshake
	if h.presence != nil {
		<-h.presDone // no socket left: the node's counts are zeroed
	}
	return err
}

// Close closes the sockets as CloseSockets does, unless done already, then
// stops the coalescer and closes the broker. Call it last, once nothing
// publishes any more.
func (h *Hub) Close(ctx context.Context) error {
	err := h.CloseSockets(ctx)
	h.mu.Lock()
	if h.shut {
		h.mu.Unlock()
		return err
	}
	h.shut = true
	h.mu.Unlock()
	h.coal.stop()
	h.bcancel()
	if berr := h.broker.Close(); err == nil {
		err = berr
	}
	return err
}

func (h *Hub) isClosed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closed
}

// isShut reports whether the broker is closed: nothing can be published.
func (h *Hub) isShut() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.shut
}

// HandleMessage implements Handler: it hands msg to every local socket of
// channel, or to its internal subscribers, without blocking.
func (h *Hub) HandleMessage(channel string, msg []byte) {
	h.mu.RLock()
	t := h.topics[channel]
	subs := h.internal[channel]
	h.mu.RUnlock()
	for _, s := range subs {
		s.fn(msg)
	}
	if t != nil {
		t.deliver(newFrame(parseSeq(msg), msg, frameEvent))
	}
}

// HandleReconnect implements Handler: messages may have been lost, so the
// OnReconnect function rebuilds what they fed, then every local topic gets
// a fresh snapshot.
func (h *Hub) HandleReconnect() {
	go func() {
		if fn := h.onReconnect.Load(); fn != nil {
			ctx, cancel := context.WithTimeout(h.bctx, h.cfg.SnapshotTimeout) // a draining node still tells its peers
			(*fn)(ctx)
			cancel()
		}
		h.mu.RLock()
		names := make([]string, 0, len(h.topics))
		for name := range h.topics {
			names = append(names, name)
		}
		h.mu.RUnlock()
		for _, name := range names {
			go h.resyncTopic(name)
		}
	}()
	h.markAllPresenceDirty()
}

// resyncTopic sends a fresh snapshot to every local socket of topic.
func (h *Hub) resyncTopic(name string) {
	h.mu.RLock()
	t := h.topics[name]
	h.mu.RUnlock()
	if t == nil {
		return
	}
	f, err := h.snapshot(t, true)
	if err != nil {
		h.logger.Error("hub: resync", "topic", name, "err", err)
		return
	}
	t.deliver(f)
}

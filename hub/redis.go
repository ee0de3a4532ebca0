package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig configures a RedisBroker. Zero fields take the defaults in
// parentheses.
type RedisConfig struct {
	// URL is redis://[user:password@]host:port/db, from REDIS_URL.
	URL string
	// Prefix starts every key and channel ("agora:"), so that several
	// instances, or tests, share one Redis.
	Prefix string
	// History is how many recent messages per topic Redis keeps for resume (256).
	History int
	// KeyTTL is how long the seq and history of a quiet topic live (24 h).
	KeyTTL time.Duration
	// PresenceTTL is how long a node's presence counts outlive its last
	// refresh, so that a dead node's sockets stop counting (30 s).
	PresenceTTL time.Duration
	// HealthInterval is how often an idle subscription is pinged (5 s);
	// two missed pongs count as a lost connection.
	HealthInterval time.Duration
	// NodeID names this node in presence counts (random).
	NodeID string
	// Logger receives connection changes (slog.Default()).
	Logger *slog.Logger
}

// RedisBroker carries messages between nodes through Redis pub/sub. It
// numbers each topic's messages with INCR and keeps a capped list of the
// recent ones, in one script with the PUBLISH, so every node sees a topic's
// messages in seq order. When the subscription connection is lost it keeps
// retrying; once back it resubscribes and tells the hub, which resyncs
// every socket by snapshot.
type RedisBroker struct {
	cfg    RedisConfig
	client *redis.Client
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	ps       *redis.PubSub
	channels map[string]bool
	h        Handler

	down atomic.Pointer[error] // nil while healthy
}

var (
	_ Broker   = (*RedisBroker)(nil)
	_ Log      = (*RedisBroker)(nil)
	_ Presence = (*RedisBroker)(nil)
	_ Healther = (*RedisBroker)(nil)
)

// NewRedisBroker connects to Redis and fails if it does not answer.
func NewRedisBroker(ctx context.Context, cfg RedisConfig) (*RedisBroker, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("hub: redis url: %w", err)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "agora:"
	}
	if cfg.History <= 0 {
		cfg.History = 256
	}
	if cfg.KeyTTL <= 0 {
		cfg.KeyTTL = 24 * time.Hour
	}
	if cfg.PresenceTTL <= 0 {
		cfg.PresenceTTL = 30 * time.Second
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	if cfg.NodeID == "" {
		var b [8]byte
		rand.Read(b[:])
		cfg.NodeID = hex.EncodeToString(b[:])
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Fail fast: the subscription loop retries with its own backoff, and a
	// publication that fails falls back to a local snapshot at once.
	opts.DialerRetries = 1
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("hub: redis: %w", err)
	}
	b := &RedisBroker{cfg: cfg, client: client, channels: map[string]bool{}, done: make(chan struct{})}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

func (b *RedisBroker) channel(topic string) string { return b.cfg.Prefix + "ch:" + topic }

// keys of a topic share a hash tag, for Redis Cluster.
func (b *RedisBroker) seqKey(topic string) string  { return b.cfg.Prefix + "seq:{" + topic + "}" }
func (b *RedisBroker) histKey(topic string) string { return b.cfg.Prefix + "hist:{" + topic + "}" }
func (b *RedisBroker) presKey(key string) string   { return b.cfg.Prefix + "pres:{" + key + "}" }

// Start implements Broker: it opens the subscription and runs its loop.
func (b *RedisBroker) Start(h Handler) error {
	b.mu.Lock()
	b.h = h
	b.ps = b.client.Subscribe(b.ctx)
	ps := b.ps
	b.mu.Unlock()
	if err := ps.Ping(b.ctx); err != nil {
		return fmt.Errorf("hub: redis subscribe: %w", err)
	}
	go b.loop()
	return nil
}

// Health implements Healther.
func (b *RedisBroker) Health() error {
	if p := b.down.Load(); p != nil {
		return *p
	}
	return nil
}

// loop reads the subscription. On any failure (an error, or two health
// pings without a pong) it marks the broker down, replaces the connection
// until Redis answers, and then, back up, asks the hub to resync.
func (b *RedisBroker) loop() {
	defer close(b.done)
	awaitingPong := false
	for b.ctx.Err() == nil {
		b.mu.Lock()
		ps := b.ps
		b.mu.Unlock()
		msg, err := ps.ReceiveTimeout(b.ctx, b.cfg.HealthInterval)
		if b.ctx.Err() != nil {
			return
		}
		var ne interface{ Timeout() bool }
		if err != nil && errors.As(err, &ne) && ne.Timeout() && !awaitingPong {
			awaitingPong = true
			if perr := ps.Ping(b.ctx); perr == nil {
				continue
			}
		}
		if err != nil {
			b.setDown(err)
			b.reconnect()
			awaitingPong = false
			continue
		}
		awaitingPong = false
		if m, ok := msg.(*redis.Message); ok {
			if topic, ok := strings.CutPrefix(m.Channel, b.cfg.Prefix+"ch:"); ok {
				b.h.HandleMessage(topic, []byte(m.Payload))
			}
		}
	}
}

func (b *RedisBroker) setDown(err error) {
	if b.down.Load() == nil {
		b.cfg.Logger.Warn("hub: redis subscription lost", "err", err)
	}
	err = fmt.Errorf("redis: %w", err)
	b.down.Store(&err)
}

// reconnect replaces the subscription with a new one on every channel,
// retrying with backoff until Redis answers a ping, then tells the hub.
func (b *RedisBroker) reconnect() {
	wait := 50 * time.Millisecond
	for {
		b.mu.Lock()
		b.ps.Close()
		chans := make([]string, 0, len(b.channels))
		for ch := range b.channels {
			chans = append(chans, b.channel(ch))
		}
		b.ps = b.client.Subscribe(b.ctx, chans...)
		ps := b.ps
		b.mu.Unlock()
		err := ps.Ping(b.ctx)
		if err == nil {
			break
		}
		b.setDown(err)
		select {
		case <-b.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
	b.down.Store(nil)
	b.cfg.Logger.Info("hub: redis subscription back")
	b.h.HandleReconnect()
}

// Publish implements Broker. The hub publishes through Append; Publish is
// for messages outside any sequence.
func (b *RedisBroker) Publish(ctx context.Context, topic string, msg []byte) error {
	return b.client.Publish(ctx, b.channel(topic), msg).Err()
}

// Subscribe implements Broker. While Redis is down the channel is kept
// and subscribed on reconnection.
func (b *RedisBroker) Subscribe(ctx context.Context, topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.channels[topic] = true
	return b.ps.Subscribe(ctx, b.channel(topic))
}

// Unsubscribe implements Broker.
func (b *RedisBroker) Unsubscribe(ctx context.Context, topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.channels, topic)
	return b.ps.Unsubscribe(ctx, b.channel(topic))
}

// Close implements Broker.
func (b *RedisBroker) Close() error {
	b.cancel()
	b.mu.Lock()
	ps := b.ps
	b.mu.Unlock()
	if ps != nil {
		ps.Close()
		<-b.done
	}
	return b.client.Close()
}

// appendScript numbers, keeps and publishes a message in one step.
// KEYS: seq, history. ARGV: head, tail, channel, history size, ttl seconds.
var appendScript = redis.NewScript(`
local seq = redis.call('INCR', KEYS[1])
local msg = ARGV[1] .. string.format('%d', seq) .. ARGV[2]
redis.call('RPUSH', KEYS[2], msg)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[3], msg)
return seq
`)

// Append implements Log.
func (b *RedisBroker) Append(ctx context.Context, topic string, head, tail []byte) (uint64, error) {
	seq, err := appendScript.Run(ctx, b.client,
		[]string{b.seqKey(topic), b.histKey(topic)},
		head, tail, b.channel(topic), b.cfg.History, int(b.cfg.KeyTTL/time.Second)).Uint64()
	if err != nil {
		return 0, fmt.Errorf("redis append: %w", err)
	}
	return seq, nil
}

// Last implements Log.
func (b *RedisBroker) Last(ctx context.Context, topic string) (uint64, error) {
	n, err := b.client.Get(ctx, b.seqKey(topic)).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// Since implements Log.
func (b *RedisBroker) Since(ctx context.Context, topic string, after uint64) (uint64, [][]byte, error) {
	var last *redis.StringCmd
	var hist *redis.StringSliceCmd
	_, err := b.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		last = p.Get(ctx, b.seqKey(topic))
		hist = p.LRange(ctx, b.histKey(topic), 0, -1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, nil, err
	}
	n, err := last.Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil, nil
	} else if err != nil {
		return 0, nil, err
	}
	var msgs [][]byte
	for _, m := range hist.Val() {
		if parseSeq([]byte(m)) > after {
			msgs = append(msgs, []byte(m))
		}
	}
	return n, msgs, nil
}

// presenceSetScript writes this node's count with its expiry in Redis time.
// KEYS: hash. ARGV: node, count, ttl ms.
var presenceSetScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if tonumber(ARGV[2]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%d', now + tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// presenceCountScript sums the unexpired counts and removes the others.
var presenceCountScript = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local all = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #all, 2 do
  local c, exp = string.match(all[i + 1], '^(%d+):(%d+)$')
  if c and tonumber(exp) > now then
    sum = sum + tonumber(c)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return sum
`)

// SetPresence implements Presence.
func (b *RedisBroker) SetPresence(ctx context.Context, key string, n int) error {
	return presenceSetScript.Run(ctx, b.client, []string{b.presKey(key)},
		b.cfg.NodeID, strconv.Itoa(n), b.cfg.PresenceTTL.Milliseconds()).Err()
}

// PresenceCount implements Presence.
func (b *RedisBroker) PresenceCount(ctx context.Context, key string) (int, error) {
	n, err := presenceCountScript.Run(ctx, b.client, []string{b.presKey(key)}).Int()
	if err != nil {
		return 0, fmt.Errorf("redis presence: %w", err)
	}
	return n, nil
}

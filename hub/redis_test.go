package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedisURL returns the shared test Redis, skipping the test when it
// does not answer, unless CI is set.
func testRedisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("AGORA_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis at %s: %v", url, err)
		}
		t.Skipf("no redis at %s (set AGORA_TEST_REDIS_URL): %v", url, err)
	}
	return url
}

func uniquePrefix(t *testing.T) string {
	var b [4]byte
	rand.Read(b[:])
	return "agoratest:" + t.Name() + ":" + hex.EncodeToString(b[:]) + ":"
}

// startNode runs one node: a hub on its own RedisBroker behind a test server.
func startNode(t *testing.T, url, prefix, node string) (*Hub, string) {
	t.Helper()
	b, err := NewRedisBroker(context.Background(), RedisConfig{
		URL: url, Prefix: prefix, NodeID: node, HealthInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return startHub(t, Config{Broker: b})
}

func TestRedis_TwoNodes(t *testing.T) {
	url := testRedisURL(t)
	prefix := uniquePrefix(t)
	a, urlA := startNode(t, url, prefix, "a")
	b, urlB := startNode(t, url, prefix, "b")
	const topic = "w:42:participants"

	ca := dial(t, urlA+"?topic="+topic+"&member=1")
	ca.next()
	cb := dial(t, urlB+"?topic="+topic+"&member=2")
	cb.next()
	publishN(t, b, topic, 1, 3) // published on B
	publishN(t, a, topic, 4, 5) // and on A: one sequence for the topic
	for _, c := range []*client{ca, cb} {
		for want := uint64(1); want <= 5; want++ {
			if m := c.next(); m.Type != "test.event" || m.Seq != want {
				t.Fatalf("got %+v, want event %d", m, want)
			}
		}
	}

	t.Run("presence counts both nodes", func(t *testing.T) {
		for _, h := range []*Hub{a, b} {
			waitFor(t, "2 participants", func() bool {
				n, err := h.Presence(context.Background(), 42)
				return err == nil && n == 2
			})
		}
		cb.ws.CloseNow()
		waitFor(t, "1 participant", func() bool {
			n, err := a.Presence(context.Background(), 42)
			return err == nil && n == 1
		})
	})

	t.Run("resume on the other node", func(t *testing.T) {
		publishN(t, a, topic, 6, 7)
		c := dial(t, urlB+"?topic="+topic+"&since=5")
		for want := uint64(6); want <= 7; want++ {
			if m := c.next(); m.Seq != want || m.Type != "test.event" {
				t.Fatalf("got %+v, want replay %d", m, want)
			}
		}
	})
}

// redisProcess is a redis-server of this test alone, on a free port.
type redisProcess struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startRedisProcess(t *testing.T) *redisProcess {
	t.Helper()
	if _, err := os.Stat("/usr/bin/redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no /usr/bin/redis-server")
		}
		t.Skip("no /usr/bin/redis-server")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &redisProcess{t: t, port: port}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *redisProcess) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", p.port) }

func (p *redisProcess) start() {
	p.t.Helper()
	p.cmd = exec.Command("/usr/bin/redis-server", "--port", strconv.Itoa(p.port),
		"--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(p.port)})
	defer c.Close()
	waitFor(p.t, "redis-server up", func() bool { return c.Ping(context.Background()).Err() == nil })
}

func (p *redisProcess) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		p.cmd = nil
	}
}

func TestRedis_RestartResyncs(t *testing.T) {
	rp := startRedisProcess(t)
	prefix := uniquePrefix(t)
	a, urlA := startNode(t, rp.url(), prefix, "a")
	b, urlB := startNode(t, rp.url(), prefix, "b")
	const topic = "w:43:screen"
	ca := dial(t, urlA+"?topic="+topic)
	ca.next()
	cb := dial(t, urlB+"?topic="+topic)
	cb.next()
	publishN(t, a, topic, 1, 3)
	for _, c := range []*client{ca, cb} {
		for range 3 {
			c.next()
		}
	}

	rp.stop()
	for _, h := range []*Hub{a, b} {
		waitFor(t, "broker degraded", func() bool { return h.Ready() != nil })
	}
	// The node keeps serving its own sockets: a publication that cannot
	// cross nodes resyncs the local ones by snapshot.
	if err := a.Publish(context.Background(), topic, "test.event", nil); err == nil {
		t.Fatal("publish with redis down succeeded")
	}
	if m := ca.next(); m.Type != TypeSnapshot {
		t.Fatalf("local socket got %+v, want a snapshot", m)
	}

	rp.start()
	for _, h := range []*Hub{a, b} {
		waitFor(t, "broker back", func() bool { return h.Ready() == nil })
	}
	// Every client is resynced: Redis lost the seq, the snapshot resets it.
	for _, c := range []*client{ca, cb} {
		if m := c.next(); m.Type != TypeSnapshot || m.Seq != 0 {
			t.Fatalf("after reconnection got %+v, want snapshot at 0", m)
		}
	}
	publishN(t, b, topic, 1, 2)
	for _, c := range []*client{ca, cb} {
		for want := uint64(1); want <= 2; want++ {
			if m := c.next(); m.Type != "test.event" || m.Seq != want {
				t.Fatalf("got %+v, want event %d", m, want)
			}
		}
	}
}

package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/agora-civic/agora/internal/redistest"
)

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
	url := redistest.URL(t)
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

func TestRedis_RestartResyncs(t *testing.T) {
	rp := redistest.Start(t)
	prefix := uniquePrefix(t)
	a, urlA := startNode(t, rp.URL(), prefix, "a")
	b, urlB := startNode(t, rp.URL(), prefix, "b")
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

	rp.Stop()
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

	rp.Start()
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

package hub

import (
	"context"
	"sync"
	"testing"

	"github.com/agora-civic/agora/internal/redistest"
)

// TestRedis_LocalAndInternal checks the two kinds of messages that are not
// topic events: latest values stay on their node and take no seq, internal
// messages cross nodes but reach no socket.
func TestRedis_LocalAndInternal(t *testing.T) {
	url := redistest.URL(t)
	prefix := uniquePrefix(t)
	a, urlA := startNode(t, url, prefix, "a")
	b, urlB := startNode(t, url, prefix, "b")
	const topic = "w:44:screen"
	ca := dial(t, urlA+"?topic="+topic)
	ca.next()
	cb := dial(t, urlB+"?topic="+topic)
	cb.next()

	var mu sync.Mutex
	var got []string
	stop := b.SubscribeInternal("e:44", func(msg []byte) {
		mu.Lock()
		got = append(got, string(msg))
		mu.Unlock()
	})
	defer stop()
	if err := a.PublishInternal(context.Background(), "e:44", []byte("vote")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "internal message on the other node", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1 && got[0] == "vote"
	})

	publishN(t, a, topic, 1, 1)
	if m := ca.next(); m.Seq != 1 || m.Latest {
		t.Fatalf("A got %+v, want event 1", m)
	}
	// Numbered with the last seq A delivered: event 1 came back through Redis.
	a.PublishLocalCoalesced(topic, "tally:1", "test.tally", map[string]int{"n": 7})
	if m := ca.next(); m.Type != "test.tally" || !m.Latest || m.Seq != 1 || string(m.Data) != `{"n":7}` {
		t.Fatalf("A got %+v, want the latest tally after seq 1", m)
	}
	publishN(t, a, topic, 2, 2)
	if m := ca.next(); m.Seq != 2 || m.Latest {
		t.Fatalf("A got %+v, want event 2: the tally took no seq", m)
	}
	// B gets the events only: neither the tally nor the internal message.
	for want := uint64(1); want <= 2; want++ {
		if m := cb.next(); m.Type != "test.event" || m.Seq != want {
			t.Fatalf("B got %+v, want event %d", m, want)
		}
	}
}

package live

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// slowPeers records what the engine tells its peers; the first message
// waits until released, as a publish to a busy Redis would.
type slowPeers struct {
	countingNotifier
	release chan struct{}
	mu      sync.Mutex
	sent    []peerMessage
}

func (p *slowPeers) Broadcast(_ context.Context, _ int64, msg []byte) error {
	var m peerMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return err
	}
	p.mu.Lock()
	first := len(p.sent) == 0
	p.sent = append(p.sent, m)
	p.mu.Unlock()
	if first {
		<-p.release
	}
	return nil
}

func (p *slowPeers) Follow(int64, func([]byte)) func() { return func() {} }

func (p *slowPeers) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sent)
}

// Telling the peers never makes a command wait, keeps a workshop's
// changes in order, and sends the votes that queued up meanwhile as one
// message.
func TestEngine_TellBatchesVotesInOrder(t *testing.T) {
	p := &slowPeers{release: make(chan struct{})}
	e := New(nil, p, Options{})
	vote := func(id int64) peerMessage {
		pid := id
		return peerMessage{Vote: &agora.Vote{ID: id, ActivityID: 7, ParticipantID: &pid}}
	}
	e.tell(1, vote(1))
	for deadline := time.Now().Add(5 * time.Second); p.count() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first message was never sent")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	e.tell(1, vote(2)) // while the first publish hangs
	e.tell(1, vote(3))
	e.tell(1, peerMessage{Activity: &agora.Activity{ID: 7, WorkshopID: 1, State: agora.ActivityClosed}})
	e.tell(1, vote(4))
	if waited := time.Since(start); waited > 100*time.Millisecond {
		t.Fatalf("tell waited %v for the peers", waited)
	}
	close(p.release)
	e.Close() // flushes
	var got [][]int64
	for _, m := range p.sent {
		var ids []int64
		switch {
		case m.Vote != nil:
			ids = []int64{m.Vote.ID}
		case len(m.Votes) > 0:
			for _, v := range m.Votes {
				ids = append(ids, v.ID)
			}
		case m.Activity != nil:
			ids = []int64{-1}
		}
		got = append(got, ids)
	}
	for _, i := range []int{0, 3} { // a lone vote keeps the old form, for nodes not upgraded yet
		if i < len(p.sent) && (p.sent[i].Vote == nil || len(p.sent[i].Votes) != 0) {
			t.Errorf("message %d: a lone vote sent as %+v, want the Vote field", i, p.sent[i])
		}
	}
	want := [][]int64{{1}, {2, 3}, {-1}, {4}}
	if len(got) != len(want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("sent %v, want %v", got, want)
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("sent %v, want %v", got, want)
			}
		}
	}
}

// rawPeers keeps the messages the engine broadcasts, as sent.
type rawPeers struct {
	countingNotifier
	mu   sync.Mutex
	sent [][]byte
}

func (p *rawPeers) Broadcast(_ context.Context, _ int64, msg []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, msg)
	return nil
}

func (p *rawPeers) Follow(int64, func([]byte)) func() { return func() {} }

// A node knows its own messages, which the broker sends back to it, before
// decoding them; another node's messages it decodes.
func TestEngine_OwnPeerMessagesSkippedUndecoded(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	p := &rawPeers{}
	e := New(nil, p, Options{Logger: logger})
	other := New(nil, &rawPeers{}, Options{Logger: logger})
	pid := int64(3)
	for _, m := range []peerMessage{
		{Votes: []*agora.Vote{{ID: 1, ActivityID: 7, ParticipantID: &pid}, {ID: 2, ActivityID: 7, ParticipantID: &pid}}},
		{Activity: &agora.Activity{ID: 7, WorkshopID: 1}},
		{Drop: 7},
	} {
		if err := e.broadcast(1, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, msg := range p.sent {
		if !e.peers.fromSelf(msg) {
			t.Errorf("the sender does not know its message %s", msg)
		}
		if other.peers.fromSelf(msg) {
			t.Errorf("another node takes %s for its own", msg)
		}
	}

	// Skipped undecoded: a message that begins as this node's but is not
	// JSON is not even read.
	e.receive(append(append([]byte{}, e.peers.own...), ",garbage"...))
	if logs.Len() != 0 {
		t.Fatalf("the node decoded its own message: %s", logs.String())
	}
	other.receive([]byte("garbage"))
	if !strings.Contains(logs.String(), "live: peer message") {
		t.Fatalf("a bad message from elsewhere was not reported: %q", logs.String())
	}
}

package live

import (
	"context"
	"testing"

	"github.com/agora-civic/agora"
)

// countingNotifier counts what the engine publishes.
type countingNotifier struct{ tallies int }

func (n *countingNotifier) Publish(context.Context, string, string, any) error { return nil }
func (n *countingNotifier) PublishTally(string, string, string, any)           { n.tallies++ }

// A flush armed while the tally is still loading (a change relayed by
// another node) must wait for the load, not read a counter that is not
// there yet: the fault test of a killed node once crashed a node this way.
func TestEngine_FlushWaitsForTheLoad(t *testing.T) {
	n := &countingNotifier{}
	e := New(nil, n, Options{})
	defer e.Close()
	lt := &liveTally{act: agora.Activity{ID: 1, WorkshopID: 1, Kind: agora.KindPoll}, dirty: true}
	e.flush(lt) // must not panic on the nil counter
	if n.tallies != 0 || !lt.dirty {
		t.Fatalf("flushed an unloaded tally: published %d, dirty %v", n.tallies, lt.dirty)
	}
}

package server

import (
	"context"
	"strconv"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
)

// NewEngine makes the workshop engine on st, publishing through h (or
// nowhere when h is nil, for tests of pages alone). Through h the engine
// also talks to the engines of the other nodes, and reloads its tallies
// when h's broker comes back after an outage, or when a node appears or
// falls silent (live.Engine.WatchPeers).
func NewEngine(st agora.Store, h *hub.Hub, opts live.Options) *live.Engine {
	if h == nil {
		return live.New(st, discardNotifier{}, opts)
	}
	if h.Alone() {
		// No other node to tell: each vote would be encoded and handed
		// back to this engine only to be dropped (5 % of a vote's cost).
		return live.New(st, aloneNotifier{hubNotifier{h}}, opts)
	}
	e := live.New(st, hubNotifier{h}, opts)
	h.OnReconnect(e.ReloadAll)
	e.WatchPeers()
	return e
}

// aloneNotifier is hubNotifier without live.Peers, for a node whose hub
// has no broker to other nodes.
type aloneNotifier struct{ n hubNotifier }

func (a aloneNotifier) Publish(ctx context.Context, topic, typ string, data any) error {
	return a.n.Publish(ctx, topic, typ, data)
}

func (a aloneNotifier) PublishTally(topic, key, typ string, data any) {
	a.n.PublishTally(topic, key, typ, data)
}

// hubNotifier lets the engine publish through the hub: events to every
// node, tallies and presence, which each node computes, coalesced to this
// node's sockets only. It carries the engines' messages on an internal
// channel per workshop.
type hubNotifier struct{ h *hub.Hub }

var (
	_ live.Notifier = hubNotifier{}
	_ live.Peers    = hubNotifier{}
)

func (n hubNotifier) Publish(ctx context.Context, topic, typ string, data any) error {
	return n.h.Publish(ctx, topic, typ, data)
}

func (n hubNotifier) PublishTally(topic, key, typ string, data any) {
	n.h.PublishLocalCoalesced(topic, key, typ, data)
}

// Broadcast fails at once while the broker is known to be down, rather
// than hold a vote's answer for a timeout: the engine then asks its peers
// to reload once messages go through again.
func (n hubNotifier) Broadcast(ctx context.Context, workshopID int64, msg []byte) error {
	if err := n.h.Ready(); err != nil {
		return err
	}
	return n.h.PublishInternal(ctx, peersChannel(workshopID), msg)
}

func (n hubNotifier) Follow(workshopID int64, fn func([]byte)) func() {
	return n.h.SubscribeInternal(peersChannel(workshopID), fn)
}

// peersChannel names the engines' channel of a workshop: "e:{workshopID}",
// apart from the sockets' topics.
func peersChannel(workshopID int64) string { return "e:" + strconv.FormatInt(workshopID, 10) }

// discardNotifier publishes nothing: without a hub there is no live page.
type discardNotifier struct{}

func (discardNotifier) Publish(context.Context, string, string, any) error { return nil }
func (discardNotifier) PublishTally(string, string, string, any)           {}

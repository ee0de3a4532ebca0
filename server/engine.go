package server

import (
	"context"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
)

// NewEngine makes the workshop engine on st, publishing through h (or
// nowhere when h is nil, for tests of pages alone).
func NewEngine(st agora.Store, h *hub.Hub, opts live.Options) *live.Engine {
	var n live.Notifier = discardNotifier{}
	if h != nil {
		n = hubNotifier{h}
	}
	return live.New(st, n, opts)
}

// hubNotifier lets the engine publish through the hub; tallies and
// presence go through its coalescing.
type hubNotifier struct{ h *hub.Hub }

var _ live.Notifier = hubNotifier{}

func (n hubNotifier) Publish(ctx context.Context, topic, typ string, data any) error {
	return n.h.Publish(ctx, topic, typ, data)
}

func (n hubNotifier) PublishTally(topic, key, typ string, data any) {
	n.h.PublishCoalesced(topic, key, typ, data)
}

// discardNotifier publishes nothing: without a hub there is no live page.
type discardNotifier struct{}

func (discardNotifier) Publish(context.Context, string, string, any) error { return nil }
func (discardNotifier) PublishTally(string, string, string, any)           {}

package hub

import (
	"context"
	"time"
)

// presenceRefresh is how often a node rewrites all its counts, so that a
// broker can expire the counts of a node that died (see RedisConfig.PresenceTTL).
const presenceRefresh = 10 * time.Second

// localPresence counts the distinct members connected to a topic here.
func (h *Hub) localPresence(key string) int {
	h.mu.RLock()
	t := h.topics[key]
	h.mu.RUnlock()
	if t == nil {
		return 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.members)
}

func (h *Hub) markPresenceDirty(key string) {
	if h.presence == nil {
		return
	}
	h.presMu.Lock()
	h.presDirty[key] = true
	h.presMu.Unlock()
	select {
	case h.presWake <- struct{}{}:
	default:
	}
}

func (h *Hub) markAllPresenceDirty() {
	h.mu.RLock()
	var keys []string
	for name := range h.topics {
		if presenceTopic(name) {
			keys = append(keys, name)
		}
	}
	h.mu.RUnlock()
	for _, k := range keys {
		h.markPresenceDirty(k)
	}
}

// presenceLoop writes changed counts to the broker as they change, and all
// of them every presenceRefresh. A write that fails stays dirty.
func (h *Hub) presenceLoop() {
	defer close(h.presDone)
	tick := time.NewTicker(presenceRefresh)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			h.flushPresence(true)
			return
		case <-tick.C:
			h.markAllPresenceDirty()
		case <-h.presWake:
		}
		h.flushPresence(false)
	}
}

func (h *Hub) flushPresence(final bool) {
	h.presMu.Lock()
	keys := h.presDirty
	h.presDirty = map[string]bool{}
	if final { // leave no count behind: zero every key this node wrote
		for k := range h.presKnown {
			keys[k] = true
		}
	}
	h.presMu.Unlock()
	ctx := h.ctx
	if final {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
	}
	for key := range keys {
		n := h.localPresence(key)
		if final {
			n = 0
		}
		err := h.presence.SetPresence(ctx, key, n)
		h.presMu.Lock()
		switch {
		case err != nil && !final:
			h.presDirty[key] = true
		case err == nil && n > 0:
			h.presKnown[key] = true
		case err == nil:
			delete(h.presKnown, key)
		}
		h.presMu.Unlock()
	}
}

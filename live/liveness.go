package live

import (
	"context"
	"time"
)

// DefaultPeerBeat is how often a node tells the other nodes it is alive.
const DefaultPeerBeat = 5 * time.Second

// peerSilentBeats: a peer not heard for this many beats is taken for gone.
const peerSilentBeats = 3

// allNodes is the peers' channel that reaches every node's engine,
// whatever workshops it serves: no workshop has this ID.
const allNodes int64 = 0

// WatchPeers makes this node known to the other nodes and watches theirs.
//
// A node tells its peers of a committed change after the command's answer
// (see tell), so a node killed in between never tells them: the other
// nodes' screens go on showing a vote it acknowledged as it was before.
// Nobody knows which change was lost, so when a node appears (it may be
// that one, restarted) or falls silent for peerSilentBeats beats (killed
// for good), every other node reloads the tallies it holds from the store,
// which has the change. Alone, a node has nothing to watch. Close stops it.
func (e *Engine) WatchPeers() {
	ps := &e.peers
	if ps.p == nil {
		return
	}
	ps.mu.Lock()
	if ps.following == nil || ps.seen != nil {
		ps.mu.Unlock()
		return // closed, or watching already
	}
	ps.seen = map[string]time.Time{}
	ps.following[allNodes] = ps.p.Follow(allNodes, e.receive)
	ps.mu.Unlock()
	e.beat()
}

// beat tells the peers this node is alive, forgets those silent for too
// long, reloading the tallies if any was, and arms the next beat.
func (e *Engine) beat() {
	err := e.broadcast(allNodes, peerMessage{Alive: true})
	now := e.clock.Now()
	ps := &e.peers
	ps.mu.Lock()
	if ps.following == nil {
		ps.mu.Unlock()
		return // closed
	}
	gone := 0
	// A node whose broker refuses its messages hears nobody either: it
	// judges nobody, and reloads once the broker is back (OnReconnect).
	if err == nil {
		for node, at := range ps.seen {
			if now.Sub(at) > peerSilentBeats*e.beatEvery {
				delete(ps.seen, node)
				gone++
			}
		}
	}
	ps.beating = e.clock.AfterFunc(e.beatEvery, e.beat)
	ps.mu.Unlock()
	if gone > 0 {
		e.reloadAllSoon("a peer fell silent")
	}
}

// heard notes a peer's beat, and reports whether that peer is new.
func (ps *peerState) heard(node string, at time.Time) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.seen == nil {
		return false // not watching
	}
	_, known := ps.seen[node]
	ps.seen[node] = at
	return !known
}

// reloadAllSoon reloads every tally held, in the background: the broker's
// goroutine, which hears the peers, must not wait for the store.
func (e *Engine) reloadAllSoon(why string) {
	if !e.tallies.enter() {
		return // closed
	}
	go func() {
		defer e.tallies.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.log.Info("live: reload the tallies", "why", why)
		e.ReloadAll(ctx)
	}()
}

package live

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/agora-civic/agora"
)

// Peers carries the engines' messages between the nodes that share rooms.
// Each node keeps its own live tallies and publishes them to its own
// sockets only, so each must count what the others commit: after every
// change, the engine tells its peers what changed, and applies what they
// tell it. A Notifier that implements Peers enables this; without it the
// engine is alone, which is right for one node.
type Peers interface {
	// Broadcast sends msg to the engines following workshopID on every
	// node, this one included. Delivery is at most once. Workshop ID 0,
	// which no workshop has, is the channel of every node (WatchPeers).
	Broadcast(ctx context.Context, workshopID int64, msg []byte) error
	// Follow calls fn with every message broadcast for workshopID, until
	// stop is called. fn must not block.
	Follow(workshopID int64, fn func(msg []byte)) (stop func())
}

// peerMessage is one change committed on a node, as the store holds it.
// Exactly one field besides Node is set.
type peerMessage struct {
	Node     string          `json:"node"` // the sender, which ignores its own; first, for fromSelf
	Vote     *agora.Vote     `json:"vote,omitempty"`
	Votes    []*agora.Vote   `json:"votes,omitempty"` // several votes, in order
	Support  *supportChange  `json:"support,omitempty"`
	Idea     *agora.Proposal `json:"idea,omitempty"`
	Activity *agora.Activity `json:"activity,omitempty"` // a new state or version of an activity
	Drop     int64           `json:"drop,omitempty"`     // an activity reset or deleted: forget its tally
	Reload   int64           `json:"reload,omitempty"`   // a change of this activity was not told: read it again
	Presence *PresenceEvent  `json:"presence,omitempty"`
	Alive    bool            `json:"alive,omitempty"` // the sender's beat: see WatchPeers
}

type supportChange struct {
	ActivityID int64          `json:"activity_id"`
	Support    *agora.Support `json:"support"`
	Added      bool           `json:"added"`
}

// peerState is the engine's side of Peers: the workshops it follows and
// the activities whose tally it is loading because a peer spoke of them.
type peerState struct {
	p    Peers // nil: alone
	node string
	own  []byte // how this node's messages begin: see fromSelf

	mu        sync.Mutex
	following map[int64]func()        // workshop → stop
	warming   map[int64]bool          // activity → load under way
	untold    map[int64]int64         // activity → workshop, of changes the peers missed
	outbox    map[int64][]peerMessage // workshop → messages waiting; present while its sender runs
	seen      map[string]time.Time    // peer node → its last beat heard; nil until WatchPeers
	beating   Timer                   // the next beat
}

func (ps *peerState) init(n Notifier) {
	ps.following, ps.warming, ps.untold = map[int64]func(){}, map[int64]bool{}, map[int64]int64{}
	ps.outbox = map[int64][]peerMessage{}
	ps.p, _ = n.(Peers)
	var b [8]byte
	rand.Read(b[:])
	ps.node = hex.EncodeToString(b[:])
	ps.own = []byte(`{"node":"` + ps.node + `"`)
}

// fromSelf reports whether msg is one of this node's own messages, which
// the broker sends back to it too, without decoding it: the votes of a
// burst come back by the thousand. Node is peerMessage's first field, so
// its encoding begins with it.
func (ps *peerState) fromSelf(msg []byte) bool { return bytes.HasPrefix(msg, ps.own) }

// follow listens to the peers about a workshop, from now on. The engine
// follows a workshop before it loads a tally of it, so that a change
// committed elsewhere after the load's read is not missed, and as long as
// it runs, since it keeps its tallies.
func (e *Engine) follow(workshopID int64) {
	ps := &e.peers
	if ps.p == nil {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.following == nil || ps.following[workshopID] != nil {
		return // closed, or following already
	}
	ps.following[workshopID] = ps.p.Follow(workshopID, e.receive)
}

// unfollowAll stops listening to the peers, and beating (WatchPeers).
func (e *Engine) unfollowAll() {
	ps := &e.peers
	ps.mu.Lock()
	stops := ps.following
	ps.following = nil
	if ps.beating != nil {
		ps.beating.Stop() // a beat running now sees following nil and arms no other
	}
	ps.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// tell sends a committed change to the peers, in order with the other
// changes of its workshop, without making the command wait: one sender
// per workshop publishes what queued up while it published the previous
// message, the votes of a burst together. A vote's answer no longer waits
// for a round trip to Redis, and 10,000 votes are a few hundred messages.
// Close waits for the senders (flushPeers).
func (e *Engine) tell(workshopID int64, m peerMessage) {
	// Every change committed here is told, so its listener hears it here.
	e.resultsChanged(m.activityID())
	ps := &e.peers
	if ps.p == nil {
		return
	}
	ps.mu.Lock()
	queued, running := ps.outbox[workshopID]
	ps.outbox[workshopID] = append(queued, m)
	ps.mu.Unlock()
	if !running {
		go e.sendPeers(workshopID)
	}
}

// sendPeers publishes a workshop's queued messages until none is left.
func (e *Engine) sendPeers(workshopID int64) {
	ps := &e.peers
	for {
		ps.mu.Lock()
		msgs := ps.outbox[workshopID]
		if len(msgs) == 0 {
			delete(ps.outbox, workshopID)
			ps.mu.Unlock()
			return
		}
		ps.outbox[workshopID] = msgs[:0:0] // still running: later tells queue here
		ps.mu.Unlock()
		for _, m := range joinVotes(msgs) {
			e.send(workshopID, m)
		}
	}
}

// flushPeers waits until every queued message is published, or max.
func (e *Engine) flushPeers(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		e.peers.mu.Lock()
		n := len(e.peers.outbox)
		e.peers.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// joinVotes merges each run of two or more vote messages into one
// message. A lone vote stays a Vote message, which a node of the previous
// version still reads during a rolling upgrade.
func joinVotes(msgs []peerMessage) []peerMessage {
	var out []peerMessage
	for _, m := range msgs {
		if m.Vote == nil {
			out = append(out, m)
			continue
		}
		if n := len(out); n > 0 && len(out[n-1].Votes) > 0 {
			out[n-1].Votes = append(out[n-1].Votes, m.Vote)
			continue
		}
		if n := len(out); n > 0 && out[n-1].Vote != nil {
			out[n-1] = peerMessage{Votes: []*agora.Vote{out[n-1].Vote, m.Vote}}
			continue
		}
		out = append(out, m)
	}
	return out
}

// send publishes one message. When the broker refuses it (down, or its
// client still backing off after an outage) the change is remembered, and
// once a message goes through again the peers are told to reload.
func (e *Engine) send(workshopID int64, m peerMessage) {
	if err := e.broadcast(workshopID, m); err != nil {
		e.log.Warn("live: tell peers", "workshop", workshopID, "err", err)
		ids := m.activityIDs()
		e.peers.mu.Lock()
		for _, id := range ids {
			e.peers.untold[id] = workshopID
		}
		e.peers.mu.Unlock()
		return
	}
	e.tellUntold()
}

// tellUntold asks the peers to reload the tallies whose changes they missed.
func (e *Engine) tellUntold() {
	ps := &e.peers
	ps.mu.Lock()
	untold := ps.untold
	if len(untold) > 0 {
		ps.untold = map[int64]int64{}
	}
	ps.mu.Unlock()
	for id, wid := range untold {
		if err := e.broadcast(wid, peerMessage{Reload: id}); err != nil {
			ps.mu.Lock()
			ps.untold[id] = wid
			ps.mu.Unlock()
		}
	}
}

func (e *Engine) broadcast(workshopID int64, m peerMessage) error {
	m.Node = e.peers.node
	msg, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return e.peers.p.Broadcast(ctx, workshopID, msg)
}

// activityIDs are the activities whose tallies m changes.
func (m *peerMessage) activityIDs() []int64 {
	var ids []int64
	for _, v := range m.Votes {
		ids = append(ids, v.ActivityID)
	}
	if id := m.activityID(); id != 0 {
		ids = append(ids, id)
	}
	return ids
}

// activityID is the activity whose tally m changes, 0 for none.
func (m *peerMessage) activityID() int64 {
	switch {
	case m.Vote != nil:
		return m.Vote.ActivityID
	case m.Support != nil:
		return m.Support.ActivityID
	case m.Idea != nil && m.Idea.ActivityID != nil:
		return *m.Idea.ActivityID
	case m.Activity != nil:
		return m.Activity.ID
	}
	return m.Drop
}

// receive applies a peer's message. It runs on the broker's goroutine, so
// it never waits for the store: a change to a tally this node does not
// hold loads that tally in the background, from the store, which has it.
func (e *Engine) receive(msg []byte) {
	if e.peers.fromSelf(msg) {
		return
	}
	var m peerMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		e.log.Warn("live: peer message", "err", err)
		return
	}
	if m.Node == e.peers.node {
		return
	}
	defer e.remoteResultsChanged(&m)
	switch {
	case m.Alive:
		if e.peers.heard(m.Node, e.clock.Now()) {
			e.reloadAllSoon("a peer appeared")
		}
	case m.Vote != nil:
		if e.held(m.Vote.ActivityID) {
			e.ApplyRemoteVote(m.Vote)
		}
	case len(m.Votes) > 0:
		for _, v := range m.Votes {
			if e.held(v.ActivityID) {
				e.ApplyRemoteVote(v)
			}
		}
	case m.Support != nil:
		if e.held(m.Support.ActivityID) {
			e.ApplyRemoteSupport(m.Support.ActivityID, m.Support.Support, m.Support.Added)
		}
	case m.Idea != nil && m.Idea.ActivityID != nil:
		if e.held(*m.Idea.ActivityID) {
			e.ApplyRemoteIdea(m.Idea)
		}
	case m.Activity != nil:
		e.ApplyRemoteActivity(m.Activity)
	case m.Drop != 0:
		e.tallies.remove(m.Drop)
	case m.Reload != 0:
		if e.tallies.get(m.Reload) != nil && e.tallies.enter() {
			go e.reloadForPeer(m.Reload)
		}
	case m.Presence != nil:
		e.publishPresenceEvent(m.Presence.WorkshopID, m.Presence.Participants)
	}
}

// remoteResultsChanged tells OnResultsChange's listener of the activities
// whose results a peer's message changed, once each.
func (e *Engine) remoteResultsChanged(m *peerMessage) {
	last := int64(0)
	for _, id := range append(m.activityIDs(), m.Reload) {
		if id != last {
			e.resultsChanged(id)
			last = id
		}
	}
}

// held reports whether this node holds the tally of an activity, and
// starts loading it when not: this node follows the activity's workshop,
// so it has sockets or commands there, and its screens need the tally.
func (e *Engine) held(activityID int64) bool {
	if e.tallies.get(activityID) != nil {
		return true
	}
	ps := &e.peers
	ps.mu.Lock()
	busy := ps.warming[activityID]
	ps.warming[activityID] = true
	ps.mu.Unlock()
	if !busy && e.tallies.enter() {
		go e.warm(activityID)
	}
	return false
}

// warm loads an activity's tally and publishes it.
func (e *Engine) warm(activityID int64) {
	defer e.tallies.wg.Done()
	defer func() {
		e.peers.mu.Lock()
		delete(e.peers.warming, activityID)
		e.peers.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.refresh(ctx, activityID); err != nil {
		e.log.Warn("live: load tally for a peer", "activity", activityID, "err", err)
	}
}

// refresh loads an activity's tally when needed and publishes it.
func (e *Engine) refresh(ctx context.Context, activityID int64) error {
	lt := e.tallies.get(activityID)
	if lt == nil {
		a, err := e.st.ActivityByID(ctx, activityID)
		if err != nil {
			return err
		}
		if lt, err = e.tally(ctx, a); err != nil {
			return err
		}
	}
	lt.mu.Lock()
	e.changed(lt)
	lt.mu.Unlock()
	return nil
}

func (e *Engine) reloadForPeer(activityID int64) {
	defer e.tallies.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Reload(ctx, activityID); err != nil {
		e.log.Warn("live: reload tally for a peer", "activity", activityID, "err", err)
	}
}

// ApplyRemoteActivity gives the tally of an activity the version another
// node committed (opened, closed, revealed, edited); a later round makes
// the tally obsolete, and its next use loads it again.
func (e *Engine) ApplyRemoteActivity(a *agora.Activity) {
	if a == nil {
		return
	}
	if lt := e.tallies.get(a.ID); lt != nil && !lt.refresh(a) {
		e.tallies.remove(a.ID)
	}
}

// Watch makes this node serve a workshop's live values: a socket of the
// workshop connected here. The node follows the workshop's peers, loads
// the current activity's tally, and republishes the tally and the
// participant count to its sockets. Live values are not in the topics'
// history: a socket that resumed from history, without a snapshot, gets
// them this way.
func (e *Engine) Watch(ctx context.Context, w *agora.Workshop) error {
	e.follow(w.ID)
	e.presence.mu.Lock()
	n, ok := e.presence.m[w.ID]
	e.presence.mu.Unlock()
	if ok {
		e.publishPresenceEvent(w.ID, n)
	}
	if w.CurrentActivityID == nil {
		return nil
	}
	return e.refresh(ctx, *w.CurrentActivityID)
}

// ReloadAll reloads every tally this node holds from the store, for when
// the peers' messages may have been lost (the broker was cut off), and
// tells the peers to reload those whose changes they missed.
func (e *Engine) ReloadAll(ctx context.Context) {
	defer e.tellUntold()
	e.tallies.mu.Lock()
	ids := make([]int64, 0, len(e.tallies.m))
	for id := range e.tallies.m {
		ids = append(ids, id)
	}
	e.tallies.mu.Unlock()
	for _, id := range ids {
		if err := e.Reload(ctx, id); err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
			e.log.Warn("live: reload tally", "activity", id, "err", err)
		}
	}
}

// publishPresenceEvent counts n participants in a workshop (a count never
// goes down) and sends the count to this node's screen and facilitators.
func (e *Engine) publishPresenceEvent(workshopID int64, n int) {
	ev := PresenceEvent{WorkshopID: workshopID, Participants: e.presence.update(workshopID, n)}
	key := "presence:" + strconv.FormatInt(workshopID, 10)
	for _, aud := range []Audience{Screen, Facilitators} {
		e.n.PublishTally(Topic(workshopID, aud), key, EventPresence, ev)
	}
}

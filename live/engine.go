// Package live is the live workshop engine: the one code path behind every
// command of a workshop, shared by the HTML form handlers, the JSON API and
// the load tool.
//
// Every command checks who may run it, applies the domain rules of package
// agora, commits to the store (staff actions with their audit entry, in the
// same transaction) and only then publishes the change to the room through
// a Notifier. A command returns nil only once its change is committed.
//
// Live results are kept in memory, per activity, as incremental tallies
// loaded from the store on first use: a vote updates them under a short
// per-activity lock, never with a query, and they go out to the room
// coalesced, at most once per Options.TallyInterval. With several nodes,
// each node's engine tells the others every change it commits (see Peers),
// so every node holds the whole tally and sends it to its own sockets.
package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-civic/agora"
)

// DefaultTallyInterval is how often, at most, the live results of one
// activity go out to the room.
const DefaultTallyInterval = 100 * time.Millisecond

// Options tune an Engine; the zero value is ready for production.
type Options struct {
	// TallyInterval is the least time between two tallies of one activity
	// (DefaultTallyInterval when zero).
	TallyInterval time.Duration
	// Clock reads the time and arms timers (the system clock when nil).
	Clock Clock
	// Logger receives the errors nobody waits for, such as a countdown
	// that fails to close its activity (slog.Default when nil).
	Logger *slog.Logger
	// PeerBeat is how often this node tells the other nodes it is alive
	// (DefaultPeerBeat when zero): see WatchPeers.
	PeerBeat time.Duration
}

// Engine runs workshops. It is safe for concurrent use.
type Engine struct {
	st        agora.Store
	n         Notifier
	clock     Clock
	log       *slog.Logger
	interval  time.Duration
	beatEvery time.Duration

	tallies  tallyCache
	voters   [voterStripes]sync.Mutex // orders one voter's own votes
	timers   timerSet
	presence presenceMax
	peers    peerState

	onResults atomic.Pointer[func(activityID int64)] // see OnResultsChange

	// checkedAtCommit: the store checks each batch of votes with
	// CheckVotes as it commits (VoteChecker); otherwise VoteOn does, vote
	// by vote.
	checkedAtCommit bool
}

// New returns an Engine that keeps its data in st and publishes through n.
// Call Resume once the process starts, and Close when it stops.
func New(st agora.Store, n Notifier, opts Options) *Engine {
	e := &Engine{st: st, n: n, clock: opts.Clock, log: opts.Logger, interval: opts.TallyInterval, beatEvery: opts.PeerBeat}
	if e.clock == nil {
		e.clock = systemClock{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.interval <= 0 {
		e.interval = DefaultTallyInterval
	}
	if e.beatEvery <= 0 {
		e.beatEvery = DefaultPeerBeat
	}
	e.tallies.m = map[int64]*liveTally{}
	e.timers.m = map[int64]*countdown{}
	e.presence.m = map[int64]int{}
	e.peers.init(n)
	if c, ok := st.(VoteChecker); ok {
		c.CheckVotesWith(e.CheckVotes)
		e.checkedAtCommit = true
	}
	return e
}

// Close stops the countdowns and the tally flushes, and waits for those
// already running. Commands still work afterwards but arm nothing. The
// Notifier must still publish during Close: the peers are asked one last
// time to reload the tallies whose changes they missed.
func (e *Engine) Close() {
	if e.peers.p != nil {
		e.flushPeers(5 * time.Second) // what was committed reaches the peers
		e.tellUntold()                // best effort: after Close nobody would
	}
	e.unfollowAll()
	e.timers.stopAll()
	e.tallies.stopAll()
	e.timers.wg.Wait()
	e.tallies.wg.Wait()
}

// OnResultsChange registers fn to hear the ID of every activity whose
// results change: a vote, a support, an idea or its moderation, a reset, a
// deletion or a new version of the activity, committed on this node (just
// after the commit, before the command returns) or told by a peer. Those
// who count results from the store, such as the server's public pages,
// forget their count on it. fn must be quick and must not call the engine;
// it replaces the listener registered before, if any.
func (e *Engine) OnResultsChange(fn func(activityID int64)) { e.onResults.Store(&fn) }

// resultsChanged tells OnResultsChange's listener of an activity.
func (e *Engine) resultsChanged(activityID int64) {
	if fn := e.onResults.Load(); fn != nil && activityID != 0 {
		(*fn)(activityID)
	}
}

// now is the engine's time, truncated to what the databases keep, so that
// a time written and read back compares equal.
func (e *Engine) now() time.Time { return e.clock.Now().UTC().Truncate(time.Microsecond) }

// staff checks that actor may prepare and run workshops.
func staff(actor *agora.User) error {
	if actor == nil {
		return agora.Errorf(agora.EUNAUTHORIZED, "error.sign_in_required")
	}
	if actor.DeletedAt != nil || !actor.Role.CanFacilitate() {
		return agora.Errorf(agora.EFORBIDDEN, "error.forbidden")
	}
	return nil
}

// moderator checks that actor may moderate a workshop's ideas: the
// facilitators running it, and the moderators.
func moderator(actor *agora.User) error {
	if actor == nil {
		return agora.Errorf(agora.EUNAUTHORIZED, "error.sign_in_required")
	}
	if actor.DeletedAt != nil || !(actor.Role.CanFacilitate() || actor.Role.CanModerate()) {
		return agora.Errorf(agora.EFORBIDDEN, "error.forbidden")
	}
	return nil
}

// joined checks that a participant was given.
func joined(p *agora.Participant) error {
	if p == nil {
		return agora.Errorf(agora.EUNAUTHORIZED, "error.join_required")
	}
	return nil
}

// audit returns the audit entry of a staff action on a workshop or one of
// its activities; actor nil is the system.
func (e *Engine) audit(actor *agora.User, w *agora.Workshop, action string, kind agora.TargetKind, id int64, detail any) *agora.AuditEntry {
	a := &agora.AuditEntry{At: e.now(), Action: action, TargetKind: kind, TargetID: id,
		ConsultationID: &w.ConsultationID, WorkshopID: &w.ID}
	if actor != nil {
		a.ActorID = &actor.ID
	}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err == nil {
			a.Detail = string(b)
		}
	}
	return a
}

// notFound replaces the store's generic not-found key with key, so that the
// user reads what was missing; other errors pass unchanged.
func notFound(err error, key string) error {
	if agora.IsCode(err, agora.ENOTFOUND) {
		return agora.WrapError(agora.ENOTFOUND, key, err)
	}
	return err
}

// publish sends an event and logs a failure: the change is committed
// already, and clients catch up with a snapshot.
func (e *Engine) publish(ctx context.Context, topic, typ string, data any) {
	if err := e.n.Publish(ctx, topic, typ, data); err != nil {
		e.log.Warn("live: publish", "topic", topic, "type", typ, "err", err)
	}
}

// publishState sends each audience of a workshop its new RoomState. Every
// state is read before any goes out, the participants counted once for
// all, and the participants' state goes last: queueing an event on 10,000
// phones wakes 10,000 socket writers, and the projector's state read after
// that waited 30-100 ms for the CPU (BENCHMARKS.md, host I).
func (e *Engine) publishState(ctx context.Context, w *agora.Workshop, to ...Audience) {
	ctx = context.WithoutCancel(ctx) // committed: publish even if the caller left
	if len(to) == 0 {
		to = audiences
	}
	n, err := e.st.CountParticipants(ctx, w.ID)
	if err != nil {
		e.log.Warn("live: state for publish", "workshop", w.ID, "err", err)
		return
	}
	states := make(map[Audience]*RoomState, len(to))
	for _, aud := range to {
		s, err := e.state(ctx, w, aud, nil, n)
		if err != nil {
			e.log.Warn("live: state for publish", "workshop", w.ID, "audience", aud, "err", err)
			continue
		}
		states[aud] = s
	}
	for _, aud := range to {
		if s := states[aud]; s != nil && aud != Participants {
			e.publish(ctx, Topic(w.ID, aud), EventState, s)
		}
	}
	if s := states[Participants]; s != nil {
		e.publish(ctx, Topic(w.ID, Participants), EventState, s)
	}
}

package live

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-civic/agora"
)

// A node serving workshop after workshop must not keep every vote it ever
// counted: a tally nobody used for tallyIdle (no vote, no read, no flush
// pending) is let go when a new tally is made, at most once per
// tallySweepEvery. Its next use loads it from the store again.
const (
	tallyIdle       = 10 * time.Minute
	tallySweepEvery = time.Minute
)

// tallyCache holds the live tallies of the activities this node serves.
//
// A tally is loaded from the store on first use (ListVotes, or the ideas
// with their supports) and then kept up to date by applying each committed
// change: a vote replaces the voter's previous vote (the cache keeps every
// voter's current vote to know which), a support adds or removes one, an
// idea's status replaces the old one. The same apply path serves the votes
// committed on this node and, through ApplyRemote*, on other nodes: a vote
// older than the one the cache holds for that voter is ignored, so replays
// and reordering converge on the store's last write.
type tallyCache struct {
	mu     sync.Mutex
	m      map[int64]*liveTally
	swept  time.Time // the last look for idle tallies
	closed atomic.Bool
	wg     sync.WaitGroup // running flushes
}

// liveTally is the in-memory tally of one activity. Its mutex guards only
// memory: no store call and no publish ever happens under it.
type liveTally struct {
	mu   sync.Mutex
	act  agora.Activity // kind, options, round and visibility of the activity
	used atomic.Int64   // when last used, in Unix nanoseconds: see tallyIdle

	loaded  bool
	loading chan struct{}  // closed when the running load ends
	pending []func()       // idempotent updates that arrived during the load
	stale   bool           // a support arrived during the load: load again
	dropped bool           // replaced by a reset or a reload
	counter *agora.Counter // votable kinds
	votes   map[voterKey]*agora.Vote
	ideas   map[int64]*agora.Proposal // ideas kind, with their support counts

	dirty, armed bool  // coalescing: a change awaits the flush armed
	timer        Timer // the armed flush
}

// voterKey names who cast a vote: a participant in the room or a user online.
type voterKey struct{ participant, user int64 }

func keyOf(v *agora.Vote) voterKey {
	var k voterKey
	if v.ParticipantID != nil {
		k.participant = *v.ParticipantID
	}
	if v.UserID != nil {
		k.user = *v.UserID
	}
	return k
}

// entry returns the cache entry of a, creating it, and marks it used at
// now. An entry of an earlier round (reset on another node) is replaced, and
// a newer version of the activity updates the entry's copy.
func (c *tallyCache) entry(a *agora.Activity, now time.Time) *liveTally {
	c.mu.Lock()
	defer c.mu.Unlock()
	lt := c.m[a.ID]
	if lt != nil && lt.refresh(a) {
		lt.touch(now)
		return lt
	}
	if lt != nil {
		lt.drop()
	} else if now.Sub(c.swept) >= tallySweepEvery {
		c.swept = now
		c.dropIdle(now)
	}
	lt = &liveTally{act: *a}
	lt.touch(now)
	c.m[a.ID] = lt
	return lt
}

// dropIdle lets go the tallies idle since tallyIdle before now. Called
// under c.mu.
func (c *tallyCache) dropIdle(now time.Time) {
	for id, lt := range c.m {
		if lt.dropIfIdle(now) {
			delete(c.m, id)
		}
	}
}

func (lt *liveTally) touch(now time.Time) { lt.used.Store(now.UnixNano()) }

// dropIfIdle drops the tally if it was last used tallyIdle before now and
// has nothing under way: no load, and no change waiting for its flush.
func (lt *liveTally) dropIfIdle(now time.Time) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.loading != nil || lt.dirty || lt.armed || now.UnixNano()-lt.used.Load() < int64(tallyIdle) {
		return false
	}
	lt.dropped = true
	return true
}

// get returns the entry of an activity, or nil when it is not cached.
func (c *tallyCache) get(id int64) *liveTally {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

// remove forgets an activity's tally; the next use loads it again.
func (c *tallyCache) remove(id int64) {
	c.mu.Lock()
	lt := c.m[id]
	delete(c.m, id)
	c.mu.Unlock()
	if lt != nil {
		lt.drop()
	}
}

// stopAll stops every armed flush.
func (c *tallyCache) stopAll() {
	c.closed.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, lt := range c.m {
		lt.mu.Lock()
		if lt.timer != nil {
			lt.timer.Stop()
		}
		lt.mu.Unlock()
	}
}

// enter registers a running flush; false once the cache is closed.
func (c *tallyCache) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return false
	}
	c.wg.Add(1)
	return true
}

// refresh updates the copy of the activity from a newer read of it, and
// reports false when a belongs to a later round: the entry is obsolete.
func (lt *liveTally) refresh(a *agora.Activity) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if a.Round > lt.act.Round || lt.dropped {
		return false
	}
	if a.Round == lt.act.Round && a.UpdatedAt.After(lt.act.UpdatedAt) {
		lt.setActivity(a)
	}
	return true
}

// setActivity replaces the copy of the activity; the counter is rebuilt from
// the votes held when the options changed (a reveal or a hide keeps it: at
// 10,000 votes a rebuild is 2 ms of CPU). Called under lt.mu.
func (lt *liveTally) setActivity(a *agora.Activity) {
	lt.act = *a
	if lt.loaded && lt.counter != nil && !lt.counter.CountsAs(a) {
		lt.rebuild()
	}
}

func (lt *liveTally) rebuild() {
	act := lt.act
	lt.counter = agora.NewCounter(&act)
	for _, v := range lt.votes {
		lt.counter.Apply(nil, v)
	}
}

func (lt *liveTally) drop() {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	lt.dropped = true
	if lt.timer != nil {
		lt.timer.Stop()
		lt.timer, lt.armed = nil, false
	}
}

// tally returns the loaded live tally of a, loading it from the store when
// needed. Concurrent callers share one load.
func (e *Engine) tally(ctx context.Context, a *agora.Activity) (*liveTally, error) {
	e.follow(a.WorkshopID) // before the load reads the store
	for {
		lt := e.tallies.entry(a, e.clock.Now())
		lt.mu.Lock()
		if lt.loaded {
			lt.mu.Unlock()
			return lt, nil
		}
		if wait := lt.loading; wait != nil {
			lt.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, agora.WrapError(agora.EUNAVAILABLE, "error.unavailable", ctx.Err())
			}
		}
		lt.loading = make(chan struct{})
		lt.mu.Unlock()
		if err := e.load(ctx, lt); err != nil {
			return nil, err
		}
		return lt, nil
	}
}

// load reads the tally's votes or ideas and applies what arrived meanwhile.
// A support that arrived during the read cannot be told apart from one the
// read saw, so the read is done again (a few times at most: the tallies
// are loaded when an activity opens, before anyone can answer).
func (e *Engine) load(ctx context.Context, lt *liveTally) error {
	lt.mu.Lock()
	act := lt.act
	lt.mu.Unlock()
	for attempt := 0; ; attempt++ {
		votes, ideas, err := readTally(ctx, e.st, &act)
		lt.mu.Lock()
		if err != nil {
			close(lt.loading)
			lt.loading, lt.pending, lt.stale = nil, nil, false
			lt.mu.Unlock()
			return err
		}
		if lt.stale && attempt < 3 {
			lt.stale = false
			lt.mu.Unlock()
			continue
		}
		lt.votes, lt.ideas = map[voterKey]*agora.Vote{}, map[int64]*agora.Proposal{}
		for _, v := range votes {
			lt.votes[keyOf(v)] = v
		}
		for _, p := range ideas {
			lt.ideas[p.ID] = p
		}
		if act.Kind.Votable() {
			lt.rebuild()
		}
		lt.loaded = true
		for _, f := range lt.pending {
			f()
		}
		close(lt.loading)
		lt.loading, lt.pending, lt.stale = nil, nil, false
		if lt.dirty { // a flush was asked for while loading
			e.changed(lt)
		}
		lt.mu.Unlock()
		return nil
	}
}

// readTally returns what a tally is made of, from the store.
func readTally(ctx context.Context, st agora.Store, a *agora.Activity) ([]*agora.Vote, []*agora.Proposal, error) {
	if a.Kind.Votable() {
		vs, err := st.ListVotes(ctx, a.ID)
		return vs, nil, err
	}
	id := a.ID
	ps, _, err := st.ListProposals(ctx, agora.ProposalFilter{ActivityID: &id})
	return nil, ps, err
}

// update runs f under the tally's lock once it is loaded: now, or at the
// end of the running load. Without a load under way, an unloaded tally
// needs nothing: its load will read the store.
// It reports false when the tally was dropped.
func (lt *liveTally) update(f func()) bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	switch {
	case lt.dropped:
		return false
	case lt.loaded:
		f()
	case lt.loading != nil:
		lt.pending = append(lt.pending, f)
	}
	return true
}

// updateLatest is update on lt or, when a Reload replaced lt, on the tally
// that replaced it: its read of the store may predate a change committed
// meanwhile. Only for idempotent changes (votes, ideas), and only within a
// round: a reset deleted what was committed before it.
func (e *Engine) updateLatest(lt *liveTally, activityID int64, f func(*liveTally)) {
	if lt.update(func() { f(lt) }) {
		return
	}
	if cur := e.tallies.get(activityID); cur != nil && cur != lt && cur.round() == lt.round() {
		cur.update(func() { f(cur) })
	}
}

func (lt *liveTally) round() int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return lt.act.Round
}

// setVote makes v its voter's current vote, unless the vote held is newer.
// Called under lt.mu on a loaded tally.
func (lt *liveTally) setVote(v *agora.Vote) bool {
	k := keyOf(v)
	old := lt.votes[k]
	if old != nil && v.UpdatedAt.Before(old.UpdatedAt) {
		return false
	}
	lt.counter.Apply(old, v)
	lt.votes[k] = v
	return true
}

// setIdea records an idea's new body, status or highlight, keeping the
// support counts the tally holds. Called under lt.mu on a loaded tally.
func (lt *liveTally) setIdea(p *agora.Proposal) {
	if old := lt.ideas[p.ID]; old != nil {
		p.SupportsRoom, p.SupportsOnline = old.SupportsRoom, old.SupportsOnline
	}
	lt.ideas[p.ID] = p
}

// addSupport counts a support in or out. Called under lt.mu.
func (lt *liveTally) addSupport(ideaID int64, ch agora.Channel, delta int) {
	if !lt.loaded {
		if lt.loading != nil {
			lt.stale = true
		}
		return
	}
	p := lt.ideas[ideaID]
	if p == nil {
		return
	}
	if ch == agora.ChannelOnline {
		p.SupportsOnline += delta
	} else {
		p.SupportsRoom += delta
	}
}

// snapshot returns the tally as it stands. Called under lt.mu.
func (lt *liveTally) snapshot() agora.Tally {
	if lt.act.Kind.Votable() {
		return lt.counter.Tally()
	}
	ideas := make([]*agora.Proposal, 0, len(lt.ideas))
	for _, p := range lt.ideas {
		ideas = append(ideas, p)
	}
	return agora.TallyIdeas(&lt.act, ideas)
}

// changed schedules a flush of the tally, unless one is armed already:
// whatever the rate of changes, one tally per interval goes out, and the
// last state always does. Called under lt.mu.
func (e *Engine) changed(lt *liveTally) {
	lt.dirty = true
	if lt.armed || lt.dropped || e.tallies.closed.Load() {
		return
	}
	lt.touch(e.clock.Now()) // once an interval is close enough for tallyIdle
	lt.armed = true
	lt.timer = e.clock.AfterFunc(e.interval, func() { e.flush(lt) })
}

// flush publishes the tally if it changed since the last flush. Only one
// flush of a tally runs at a time, so tallies go out in order.
func (e *Engine) flush(lt *liveTally) {
	if !e.tallies.enter() {
		return
	}
	defer e.tallies.wg.Done()
	lt.mu.Lock()
	// Not loaded yet (a change from another node can arm a flush while the
	// load runs, or after it failed): keep it dirty, the load flushes it.
	if !lt.dirty || lt.dropped || !lt.loaded {
		lt.armed, lt.timer = false, nil
		lt.mu.Unlock()
		return
	}
	lt.dirty = false
	t, act := lt.snapshot(), lt.act
	lt.mu.Unlock()

	e.publishTally(&act, t)

	lt.mu.Lock()
	defer lt.mu.Unlock()
	lt.armed, lt.timer = false, nil
	if lt.dirty {
		e.changed(lt) // changes arrived while publishing: one more, an interval later
	}
}

// publishTally sends a tally to this node's sockets of the audiences that
// may see it: every node holds the whole tally and sends its own.
func (e *Engine) publishTally(a *agora.Activity, t agora.Tally) {
	key := "tally:" + strconv.FormatInt(a.ID, 10)
	for _, aud := range audiences {
		switch {
		case aud == Facilitators || a.ResultsVisible():
			e.n.PublishTally(Topic(a.WorkshopID, aud), key, EventTally, t)
		default:
			answers := AnswersEvent{ActivityID: a.ID, Round: t.Round, Answers: answerCount(t)}
			e.n.PublishTally(Topic(a.WorkshopID, aud), key, EventAnswers, answers)
		}
	}
}

// answerCount is how many answered: voters, or ideas on an ideas wall.
func answerCount(t agora.Tally) int {
	if t.Kind == agora.KindIdeas {
		return len(t.Ideas)
	}
	return t.Voters
}

// current returns the tally of a as it stands, loading it when needed.
func (e *Engine) current(ctx context.Context, a *agora.Activity) (*agora.Tally, error) {
	lt, err := e.tally(ctx, a)
	if err != nil {
		return nil, err
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	t := lt.snapshot()
	return &t, nil
}

// HeldTally returns the live tally of a, when this node holds it loaded
// for this very version of a (same round, same edit): it counts every
// change this node committed or heard of from its peers, as a count from
// the store would, without reading the store. Nothing is loaded otherwise.
func (e *Engine) HeldTally(a *agora.Activity) (agora.Tally, bool) {
	lt := e.tallies.get(a.ID)
	if lt == nil {
		return agora.Tally{}, false
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if !lt.loaded || lt.dropped || lt.act.Round != a.Round || !lt.act.UpdatedAt.Equal(a.UpdatedAt) {
		return agora.Tally{}, false
	}
	lt.touch(e.clock.Now())
	return lt.snapshot(), true
}

// activityChanged gives the cached tally the activity's new version after a
// command on it, here and on the peers: visibility decides who gets the
// tally, and the options how it counts.
func (e *Engine) activityChanged(a *agora.Activity) {
	defer e.tell(a.WorkshopID, peerMessage{Activity: a})
	lt := e.tallies.get(a.ID)
	if lt == nil {
		return
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.dropped || a.Round != lt.act.Round {
		return
	}
	lt.setActivity(a)
}

// Reload rebuilds an activity's live tally from the store and publishes it,
// for when changes may have been missed (a broker outage between nodes).
func (e *Engine) Reload(ctx context.Context, activityID int64) error {
	a, err := e.st.ActivityByID(ctx, activityID)
	if err != nil {
		return notFound(err, "error.activity_not_found")
	}
	e.tallies.remove(activityID)
	lt, err := e.tally(ctx, a)
	if err != nil {
		return err
	}
	lt.mu.Lock()
	e.changed(lt)
	lt.mu.Unlock()
	return nil
}

// ApplyRemoteVote feeds a vote committed on another node into the live
// tally of its activity, if this node holds it. The voter's previous vote
// is the one the tally holds, not the sender's idea of it; a vote older
// than the one held is ignored, so a replay or a reordering does no harm.
func (e *Engine) ApplyRemoteVote(v *agora.Vote) {
	if v == nil {
		return
	}
	if lt := e.tallies.get(v.ActivityID); lt != nil {
		e.applyVote(lt, cloneVote(v))
	}
}

func (e *Engine) applyVote(lt *liveTally, v *agora.Vote) {
	e.updateLatest(lt, v.ActivityID, func(lt *liveTally) {
		if lt.setVote(v) {
			e.changed(lt)
		}
	})
}

// ApplyRemoteSupport feeds a support added (or removed, added false) on
// another node into the live tally of the idea's activity. Supports are
// counts: a lost or repeated message skews them until the next Reload.
func (e *Engine) ApplyRemoteSupport(activityID int64, s *agora.Support, added bool) {
	if lt := e.tallies.get(activityID); lt != nil && s != nil {
		e.applySupport(lt, s.ProposalID, s.Channel, added)
	}
}

func (e *Engine) applySupport(lt *liveTally, ideaID int64, ch agora.Channel, added bool) {
	delta := 1
	if !added {
		delta = -1
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.dropped {
		return
	}
	lt.addSupport(ideaID, ch, delta)
	if lt.loaded {
		e.changed(lt)
	}
}

// ApplyRemoteIdea feeds an idea created or moderated on another node into
// the live tally of its activity.
func (e *Engine) ApplyRemoteIdea(p *agora.Proposal) {
	if p == nil || p.ActivityID == nil {
		return
	}
	if lt := e.tallies.get(*p.ActivityID); lt != nil {
		e.applyIdea(lt, p)
	}
}

func (e *Engine) applyIdea(lt *liveTally, p *agora.Proposal) {
	c := *p
	e.updateLatest(lt, *p.ActivityID, func(lt *liveTally) {
		lt.setIdea(&c)
		e.changed(lt)
	})
}

func cloneVote(v *agora.Vote) *agora.Vote {
	c := *v
	c.Choices = append([]int(nil), v.Choices...)
	c.Words = append([]string(nil), v.Words...)
	if v.Value != nil {
		x := *v.Value
		c.Value = &x
	}
	return &c
}

// presenceMax remembers the largest participant count published per
// workshop: counts read by concurrent joins may arrive out of order, and a
// count never goes down.
type presenceMax struct {
	mu sync.Mutex
	m  map[int64]int
}

func (p *presenceMax) update(workshopID int64, n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > p.m[workshopID] {
		p.m[workshopID] = n
	}
	return p.m[workshopID]
}

package server

import (
	"context"
	"sync"
	"time"

	"github.com/agora-civic/agora"
)

// resultCache shares an activity's results, counted from the store, between
// the readers of a moment. Counting reads every vote of the activity: 30 to
// 60 ms of server CPU at 10,000 votes, on public pages and APIs (the
// activity page, its results, a consultation's results) that a crowd may
// read at once. Now one count of an activity runs at a time on a node,
// readers who arrive meanwhile wait for it and take its result, and it
// serves for resultTTL after it began. An activity whose live tally the
// engine holds (one running in a room, where votes arrive by the
// thousand) is not counted at all: tallyOf takes that tally.
//
// A count is never older than a change this node heard of before the
// request: the engine tells of every vote (in the room or online),
// support, idea and reset it commits or hears from a peer
// (live.Engine.OnResultsChange), and each forgets the activity's count. A
// change heard of during a count makes it stale at once. What no one
// tells of (a peer's lost message, a write behind the engine's back) shows
// within resultTTL.
type resultCache struct {
	mu     sync.Mutex
	m      map[int64]*countedResults // activity ID
	counts [resultLocks]sync.Mutex   // held while an activity counts
}

// countedResults is one activity's entry. Its fields are guarded by
// resultCache.mu; the tally is shared by its readers, which only read it.
type countedResults struct {
	gen   uint64 // changes heard of so far
	ok    bool   // tally is a count begun after the last change heard of
	tally agora.Tally
	of    activityVersion // the activity as counted
	at    time.Time       // when the count began
}

// activityVersion tells apart the states of an activity that count
// differently: a reset starts a round, an edit may change the options.
type activityVersion struct {
	round   int
	updated time.Time
}

func versionOf(a *agora.Activity) activityVersion {
	return activityVersion{round: a.Round, updated: a.UpdatedAt}
}

const (
	resultTTL = time.Second
	// resultsMax: past this many activities the map starts over; an entry
	// is a tally (options, words, ideas), a few KB.
	resultsMax = 4096
	// resultLocks: counts of different activities may run at once, a few.
	resultLocks = 8
)

// tallyOf returns a's results as the live tallies count them (only
// approved ideas are ranked): the engine's live tally when it holds one,
// otherwise a count at most resultTTL old and begun after every change to
// a this node heard of before the call.
func (s *Server) tallyOf(ctx context.Context, a *agora.Activity) (agora.Tally, error) {
	if t, ok := s.engine.HeldTally(a); ok {
		return t, nil
	}
	c := &s.results
	if t, ok := c.fresh(a, s.now()); ok {
		return t, nil
	}
	mu := &c.counts[uint64(a.ID)%resultLocks]
	mu.Lock()
	defer mu.Unlock()
	if t, ok := c.fresh(a, s.now()); ok {
		return t, nil // counted while this reader waited
	}
	gen, at := c.begin(a.ID), s.now()
	t, err := countTally(ctx, s.store, a)
	if err != nil {
		return agora.Tally{}, err
	}
	c.put(a.ID, gen, t, versionOf(a), at)
	return t, nil
}

// countTally counts a's results from the store with the live tallies'
// functions.
func countTally(ctx context.Context, st agora.Store, a *agora.Activity) (agora.Tally, error) {
	if a.Kind.Votable() {
		votes, err := st.ListVotes(ctx, a.ID)
		return agora.TallyVotes(a, votes), err
	}
	ideas, _, err := st.ListProposals(ctx, agora.ProposalFilter{ActivityID: &a.ID,
		Statuses: []agora.ProposalStatus{agora.ProposalApproved}})
	return agora.TallyIdeas(a, ideas), err
}

// fresh returns the count of a kept, if it is of this version of a and
// began less than resultTTL before now.
func (c *resultCache) fresh(a *agora.Activity, now time.Time) (agora.Tally, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[a.ID]
	if e == nil || !e.ok || e.of != versionOf(a) || !within(e.at, now, resultTTL) {
		return agora.Tally{}, false
	}
	return e.tally, true
}

// begin returns the generation a count of the activity starts from.
func (c *resultCache) begin(id int64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entry(id).gen
}

// put keeps a count unless a change was heard of since it began (or the
// map started over, which forgot the changes).
func (c *resultCache) put(id int64, gen uint64, t agora.Tally, of activityVersion, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil && e.gen == gen {
		e.ok, e.tally, e.of, e.at = true, t, of, at
	}
}

// forget makes the activity's count stale, and any count under way.
func (c *resultCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil {
		e.gen++
		e.ok, e.tally = false, agora.Tally{}
	}
}

// entry returns the activity's entry, making it. Called under c.mu.
func (c *resultCache) entry(id int64) *countedResults {
	if c.m == nil || len(c.m) >= resultsMax && c.m[id] == nil {
		c.m = make(map[int64]*countedResults)
	}
	e := c.m[id]
	if e == nil {
		e = &countedResults{}
		c.m[id] = e
	}
	return e
}

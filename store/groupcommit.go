package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-civic/agora"
)

// GroupCommit is a Store whose PutVote commits concurrent votes together:
// when a poll opens, a hall of phones votes within seconds, and one commit
// (one WAL flush on Postgres, one write lock on SQLite) per vote is what
// queues them. A batch waits window for more votes, up to max; up to
// groupCommitters batches commit at once, and votes arriving while they
// all do form the next batch. Each PutVote returns
// only once its own vote is committed, so an acknowledgement still means
// stored. A batch that fails is retried vote by vote, so one bad vote
// fails alone. A check given with CheckVotesWith runs on each batch just
// before it is written, and settles the votes it refuses.
type GroupCommit struct {
	agora.Store
	window time.Duration
	max    int

	in      chan *pendingVote
	mu      sync.RWMutex // held for reading while sending to in
	closed  bool
	stopped chan struct{}

	batches, votes atomic.Int64
	check          atomic.Pointer[voteCheck]
}

// voteCheck returns one error (or nil) per vote.
type voteCheck = func(ctx context.Context, vs []*agora.Vote) []error

// pendingVote is one PutVote waiting for its batch.
type pendingVote struct {
	v        *agora.Vote
	replaced bool
	err      error
	done     chan struct{}
}

// GroupCommitStats counts what a GroupCommit did.
type GroupCommitStats struct {
	Batches int64 // transactions committed or tried
	Votes   int64 // votes in them
}

// commitTimeout bounds one batch: its votes' callers wait for it.
const commitTimeout = 15 * time.Second

// groupCommitters is how many batches may commit at once. One at a time
// would make a batch's votes wait for the previous batch's round trips;
// a few keep the database's connections busy while still cutting the
// commits by the batch size.
const groupCommitters = 4

// NewGroupCommit starts batching st's PutVote calls; window is how long a
// batch waits for more votes (a few milliseconds), max its size. Stop
// stops it; st stays open.
func NewGroupCommit(st agora.Store, window time.Duration, max int) *GroupCommit {
	g := &GroupCommit{Store: st, window: window, max: max,
		in: make(chan *pendingVote, max), stopped: make(chan struct{})}
	go g.run()
	return g
}

// PutVote queues v for the next batch and waits for its commit. It waits
// even when ctx ends: the vote may be committing, and the caller must learn
// whether it was, or its tally would miss a stored vote.
func (g *GroupCommit) PutVote(ctx context.Context, v *agora.Vote) (bool, error) {
	p := &pendingVote{v: v, done: make(chan struct{})}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		if len(g.checked(ctx, []*pendingVote{p})) == 0 { // refused
			return false, p.err
		}
		return g.Store.PutVote(ctx, v)
	}
	select {
	case g.in <- p:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return false, agora.WrapError(agora.EUNAVAILABLE, "error.unavailable", ctx.Err())
	}
	<-p.done
	return p.replaced, p.err
}

// CheckVotesWith sets the check of each batch (see live.VoteChecker).
func (g *GroupCommit) CheckVotesWith(check func(ctx context.Context, vs []*agora.Vote) []error) {
	g.check.Store(&check)
}

// checked settles the votes the check refuses and returns the others.
func (g *GroupCommit) checked(ctx context.Context, batch []*pendingVote) []*pendingVote {
	check := g.check.Load()
	if check == nil {
		return batch
	}
	errs := (*check)(ctx, votesOf(batch))
	kept := make([]*pendingVote, 0, len(batch))
	for i, p := range batch {
		if errs[i] != nil {
			p.err = errs[i]
			close(p.done)
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

func votesOf(batch []*pendingVote) []*agora.Vote {
	vs := make([]*agora.Vote, len(batch))
	for i, p := range batch {
		vs[i] = p.v
	}
	return vs
}

// Stats returns the batches committed so far.
func (g *GroupCommit) Stats() GroupCommitStats {
	return GroupCommitStats{Batches: g.batches.Load(), Votes: g.votes.Load()}
}

// Stop commits the votes already queued and stops batching; later
// PutVote calls go straight to the store.
func (g *GroupCommit) Stop() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.in)
	}
	g.mu.Unlock()
	<-g.stopped
}

func (g *GroupCommit) run() {
	var wg sync.WaitGroup
	defer close(g.stopped)
	defer wg.Wait()
	free := make(chan struct{}, groupCommitters)
	for first := range g.in {
		free <- struct{}{} // while every committer is busy, votes queue up
		batch := []*pendingVote{first}
		timer := time.NewTimer(g.window)
	collect:
		for len(batch) < g.max {
			select {
			case p, ok := <-g.in:
				if !ok {
					break collect
				}
				batch = append(batch, p)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		wg.Go(func() {
			defer func() { <-free }()
			g.commit(batch)
		})
	}
}

// commit checks a batch and writes it in one transaction, or vote by vote
// if that fails.
func (g *GroupCommit) commit(batch []*pendingVote) {
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	if batch = g.checked(ctx, batch); len(batch) == 0 {
		return
	}
	g.batches.Add(1)
	g.votes.Add(int64(len(batch)))
	replaced, err := g.Store.PutVotes(ctx, votesOf(batch))
	for i, p := range batch {
		switch {
		case err == nil:
			p.replaced = replaced[i]
		case len(batch) == 1:
			p.err = err
		default:
			p.replaced, p.err = g.Store.PutVote(ctx, p.v)
		}
		close(p.done)
	}
}

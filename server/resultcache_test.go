package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// voteLister counts the reads of each activity's votes: a count of its
// results reads them once. With slow set, each read lasts long enough for
// every reader of a crowd to arrive during the first.
type voteLister struct {
	agora.Store
	mu   sync.Mutex
	n    map[int64]int
	slow atomic.Bool
}

func (s *voteLister) ListVotes(ctx context.Context, activityID int64) ([]*agora.Vote, error) {
	s.mu.Lock()
	s.n[activityID]++
	s.mu.Unlock()
	if s.slow.Load() {
		time.Sleep(300 * time.Millisecond)
	}
	return s.Store.ListVotes(ctx, activityID)
}

func (s *voteLister) lists(activityID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[activityID]
}

// A crowd reading an activity's public results at once (its page, its
// results, the consultation's results) costs no count while the engine
// holds the activity's live tally, and one count otherwise. A vote this
// node commits, in the room or online, shows to the next reader at once;
// a change nobody told of (a peer's lost message) within resultTTL.
func TestResults_CountedOnceAMoment(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) agora.Store) {
		st := &voteLister{Store: open(t), n: map[int64]int{}}
		r := newTestRoom(t, st)
		clock := &testClock{t: time.Now().UTC()}
		r.s.now = clock.Now // frozen unless moved: no count expires by itself
		ctx, poll := context.Background(), r.poll
		opt := func(i int) int { return poll.Options[i].ID }
		must(t, r.s.engine.RevealResults(ctx, r.staff, poll.ID))
		for i := range 2 {
			phone, _ := r.apiJoin("")
			wantStatus(t, phone.api("POST", actPath(poll, "/vote"), map[string]any{"choices": []int{opt(i)}}), http.StatusOK)
		}
		page := fmt.Sprintf("/c/%s/a/%d", r.cons.Slug, poll.ID)
		readers := func(s *Server, want int) (lists int) {
			t.Helper()
			before := st.lists(poll.ID)
			st.slow.Store(true)
			defer st.slow.Store(false)
			var wg sync.WaitGroup
			for i := range 12 {
				wg.Go(func() {
					anon := newClient(t, s)
					var got int
					switch i % 3 {
					case 0:
						got = pageVoters(t, anon, page)
					case 1:
						got = apiTally(t, anon, poll).Voters
					default:
						got = consVoters(t, anon, r.cons, poll)
					}
					if got != want {
						t.Errorf("reader %d saw %d voters, want %d", i, got, want)
					}
				})
			}
			wg.Wait()
			return st.lists(poll.ID) - before
		}

		// The room's poll: its live tally, read by nobody from the store.
		if n := readers(r.s, 2); n != 0 {
			t.Fatalf("12 readers of a live poll read its votes %d times, want 0", n)
		}
		phone, _ := r.apiJoin("")
		wantStatus(t, phone.api("POST", actPath(poll, "/vote"), map[string]any{"choices": []int{opt(2)}}), http.StatusOK)
		anon := newClient(t, r.s)
		stored, err := st.Store.ListVotes(ctx, poll.ID)
		must(t, err)
		if got, want := apiTally(t, anon, poll), agora.TallyVotes(poll, stored); !cmp.Equal(got, want) {
			t.Fatalf("after a room vote, the results differ from the store's count:\n%s", cmp.Diff(want, got))
		}

		// Another node, whose engine holds nothing: counted from the store.
		other, err := New(Config{PublicURL: "http://agora.test"}, Deps{Store: st, Now: clock.Now, Logger: slog.New(slog.DiscardHandler)})
		must(t, err)
		if n := readers(other, 3); n != 1 {
			t.Fatalf("12 readers at once read the votes %d times, want 1", n)
		}

		// Reopened online, a citizen votes and finds their vote counted.
		until := clock.Now().Add(48 * time.Hour)
		must(t, r.s.setOnlineUntil(ctx, r.staff, r.w, poll, &until))
		anon = newClient(t, other)
		if n := pageVoters(t, anon, page); n != 3 {
			t.Fatalf("the page shows %d voters, want 3", n)
		}
		alice, _ := signedIn(t, other, st, agora.RoleCitizen)
		wantRedirect(t, alice.post(page+"/vote", url.Values{"choice": {itoa(int64(opt(0)))}}), page+"?voted=1#results")
		if n := pageVoters(t, alice, page); n != 4 {
			t.Fatalf("after an online vote the voter's page shows %d voters, want 4", n)
		}

		// A vote nobody told this node of shows once resultTTL has passed.
		bob := mustAccount(t, st, fmt.Sprintf("bob%d@example.org", uniqueSeq.Add(1)), "Bob", agora.RoleCitizen)
		_, err = st.PutVote(ctx, &agora.Vote{ActivityID: poll.ID, UserID: &bob.ID, Channel: agora.ChannelOnline, Choices: []int{opt(1)}})
		must(t, err)
		if n := apiTally(t, anon, poll).Voters; n != 4 {
			t.Fatalf("an untold vote shows at once (%d voters): was the count read again?", n)
		}
		clock.Add(resultTTL)
		if n := apiTally(t, anon, poll).Voters; n != 5 {
			t.Fatalf("%d voters once resultTTL has passed, want 5", n)
		}
	})
}

// apiTally is GET /api/v1/activities/{id}/results.
func apiTally(t *testing.T, c *client, a *agora.Activity) agora.Tally {
	t.Helper()
	resp := c.get(actPath(a, "/results"))
	wantStatus(t, resp, http.StatusOK)
	return decode[struct{ Tally agora.Tally }](t, resp).Tally
}

// consVoters is the voters of a in GET /api/v1/consultations/{slug}/results.
func consVoters(t *testing.T, c *client, cons *agora.Consultation, a *agora.Activity) int {
	t.Helper()
	resp := c.get("/api/v1/consultations/" + cons.Slug + "/results")
	wantStatus(t, resp, http.StatusOK)
	_, tally := decode[pubResults](t, resp).of(a.ID)
	if tally == nil {
		t.Fatalf("no results of activity %d in %s", a.ID, resp.Body)
	}
	return tally.Voters
}

// pageVoters is the voters, room and online, an activity's page shows.
func pageVoters(t *testing.T, c *client, page string) int {
	t.Helper()
	resp := c.get(page)
	wantStatus(t, resp, http.StatusOK)
	_, rest, ok := strings.Cut(resp.Body, `data-voters-all="`)
	n, _, _ := strings.Cut(rest, `"`)
	v, err := strconv.Atoi(n)
	if !ok || err != nil {
		t.Fatalf("no count of voters on the page: %s", resp.Body)
	}
	return v
}

// A vote committed on one node shows at once in the other node's public
// results, whose clock does not move: the engines tell each other, and a
// node forgets its count of what a peer told it of.
func TestNodes_ResultsSeeAPeersVote(t *testing.T) {
	st, a, b, r := twoNodes(t, 2)
	frozen := time.Now()
	b.server.now = func() time.Time { return frozen } // before any request
	watch(t, r, a, b)
	// An edit behind both engines' backs (as if its news were on its way):
	// their live tallies no longer match the activity, so b counts from the
	// store, and a vote on a must make b count again.
	r.poll.Prompt += " ?"
	r.poll.UpdatedAt = r.poll.UpdatedAt.Add(time.Second)
	must(t, st.UpdateActivity(context.Background(), r.poll))

	voters := func() int {
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/activities/%d/results", b.base, r.poll.ID))
		must(t, err)
		defer resp.Body.Close()
		var v struct{ Tally agora.Tally }
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil {
			t.Fatalf("results on node b: %d", resp.StatusCode)
		}
		return v.Tally.Voters
	}
	if n := voters(); n != 0 {
		t.Fatalf("%d voters before any vote", n)
	}
	for i, p := range r.voters {
		if _, err := a.engine.Vote(context.Background(), p, r.poll.ID, live.VoteInput{Choices: []int{1}}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, fmt.Sprintf("node b counts vote %d", i+1), func() bool { return voters() == i+1 })
	}
}

// A count under way when a change is heard of is not kept: it may have
// read the store before the change was committed.
func TestResultCache_ChangeDuringACountIsNotKept(t *testing.T) {
	var c resultCache
	now := time.Now()
	a := &agora.Activity{ID: 7, Round: 1, UpdatedAt: now}
	counted := agora.Tally{ActivityID: 7, Voters: 3}

	gen := c.begin(a.ID)
	c.forget(a.ID) // a vote committed during the count
	c.put(a.ID, gen, counted, versionOf(a), now)
	if _, ok := c.fresh(a, now); ok {
		t.Fatal("a count begun before a change was kept")
	}

	c.put(a.ID, c.begin(a.ID), counted, versionOf(a), now)
	if got, ok := c.fresh(a, now.Add(resultTTL-time.Millisecond)); !ok || got.Voters != 3 {
		t.Fatalf("fresh count: %+v %v", got, ok)
	}
	edited := *a
	edited.UpdatedAt = now.Add(time.Second)
	for what, stale := range map[string]bool{
		"resultTTL later":         !isFresh(&c, a, now.Add(resultTTL)),
		"an edit of the activity": !isFresh(&c, &edited, now),
	} {
		if !stale {
			t.Errorf("the count is still served after %s", what)
		}
	}
	c.forget(a.ID)
	if isFresh(&c, a, now) {
		t.Error("the count is still served after a change")
	}
}

func isFresh(c *resultCache, a *agora.Activity, now time.Time) bool {
	_, ok := c.fresh(a, now)
	return ok
}

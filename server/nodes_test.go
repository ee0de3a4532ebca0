package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/internal/redistest"
	"github.com/agora-civic/agora/live"
)

// Two nodes share one store and one Redis; phones vote on both, and the
// screen of each node must show the store's exact tally.

// node is one server with its own hub, Redis broker and engine.
type node struct {
	hub    *hub.Hub
	engine *live.Engine
	server *Server
	base   string
}

func startServerNode(t *testing.T, st agora.Store, redisURL, prefix string, opts live.Options) *node {
	t.Helper()
	h, logger := startNodeHub(t, redisURL, prefix)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = logger
	n := &node{hub: h, engine: NewEngine(st, h, opts), base: "http://" + ln.Addr().String()}
	s, err := New(Config{PublicURL: n.base}, Deps{Store: st, Hub: h, Engine: n.engine, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	n.server = s
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
		s.Shutdown(ctx)
		<-served
		n.engine.Close()
	})
	return n
}

// startNodeHub starts a node's hub on Redis; the caller closes it.
func startNodeHub(t *testing.T, redisURL, prefix string) (*hub.Hub, *slog.Logger) {
	t.Helper()
	var out io.Writer = io.Discard
	if os.Getenv("AGORA_TEST_NODE_LOGS") != "" {
		out = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := hub.NewRedisBroker(context.Background(), hub.RedisConfig{
		URL: redisURL, Prefix: prefix, HealthInterval: 200 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Broker: b, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return h, logger
}

// liveRoom is a workshop with an open poll whose results the screen sees,
// and its participants.
type liveRoom struct {
	w      *agora.Workshop
	poll   *agora.Activity
	voters []*agora.Participant
}

func newLiveRoom(t *testing.T, st agora.Store, voters int) *liveRoom {
	t.Helper()
	ctx := context.Background()
	cons := &agora.Consultation{Slug: "nodes-" + strings.ToLower(agora.NewJoinCode()), Title: "Deux nœuds", Status: agora.ConsultationOpen}
	must(t, st.CreateConsultation(ctx, cons))
	r := &liveRoom{w: &agora.Workshop{ConsultationID: cons.ID, Title: "Atelier", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopLive}}
	must(t, st.CreateWorkshop(ctx, r.w))
	r.poll = &agora.Activity{WorkshopID: r.w.ID, Kind: agora.KindPoll, Prompt: "Quelle piste ?", State: agora.ActivityOpen,
		Settings: agora.ActivitySettings{MaxChoices: 1},
		Options:  []agora.Option{{ID: 1, Label: "Nord"}, {ID: 2, Label: "Sud"}, {ID: 3, Label: "Est"}, {ID: 4, Label: "Ouest"}}}
	must(t, st.CreateActivity(ctx, r.poll))
	r.w.CurrentActivityID = &r.poll.ID
	must(t, st.UpdateWorkshop(ctx, r.w))
	for range voters {
		p := &agora.Participant{WorkshopID: r.w.ID, TokenHash: agora.HashToken(agora.NewSecret()), PublicID: agora.NewSecret()}
		must(t, st.CreateParticipant(ctx, p))
		r.voters = append(r.voters, p)
	}
	return r
}

// storeTally is the truth: the tally of the votes in the store.
func (r *liveRoom) storeTally(t *testing.T, st agora.Store) agora.Tally {
	t.Helper()
	votes, err := st.ListVotes(context.Background(), r.poll.ID)
	must(t, err)
	return agora.TallyVotes(r.poll, votes)
}

// vote has every voter vote rounds times, in turn on each node, voters
// concurrently, each voter's votes in order (changes of mind included).
func (r *liveRoom) vote(t *testing.T, nodes []*node, rounds, offset int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(r.voters)*rounds)
	for i, p := range r.voters {
		wg.Go(func() {
			for k := range rounds {
				e := nodes[(i+k+offset)%len(nodes)].engine
				choice := (i*7+k*3+offset)%4 + 1
				if _, err := e.Vote(context.Background(), p, r.poll.ID, live.VoteInput{Choices: []int{choice}}); err != nil {
					errs <- fmt.Errorf("voter %d vote %d: %w", i, k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// screenClient is a projector's socket: it keeps the last tally it got.
type screenClient struct {
	mu    sync.Mutex
	tally *agora.Tally
}

func (n *node) dialScreen(t *testing.T, r *liveRoom) *screenClient {
	t.Helper()
	h := http.Header{}
	h.Set("Origin", n.base)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(n.base, "http") + "/ws?w=" + r.w.JoinCode + "&aud=screen&screen=" + r.w.ScreenToken
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial screen: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	c := &screenClient{}
	go func() {
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var m hub.Envelope
			var tl agora.Tally
			if json.Unmarshal(data, &m) != nil || m.Type != live.EventTally || json.Unmarshal(m.Data, &tl) != nil {
				continue
			}
			c.mu.Lock()
			c.tally = &tl
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *screenClient) shows(want agora.Tally) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tally != nil && cmp.Equal(*c.tally, want)
}

func (c *screenClient) diff(want agora.Tally) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tally == nil {
		return "no tally"
	}
	return cmp.Diff(want, *c.tally)
}

// waitExact waits until every screen shows the store's tally.
func waitExact(t *testing.T, what string, st agora.Store, r *liveRoom, within time.Duration, screens ...*screenClient) {
	t.Helper()
	want := r.storeTally(t, st)
	deadline := time.Now().Add(within)
	for {
		ok := true
		for _, c := range screens {
			ok = ok && c.shows(want)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			for i, c := range screens {
				t.Errorf("%s: screen %d after %v (-store +screen):\n%s", what, i, within, c.diff(want))
			}
			t.FailNow()
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func uniqueRedisPrefix(t *testing.T) string {
	return "agoratest:" + t.Name() + ":" + agora.NewSecret()[:8] + ":"
}

// twoNodes starts two nodes on one Postgres and one Redis, and a room of
// voters on them.
func twoNodes(t *testing.T, voters int) (agora.Store, *node, *node, *liveRoom) {
	t.Helper()
	url := redistest.URL(t)
	st := openPostgres(t)
	prefix := uniqueRedisPrefix(t)
	a := startServerNode(t, st, url, prefix, live.Options{})
	b := startServerNode(t, st, url, prefix, live.Options{})
	return st, a, b, newLiveRoom(t, st, voters)
}

// watch attaches a projector to each node: the nodes follow the workshop
// once their screen is attached.
func watch(t *testing.T, r *liveRoom, a, b *node) (*screenClient, *screenClient) {
	t.Helper()
	screenA, screenB := a.dialScreen(t, r), b.dialScreen(t, r)
	waitUntil(t, "screens attached", func() bool { return a.hub.Stats().Sockets == 1 && b.hub.Stats().Sockets == 1 })
	return screenA, screenB
}

func TestNodes_ExactTallies(t *testing.T) {
	st, a, b, r := twoNodes(t, 40)
	screenA, screenB := watch(t, r, a, b)

	r.vote(t, []*node{a, b}, 5, 0) // 200 votes, 160 of them changes of mind
	waitExact(t, "after 200 votes", st, r, 2*time.Second, screenA, screenB)
	if got := r.storeTally(t, st).Voters; got != 40 {
		t.Fatalf("store has %d voters, want 40", got)
	}
}

func TestNodes_RedisRestart(t *testing.T) {
	rp := redistest.Start(t)
	st := openPostgres(t)
	prefix := uniqueRedisPrefix(t)
	a := startServerNode(t, st, rp.URL(), prefix, live.Options{})
	b := startServerNode(t, st, rp.URL(), prefix, live.Options{})
	r := newLiveRoom(t, st, 20)
	screenA, screenB := a.dialScreen(t, r), b.dialScreen(t, r)
	waitUntil(t, "screens attached", func() bool { return a.hub.Stats().Sockets == 1 && b.hub.Stats().Sockets == 1 })
	nodes := []*node{a, b}
	r.vote(t, nodes, 2, 0)
	waitExact(t, "before the restart", st, r, 2*time.Second, screenA, screenB)

	rp.Stop()
	for _, n := range nodes {
		waitUntil(t, "broker degraded", func() bool { return n.hub.Ready() != nil })
	}
	r.vote(t, nodes, 3, 1) // the nodes cannot tell each other
	rp.Start()
	for _, n := range nodes {
		waitUntil(t, "broker back", func() bool { return n.hub.Ready() == nil })
	}
	waitExact(t, "after the restart", st, r, 5*time.Second, screenA, screenB)

	r.vote(t, nodes, 2, 2) // and they tell each other again
	waitExact(t, "votes after the restart", st, r, 2*time.Second, screenA, screenB)
}

// Citizens voting online on an activity still on the projectors: both
// nodes' screens show the store's tally, room and online votes together.
func TestNodes_OnlineVotesReachTheScreens(t *testing.T) {
	st, a, b, r := twoNodes(t, 10)
	screenA, screenB := watch(t, r, a, b)
	r.vote(t, []*node{a, b}, 1, 0)
	waitExact(t, "after the room's votes", st, r, 2*time.Second, screenA, screenB)

	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	r.poll.OnlineUntil = &until
	must(t, st.UpdateActivity(ctx, r.poll))
	cons, err := st.ConsultationByID(ctx, r.w.ConsultationID)
	must(t, err)
	path := fmt.Sprintf("/c/%s/a/%d/vote", cons.Slug, r.poll.ID)
	for i := range 3 {
		citizen, _ := signedIn(t, a.server, st, agora.RoleCitizen)
		resp := citizen.post(path, url.Values{"choice": {itoa(int64(i%2 + 1))}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("online vote %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	if got := r.storeTally(t, st); got.Online == nil || got.Online.Voters != 3 {
		t.Fatalf("store tally %+v, want 3 online voters", got)
	}
	waitExact(t, "after 3 online votes", st, r, 2*time.Second, screenA, screenB)
}

// mutedNotifier is a node's link to its peers that loses every change it
// tells, as a node killed between a vote's answer and its message would;
// its beats, on the channel of every node (workshop 0), go through.
type mutedNotifier struct{ hubNotifier }

func (m mutedNotifier) Broadcast(ctx context.Context, workshopID int64, msg []byte) error {
	if workshopID == 0 {
		return m.hubNotifier.Broadcast(ctx, workshopID, msg)
	}
	return nil
}

// startMutedNode starts an engine whose changes never reach its peers;
// stop makes it fall silent, as a killed node does.
func startMutedNode(t *testing.T, st agora.Store, redisURL, prefix string, beat time.Duration) (n *node, stop func()) {
	t.Helper()
	h, logger := startNodeHub(t, redisURL, prefix)
	e := live.New(st, mutedNotifier{hubNotifier{h}}, live.Options{Logger: logger, PeerBeat: beat})
	e.WatchPeers()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			e.Close()
			h.Close(context.Background())
		})
	}
	t.Cleanup(stop)
	return &node{hub: h, engine: e}, stop
}

// staysStale checks that a screen goes on showing something else than the
// store's tally for a while: the change it misses was never told.
func staysStale(t *testing.T, what string, st agora.Store, r *liveRoom, screen *screenClient, d time.Duration) {
	t.Helper()
	want := r.storeTally(t, st)
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if screen.shows(want) {
			t.Fatalf("%s: the screen shows the store's tally, which nobody told it", what)
		}
	}
}

// A node killed for good after committing votes it never told: its peers
// notice it fell silent and reload their tallies from the store.
func TestNodes_SilentNodeReloaded(t *testing.T) {
	url, st, prefix := redistest.URL(t), openPostgres(t), uniqueRedisPrefix(t)
	const beat = 100 * time.Millisecond
	a := startServerNode(t, st, url, prefix, live.Options{PeerBeat: beat})
	r := newLiveRoom(t, st, 10) // not a multiple of 4: a change of every mind changes the tally
	screen := a.dialScreen(t, r)
	waitUntil(t, "screen attached", func() bool { return a.hub.Stats().Sockets == 1 })
	r.vote(t, []*node{a}, 1, 0)
	waitExact(t, "votes on node A", st, r, 2*time.Second, screen)

	muted, kill := startMutedNode(t, st, url, prefix, beat)
	time.Sleep(time.Second)         // node A hears of it and reloads, before any untold vote
	r.vote(t, []*node{muted}, 1, 1) // every voter changes their mind, untold
	staysStale(t, "the muted node alive", st, r, screen, 5*beat)

	kill()
	waitExact(t, "the muted node silent", st, r, 3*time.Second, screen)
}

// A killed node restarted: the new process is a node its peers never
// heard of, and they reload their tallies at once, long before they would
// notice the old one's silence.
func TestNodes_NewNodeReloadsPeers(t *testing.T) {
	url, st, prefix := redistest.URL(t), openPostgres(t), uniqueRedisPrefix(t)
	a := startServerNode(t, st, url, prefix, live.Options{PeerBeat: time.Hour})
	r := newLiveRoom(t, st, 10) // not a multiple of 4: a change of every mind changes the tally
	screen := a.dialScreen(t, r)
	waitUntil(t, "screen attached", func() bool { return a.hub.Stats().Sockets == 1 })
	r.vote(t, []*node{a}, 1, 0)
	waitExact(t, "votes on node A", st, r, 2*time.Second, screen)

	muted, kill := startMutedNode(t, st, url, prefix, time.Hour)
	time.Sleep(time.Second)
	r.vote(t, []*node{muted}, 1, 1)
	kill()
	staysStale(t, "the muted node killed", st, r, screen, 500*time.Millisecond)

	startServerNode(t, st, url, prefix, live.Options{})
	waitExact(t, "a new node started", st, r, 2*time.Second, screen)
}

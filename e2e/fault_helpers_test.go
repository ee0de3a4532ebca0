package e2e

// Helpers of the fault scenarios (faults_test.go): nodes started in
// process or as a child process of the built binary, a private
// redis-server, a TCP proxy that can cut one phone off the network, and
// API/WebSocket clients that keep a ledger of what was acknowledged.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/server"
	"github.com/agora-civic/agora/store"
)

// skipOrFailFault skips t on a laptop without what it needs, and fails it
// in CI.
func skipOrFailFault(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// --- an in-process node ----------------------------------------------------

// faultNode is one Agora node wired as cmd/agora wires it: its own store
// connection, hub (in process, or on Redis) and server.
type faultNode struct {
	t      *testing.T
	name   string
	base   string
	db     *store.DB
	hub    *hub.Hub
	srv    *server.Server
	served chan error
	logs   *syncBuffer
}

// startFaultNode serves on ln. The store at dbURL must be migrated.
// origins are the WebSocket origins accepted besides the node's own.
func startFaultNode(t *testing.T, name, dbURL, redisURL string, ln net.Listener, origins []string) *faultNode {
	t.Helper()
	ctx := context.Background()
	n := &faultNode{t: t, name: name, base: "http://" + ln.Addr().String(), logs: &syncBuffer{}, served: make(chan error, 1)}
	logger := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := store.Open(ctx, dbURL, logger)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	cfg := hub.Config{Logger: logger}
	if redisURL != "" {
		// The default prefix, as the agora binary uses: the Redis server
		// is this test's own.
		b, err := hub.NewRedisBroker(ctx, hub.RedisConfig{URL: redisURL, Logger: logger})
		if err != nil {
			ln.Close()
			db.Close()
			t.Fatal(err)
		}
		cfg.Broker = b
	}
	h, err := hub.New(cfg)
	if err != nil {
		ln.Close()
		db.Close()
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{PublicURL: n.base, AllowedOrigins: origins}, server.Deps{Store: db, Hub: h, Logger: logger})
	if err != nil {
		ln.Close()
		db.Close()
		t.Fatal(err)
	}
	n.db, n.hub, n.srv = db, h, srv
	go func() { n.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("node %s logs:\n%s", n.name, n.logs.String())
		}
		checkLogs(t, "node "+n.name, n.logs.String())
	})
	return n
}

func (n *faultNode) stop() {
	if n.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.hub.Close(ctx)
	n.srv.Shutdown(ctx)
	if err := <-n.served; err != nil && !errors.Is(err, net.ErrClosed) {
		n.t.Errorf("node %s: serve: %v", n.name, err)
	}
	n.db.Close()
	n.srv = nil
}

// checkLogs fails on a panic or a data race reported in a node's logs.
func checkLogs(t *testing.T, who, logs string) {
	t.Helper()
	for _, bad := range []string{"panic", "DATA RACE"} {
		if strings.Contains(logs, bad) {
			t.Errorf("%s: %q in the logs:\n%s", who, bad, logs)
		}
	}
}

// seeder is an app value for the page helpers (joinPhone, openProjector,
// signInFacilitator, seedWorkshop): only its URL, store, seeding engine
// and facilitator are set.
func seeder(t *testing.T, base string, db *store.DB, facilitator *agora.User) *app {
	t.Helper()
	a := &app{t: t, baseURL: base, db: db, facilitator: facilitator, logs: &syncBuffer{}}
	a.seed = live.New(db, discard{}, live.Options{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(a.seed.Close)
	return a
}

// at is the same app seen at another address (another node, a proxy).
func (a *app) at(base string) *app {
	b := *a
	b.baseURL = base
	return &b
}

// listenLoopback listens on a free loopback port.
func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// --- the agora binary as a child process ----------------------------------

// buildAgora builds cmd/agora (with -race when this test binary has it).
func buildAgora(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "agora")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	start := time.Now()
	cmd := exec.Command("go", append(args, "github.com/agora-civic/agora/cmd/agora")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	t.Logf("built %s (%v) in %v", bin, args[3:], time.Since(start).Round(time.Millisecond))
	return bin
}

// procNode is the agora binary serving on a fixed address; it can be
// killed and started again on the same address.
type procNode struct {
	t      *testing.T
	bin    string
	addr   string
	base   string
	env    []string
	logs   *syncBuffer // every run's output, in order
	cmd    *exec.Cmd
	exited chan error
	runs   int
}

func newProcNode(t *testing.T, bin, addr string, env map[string]string) *procNode {
	p := &procNode{t: t, bin: bin, addr: addr, base: "http://" + addr, logs: &syncBuffer{}}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AGORA_") || k == "DATABASE_URL" || k == "REDIS_URL" {
			continue
		}
		p.env = append(p.env, kv)
	}
	env["AGORA_ADDR"], env["AGORA_PUBLIC_URL"] = addr, p.base
	for k, v := range env {
		p.env = append(p.env, k+"="+v)
	}
	t.Cleanup(func() {
		if p.cmd != nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("agora process logs:\n%s", p.logs.String())
		}
	})
	return p
}

// start runs the binary and waits until /readyz answers 200.
func (p *procNode) start() time.Duration {
	p.t.Helper()
	p.runs++
	fmt.Fprintf(p.logs, "---- run %d\n", p.runs)
	begin := time.Now()
	p.cmd = exec.Command(p.bin, "serve")
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, exited chan error) { exited <- cmd.Wait() }(p.cmd, p.exited)
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-p.exited:
			p.cmd = nil
			p.t.Fatalf("agora exited at start: %v\n%s", err, p.logs)
		default:
		}
		if resp, err := client.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(begin)
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("agora not ready after 30s\n%s", p.logs)
		}
		time.Sleep(20 * time.Millisecond) // polling readiness, with a deadline
	}
}

// kill sends SIGKILL: no drain, no close frame, the kernel resets the
// process's connections.
func (p *procNode) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-p.exited
	p.cmd = nil
}

// term sends SIGTERM and returns the exit error.
func (p *procNode) term() error {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	var err error
	select {
	case err = <-p.exited:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		err = fmt.Errorf("still running 20s after SIGTERM: %w", <-p.exited)
	}
	p.cmd = nil
	return err
}

// --- a proxy that cuts a phone off -----------------------------------------

// cutProxy forwards TCP to target. cut drops the phone's side of every
// connection at once (what a phone sees when its Wi-Fi goes) while the
// server's side stays open and unread, as a vanished phone leaves it:
// the server only learns from its pings. While cut, new connections are
// closed at once.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	pairs  map[net.Conn]net.Conn // phone side → server side
	held   []net.Conn            // server sides left open by a cut
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	p := &cutProxy{ln: listenLoopback(t), target: target, pairs: map[net.Conn]net.Conn{}}
	go p.accept()
	t.Cleanup(func() {
		p.ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for c, s := range p.pairs {
			c.Close()
			s.Close()
		}
		for _, s := range p.held {
			s.Close()
		}
	})
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.pairs[c] = s
		p.mu.Unlock()
		go p.pipe(c, s)
	}
}

func (p *cutProxy) pipe(c, s net.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pairs[c]; !ok {
		return // cut: the server side is held
	}
	delete(p.pairs, c)
	c.Close()
	s.Close()
}

// cutOff drops the phone side of every connection; it returns how many.
func (p *cutProxy) cutOff() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	n := len(p.pairs)
	for c, s := range p.pairs {
		delete(p.pairs, c)
		p.held = append(p.held, s)
		c.Close()
	}
	return n
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// setOffline turns Chromium's network emulation on or off: navigator.onLine,
// the online/offline events, and every new request failing at once. It
// does not close open WebSockets (checked on Chromium 156), hence the proxy.
func (b *browser) setOffline(offline bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		b.t.Fatalf("%s: network enable: %v", b.name, err)
	}
	conds := []*network.Conditions{}
	if offline {
		conds = append(conds, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule,
		network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds}); err != nil {
		b.t.Fatalf("%s: emulate network conditions: %v", b.name, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState,
		network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		b.t.Fatalf("%s: override network state: %v", b.name, err)
	}
}

// recordLiveTimes is recordLiveStatus with the time of each change
// (window.__e2eLiveAt, milliseconds since the epoch).
func (b *browser) recordLiveTimes() {
	b.t.Helper()
	eval[bool](b, `(() => {
		window.__e2eLive = []; window.__e2eLiveAt = [];
		new MutationObserver((ms) => {
			for (const m of ms) { window.__e2eLive.push(m.target.dataset.liveStatus); window.__e2eLiveAt.push(Date.now()); }
		}).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ['data-live-status'] });
		return true;
	})()`)
}

// liveAgainAt is when the page last became live, from recordLiveTimes.
func (b *browser) liveAgainAt() time.Time {
	ms := eval[float64](b, `(() => { const s = window.__e2eLive, t = window.__e2eLiveAt;
		for (let i = s.length - 1; i >= 0; i--) if (s[i] === 'live') return t[i]; return 0; })()`)
	return time.UnixMilli(int64(ms))
}

// participantID is the store's ID of the participant a browser joined
// as, from its device cookie.
func participantID(t *testing.T, b *browser, db *store.DB, w *agora.Workshop, base string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatalf("%s: cookies: %v", b.name, err)
	}
	for _, c := range res.Cookies {
		if c.Name == "agora_p_"+w.JoinCode {
			p, err := db.ParticipantByToken(context.Background(), w.ID, agora.HashToken(c.Value))
			if err != nil {
				t.Fatalf("%s: participant: %v", b.name, err)
			}
			return p.ID
		}
	}
	t.Fatalf("%s: no device cookie", b.name)
	return 0
}

// --- API and WebSocket clients with a ledger -------------------------------

// attempt is one vote a client sent, with every resend of it (same
// idempotency key) until it was acknowledged.
type attempt struct {
	activity  int64
	key       string
	choices   []int
	sends     int
	failed    []string // why each unacknowledged send failed
	acked     bool
	ackAt     time.Time
	updatedAt time.Time
}

// voter is a phone driven through the JSON API, with a socket that
// follows the live tallies like live.js does.
type voter struct {
	t        *testing.T
	name     string
	base     string
	code     string
	http     *http.Client
	csrf     string
	pid      int64
	device   string
	inflight *atomic.Int64
	trigger  chan struct{}
	watch    *watcher

	mu       sync.Mutex
	attempts []*attempt
}

// newVoter joins the workshop through base and opens its socket.
func newVoter(ctx context.Context, t *testing.T, name, base string, w *agora.Workshop, db *store.DB, inflight *atomic.Int64) *voter {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	v := &voter{t: t, name: name, base: base, code: w.JoinCode, inflight: inflight, trigger: make(chan struct{}, 1),
		http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	resp, err := v.http.Get(base + "/api/v1/csrf")
	if err != nil {
		t.Fatalf("%s: csrf: %v", name, err)
	}
	var tok struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.Token == "" {
		t.Fatalf("%s: csrf: %d %v", name, resp.StatusCode, err)
	}
	v.csrf = tok.Token
	if status, body, err := v.post("/api/v1/workshops/"+w.JoinCode+"/join", map[string]any{}); err != nil || status != 200 {
		t.Fatalf("%s: join: %d %s %v", name, status, body, err)
	}
	u, _ := url.Parse(base)
	for _, c := range jar.Cookies(u) {
		if c.Name == "agora_p_"+w.JoinCode {
			v.device = c.Value
		}
	}
	p, err := db.ParticipantByToken(context.Background(), w.ID, agora.HashToken(v.device))
	if err != nil {
		t.Fatalf("%s: participant: %v", name, err)
	}
	v.pid = p.ID
	h := http.Header{}
	h.Set("Origin", base)
	h.Set("Cookie", "agora_p_"+w.JoinCode+"="+v.device)
	v.watch = newWatcher(ctx, name, "ws"+strings.TrimPrefix(base, "http")+"/ws?w="+w.JoinCode+"&aud=participant", h)
	return v
}

func (v *voter) post(path string, body any) (int, string, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", v.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", v.csrf)
	resp, err := v.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), nil
}

// vote sends a vote and resends it, with the same idempotency key, until
// it is acknowledged: after a network error, a 5xx or a 429. Any other
// refusal is an error.
func (v *voter) vote(ctx context.Context, activity int64, choices []int) error {
	a := &attempt{activity: activity, key: agora.NewSecret(), choices: choices}
	v.mu.Lock()
	v.attempts = append(v.attempts, a)
	v.mu.Unlock()
	for {
		v.inflight.Add(1)
		status, body, err := v.post(fmt.Sprintf("/api/v1/activities/%d/vote", activity),
			map[string]any{"choices": choices, "idempotency_key": a.key})
		v.inflight.Add(-1)
		v.mu.Lock()
		a.sends++
		if err == nil && status == 200 {
			var r struct {
				Vote struct {
					UpdatedAt time.Time `json:"updated_at"`
				} `json:"vote"`
			}
			json.Unmarshal([]byte(body), &r)
			a.acked, a.ackAt, a.updatedAt = true, time.Now(), r.Vote.UpdatedAt
			v.mu.Unlock()
			return nil
		}
		why := fmt.Sprintf("%d %s", status, strings.TrimSpace(body))
		if err != nil {
			why = err.Error()
		}
		a.failed = append(a.failed, why)
		v.mu.Unlock()
		if err == nil && status < 500 && status != http.StatusTooManyRequests {
			return fmt.Errorf("%s: vote %v refused: %s", v.name, choices, why)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: vote %v never acknowledged (%d sends, last: %s): %w", v.name, choices, a.sends, why, ctx.Err())
		case <-time.After(time.Duration(100+rand.IntN(100)) * time.Millisecond): // retry pacing
		}
	}
}

// loop votes for a random option every 2.5–3.5 s (under the 30 votes a
// minute limit), or at once when triggered, until stop is closed. A vote
// in progress when stop closes is still sent until acknowledged.
func (v *voter) loop(ctx context.Context, stop <-chan struct{}, activity int64, options []int) error {
	for {
		select {
		case <-stop:
			return nil
		case <-v.trigger:
		case <-time.After(time.Duration(2500+rand.IntN(1000)) * time.Millisecond): // load pacing
		}
		if err := v.vote(ctx, activity, []int{options[rand.IntN(len(options))]}); err != nil {
			return err
		}
	}
}

// lastAcked is the last acknowledged vote in an activity, or nil.
func (v *voter) lastAcked(activity int64) *attempt {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := len(v.attempts) - 1; i >= 0; i-- {
		if a := v.attempts[i]; a.activity == activity && a.acked {
			return a
		}
	}
	return nil
}

func (v *voter) pending() *attempt {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, a := range v.attempts {
		if !a.acked {
			return a
		}
	}
	return nil
}

// watcher is a socket that reconnects like live.js (with since=seq) and
// keeps the last tally of each activity.
type watcher struct {
	name   string
	url    string
	header http.Header

	mu       sync.Mutex
	seq      *uint64
	live     bool
	connects int
	liveAt   time.Time
	tallies  map[int64]agora.Tally
}

func newWatcher(ctx context.Context, name, wsURL string, h http.Header) *watcher {
	w := &watcher{name: name, url: wsURL, header: h, tallies: map[int64]agora.Tally{}}
	go w.run(ctx)
	return w
}

func (w *watcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		w.mu.Lock()
		u := w.url
		if w.seq != nil {
			u += "&since=" + strconv.FormatUint(*w.seq, 10)
		}
		w.mu.Unlock()
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ws, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPHeader: w.header})
		cancel()
		if err == nil {
			ws.SetReadLimit(1 << 20)
			w.mu.Lock()
			w.live, w.connects, w.liveAt = true, w.connects+1, time.Now()
			w.mu.Unlock()
			w.read(ctx, ws)
			ws.CloseNow()
			w.mu.Lock()
			w.live = false
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(100+rand.IntN(300)) * time.Millisecond): // reconnect backoff
		}
	}
}

func (w *watcher) read(ctx context.Context, ws *websocket.Conn) {
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var m hub.Envelope
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		w.mu.Lock()
		switch {
		case m.Type == hub.TypeSnapshot:
			s := m.Seq
			w.seq = &s
		case !m.Latest && w.seq != nil && m.Seq == *w.seq+1:
			s := m.Seq
			w.seq = &s
		}
		if m.Type == live.EventTally {
			var tl agora.Tally
			if json.Unmarshal(m.Data, &tl) == nil {
				w.tallies[tl.ActivityID] = tl
			}
		}
		w.mu.Unlock()
	}
}

func (w *watcher) state() (live bool, connects int, liveAt time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live, w.connects, w.liveAt
}

func (w *watcher) shows(activity int64, want string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	tl, ok := w.tallies[activity]
	return ok && w.live && tallyKey(tl) == want
}

func (w *watcher) showing(activity int64) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	tl, ok := w.tallies[activity]
	if !ok {
		return "no tally"
	}
	return tallyKey(tl) + fmt.Sprintf(" (live %v)", w.live)
}

// tallyKey is a tally's voters and counts per option, for comparisons.
func tallyKey(tl agora.Tally) string {
	var b strings.Builder
	fmt.Fprintf(&b, "voters=%d", tl.Voters)
	for _, o := range tl.Options {
		fmt.Fprintf(&b, " %d:%d", o.ID, o.Count)
	}
	return b.String()
}

// storeTruth is the tally of the store's votes: its key and the counts
// per option (every option, zeros included) for the page conditions.
func storeTruth(t *testing.T, db *store.DB, act *agora.Activity) (string, map[int]int, []*agora.Vote) {
	t.Helper()
	votes, err := db.ListVotes(context.Background(), act.ID)
	if err != nil {
		t.Fatal(err)
	}
	tl := agora.TallyVotes(act, votes)
	counts := map[int]int{}
	for _, o := range act.Options {
		counts[o.ID] = 0
	}
	for _, o := range tl.Options {
		counts[o.ID] = o.Count
	}
	return tallyKey(tl), counts, votes
}

// ledger checks one activity's votes against what the clients were told:
// every participant has at most one vote; each client with an
// acknowledged vote has exactly its last acknowledged choices stored;
// every stored vote is a client's last acknowledged one (browsers: the
// choice their page confirmed). It returns the figures.
type ledgerFigures struct {
	acked, stored, retried, inFlightAtFault int
}

func checkLedger(t *testing.T, db *store.DB, act *agora.Activity, voters []*voter, browsers map[int64][]int) ledgerFigures {
	t.Helper()
	_, _, votes := storeTruth(t, db, act)
	byPID := map[int64]*agora.Vote{}
	var f ledgerFigures
	f.stored = len(votes)
	for _, vt := range votes {
		if vt.ParticipantID == nil {
			t.Errorf("activity %d: a vote without participant: %+v", act.ID, vt)
			continue
		}
		if byPID[*vt.ParticipantID] != nil {
			t.Errorf("activity %d: participant %d has two votes", act.ID, *vt.ParticipantID)
		}
		byPID[*vt.ParticipantID] = vt
	}
	expect := map[int64][]int{}
	for pid, choices := range browsers {
		expect[pid] = choices
		f.acked++
	}
	for _, v := range voters {
		v.mu.Lock()
		for _, a := range v.attempts {
			if a.activity != act.ID {
				continue
			}
			if !a.acked {
				t.Errorf("%s: vote %v (key %s) still unacknowledged after %d sends: %v", v.name, a.choices, a.key, a.sends, a.failed)
				continue
			}
			f.acked++
			if a.sends > 1 {
				f.retried++
			}
			if len(a.failed) > 0 && !strings.HasPrefix(a.failed[0], "429") {
				f.inFlightAtFault++
			}
		}
		v.mu.Unlock()
		if last := v.lastAcked(act.ID); last != nil {
			expect[v.pid] = last.choices
		}
	}
	for pid, choices := range expect {
		vt := byPID[pid]
		switch {
		case vt == nil:
			t.Errorf("activity %d: participant %d was acknowledged %v, the store has no vote", act.ID, pid, choices)
		case !slices.Equal(vt.Choices, choices):
			t.Errorf("activity %d: participant %d: store has %v, last acknowledged %v", act.ID, pid, vt.Choices, choices)
		}
	}
	for pid, vt := range byPID {
		if _, ok := expect[pid]; !ok {
			t.Errorf("activity %d: stored vote %v of participant %d was never acknowledged", act.ID, vt.Choices, pid)
		}
	}
	return f
}

// display is one screen whose tally must match the store.
type display struct {
	name string
	ok   func() bool
	what func() string
}

// pageDisplay is a browser page and a JavaScript condition.
func pageDisplay(b *browser, cond string) display {
	return display{name: b.name, ok: func() bool {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("(() => { try { return !!("+cond+"); } catch (e) { return false; } })()"))
		return err == nil && ok
	}, what: func() string { return b.describe() }}
}

func watcherDisplay(w *watcher, activity int64, want string) display {
	return display{name: w.name, ok: func() bool { return w.shows(activity, want) },
		what: func() string { return w.showing(activity) + ", want " + want }}
}

// waitDisplays polls every display until each is true, concurrently, and
// returns when each became true. It fails the test for each that is not
// by deadline.
func waitDisplays(t *testing.T, what string, deadline time.Time, ds []display) map[string]time.Time {
	t.Helper()
	var mu sync.Mutex
	at := map[string]time.Time{}
	var wg sync.WaitGroup
	var failed []display
	for _, d := range ds {
		wg.Go(func() {
			for {
				if d.ok() {
					mu.Lock()
					at[d.name] = time.Now()
					mu.Unlock()
					return
				}
				if time.Now().After(deadline) {
					mu.Lock()
					failed = append(failed, d)
					mu.Unlock()
					return
				}
				time.Sleep(20 * time.Millisecond) // polling a condition, with a deadline
			}
		})
	}
	wg.Wait()
	for _, d := range failed {
		t.Errorf("%s: %s does not show the store's tally by the deadline:\n%s", what, d.name, d.what())
	}
	return at
}

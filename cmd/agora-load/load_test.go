package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/server"
	"github.com/agora-civic/agora/store"
)

const (
	testAdminEmail    = "admin@agora.test"
	testAdminPassword = "correct horse battery staple"
)

// TestMain lets the test binary be the vote process, as agora-load is.
func TestMain(m *testing.M) {
	if os.Getenv(voteProcessEnv) != "" {
		os.Exit(runVoteProcess(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startServer runs Agora in this process, wired as cmd/agora wires it, on
// a fresh SQLite database and a free loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "agora.db")
	m, err := store.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(ctx, "up", io.Discard); err != nil {
		t.Fatal(err)
	}
	m.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(ctx, url, logger)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv, err := server.New(server.Config{PublicURL: base}, server.Deps{Store: db, Hub: h, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.CreateAccount(ctx, db, testAdminEmail, "Admin", testAdminPassword, agora.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Close(ctx)
		srv.Shutdown(ctx)
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
		db.Close()
	})
	return base
}

// TestRun drives a small workshop end to end and checks that nothing is
// lost and every figure is there, with the votes sent from the vote
// process (the default) and from the tool's own. Speed targets are not
// checked here: the machine running the tests is not the benchmark's.
func TestRun(t *testing.T) {
	for _, proc := range []bool{true, false} {
		t.Run(fmt.Sprintf("vote-process=%v", proc), func(t *testing.T) { testRun(t, proc) })
	}
}

func testRun(t *testing.T, voteProcess bool) {
	base := startServer(t)
	cfg := DefaultConfig()
	cfg.VoteProcess = voteProcess
	cfg.Bases = []string{base}
	if !voteProcess {
		// The same server named twice stands for two nodes: the figures
		// by node must split the sockets as the tool spread them.
		cfg.Bases = []string{base, base}
	}
	cfg.AdminPassword = testAdminPassword
	cfg.Participants = 200
	cfg.VoteSpread = time.Second
	cfg.Rest = 200 * time.Millisecond
	cfg.Broadcasts = 4
	cfg.ServerPIDs = []int{os.Getpid()}
	cfg.Duration = time.Minute
	cfg.AckLog = filepath.Join(t.TempDir(), "acks.txt")
	cfg.Readers, cfg.ReadEvery = 3, 50*time.Millisecond
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration)
	defer cancel()
	var log strings.Builder
	rep, err := Run(ctx, cfg, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var table strings.Builder
	rep.WriteTable(&table)
	t.Logf("\n%s", table.String())
	if rep.Incomplete != "" {
		t.Fatalf("incomplete: %s", rep.Incomplete)
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("check failed: %s (%s)", c.Name, c.Detail)
		}
	}
	if rep.VotesCounted != 200 || rep.VotesLost != 0 {
		t.Errorf("votes: %d counted, %d lost, want 200 and 0", rep.VotesCounted, rep.VotesLost)
	}
	for name, d := range map[string]Dist{"join": rep.Join, "ack": rep.Ack, "open delivery": rep.OpenDelivery, "delivery": rep.Delivery} {
		if d.N == 0 || d.Max <= 0 {
			t.Errorf("%s: no figures: %+v", name, d)
		}
	}
	// The ack's parts are each vote's, and no part is longer than the whole.
	for name, d := range map[string]Dist{"connection wait": rep.AckConnWait, "answer": rep.AckAnswer} {
		if d.N != rep.Ack.N || d.Max > rep.Ack.Max || d.P50 > rep.Ack.P50 {
			t.Errorf("ack part %s: %+v, for the ack %+v", name, d, rep.Ack)
		}
	}
	if rep.AckAnswer.Max <= 0 {
		t.Errorf("ack answer times missing: %+v", rep.AckAnswer)
	}
	if rep.Delivery.N != 4*202 {
		t.Errorf("deliveries: %d, want %d (4 toggles × 202 sockets)", rep.Delivery.N, 4*202)
	}
	// The window starts once the burst's last tallies are out: every
	// message in it is a toggle's.
	if rep.BroadcastMessages != int64(rep.Delivery.N) {
		t.Errorf("window: %d messages for %d deliveries", rep.BroadcastMessages, rep.Delivery.N)
	}
	checkByNode(t, len(cfg.Bases), rep.OpenDelivery, rep.OpenDeliveryByNode, 1)
	checkByNode(t, len(cfg.Bases), rep.Delivery, rep.DeliveryByNode, 4)
	// The projector's figure is its own: one delivery a command (the
	// poll's close, its opening and 4 toggles).
	if d := rep.ScreenDelivery; d.N != 6 || d.Max <= 0 {
		t.Errorf("projector deliveries: %+v, want 6 (close, open and 4 toggles)", d)
	}
	// Three readers every 50 ms over a burst of a few seconds: each reads
	// at least once, however slow a loaded machine makes the reads.
	if rep.Reads.N < cfg.Readers || rep.ReadErrors != 0 || rep.Reads.Max <= 0 {
		t.Errorf("public results reads: %+v, %d errors", rep.Reads, rep.ReadErrors)
	}
	if rep.VoteProcess != voteProcess || voteProcess != (rep.VoteProcessCPUS > 0) || rep.LoadCPUS < rep.VoteProcessCPUS {
		t.Errorf("vote process %v: reported %v, CPU %.2f s of the tool's %.2f s", voteProcess, rep.VoteProcess, rep.VoteProcessCPUS, rep.LoadCPUS)
	}
	if rep.BroadcastMessages == 0 || rep.RSSRestMiB == 0 || rep.ServerCPUTotalS == 0 || rep.LoadCPUS == 0 {
		t.Errorf("process figures missing: %+v", rep)
	}
	if !rep.OK(false) {
		t.Error("report not OK")
	}
	acks, err := os.ReadFile(cfg.AckLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(acks)), "\n")
	if len(lines) != 1+rep.VotesAcked {
		t.Errorf("ack log: %d lines, want a header and %d votes", len(lines), rep.VotesAcked)
	}
	for _, l := range lines[1:] {
		var sent, ack, wait, answer float64
		if n, err := fmt.Sscan(l, &sent, &ack, &wait, &answer); n != 4 || err != nil || wait+answer > ack+0.2 {
			t.Fatalf("ack log line %q: %d fields (%v), or parts longer than the ack", l, n, err)
		}
	}
	out := filepath.Join(t.TempDir(), "report.json")
	if err := rep.WriteJSONFile(out); err != nil {
		t.Fatal(err)
	}
}

// checkByNode checks the figures by node of one delivery figure: none
// with one node; with two, 101 sockets each (100 phones, and the
// projector on the first node, the facilitator on the last) for each of
// rounds, and the slowest node's max is the whole's.
func checkByNode(t *testing.T, nodes int, all Dist, by []Dist, rounds int) {
	t.Helper()
	if nodes == 1 {
		if by != nil {
			t.Errorf("one node, figures by node: %+v", by)
		}
		return
	}
	if len(by) != nodes {
		t.Fatalf("%d nodes, figures by node: %+v", nodes, by)
	}
	maxOf := 0.0
	for k, d := range by {
		if d.N != 101*rounds {
			t.Errorf("node %d: %d deliveries, want %d", k+1, d.N, 101*rounds)
		}
		maxOf = max(maxOf, d.Max)
	}
	if maxOf != all.Max {
		t.Errorf("slowest node's max %.2f ms, the whole's %.2f ms", maxOf, all.Max)
	}
}

func TestParseHead(t *testing.T) {
	tests := []struct {
		msg    string
		typ    string
		seq    uint64
		latest bool
		fine   bool
	}{
		{`{"type":"tally","topic":"w:1:screen","seq":42,"data":{}}`, "tally", 42, false, true},
		{`{"type":"tally","topic":"w:1:screen","seq":42,"latest":true,"data":{}}`, "tally", 42, true, true},
		{`{"type":"pong","seq":0}`, "pong", 0, false, true},
		{`{"type":"snapshot","topic":"w:1:participants","seq":7,"data":{"seq":9}}`, "snapshot", 7, false, true},
		{`[]`, "", 0, false, false},
	}
	for _, tt := range tests {
		typ, seq, latest, ok := parseHead([]byte(tt.msg))
		if typ != tt.typ || seq != tt.seq || latest != tt.latest || ok != tt.fine {
			t.Errorf("parseHead(%s) = %q, %d, %v, %v", tt.msg, typ, seq, latest, ok)
		}
	}
}

func TestDistOf(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := distOf(d)
	if got.P50 != 50 || got.P95 != 95 || got.P99 != 99 || got.Max != 100 || got.N != 100 {
		t.Errorf("distOf = %+v", got)
	}
}

// Bad flags are refused with a message naming the flag, before any run.
func TestParseFlags_Refusals(t *testing.T) {
	for _, args := range [][]string{
		{"-participants", "0"},
		{"-participants", "19001"},
		{"-options", "1"},
		{"-readers", "-1"},
		{"-readers", "5", "-read-every", "0"},
		{"-readers", "5", "-hide-results"},
		{"-readers", "1000", "-participants", "19000"},
		{"-server-pid", "abc"},
		{"-url", ""},
	} {
		var stderr strings.Builder
		if _, err := parseFlags(append([]string{"-admin-password", "x"}, args...), &stderr); err == nil {
			t.Errorf("%v: accepted", args)
		} else if !strings.Contains(stderr.String(), strings.TrimPrefix(args[0], "-")) && args[0] != "-url" {
			t.Errorf("%v: message %q does not name the flag", args, stderr.String())
		}
	}
	cfg, err := parseFlags([]string{"-admin-password", "x", "-readers", "20", "-read-every", "200ms"}, io.Discard)
	if err != nil || cfg.Readers != 20 || cfg.ReadEvery != 200*time.Millisecond {
		t.Fatalf("readers flags: %+v, %v", cfg, err)
	}
}

// Each node's phones share every HTTP client, so -http-conns connections
// to each node: with two nodes and the phones going round-robin, a client
// per phone index mod 4 gave each node half the clients, and half the
// connections a node alone gets.
func TestNetPool_EveryNodeUsesEveryClient(t *testing.T) {
	for _, nodes := range []int{1, 2, 3} {
		cfg := DefaultConfig()
		cfg.Bases = make([]string, nodes)
		p := newNetPool(cfg)
		for node := range nodes {
			used := map[*http.Client]bool{}
			for i := node; i < 64; i += nodes {
				used[p.httpClient(i)] = true
			}
			if len(used) != len(p.http) {
				t.Errorf("%d nodes: node %d's phones use %d clients of %d", nodes, node, len(used), len(p.http))
			}
		}
	}
	args := []string{"-admin-password", "x", "-participants", "19000", "-http-conns", "600"}
	if _, err := parseFlags(append(args, "-url", "http://a"), io.Discard); err != nil {
		t.Errorf("19,000 sockets and 600 connections to one node: %v", err)
	}
	if _, err := parseFlags(append(args, "-url", "http://a,http://b"), io.Discard); err == nil {
		t.Error("19,000 sockets and 600 connections to each of two nodes: accepted beyond the open files")
	}
}

// warm opens every connection the phones' transports may hold to each
// node before the poll opens, and no more.
func TestNetPool_WarmOpensEveryConnection(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			t.Errorf("warm asked for %s", r.URL.Path)
		}
		time.Sleep(20 * time.Millisecond) // requests in flight together, as in a burst
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Bases, cfg.HTTPConns = []string{srv.URL}, 32
	p := newNetPool(cfg)
	var failed atomic.Int64
	p.warm(t.Context(), func(op string, status int, err error) error {
		if err != nil || status != http.StatusOK {
			failed.Add(1)
		}
		return nil
	})
	if n := opened.Load(); n != 32 || failed.Load() != 0 {
		t.Errorf("%d connections opened (%d requests failed), want 32", n, failed.Load())
	}
	p.warm(t.Context(), func(string, int, error) error { return nil })
	if n := opened.Load(); n != 32 {
		t.Errorf("warming again opened %d connections in all, want the same 32", n)
	}
}

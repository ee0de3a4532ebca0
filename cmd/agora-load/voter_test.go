package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The vote process opens its connections before saying it is ready, sends
// each vote with the phone's cookie and token, retries a 5xx with the same
// request, and reports every outcome with its failed attempts.
func TestVoteProcess_VotesAndRetries(t *testing.T) {
	var warmed, fails atomic.Int64
	var mu sync.Mutex
	var headers []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			warmed.Add(1)
		case "/ok":
			mu.Lock()
			headers = append(headers, r.Header.Clone())
			mu.Unlock()
		default:
			fails.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Bases, cfg.HTTPConns, cfg.SourceNet, cfg.Duration = []string{srv.URL}, 4, "", time.Minute

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() { code <- runVoteProcess(inR, outW, io.Discard); outW.Close() }()
	enc := json.NewEncoder(inW)
	out := bufio.NewScanner(outR)
	if err := enc.Encode(cfg); err != nil {
		t.Fatal(err)
	}
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("first line %q, want ready", out.Text())
	}
	if n := warmed.Load(); n != 4 {
		t.Fatalf("%d connections opened before ready, want 4", n)
	}
	enc.Encode(voteOrder{I: 7, URL: srv.URL + "/ok", Body: `{"choices":[1]}`, Cookie: "agora_csrf=s", Token: "tok"})
	enc.Encode(voteOrder{I: 8, URL: srv.URL + "/down", Body: `{}`})
	inW.Close() // the process finishes what it has, then ends
	got := map[int]voteOutcome{}
	for out.Scan() {
		var o voteOutcome
		if err := json.Unmarshal(out.Bytes(), &o); err != nil {
			t.Fatalf("outcome %q: %v", out.Text(), err)
		}
		got[o.I] = o
	}
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d", c)
	}
	ok, down := got[7], got[8]
	if !ok.Acked || len(ok.Fails) != 0 || ok.AckAt.Before(ok.SentAt) || ok.Parts.Answer <= 0 || ok.Parts.Answer > ok.AckAt.Sub(ok.SentAt) {
		t.Errorf("acked vote: %+v", ok)
	}
	if len(headers) != 1 || headers[0].Get("Cookie") != "agora_csrf=s" || headers[0].Get("X-CSRF-Token") != "tok" || headers[0].Get("Content-Type") != "application/json" {
		t.Errorf("vote headers: %v", headers)
	}
	if down.Acked || len(down.Fails) != 4 || fails.Load() != 4 {
		t.Fatalf("failing vote: %+v after %d requests, want 4 attempts", down, fails.Load())
	}
	for i, f := range down.Fails {
		want := "vote (retried)"
		if i == 3 {
			want = "vote"
		}
		if f.Op != want || f.Status != http.StatusServiceUnavailable {
			t.Errorf("attempt %d: %+v, want %s with 503", i+1, f, want)
		}
	}
}

// When the vote process dies, the votes it had are reported failed: the
// run does not wait for them.
func TestVoteProcess_DeathFailsItsVotes(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			<-release // the vote never gets an answer
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := DefaultConfig()
	cfg.Bases, cfg.HTTPConns, cfg.SourceNet, cfg.Duration = []string{srv.URL}, 2, "", time.Minute
	outcomes := make(chan voteOutcome, 2)
	v, err := startVoteProcess(cfg, io.Discard, func(o voteOutcome) { outcomes <- o })
	if err != nil {
		t.Fatal(err)
	}
	if err := v.send(voteOrder{I: 3, URL: srv.URL + "/vote", Body: "{}"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the vote is in flight
	v.cmd.Process.Kill()
	select {
	case o := <-outcomes:
		if o.I != 3 || o.Acked || len(o.Fails) != 1 || o.Fails[0].Op != "vote" {
			t.Fatalf("outcome %+v, want phone 3's vote failed", o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no outcome for the vote of a dead process")
	}
	if err := v.close(context.Background()); err == nil {
		t.Error("close: no error for a killed process")
	}
}

// A run whose time is up does not wait for the votes still in flight: the
// vote process is killed, and those votes fail.
func TestVoteProcess_CloseAtDeadlineKills(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			<-release
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := DefaultConfig()
	cfg.Bases, cfg.HTTPConns, cfg.SourceNet, cfg.Duration = []string{srv.URL}, 2, "", time.Minute
	var failed atomic.Int64
	v, err := startVoteProcess(cfg, io.Discard, func(o voteOutcome) {
		if !o.Acked {
			failed.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	v.send(voteOrder{I: 1, URL: srv.URL + "/vote", Body: "{}"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	v.close(ctx)
	if d := time.Since(start); d > 5*time.Second || failed.Load() != 1 {
		t.Fatalf("close took %v with %d votes failed, want the process killed at the deadline and its vote failed", d, failed.Load())
	}
}

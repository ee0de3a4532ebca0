package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agora-civic/agora/store/storetest"
)

// TestMain_CloseLeaksNoGoroutine runs the real Main, with sockets open and
// keep-alive HTTP connections, closes it, and checks that every goroutine
// it started (server, hub, engine, sweep, database pool, Redis broker)
// ends: the count returns to the baseline taken before Run.
func TestMain_CloseLeaksNoGoroutine(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		checkNoLeak(t, map[string]string{"AGORA_DATA_DIR": t.TempDir()})
	})
	t.Run("postgres+redis", func(t *testing.T) {
		redisURL := os.Getenv("AGORA_TEST_REDIS_URL")
		if redisURL == "" {
			redisURL = "redis://127.0.0.1:6379/0"
		}
		u, err := url.Parse(redisURL)
		mustT(t, err)
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "6379")
		}
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			skipOrFail(t, "Redis unreachable at "+redisURL+" (set AGORA_TEST_REDIS_URL): "+err.Error())
		}
		c.Close()
		db := storetest.PostgresSchema(t) // before the baseline: its admin pool lives until the test ends
		checkNoLeak(t, map[string]string{"AGORA_DATABASE_URL": db, "AGORA_REDIS_URL": redisURL})
	})
}

// checkNoLeak is the body of TestMain_CloseLeaksNoGoroutine for one
// environment.
func checkNoLeak(t *testing.T, env map[string]string) {
	const slack = 1 // a runtime helper that comes and goes; a leak per socket or per request exceeds it
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	base := "http://" + addr
	env["AGORA_PUBLIC_URL"] = base
	env["AGORA_SHUTDOWN_TIMEOUT"] = "15s" // a loaded CI machine; Close returns as soon as it is done
	env["AGORA_LOG_LEVEL"] = "warn"
	cfg, _, err := ParseConfig("agora", []string{"-addr", addr}, envOf(env), &bytes.Buffer{})
	mustT(t, err)

	before := countGoroutines()
	out := &syncBuffer{}
	m := NewMain(cfg, out)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	w, _ := liveWorkshop(t, m.db)

	// HTTP with keep-alive: one client, several requests on reused connections.
	phone := newAPIClient(t, base)
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/csrf", "/"} {
		resp, err := phone.http.Get(base + path)
		mustT(t, err)
		resp.Body.Close()
	}
	if status, code, err := phone.post("/api/v1/workshops/"+w.JoinCode+"/join", map[string]string{"nickname": "Ada"}); err != nil || status != 200 {
		t.Fatalf("join: %d %s %v", status, code, err)
	}
	var device string
	pu, _ := url.Parse(base)
	for _, ck := range phone.http.Jar.Cookies(pu) {
		device += ck.Name + "=" + ck.Value + "; "
	}

	// Sockets: three screens and the phone. Each is read until the server
	// closes it, as a browser does.
	var readers sync.WaitGroup
	var sockets []*websocket.Conn
	dial := func(query, cookie string) {
		h := http.Header{"Origin": {base}}
		if cookie != "" {
			h.Set("Cookie", cookie)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws?"+query, &websocket.DialOptions{HTTPHeader: h})
		mustT(t, err)
		if _, _, err := ws.Read(ctx); err != nil { // the snapshot
			t.Fatal(err)
		}
		sockets = append(sockets, ws)
		readers.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					return
				}
			}
		})
	}
	for range 3 {
		dial("w="+w.JoinCode+"&aud=screen&screen="+w.ScreenToken, "")
	}
	dial("w="+w.JoinCode+"&aud=participant", device)
	if status, code, err := phone.post("/api/v1/workshops/"+w.JoinCode+"/join", map[string]string{"nickname": "Ada B."}); err != nil || status != 200 {
		t.Fatalf("second join: %d %s %v", status, code, err)
	}

	closed = true
	mustT(t, m.Close())
	// The client's side is the test's own: end it before counting.
	readers.Wait()
	for _, ws := range sockets {
		ws.CloseNow()
	}
	phone.http.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()

	deadline := time.Now().Add(5 * time.Second)
	for {
		n := countGoroutines()
		if n <= before+slack {
			t.Logf("goroutines: %d before Run, %d after Close", before, n)
			return
		}
		if time.Now().After(deadline) {
			var dump bytes.Buffer
			pprof.Lookup("goroutine").WriteTo(&dump, 1)
			t.Fatalf("goroutine leak: %d before Run, %d five seconds after Close (slack %d, not counting fasthttp's own %v)\n%s",
				before, n, slack, notOurs, dump.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// notOurs are goroutines of fasthttp (under fiber) that outlive a server
// by design: a process-wide clock started once and never stopped, and the
// worker pool's cleaner, which notices Shutdown only when its sleep of
// MaxIdleWorkerDuration (10s, not settable through fiber) ends.
var notOurs = []string{"fasthttp.updateServerDate", "fasthttp.(*workerPool).Start.func"}

// countGoroutines is runtime.NumGoroutine without the goroutines notOurs.
func countGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
next:
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.HasPrefix(g, "goroutine ") {
			continue
		}
		for _, s := range notOurs {
			if strings.Contains(g, s) {
				continue next
			}
		}
		count++
	}
	return count
}

package hub

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The benchmarks put the clients in a child process (this test binary run
// with AGORA_HUB_SWARM set), so that this process holds only the server's
// side: its allocations, CPU time and memory are the hub's, and 10,000
// sockets fit the per-process file limit.

func TestMain(m *testing.M) {
	if spec := os.Getenv("AGORA_HUB_SWARM"); spec != "" {
		runSwarm(spec)
		return
	}
	os.Exit(m.Run())
}

// runSwarm dials n sockets to url ("url n"), prints "ready" once every one
// has its snapshot, then "ok" each time all n have received one more event.
// It exits when stdin closes.
func runSwarm(spec string) {
	url, ns, _ := strings.Cut(spec, " ")
	n, _ := strconv.Atoi(ns)
	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	say := func(s string) { outMu.Lock(); out.WriteString(s + "\n"); out.Flush(); outMu.Unlock() }
	var ready sync.WaitGroup
	var total atomic.Int64
	sem := make(chan struct{}, 64)
	for range n {
		sem <- struct{}{}
		ready.Add(1)
		go func() {
			ws, _, err := websocket.Dial(context.Background(), url, nil)
			<-sem
			if err != nil {
				fmt.Fprintln(os.Stderr, "swarm dial:", err)
				os.Exit(1)
			}
			ws.SetReadLimit(1 << 20)
			first := true
			for {
				_, r, err := ws.Reader(context.Background())
				if err != nil {
					return
				}
				io.Copy(io.Discard, r)
				if first {
					first = false
					ready.Done()
					continue
				}
				if total.Add(1)%int64(n) == 0 {
					say("ok")
				}
			}
		}()
	}
	ready.Wait()
	say("ready")
	io.Copy(io.Discard, os.Stdin)
}

type swarm struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startSwarm(b *testing.B, url string, n int) *swarm {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "AGORA_HUB_SWARM="+url+" "+strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &swarm{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	s.expect(b, "ready")
	return s
}

func (s *swarm) expect(b *testing.B, line string) {
	if !s.lines.Scan() || s.lines.Text() != line {
		b.Fatalf("swarm said %q (%v), want %q", s.lines.Text(), s.lines.Err(), line)
	}
}

func benchHub(b *testing.B) (*Hub, string) {
	h, err := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	h.SetSnapshotter(func(context.Context, string) (any, error) { return map[string]int{"n": 0}, nil })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Serve(w, r, Subscription{Topic: "w:1:participants", Member: r.RemoteAddr})
	}))
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h.Close(ctx)
		srv.Close()
	})
	return h, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBroadcast measures one tally-sized event delivered to every
// socket of a room: ns/op is the time until the last client has it.
func BenchmarkBroadcast(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			h, url := benchHub(b)
			sw := startSwarm(b, url, n)
			data := map[string]any{"activity": 12, "counts": []int{120, 87, 43, 9}, "total": 259}
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				if err := h.Publish(ctx, "w:1:participants", "tally", data); err != nil {
					b.Fatal(err)
				}
				sw.expect(b, "ok")
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/delivery")
		})
	}
}

// BenchmarkIdleConn measures the server memory of idle sockets: heap in
// use plus goroutine stacks, after a GC, per socket. It measures once,
// whatever b.N: the figure is per socket, not per iteration.
func BenchmarkIdleConn(b *testing.B) {
	const n = 5000
	idleOnce.Do(func() {
		h, url := benchHub(b)
		before := memInUse()
		g0 := runtime.NumGoroutine()
		startSwarm(b, url, n)
		for h.Stats().Sockets < n {
			time.Sleep(time.Millisecond)
		}
		idleBytes = float64(memInUse()-before) / n
		idleGoroutines = float64(runtime.NumGoroutine()-g0) / n
	})
	b.ReportMetric(idleBytes, "B/conn")
	b.ReportMetric(idleGoroutines, "goroutines/conn")
}

var (
	idleOnce       sync.Once
	idleBytes      float64
	idleGoroutines float64
)

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

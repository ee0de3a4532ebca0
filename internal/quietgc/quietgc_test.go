package quietgc

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// at builds a reading t seconds in, with cpu seconds of CPU used so far on
// two cores, and a heap of 100 MB live, a goal of 300 MB and heap MB now.
func at(t, cpu float64, heap uint64) reading {
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	return reading{at: time.Unix(1000, 0).Add(sec(t)), cpu: sec(cpu), cpuOK: true,
		live: 100 << 20, goal: 300 << 20, heap: heap << 20, procs: 2}
}

func TestWatcher_Decides(t *testing.T) {
	busy := func(r reading) reading { r.cpu += 200 * time.Millisecond; return r } // 0.2 s of CPU more: busy over a look
	cycled := func(r reading) reading { r.cycles++; return r }
	unknown := func(r reading) reading { r.cpuOK = false; return r }
	tests := []struct {
		name  string
		looks []reading
		want  []bool
	}{
		{"quiet twice with half the allowance spent",
			[]reading{at(0, 1, 200), at(0.25, 1.01, 200), at(0.5, 1.02, 200)},
			[]bool{false, false, true}},
		{"a quarter of the allowance spent is enough",
			[]reading{at(0, 1, 150), at(0.25, 1, 150), at(0.5, 1, 150)},
			[]bool{false, false, true}},
		{"less than a quarter spent: no cycle",
			[]reading{at(0, 1, 140), at(0.25, 1, 140), at(0.5, 1, 140), at(0.75, 1, 140)},
			[]bool{false, false, false, false}},
		{"busy: no cycle until quiet twice again",
			[]reading{at(0, 1, 250), at(0.25, 1, 250), busy(at(0.5, 1, 250)), at(0.75, 1.2, 250), at(1, 1.2, 250)},
			[]bool{false, false, false, false, true}},
		{"a cycle ran meanwhile: its CPU is not the process being quiet",
			[]reading{at(0, 1, 250), at(0.25, 1, 250), cycled(at(0.5, 1, 250)), cycled(at(0.75, 1, 250)), cycled(at(1, 1, 250))},
			[]bool{false, false, false, false, true}},
		{"CPU time unknown: never",
			[]reading{unknown(at(0, 0, 250)), unknown(at(0.25, 0, 250)), unknown(at(0.5, 0, 250)), unknown(at(0.75, 0, 250))},
			[]bool{false, false, false, false}},
		{"after a cycle, quiet twice again before the next",
			[]reading{at(0, 1, 250), at(0.25, 1, 250), at(0.5, 1, 250), at(0.75, 1, 250), at(1, 1, 250)},
			[]bool{false, false, true, false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &watcher{opts: Options{QuietLooks: 2}.withDefaults()}
			for i, r := range tc.looks {
				if got := w.look(r); got != tc.want[i] {
					t.Fatalf("look %d: collect %v, want %v", i, got, tc.want[i])
				}
			}
		})
	}
}

// spend allocates garbage until at least share of the heap's growth
// allowance is used up, and returns the cycles completed by then.
func spend(t *testing.T, share float64) uint64 {
	t.Helper()
	s := newSamples()
	for range 1 << 20 {
		r := s.read()
		if r.goal > r.live && r.heap > r.live && float64(r.heap-r.live)/float64(r.goal-r.live) >= share {
			return r.cycles
		}
		b := make([]byte, 16<<10)
		sink.Store(&b)
	}
	t.Fatal("the heap's allowance was never spent")
	return 0
}

var sink atomic.Pointer[[]byte] // keeps allocations from being optimised away

// cyclesAfter waits up to d for a cycle after the given count.
func cyclesAfter(n uint64, d time.Duration) bool {
	s := newSamples()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if s.read().cycles > n {
			return true
		}
	}
	return false
}

func startRun(t *testing.T) {
	t.Helper()
	if _, ok := processCPU(); !ok {
		t.Skip("this platform does not tell the process's CPU time") // never on Linux, where CI runs
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, Options{Every: 20 * time.Millisecond}); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// A quiet process that used half its allowance gets a cycle at once,
// where the runtime would wait for the goal.
func TestRun_CollectsWhenQuiet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	runtime.GC()
	startRun(t)
	n := spend(t, 0.5)
	if !cyclesAfter(n, 2*time.Second) {
		t.Fatal("no cycle within 2 s of a quiet process spending half its allowance")
	}
}

// A busy process gets no early cycle, however much it has spent; it gets
// one once it is quiet.
func TestRun_WaitsWhileBusy(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	runtime.GC()
	var stop atomic.Bool
	var spinners sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		spinners.Go(func() {
			for x := 0; !stop.Load(); x++ {
			}
		})
	}
	startRun(t)
	n := spend(t, 0.5)
	if cyclesAfter(n, 600*time.Millisecond) {
		stop.Store(true)
		t.Fatal("a cycle ran while the process was busy")
	}
	stop.Store(true)
	spinners.Wait()
	if !cyclesAfter(n, 2*time.Second) {
		t.Fatal("no cycle within 2 s of the process going quiet")
	}
}

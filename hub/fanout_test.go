package hub

import (
	"testing"
	"time"
)

// crowd is a topic of n sockets without writers: the test takes their
// frames itself, as writers would.
func crowd(n int, pace pacing) (*topic, []*conn) {
	t := &topic{name: "w:1:participants", members: map[string]int{}, pace: pace}
	for i := range n {
		c := &conn{idx: i, send: make(chan *frame, 8), t: t}
		t.conns = append(t.conns, c)
	}
	return t, t.conns
}

// queued reports how many frames wait on each of conns.
func queued(conns []*conn) []int {
	n := make([]int, len(conns))
	for i, c := range conns {
		n[i] = len(c.send)
	}
	return n
}

// takeAll takes the next frame of each of conns and reports it written.
func takeAll(t *testing.T, conns []*conn) []*frame {
	t.Helper()
	var got []*frame
	for i, c := range conns {
		select {
		case f := <-c.send:
			got = append(got, f)
			f.written()
		default:
			t.Fatalf("socket %d has no frame", i)
		}
	}
	return got
}

// waitQueued waits until each of conns has want frames queued.
func waitQueued(t *testing.T, conns []*conn, want int) {
	t.Helper()
	waitFor(t, "frames queued", func() bool {
		for _, c := range conns {
			if len(c.send) != want {
				return false
			}
		}
		return true
	})
}

// An event to a crowd goes a slice at a time, each once the sockets of the
// slice before have written it, and every socket gets the events in order.
func TestTopic_EventSpreadsSliceBySlice(t *testing.T) {
	top, conns := crowd(10, pacing{slice: 4, wait: time.Minute})
	first := newFrame(7, []byte(`{"type":"state","seq":7}`), frameEvent)
	second := newFrame(8, []byte(`{"type":"state","seq":8}`), frameEvent)
	start := time.Now()
	top.deliver(first)
	top.deliver(second) // queued behind the first, on every socket
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("deliver blocked its caller for %v", d)
	}
	waitQueued(t, conns[:4], 1)
	settle := func() { time.Sleep(30 * time.Millisecond) } // time for a wrong fan-out to go on
	settle()
	if q := queued(conns[4:]); q[0]+q[1]+q[2]+q[3]+q[4]+q[5] != 0 {
		t.Fatalf("the second slice got the event before the first wrote it: %v", queued(conns))
	}
	takeAll(t, conns[:3])
	settle()
	if q := queued(conns[4:8]); q[0]+q[1]+q[2]+q[3] != 0 {
		t.Fatalf("the second slice got the event with a socket of the first still writing: %v", queued(conns))
	}
	takeAll(t, conns[3:4])
	waitQueued(t, conns[4:8], 1)
	takeAll(t, conns[4:8])
	waitQueued(t, conns[8:], 1) // the last slice
	takeAll(t, conns[8:])
	// The second event follows, slice by slice too.
	for _, part := range [][]*conn{conns[:4], conns[4:8], conns[8:]} {
		waitQueued(t, part, 1)
		for _, f := range takeAll(t, part) {
			if f.seq != 8 || string(f.wire) != string(second.wire) {
				t.Fatalf("got seq %d, want the second event", f.seq)
			}
		}
	}
	top.mu.RLock()
	defer top.mu.RUnlock()
	if top.fanning || len(top.fanQ) != 0 || top.lastSeq != 8 {
		t.Fatalf("after the spread: fanning %v, queue %d, lastSeq %d", top.fanning, len(top.fanQ), top.lastSeq)
	}
}

// A slice is ready with an eighth of its sockets still writing: one stuck
// socket does not hold the crowd back.
func TestTopic_SpreadGoesOnWithoutTheLastEighth(t *testing.T) {
	top, conns := crowd(32, pacing{slice: 16, wait: time.Minute})
	top.deliver(newFrame(1, []byte("{}"), frameEvent))
	waitQueued(t, conns[:16], 1)
	takeAll(t, conns[:13]) // 3 left: more than an eighth
	time.Sleep(30 * time.Millisecond)
	if q := queued(conns[16:17]); q[0] != 0 {
		t.Fatal("the next slice went with three sockets of sixteen still writing")
	}
	takeAll(t, conns[13:14]) // 2 left: an eighth
	waitQueued(t, conns[16:], 1)
}

// Sockets that never write (they left with the frame queued) delay the
// next slice by pace.wait at most.
func TestTopic_SpreadWaitIsBounded(t *testing.T) {
	const wait = 40 * time.Millisecond
	top, conns := crowd(8, pacing{slice: 4, wait: wait})
	start := time.Now()
	top.deliver(newFrame(1, []byte("{}"), frameEvent))
	waitQueued(t, conns, 1)
	if d := time.Since(start); d < wait {
		t.Fatalf("the second slice got it after %v, before the wait of %v was over", d, wait)
	}
}

// A topic of a slice of sockets or fewer gets an event at once, from the
// caller's goroutine.
func TestTopic_SmallTopicAtOnce(t *testing.T) {
	top, conns := crowd(4, pacing{slice: 4, wait: time.Minute})
	top.deliver(newFrame(1, []byte("{}"), frameEvent))
	if q := queued(conns); q[0]+q[1]+q[2]+q[3] != 4 {
		t.Fatalf("queued %v, want the event on every socket at once", q)
	}
	if top.fanning {
		t.Fatal("a fan-out goroutine started for a small topic")
	}
}

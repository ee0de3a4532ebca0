package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// The phones' votes leave from a process of their own (-vote-process, on
// by default): the tool starts itself again as the vote process and hands
// it each vote through a pipe.
//
// In the tool's process, a vote's answer was read by a goroutine queued in
// the Go scheduler behind the thousands of socket readers that the poll's
// opening had just woken there: against the server's answers measured on
// the wire (tcpdump on the loopback), the tool's ack p99 was 90–200 ms too
// long; from the vote process, 13–114 ms (BENCHMARKS.md, host H). Phones
// do not share a scheduler. The vote process holds only the votes'
// goroutines and gets its share of the cores from the kernel, like the
// server, Postgres and the sockets' process, so its figures are the
// server's and the machine's, not the tool's queue.

// voteProcessEnv, when set, makes agora-load the vote process.
const voteProcessEnv = "AGORA_LOAD_VOTE_PROCESS"

// voteOrder is one vote for the vote process to send.
type voteOrder struct {
	I      int    `json:"i"` // the phone
	URL    string `json:"url"`
	Body   string `json:"body"`
	Cookie string `json:"cookie"`
	Token  string `json:"token"`
}

// voteOutcome is what became of a vote, as the process that sent it saw
// it; times are wall clock, which both processes share.
type voteOutcome struct {
	I      int           `json:"i"`
	Acked  bool          `json:"acked"`
	SentAt time.Time     `json:"sent_at"`
	AckAt  time.Time     `json:"ack_at"`
	Parts  ackParts      `json:"parts"`
	Fails  []attemptFail `json:"fails,omitempty"`
}

// attemptFail is one failed attempt at a vote.
type attemptFail struct {
	Op     string `json:"op"`
	Status int    `json:"status,omitempty"`
	Err    string `json:"err,omitempty"`
}

// castVote sends a vote with send, retrying the same request (same
// idempotency key) after a network error, a 5xx or a 429, as
// participant.js does. fail gets every failed attempt.
func castVote(ctx context.Context, send func(*ackParts) (int, error), fail func(op string, status int, err error)) voteOutcome {
	out := voteOutcome{SentAt: time.Now()}
	for attempt := 1; ; attempt++ {
		var parts ackParts
		status, err := send(&parts)
		if err == nil && status == http.StatusOK {
			out.Acked, out.AckAt = true, time.Now()
			out.Parts = parts
			return out
		}
		op := "vote"
		retry := err != nil || status >= 500 || status == http.StatusTooManyRequests
		if retry && attempt < 4 && ctx.Err() == nil {
			op = "vote (retried)"
		}
		fail(op, status, err)
		if op == "vote" {
			return out
		}
		select {
		case <-ctx.Done():
			return out
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// voteProcess is the parent's end of the vote process.
type voteProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser

	mu      sync.Mutex
	enc     *json.Encoder
	pending map[int]bool // phones whose outcome has not come back

	done chan struct{} // closed when every outcome has been read
	cpu  time.Duration // the process's CPU, once it has ended
}

// startVoteProcess starts the vote process, hands it cfg, and returns once
// it has opened its connections to every node. onOutcome gets each vote's
// outcome, on one goroutine.
func startVoteProcess(cfg *Config, log io.Writer, onOutcome func(voteOutcome)) (*voteProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), voteProcessEnv+"=1")
	cmd.Stderr = log
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("vote process: %w", err)
	}
	v := &voteProcess{cmd: cmd, in: in, enc: json.NewEncoder(in), pending: map[int]bool{}, done: make(chan struct{})}
	out := bufio.NewScanner(outPipe)
	out.Buffer(make([]byte, 64<<10), 1<<20)
	if err := v.enc.Encode(cfg); err != nil || !out.Scan() || out.Text() != "ready" {
		in.Close()
		werr := cmd.Wait()
		return nil, fmt.Errorf("vote process did not start: %w", errors.Join(err, out.Err(), werr, errors.New("no ready line")))
	}
	go v.read(out, onOutcome)
	return v, nil
}

// read hands on the outcomes; when the process ends, the votes it never
// answered for fail.
func (v *voteProcess) read(out *bufio.Scanner, onOutcome func(voteOutcome)) {
	defer close(v.done)
	for out.Scan() {
		var o voteOutcome
		if err := json.Unmarshal(out.Bytes(), &o); err != nil {
			continue
		}
		v.mu.Lock()
		known := v.pending[o.I]
		delete(v.pending, o.I)
		v.mu.Unlock()
		if known {
			onOutcome(o)
		}
	}
	v.mu.Lock()
	lost := v.pending
	v.pending = map[int]bool{}
	v.mu.Unlock()
	for i := range lost {
		onOutcome(voteOutcome{I: i, Fails: []attemptFail{{Op: "vote", Err: "the vote process ended"}}})
	}
}

// send hands a vote to the process. The lock is held while writing, so
// the sweep of read, after the process's end, fails each vote once: either
// it sees the vote pending, or send has already returned its error.
func (v *voteProcess) send(o voteOrder) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pending[o.I] = true
	if err := v.enc.Encode(o); err != nil {
		delete(v.pending, o.I)
		return fmt.Errorf("vote process: %w", err)
	}
	return nil
}

// close lets the process finish the votes it has, waits for it, and keeps
// its CPU time. Once ctx is done (the run's time is up), it kills it: the
// votes still in flight fail.
func (v *voteProcess) close(ctx context.Context) error {
	v.in.Close()
	select {
	case <-v.done:
	case <-ctx.Done():
		v.cmd.Process.Kill()
		<-v.done
	}
	err := v.cmd.Wait()
	if st := v.cmd.ProcessState; st != nil {
		v.cpu = st.UserTime() + st.SystemTime()
	}
	return err
}

// runVoteProcess is the vote process: it reads its Config, opens its
// connections, says "ready", then sends every vote it reads and writes
// each outcome, until its input ends.
func runVoteProcess(stdin io.Reader, stdout, stderr io.Writer) int {
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "agora-load votes: open files: %v\n", err)
	}
	in := json.NewDecoder(bufio.NewReader(stdin))
	var cfg Config
	if err := in.Decode(&cfg); err != nil {
		fmt.Fprintf(stderr, "agora-load votes: config: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration)
	defer cancel()
	pool := newNetPool(&cfg)
	defer pool.close()
	var warmFailed atomic.Bool
	pool.warm(ctx, func(op string, status int, err error) error {
		if err != nil || status != http.StatusOK {
			warmFailed.Store(true) // reported below, once
		}
		return nil
	})
	if warmFailed.Load() {
		fmt.Fprintln(stderr, "agora-load votes: some connections could not be opened before the poll")
	}
	w := bufio.NewWriter(stdout)
	var wmu sync.Mutex
	put := func(line []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		w.Write(line)
		w.WriteByte('\n')
		return w.Flush()
	}
	if err := put([]byte("ready")); err != nil {
		return 1
	}
	var wg sync.WaitGroup
	for {
		var o voteOrder
		if err := in.Decode(&o); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(stderr, "agora-load votes: %v\n", err)
			}
			break
		}
		wg.Go(func() {
			var fails []attemptFail
			client := pool.httpClient(o.I)
			out := castVote(ctx, func(parts *ackParts) (int, error) {
				status, _, _, err := doRequest(ctx, client, http.MethodPost, o.URL, o.Body, o.Cookie, o.Token, parts)
				return status, err
			}, func(op string, status int, err error) {
				f := attemptFail{Op: op, Status: status}
				if err != nil {
					f.Err = err.Error()
				}
				fails = append(fails, f)
			})
			out.I, out.Fails = o.I, fails
			line, _ := json.Marshal(out)
			put(line)
		})
	}
	wg.Wait()
	return 0
}

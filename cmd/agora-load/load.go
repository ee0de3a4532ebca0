package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runner holds one run's state.
type runner struct {
	cfg  *Config
	ctx  context.Context
	log  io.Writer
	pool *netPool

	staff *staff
	ws    *workshop
	poll  *poll

	voter *voteProcess // sends the votes; nil: this process does

	parts   []*participant
	sockets []*socket // participants by index, then the screen and the facilitator; nil: not open
	screen  *socket

	round    atomic.Pointer[round]
	rounds   []*round
	messages atomic.Int64 // every message received by every socket
	votes    sync.WaitGroup
	stats    failures

	idle procSample // the servers before the first join

	tallyMu sync.Mutex
	tallies []screenTally // the projector's tally events, in order
}

// screenTally is a tally event seen by the projector.
type screenTally struct {
	at     time.Time
	voters int
	counts map[int]int
}

func (r *runner) logf(format string, a ...any) {
	if !r.cfg.Quiet {
		fmt.Fprintf(r.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, a...)...)
	}
}

// Run runs one load test against running servers. It returns the report
// even when the run stops early (then with Incomplete set) and an error
// when it could not run at all.
func Run(ctx context.Context, cfg *Config, log io.Writer) (*Report, error) {
	r := &runner{cfg: cfg, ctx: ctx, log: log, pool: newNetPool(cfg)}
	defer r.pool.close()
	rep := &Report{Label: cfg.Label, Started: time.Now(), URLs: cfg.Bases, Participants: cfg.Participants,
		VoteSpreadMS: ms(cfg.VoteSpread), VoteProcess: cfg.VoteProcess, Broadcasts: cfg.Broadcasts, ServerPIDs: cfg.ServerPIDs, FinalTallyMS: -1,
		SourceAddressesPerRun: r.pool.addresses(), HTTPConnectionsPerRun: cfg.HTTPConns, ParticipantsHideResults: cfg.HideResults,
		Readers: cfg.Readers, ReadEveryMS: ms(cfg.ReadEvery)}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if err := r.phases(ctx, rep); err != nil {
		rep.Incomplete = err.Error()
	}
	end := r.sampleAll(cfg.ServerPIDs)
	rep.RSSEndMiB, rep.ServerCPUTotalS = mib(end.RSS), round2(end.CPUSeconds-r.idle.CPUSeconds)
	r.closeSockets() // before finish reads what the sockets' readers wrote
	r.finish(rep)
	return rep, nil
}

// setup signs in, creates the consultation, the workshop and its poll,
// starts the workshop and opens the projector's and facilitator's sockets.
func (r *runner) setup(ctx context.Context) error {
	if err := r.pool.checkSourceAddrs(ctx); err != nil {
		return err
	}
	var err error
	if r.staff, err = signIn(ctx, r.cfg.Bases[0], r.cfg.AdminEmail, r.cfg.AdminPassword); err != nil {
		return err
	}
	cons := r.cfg.Consultation
	if cons == 0 {
		if cons, err = r.staff.createConsultation(ctx); err != nil {
			return err
		}
	}
	if r.ws, err = r.staff.createWorkshop(ctx, cons); err != nil {
		return err
	}
	if r.poll, err = r.staff.addPoll(ctx, r.ws.JoinCode, r.cfg.Options, r.cfg.HideResults); err != nil {
		return err
	}
	if _, err = r.staff.command(ctx, "/workshops/"+r.ws.JoinCode+"/start"); err != nil {
		return err
	}
	r.logf("workshop %s (id %d), poll %d with %d options", r.ws.JoinCode, r.ws.ID, r.poll.ID, len(r.poll.Options))
	n := r.cfg.Participants
	r.sockets = make([]*socket, n+2)
	screen, facilitator := r.nodeOf(n), r.nodeOf(n+1)
	r.screen, err = dialSocket(ctx, r.pool.wsClient(n), r.wsURL(screen, "screen", r.ws.ScreenToken), r.cfg.origin(screen), "", n, r.onScreenEvent)
	if err != nil {
		return fmt.Errorf("projector socket: %w", err)
	}
	r.sockets[n] = r.screen
	f, err := dialSocket(ctx, r.pool.wsClient(n+1), r.wsURL(facilitator, "facilitator", ""), r.cfg.origin(facilitator), r.staff.cookieHeader(), n+1,
		func(s *socket, ev event) { r.deliver(s, ev, nil) })
	if err != nil {
		return fmt.Errorf("facilitator socket: %w", err)
	}
	r.sockets[n+1] = f
	return nil
}

// onScreenEvent records the projector's tallies of the poll.
func (r *runner) onScreenEvent(s *socket, ev event) {
	r.deliver(s, ev, nil)
	if ev.Type != "tally" {
		return
	}
	var msg struct{ Data tally }
	if err := json.Unmarshal(ev.Msg, &msg); err != nil || msg.Data.ActivityID != r.poll.ID {
		return
	}
	r.tallyMu.Lock()
	r.tallies = append(r.tallies, screenTally{at: ev.At, voters: msg.Data.Voters, counts: msg.Data.counts()})
	r.tallyMu.Unlock()
}

// closeSockets closes every socket at once.
func (r *runner) closeSockets() {
	var wg sync.WaitGroup
	for _, s := range r.sockets {
		if s != nil {
			wg.Add(1)
			go func() { defer wg.Done(); s.close() }()
		}
	}
	wg.Wait()
}

// phases runs the workshop: joins, rest, the vote burst, the final tally,
// the store check and the broadcast window, filling rep as it goes.
func (r *runner) phases(ctx context.Context, rep *Report) error {
	pids := r.cfg.ServerPIDs
	idle := r.sampleAll(pids)
	r.idle = idle
	rep.RSSBaselineMiB = mib(idle.RSS)

	if err := r.joinAll(ctx, rep); err != nil {
		return err
	}
	joined := r.sampleAll(pids)
	rep.ServerCPUJoinS = joined.CPUSeconds - idle.CPUSeconds
	if r.cfg.VoteProcess {
		v, err := startVoteProcess(r.cfg, r.log, r.votedAway)
		if err != nil {
			return err
		}
		r.voter = v
		defer r.stopVoteProcess(ctx, rep)
		r.pool.close() // the joins' connections: the vote process has its own
	} else {
		r.pool.warm(ctx, r.check)
	}
	r.logf("%d joined in %.1f s; resting %v", rep.Joined, rep.JoinWallS, r.cfg.Rest)
	collectOwnGarbage()
	if err := sleep(ctx, r.cfg.Rest); err != nil {
		return err
	}
	rest := r.sampleAll(pids)
	rep.RSSRestMiB = mib(rest.RSS)
	if rep.Joined > 0 {
		rep.RSSPerParticipantKiB = round1(float64(rest.RSS) / 1024 / float64(rep.Joined))
		rep.RSSDeltaPerPartKiB = round1(float64(rest.RSS-idle.RSS) / 1024 / float64(rep.Joined))
	}

	if err := r.voteBurst(ctx, rep); err != nil {
		return err
	}
	voted := r.sampleAll(pids)
	rep.ServerCPUVoteS = voted.CPUSeconds - rest.CPUSeconds
	if err := r.finalTally(ctx, rep); err != nil {
		return err
	}
	if _, err := r.broadcast(ctx, "close", fmt.Sprintf("/activities/%d/close", r.poll.ID), 10*time.Second); err != nil {
		return err
	}
	if err := r.storeCheck(ctx, rep); err != nil {
		return err
	}
	return r.broadcastWindow(ctx, rep)
}

// collectOwnGarbage runs the tool's own collector before a measured
// window. Holding 10,000 sockets, a cycle marks for about 400 ms and takes
// a core's share from the readers: one falling in the poll's opening or
// the toggles delayed the deliveries the tool times, and made the server
// look slower than it was.
func collectOwnGarbage() { runtime.GC() }

// stopVoteProcess ends the vote process once its votes are answered, and
// counts its CPU as the tool's.
func (r *runner) stopVoteProcess(ctx context.Context, rep *Report) {
	if err := r.voter.close(ctx); err != nil {
		r.stats.fail("vote process", err)
	}
	rep.VoteProcessCPUS = round2(r.voter.cpu.Seconds())
}

// joinAll joins every participant, a few at a time.
func (r *runner) joinAll(ctx context.Context, rep *Report) error {
	n := r.cfg.Participants
	r.parts = make([]*participant, n)
	next := atomic.Int64{}
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < r.cfg.JoinConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				p := &participant{i: i, node: r.nodeOf(i)}
				if err := r.join(ctx, p); err == nil {
					r.parts[i], r.sockets[i] = p, p.sock
				}
				if done := i + 1; done%2000 == 0 {
					r.logf("%d joining…", done)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(t0)
	var times []time.Duration
	for _, p := range r.parts {
		if p != nil {
			times = append(times, p.joinTime)
		}
	}
	rep.Joined, rep.JoinWallS = len(times), round1(wall.Seconds())
	rep.JoinsPerSec = round1(float64(len(times)) / wall.Seconds())
	rep.Join = distOf(times)
	return ctx.Err()
}

// voteBurst opens the poll; every phone votes when it sees it open.
func (r *runner) voteBurst(ctx context.Context, rep *Report) error {
	for _, p := range r.parts {
		if p != nil {
			r.votes.Add(1)
		}
	}
	if r.cfg.Readers > 0 {
		readers := r.startReaders(ctx)
		defer readers.finish(rep)
	}
	rd, err := r.broadcast(ctx, "open", fmt.Sprintf("/activities/%d/open", r.poll.ID), 10*time.Second)
	// Phones that never saw the poll open do not vote.
	for _, p := range r.parts {
		if p != nil && p.claimed.CompareAndSwap(false, true) {
			r.votes.Done()
		}
	}
	if err != nil {
		return err
	}
	got, _ := latencies([]*round{rd}, r.sockets)
	rep.OpenDelivery, rep.OpenDeliveryByNode = distOf(got), r.byNode([]*round{rd})
	r.logf("poll open; votes coming within %v", r.cfg.VoteSpread)
	if err := waitGroup(ctx, &r.votes); err != nil {
		return err
	}
	var acks, waits, answers []time.Duration
	var first, last time.Time
	for _, p := range r.parts {
		if p == nil || p.sentAt.IsZero() {
			continue
		}
		rep.VotesSent++
		if first.IsZero() || p.sentAt.Before(first) {
			first = p.sentAt
		}
		if p.acked {
			rep.VotesAcked++
			acks = append(acks, p.ackLat)
			waits, answers = append(waits, p.ackParts.ConnWait), append(answers, p.ackParts.Answer)
			if p.ackAt.After(last) {
				last = p.ackAt
			}
		}
	}
	rep.Ack, rep.AckConnWait, rep.AckAnswer = distOf(acks), distOf(waits), distOf(answers)
	if r.cfg.AckLog != "" {
		if err := r.writeAckLog(first); err != nil {
			return err
		}
	}
	if !last.IsZero() {
		rep.VoteWindowMS = ms(last.Sub(first))
	}
	r.logf("%d votes acked of %d sent", rep.VotesAcked, rep.VotesSent)
	return nil
}

// writeAckLog writes one line per acknowledged vote: when it was sent, in
// ms after the first vote, how long its acknowledgement took, and that
// time's parts (ackParts), in ms.
// Plotted, it shows what the latency follows (a broadcast, a commit).
func (r *runner) writeAckLog(first time.Time) error {
	var b strings.Builder
	b.WriteString("sent_ms ack_ms conn_wait_ms answer_ms\n")
	for _, p := range r.parts {
		if p != nil && p.acked {
			fmt.Fprintf(&b, "%.1f %.1f %.1f %.1f\n", ms(p.sentAt.Sub(first)), ms(p.ackLat),
				ms(p.ackParts.ConnWait), ms(p.ackParts.Answer))
		}
	}
	return os.WriteFile(r.cfg.AckLog, []byte(b.String()), 0o644)
}

// expected returns the acked votes per option and the last ack's time.
func (r *runner) expected() (map[int]int, int, time.Time) {
	want := map[int]int{}
	var last time.Time
	n := 0
	for _, o := range r.poll.Options {
		want[o.ID] = 0
	}
	for _, p := range r.parts {
		if p != nil && p.acked {
			want[p.choice]++
			n++
			if p.ackAt.After(last) {
				last = p.ackAt
			}
		}
	}
	return want, n, last
}

// finalTally waits until the projector shows exactly the acked votes, and
// records how long after the last ack it did.
func (r *runner) finalTally(ctx context.Context, rep *Report) error {
	if r.cfg.HideResults {
		if _, err := r.staff.command(ctx, fmt.Sprintf("/activities/%d/reveal", r.poll.ID)); err != nil {
			return err
		}
	}
	want, n, last := r.expected()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.tallyMu.Lock()
		var at time.Time
		for _, t := range r.tallies {
			if t.voters == n && equalCounts(t.counts, want) {
				at = t.at
				break
			}
		}
		r.tallyMu.Unlock()
		if !at.IsZero() {
			rep.FinalTallyMS = max(0, ms(at.Sub(last)))
			return nil
		}
		if time.Now().After(deadline) {
			r.logf("the projector never showed the final tally (%d votes)", n)
			return nil
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}

func equalCounts(a, b map[int]int) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// storeCheck compares the acked votes with the results counted from the
// store.
func (r *runner) storeCheck(ctx context.Context, rep *Report) error {
	t, err := r.staff.results(ctx, r.poll.ID)
	if err != nil {
		return err
	}
	want, n, _ := r.expected()
	rep.VotesCounted = t.Voters
	rep.VotesLost = n - t.Voters
	rep.CountsMatch = equalCounts(t.counts(), want)
	return nil
}

// broadcastWindow toggles reveal/hide on the closed poll: room events
// only, no votes, so the server's CPU over the window is the cost of
// delivering them.
func (r *runner) broadcastWindow(ctx context.Context, rep *Report) error {
	collectOwnGarbage()
	// The phones' last tally of the burst goes out up to a second after
	// the last vote (the hub's phone interval), over a fraction of a
	// second more: with two nodes, its 10,000 messages fell in the window,
	// were counted with the toggles' and delayed them. A second and a
	// half without a message is longer than that interval.
	if err := r.untilQuiet(ctx, 1500*time.Millisecond, 10*time.Second); err != nil {
		return err
	}
	start := len(r.rounds)
	cpu0, msg0 := r.sampleAll(r.cfg.ServerPIDs), r.messages.Load()
	self0, _ := readProc(os.Getpid())
	for i := 0; i < r.cfg.Broadcasts; i++ {
		cmd := "reveal"
		if i%2 == 1 {
			cmd = "hide"
		}
		if _, err := r.broadcast(ctx, cmd, fmt.Sprintf("/activities/%d/%s", r.poll.ID, cmd), 10*time.Second); err != nil {
			return err
		}
	}
	cpu1, msg1 := r.sampleAll(r.cfg.ServerPIDs), r.messages.Load()
	self1, _ := readProc(os.Getpid())
	rep.BroadcastMessages = msg1 - msg0
	rep.BroadcastCPUS = round2(cpu1.CPUSeconds - cpu0.CPUSeconds)
	if rep.BroadcastMessages > 0 {
		rep.CPUPerMessageUS = round2((cpu1.CPUSeconds - cpu0.CPUSeconds) * 1e6 / float64(rep.BroadcastMessages))
		rep.LoadCPUPerMessageUS = round2((self1.CPUSeconds - self0.CPUSeconds) * 1e6 / float64(rep.BroadcastMessages))
	}
	got, _ := latencies(r.rounds[start:], r.sockets)
	rep.Delivery, rep.DeliveryByNode = distOf(got), r.byNode(r.rounds[start:])
	return nil
}

// finish fills what is known whatever happened: errors, CPU, checks and
// targets. The sockets are closed.
func (r *runner) finish(rep *Report) {
	_, rep.DeliveriesMissed = latencies(r.rounds, r.sockets)
	var acks []time.Duration
	for _, rd := range r.rounds {
		acks = append(acks, rd.ack)
	}
	rep.CommandAck = distOf(acks)
	if r.screen != nil {
		var screen []time.Duration
		for _, rd := range r.rounds {
			if v := rd.lat[r.screen.idx].Load(); v > 0 {
				screen = append(screen, time.Duration(v))
			}
		}
		rep.ScreenDelivery = distOf(screen)
	}
	rep.CloseCodes = map[string]int{}
	for _, s := range r.sockets {
		if s == nil {
			continue
		}
		rep.SeqGaps += s.gaps
		if s.err != nil {
			rep.SocketErrors++
			rep.CloseCodes[strconv.Itoa(int(s.closeStatus()))]++
		}
	}
	rep.SocketErrors += rep.Participants - rep.Joined
	rep.Failures = r.stats.snapshot()
	if self, err := readProc(os.Getpid()); err == nil {
		rep.LoadCPUS, rep.LoadRSSMiB = round2(self.CPUSeconds+rep.VoteProcessCPUS), mib(self.RSS)
	}
	rep.DurationS = round1(time.Since(rep.Started).Seconds())
	rep.Checks, rep.Targets = checks(rep), targets(rep)
}

func mib(b int64) float64      { return round1(float64(b) / (1 << 20)) }
func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitGroup waits for wg or the context.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("deadline before every vote was answered")
	}
}

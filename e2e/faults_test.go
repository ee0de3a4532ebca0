package e2e

import (
	"context"
	"fmt"
	"github.com/agora-civic/agora/internal/redistest"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/server"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// Fault scenarios, each ending with the ledger check: every vote a client
// was told is recorded is in the store once (one vote per participant,
// the last acknowledged one); every stored vote was acknowledged, or its
// client still held it and its retry (same idempotency key) succeeded
// once the fault ended; every connected projector, dashboard and phone
// shows the store's tally within 2 s of the fault's end (of its own
// reconnection, for a device that was cut off); no panic in any log.

// recovery is the budget for a connected screen to show the store's
// tally once the fault is over.
const recovery = 2 * time.Second

// TestFault_NodeKilled runs a poll on two nodes sharing Postgres and
// Redis: node A in process, with the projector and the dashboard; node B
// the agora binary, with three browser phones. Fifty API clients vote in
// a loop on both nodes. Node B is SIGKILLed in the middle of a burst of
// votes on it, then started again on the same port.
func TestFault_NodeKilled(t *testing.T) {
	requireChromium(t)
	dbURL := storetest.PostgresSchema(t)
	db := storetest.OpenURL(t, dbURL, true) // migrated; seeds and checks
	// The binary has no setting for the Redis key prefix ("agora:"), so
	// the nodes use a redis-server of this test rather than the shared one:
	// topics are named by workshop ID, which restarts at 1 in each schema.
	redisURL := redistest.Start(t).URL()
	bin := buildAgora(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	a := startFaultNode(t, "A", dbURL, redisURL, listenLoopback(t), nil)
	lnB := listenLoopback(t)
	addrB := lnB.Addr().String()
	lnB.Close()
	b := newProcNode(t, bin, addrB, map[string]string{"AGORA_DATABASE_URL": dbURL, "AGORA_REDIS_URL": redisURL,
		"AGORA_DATA_DIR": t.TempDir(), "AGORA_SHUTDOWN_TIMEOUT": "5s"})
	t.Logf("node B (agora binary, pid run 1) ready in %v", b.start().Round(time.Millisecond))
	t.Cleanup(func() { checkLogs(t, "node B", b.logs.String()) })

	fac, err := server.CreateAccount(ctx, db, facilitatorEmail, "Fatou Facilitatrice", facilitatorPassword, agora.RoleFacilitator)
	if err != nil {
		t.Fatal(err)
	}
	onA := seeder(t, a.base, db, fac)
	onB := onA.at(b.base)
	w, acts := onA.seedWorkshop("Atelier sur deux nœuds",
		pollActivity("Par où passe la piste ?", false, "Nord", "Sud", "Est", "Ouest"))
	poll := acts[0]
	opts := optionIDs(poll)
	onA.openNow(poll)

	dash := signInFacilitator(t, onA, w)
	dash.waitLive()
	proj := openProjector(t, onA, w)
	phones := []*browser{joinPhone(t, onB, w, "phoneB1", "Ana"), joinPhone(t, onB, w, "phoneB2", ""), joinPhone(t, onB, w, "phoneB3", "")}
	phoneChoice := []int{opts[0], opts[1], opts[2]}
	for i, p := range phones {
		p.waitLive()
		p.vote(phoneChoice[i])
		p.waitVoteRecorded(phoneChoice[i])
	}
	var inflightA, inflightB atomic.Int64
	var voters, votersB []*voter
	for i := range 50 {
		if i%2 == 0 {
			voters = append(voters, newVoter(ctx, t, fmt.Sprintf("apiA%02d", i), a.base, w, db, &inflightA))
		} else {
			v := newVoter(ctx, t, fmt.Sprintf("apiB%02d", i), b.base, w, db, &inflightB)
			voters, votersB = append(voters, v), append(votersB, v)
		}
	}
	waitCond(t, "every client's socket open", 10*time.Second, func() bool {
		for _, v := range voters {
			if live, _, _ := v.watch.state(); !live {
				return false
			}
		}
		return true
	})
	for _, p := range append([]*browser{proj, dash}, phones...) {
		p.recordLiveTimes()
	}

	// The clients vote in a loop on both nodes.
	stop := make(chan struct{})
	loopErrs := make(chan error, len(voters))
	var loops sync.WaitGroup
	for _, v := range voters {
		loops.Go(func() {
			if err := v.loop(ctx, stop, poll.ID, opts); err != nil {
				loopErrs <- err
			}
		})
	}
	acked := func() (n int) {
		for _, v := range voters {
			v.mu.Lock()
			for _, a := range v.attempts {
				if a.acked {
					n++
				}
			}
			v.mu.Unlock()
		}
		return n
	}
	waitCond(t, "60 votes acknowledged", 30*time.Second, func() bool { return acked() >= 60 })

	// A burst on node B, and SIGKILL while it is being served.
	for _, v := range votersB {
		select {
		case v.trigger <- struct{}{}:
		default:
		}
	}
	waitCond(t, "votes in flight on node B", 5*time.Second, func() bool { return inflightB.Load() >= 5 })
	inFlight := inflightB.Load()
	killAt := time.Now()
	b.kill()
	t.Logf("node B SIGKILLed with %d votes in flight on it (%d acknowledged so far in all)", inFlight, acked())

	for _, p := range phones {
		p.waitFor("the phone notices node B is gone", `window.__e2eLive.includes('offline')`, liveTimeout)
	}
	// Phone 3 changes its vote while node B is down: its page retries.
	phones[2].vote(opts[3])
	phones[2].waitFor("the phone retrying its vote", `(() => {
		const s = document.querySelector('form[data-command="vote"] [data-form-status]');
		return s && s.textContent.trim() !== '' && s.textContent.trim() === document.querySelector('[data-participant]').dataset.retrying.trim();
	})()`, liveTimeout)
	phoneChoice[2] = opts[3]
	// Which unacknowledged votes did node B commit before it died?
	pending, committed := 0, 0
	_, _, votes := storeTruth(t, db, poll)
	for _, v := range votersB {
		p := v.pending()
		if p == nil {
			continue
		}
		pending++
		for _, vt := range votes {
			if vt.ParticipantID != nil && *vt.ParticipantID == v.pid && fmt.Sprint(vt.Choices) == fmt.Sprint(p.choices) {
				if last := v.lastAcked(poll.ID); last == nil || vt.UpdatedAt.After(last.updatedAt) {
					committed++
				}
			}
		}
	}
	t.Logf("while node B is down: %d clients hold an unacknowledged vote, %d of which node B had committed", pending, committed)

	readyIn := b.start()
	readyAt := time.Now()
	t.Logf("node B restarted on %s: down %v (the new process ready in %v)", addrB, readyAt.Sub(killAt).Round(time.Millisecond), readyIn.Round(time.Millisecond))
	close(stop) // no new votes; the ones held are retried until acknowledged
	loops.Wait()
	close(loopErrs)
	for err := range loopErrs {
		t.Error(err)
	}
	phones[2].waitFor("the vote held by phone 3 recorded", fmt.Sprintf(`(() => {
		const f = document.querySelector('form[data-command="vote"]');
		const st = f && f.querySelector('[data-form-status]');
		const on = f && f.querySelector('input[name="choice"][value="%d"]');
		return st && on && on.checked && st.textContent.trim() === (st.dataset.done || '').trim();
	})()`, opts[3]), 30*time.Second)
	lastAck := time.Now() // phone 3's acknowledgement, seen by now
	for _, v := range voters {
		v.mu.Lock()
		for _, a := range v.attempts {
			if a.ackAt.After(lastAck) {
				lastAck = a.ackAt
			}
		}
		v.mu.Unlock()
	}
	t.Logf("every held vote acknowledged %v after node B was ready", lastAck.Sub(readyAt).Round(time.Millisecond))

	// The store is final: every screen must come to it, the phones once
	// they are connected again.
	checkRecovery(t, "after node B's restart", db, poll, readyAt, lastAck, proj, dash, phones, voters)
	for _, p := range phones {
		p.waitFor("the phone back live without reload", condReconnected, liveTimeout)
		p.waitFor("the phone showing the poll", fmt.Sprintf(`document.querySelector('[data-participant] [data-activity="%d"] form[data-command="vote"]')`, poll.ID), liveTimeout)
		t.Logf("%s live status: %s (live again %v after node B was ready)", p.name,
			eval[string](p, `window.__e2eLive.join(' → ')`), p.liveAgainAt().Sub(readyAt).Round(time.Millisecond))
	}
	browsers := map[int64][]int{}
	for i, p := range phones {
		browsers[participantID(t, p, db, w, b.base)] = []int{phoneChoice[i]}
	}
	for i, p := range phones {
		p.waitFor("the phone's own vote", fmt.Sprintf(`document.querySelector('form[data-command="vote"] input[name="choice"][value="%d"]').checked`, phoneChoice[i]), liveTimeout)
	}
	f := checkLedger(t, db, poll, voters, browsers)
	t.Logf("ledger after the kill: %d votes acknowledged (3 by browsers), %d stored (one per participant), %d retried with the same key, %d were in flight when node B died",
		f.acked, f.stored, f.retried, f.inFlightAtFault)

	// Both nodes go on: one more vote from every client, and the screens
	// of both nodes follow.
	var wg sync.WaitGroup
	errs := make(chan error, len(voters))
	for i, v := range voters {
		wg.Go(func() {
			if err := v.vote(ctx, poll.ID, []int{opts[i%len(opts)]}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkRecovery(t, "votes after the restart", db, poll, time.Now(), time.Now(), proj, dash, phones, voters)
	f = checkLedger(t, db, poll, voters, browsers)
	t.Logf("ledger at the end: %d acknowledged, %d stored, %d retried", f.acked, f.stored, f.retried)
	for _, p := range []*browser{proj, dash} {
		if eval[bool](p, `window.__e2eLive.includes('offline')`) {
			t.Errorf("%s on node A went offline: %s", p.name, eval[string](p, `window.__e2eLive.join(' → ')`))
		}
	}
	proj.screenshot("after-node-B-killed")
	phones[2].screenshot("after-node-B-killed")
	if err := b.term(); err != nil {
		t.Errorf("node B after SIGTERM: %v", err)
	}
}

// TestFault_PhoneOfflineThirtySeconds cuts one phone off the network for
// 30 s (5 s with -short or AGORA_FAULT_SHORT=1) while the facilitator
// moves to the next poll and the others vote in it. The phone goes
// through a TCP proxy: the cut drops its side of its connections (its
// WebSocket among them) and leaves the server's side open and silent, and
// Chromium's network emulation makes the phone offline (navigator.onLine,
// every new request failing). Emulation alone would not do: Chromium 156
// keeps an open WebSocket open, and delivering, when offline is emulated.
func TestFault_PhoneOfflineThirtySeconds(t *testing.T) {
	requireChromium(t)
	cut := 30 * time.Second
	if testing.Short() || os.Getenv("AGORA_FAULT_SHORT") != "" {
		cut = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "agora.db")
	m, err := store.Open(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Migrate(ctx, "up", io.Discard); err != nil {
		t.Fatal(err)
	}
	m.Close()
	ln := listenLoopback(t)
	proxy := startCutProxy(t, ln.Addr().String())
	n := startFaultNode(t, "room", dbURL, "", ln, []string{proxy.url()})
	fac, err := server.CreateAccount(ctx, n.db, facilitatorEmail, "Fatou Facilitatrice", facilitatorPassword, agora.RoleFacilitator)
	if err != nil {
		t.Fatal(err)
	}
	a := seeder(t, n.base, n.db, fac)
	w, acts := a.seedWorkshop("Atelier au Wi-Fi capricieux",
		pollActivity("Faut-il un marché le dimanche ?", false, "Oui", "Non", "Un sur deux"),
		pollActivity("À quelle heure ?", false, "Le matin", "À midi", "Le soir"))
	poll1, poll2 := acts[0], acts[1]
	opts1, opts2 := optionIDs(poll1), optionIDs(poll2)
	a.openNow(poll1)

	dash := signInFacilitator(t, a, w)
	dash.waitLive()
	proj := openProjector(t, a, w)
	phone := joinPhone(t, a.at(proxy.url()), w, "phone-cut", "Zoé")
	steady := joinPhone(t, a, w, "phone-steady", "")
	var inflight atomic.Int64
	var voters []*voter
	for i := range 10 {
		voters = append(voters, newVoter(ctx, t, fmt.Sprintf("api%02d", i), n.base, w, n.db, &inflight))
	}
	phone.waitLive()
	steady.waitLive()
	phone.vote(opts1[0])
	phone.waitVoteRecorded(opts1[0])
	steady.vote(opts1[1])
	steady.waitVoteRecorded(opts1[1])
	voteAll(ctx, t, voters, poll1, opts1, 1)
	phonePID, steadyPID := participantID(t, phone, n.db, w, proxy.url()), participantID(t, steady, n.db, w, n.base)

	for _, b := range []*browser{phone, steady, proj, dash} {
		b.recordLiveTimes()
	}
	sockets := n.hub.Stats().Sockets
	cutAt := time.Now()
	phone.setOffline(true)
	dropped := proxy.cutOff()
	d := phone.waitFor("the phone noticing the cut", `window.__e2eLive.includes('offline')`, liveTimeout)
	t.Logf("cut for %v: %d connections of the phone dropped on its side (server side left open), page offline after %v; server sockets %d",
		cut, dropped, d.Round(time.Millisecond), sockets)

	// Meanwhile the room moves on.
	dash.command(`[data-region="controls"]`, "next")
	dash.waitFor("poll 2 current on the dashboard", fmt.Sprintf(`document.querySelector('[data-current][data-activity-id="%d"][data-state="open"]')`, poll2.ID), liveTimeout)
	proj.waitFor("poll 2 on the projector", fmt.Sprintf(`document.querySelector('[data-screen][data-current-id="%d"]')`, poll2.ID), liveTimeout)
	steady.waitFor("poll 2 on the steady phone", fmt.Sprintf(`document.querySelector('[data-participant] [data-activity="%d"] form[data-command="vote"]')`, poll2.ID), liveTimeout)
	steady.vote(opts2[2])
	steady.waitVoteRecorded(opts2[2])
	voteAll(ctx, t, voters, poll2, opts2, 2) // and some change their mind
	if !eval[bool](phone, fmt.Sprintf(`!!document.querySelector('[data-participant] [data-activity="%d"]') && !document.querySelector('[data-participant] [data-activity="%d"]')`, poll1.ID, poll2.ID)) {
		t.Errorf("the cut phone saw the next poll while offline:\n%s", phone.describe())
	}
	if s := eval[string](phone, `document.querySelector('[data-live-status]').dataset.liveStatus`); s == "live" {
		t.Errorf("the cut phone says it is live")
	}
	time.Sleep(time.Until(cutAt.Add(cut))) // the cut itself: a deliberate wait
	t.Logf("after %v offline: server sockets %d (was %d: a dead phone's socket is closed by the server's ping after 25–35 s)",
		time.Since(cutAt).Round(time.Millisecond), n.hub.Stats().Sockets, sockets)

	proxy.restore()
	phone.setOffline(false)
	backAt := time.Now()
	// Every screen, the phone included, shows poll 2's tally from the store.
	checkRecovery(t, "after the cut", n.db, poll2, backAt, backAt, proj, dash, []*browser{phone, steady}, voters)
	phone.waitFor("the phone back live without reload", condReconnected, liveTimeout)
	phone.waitFor("the phone showing poll 2's form", fmt.Sprintf(`document.querySelector('[data-participant] [data-activity="%d"] form[data-command="vote"]')`, poll2.ID), liveTimeout)
	t.Logf("phone live again %v after the network came back (%s)", phone.liveAgainAt().Sub(backAt).Round(time.Millisecond),
		eval[string](phone, `window.__e2eLive.join(' → ')`))

	// Back to poll 1: the phone shows it, with its results; reopened, with
	// its own vote.
	dash.command(`[data-region="controls"]`, "previous")
	dash.waitFor("poll 1 current again", fmt.Sprintf(`document.querySelector('[data-current][data-activity-id="%d"]')`, poll1.ID), liveTimeout)
	_, counts1, _ := storeTruth(t, n.db, poll1)
	phone.waitFor("poll 1 and its results on the phone", fmt.Sprintf(`document.querySelector('[data-participant] [data-activity="%d"]') && `, poll1.ID)+condPhoneCounts(counts1), liveTimeout)
	dash.command("[data-current]", "open")
	d = phone.waitFor("the phone's own vote in poll 1", fmt.Sprintf(`document.querySelector('[data-participant] [data-activity="%d"] form[data-command="vote"] input[name="choice"][value="%d"]').checked`, poll1.ID, opts1[0]), liveTimeout)
	t.Logf("previous + reopen: the phone shows its own vote after %v", d.Round(time.Millisecond))
	checkRecovery(t, "poll 1 reopened", n.db, poll1, time.Now(), time.Now(), proj, dash, []*browser{phone, steady}, voters)

	f1 := checkLedger(t, n.db, poll1, voters, map[int64][]int{phonePID: {opts1[0]}, steadyPID: {opts1[1]}})
	f2 := checkLedger(t, n.db, poll2, voters, map[int64][]int{steadyPID: {opts2[2]}})
	t.Logf("ledger poll 1: %d acknowledged, %d stored, %d retried; poll 2: %d acknowledged, %d stored, %d retried",
		f1.acked, f1.stored, f1.retried, f2.acked, f2.stored, f2.retried)
	for _, b := range []*browser{steady, proj, dash} {
		if eval[bool](b, `window.__e2eLive.includes('offline')`) {
			t.Errorf("%s went offline: %s", b.name, eval[string](b, `window.__e2eLive.join(' → ')`))
		}
	}
	phone.screenshot("back-online-own-vote")
}

// voteAll has every voter vote rounds times in the activity, concurrently.
func voteAll(ctx context.Context, t *testing.T, voters []*voter, act *agora.Activity, opts []int, rounds int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(voters)*rounds)
	for i, v := range voters {
		wg.Go(func() {
			for k := range rounds {
				if err := v.vote(ctx, act.ID, []int{opts[(i+k)%len(opts)]}); err != nil {
					errs <- err
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

// checkRecovery waits until every screen shows the store's tally of act:
// the projector, the dashboard, the phones and the clients' sockets. Each
// must within recovery of the later of faultEnd, lastAck and the moment
// it was connected again. It logs when each did.
func checkRecovery(t *testing.T, what string, db *store.DB, act *agora.Activity, faultEnd, lastAck time.Time,
	proj, dash *browser, phones []*browser, voters []*voter) {
	t.Helper()
	key, counts, _ := storeTruth(t, db, act)
	ds := []display{
		pageDisplay(proj, condPollCounts("[data-screen]", act.ID, counts)),
		pageDisplay(dash, condPollCounts("[data-current]", act.ID, counts)),
	}
	for _, p := range phones {
		ds = append(ds, pageDisplay(p, fmt.Sprintf(`document.querySelector('[data-participant] [data-activity="%d"]') && `, act.ID)+condPhoneCounts(counts)))
	}
	for _, v := range voters {
		ds = append(ds, watcherDisplay(v.watch, act.ID, key))
	}
	from := faultEnd
	if lastAck.After(from) {
		from = lastAck
	}
	at := waitDisplays(t, what, from.Add(30*time.Second), ds)
	var worst time.Duration
	var worstName string
	for _, d := range ds {
		shown, ok := at[d.name]
		if !ok {
			continue
		}
		start := from
		for _, p := range append([]*browser{proj, dash}, phones...) {
			if p.name == d.name {
				if l := p.liveAgainAt(); l.After(start) {
					start = l
				}
			}
		}
		for _, v := range voters {
			if v.name == d.name {
				if _, _, l := v.watch.state(); l.After(start) {
					start = l
				}
			}
		}
		lag := shown.Sub(start)
		if lag > recovery {
			t.Errorf("%s: %s showed the store's tally %v after it could (over %v)", what, d.name, lag.Round(time.Millisecond), recovery)
		}
		if lag > worst {
			worst, worstName = lag, d.name
		}
	}
	var pages []string
	for _, p := range append([]*browser{proj, dash}, phones...) {
		if shown, ok := at[p.name]; ok {
			pages = append(pages, fmt.Sprintf("%s +%v", p.name, shown.Sub(faultEnd).Round(time.Millisecond)))
		}
	}
	t.Logf("%s: %d screens show the store's tally (%s), times after the fault ended: %s, everything by +%v; slowest %s, %v after it could",
		what, len(at), key, strings.Join(pages, ", "), latest(at).Sub(faultEnd).Round(time.Millisecond), worstName, worst.Round(time.Millisecond))
}

func latest(at map[string]time.Time) time.Time {
	var l time.Time
	for _, t := range at {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// waitCond polls cond until it holds, failing t after timeout.
func waitCond(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/agora-civic/agora"
)

// TestWorkshop_IdeaNewsSurvivesARedraw checks that a phone keeps the idea
// news that reaches it while it redraws. A redraw fetches the page and swaps
// it in; news that arrives between the server's rendering and the swap was
// lost before: an idea published as the ideas question came up never showed,
// and an idea withdrawn as the question closed came back.
func TestWorkshop_IdeaNewsSurvivesARedraw(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	w, acts := a.seedWorkshop("Atelier idées",
		pollActivity("Faut-il une fontaine ?", false, "Oui", "Non"),
		&agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées pour la place"})
	poll, ideas := acts[0], acts[1]
	a.openNow(poll)
	runItem := fmt.Sprintf(`[data-run-of-show] [data-activity-id="%d"]`, ideas.ID)

	dash := signInFacilitator(t, a, w)
	dash.waitLive()
	phone := joinPhone(t, a, w, "phone", "")
	phone.waitLive()
	phone.waitFor("the poll", `document.querySelector('form[data-command="vote"]')`, liveTimeout)
	frames := phone.socketFrames()
	phone.holdRedraws()

	// 1. The ideas question comes up; while the phone's fetch of it is
	// held, another participant publishes an idea.
	dash.command(runItem, "open")
	phone.waitFor("the ideas question rendered, held", heldSince(0, `data-command="idea"`), liveTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var inflight atomic.Int64
	author := newVoter(ctx, t, "author", a.baseURL, w, a.db, &inflight)
	const body = "Une fontaine à boire près des bancs"
	ideaID := postIdea(t, author, ideas, body)
	ideaSel := fmt.Sprintf(`[data-ideas] [data-idea="%d"]`, ideaID)
	frames.waitFor(t, `"type":"idea"`, body)
	if eval[bool](phone, heldSince(0, body)) {
		t.Fatal("the held page already has the idea: the test did not catch the redraw in time")
	}
	phone.releaseRedrawsUntil("the idea form", `!!document.querySelector('form[data-command="idea"]')`)
	phone.waitFor("the idea published during the redraw", `(() => {
		const el = document.querySelector(`+jsString(ideaSel+" [data-body]")+`);
		return el && el.textContent === `+jsString(body)+`;
	})()`, liveTimeout)

	// 2. The facilitator closes the question; while the phone's fetch of
	// the closed page (which has the idea) is held, the idea is hidden.
	before := eval[string](phone, `document.querySelector('[data-participant]').dataset.signature`)
	dash.waitFor("the idea on the dashboard", `document.querySelector('[data-region="ideas"] [data-idea-id="`+fmt.Sprint(ideaID)+`"]')`, liveTimeout)
	k := eval[int](phone, `window.__e2eHeld.length`)
	dash.command(fmt.Sprintf(`[data-current][data-activity-id="%d"][data-state="open"]`, ideas.ID), "close")
	phone.waitFor("the closed page rendered, held", heldSince(k, `closed-note`), liveTimeout)
	if !eval[bool](phone, heldSince(k, body)) {
		t.Fatal("the held page lacks the idea: nothing to withdraw")
	}
	dash.command(`[data-region="ideas"] [data-idea-id="`+fmt.Sprint(ideaID)+`"]`, "hide")
	frames.waitFor(t, `"type":"idea_removed"`, fmt.Sprintf(`"id":%d`, ideaID))
	phone.releaseRedrawsUntil("the closed page swapped in",
		`document.querySelector('[data-participant]').dataset.signature !== `+jsString(before))
	// Should the page's script take its time with the removal, it still
	// comes after the swap; without the replay, nothing ever removes it.
	phone.waitFor("the idea hidden during the redraw gone", `!document.querySelector(`+jsString(ideaSel)+`)`, liveTimeout)

	// 3. The question is reopened, and closed again while the phone's fetch
	// of the reopened page is held: once that page is in, the phone must
	// see it is behind the room and fetch again.
	current := fmt.Sprintf(`[data-current][data-activity-id="%d"]`, ideas.ID)
	k = eval[int](phone, `window.__e2eHeld.length`)
	dash.command(current+`[data-state="closed"]`, "open")
	phone.waitFor("the reopened page rendered, held", heldSince(k, `data-command="idea"`), liveTimeout)
	dash.command(current+`[data-state="open"]`, "close")
	dash.waitFor("the question closed again", `!!document.querySelector(`+jsString(current+`[data-state="closed"]`)+`)`, liveTimeout)
	time.Sleep(300 * time.Millisecond) // the state reaches the phone too
	phone.stopHoldingRedraws()
	phone.waitFor("the closed page", `!!document.querySelector('.closed-note')`, liveTimeout)
	if eval[bool](phone, `!!document.querySelector('form[data-command="idea"]')`) {
		t.Errorf("the phone shows the idea form of a closed question:\n%s", phone.describe())
	}
}

// TestWorkshop_TallySurvivesARedraw checks that the phone, the projector
// and the dashboard keep the last tally they heard when a redraw brings
// counts rendered before it: a tally goes out only when a count changes, so
// none would come to mend it.
func TestWorkshop_TallySurvivesARedraw(t *testing.T) {
	r := startHiddenPoll(t)
	a, w, poll, optA, optB, dash, proj := r.a, r.w, r.poll, r.optA, r.optB, r.dash, r.proj
	phone := joinPhone(t, a, w, "phone", "")
	phone.waitLive()
	phone.vote(optA)
	phone.waitVoteRecorded(optA)
	dash.waitFor("the first vote on the dashboard", condPollCounts("[data-current]", poll.ID, map[int]int{optA: 1, optB: 0}), liveTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var inflight atomic.Int64
	other := newVoter(ctx, t, "other", a.baseURL, w, a.db, &inflight)
	pages := []*browser{phone, proj, dash}
	frames := make([]*frameLog, len(pages))
	for i, b := range pages {
		frames[i] = b.socketFrames()
		b.holdRedraws()
	}

	// The results are revealed; while each page's fetch of the revealed
	// page (one vote) is held, a second vote comes in.
	dash.command(fmt.Sprintf(`[data-current][data-activity-id="%d"][data-state="open"]`, poll.ID), "reveal")
	for _, b := range pages {
		b.waitFor("the revealed page rendered, held", `window.__e2eHeld.some((text) => text !== null)`, liveTimeout)
	}
	if err := other.vote(ctx, poll.ID, []int{optB}); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		f.waitFor(t, `"type":"tally"`, `"voters":2`)
	}
	for _, b := range pages {
		b.stopHoldingRedraws()
	}
	both := map[int]int{optA: 1, optB: 1}
	phone.waitFor("both votes in the phone's results", condPhoneCounts(both), liveTimeout)
	proj.waitFor("both votes on the projector", condPollCounts("[data-screen]", poll.ID, both), liveTimeout)
	dash.waitFor("both votes on the dashboard", condPollCounts("[data-current]", poll.ID, both), liveTimeout)

	// Hidden again, a third vote that the phone and the projector do not
	// hear of, then revealed: the tally they kept (two votes) is older than
	// the page they fetch, and must not be applied over it.
	current := fmt.Sprintf(`[data-current][data-activity-id="%d"]`, poll.ID)
	dash.command(current+`[data-revealed="true"]`, "hide")
	phone.waitFor("the results hidden on the phone", `!document.querySelector('[data-results] [data-bar]')`, liveTimeout)
	proj.waitFor("the results hidden on the projector", `!!document.querySelector('[data-screen] [data-results-hidden]')`, liveTimeout)
	third := newVoter(ctx, t, "third", a.baseURL, w, a.db, &inflight)
	if err := third.vote(ctx, poll.ID, []int{optA}); err != nil {
		t.Fatal(err)
	}
	all := map[int]int{optA: 2, optB: 1}
	dash.waitFor("three votes on the dashboard", condPollCounts("[data-current]", poll.ID, all), liveTimeout)
	dash.command(current+`[data-revealed="false"]`, "reveal")
	phone.waitFor("three votes in the phone's results", condPhoneCounts(all), liveTimeout)
	proj.waitFor("three votes on the projector", condPollCounts("[data-screen]", poll.ID, all), liveTimeout)
}

// TestWorkshop_ScreensRedrawWithoutLosingNews checks that the projector and
// the dashboard never swap an older render in over a newer one, nor lose the
// tally they heard while they fetched. Each idea makes them fetch their page
// again; two ideas a moment apart put two fetches in flight, and the answers
// can come back in any order.
func TestWorkshop_ScreensRedrawWithoutLosingNews(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	w, acts := a.seedWorkshop("Atelier idées", &agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées pour la place"})
	ideas := acts[0]
	a.openNow(ideas)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := a.seed.RevealResults(ctx, a.facilitator, ideas.ID); err != nil {
		t.Fatal(err)
	}
	dash := signInFacilitator(t, a, w)
	dash.waitLive()
	proj := openProjector(t, a, w)
	var inflight atomic.Int64
	author := newVoter(ctx, t, "author", a.baseURL, w, a.db, &inflight)
	screens := []struct {
		b        *browser
		idea     string // selector of an idea by ID
		supports string // selector of an idea with data-supports
	}{
		{proj, `[data-screen] [data-idea-wall] [data-idea-id="%d"]`, `[data-screen] [data-idea-wall] [data-idea-id="%d"]`},
		{dash, `[data-region="ideas"] [data-idea-id="%d"]`, `[data-idea-ranking] [data-idea-id="%d"]`},
	}
	for _, s := range screens {
		s.b.holdRedraws()
	}
	heldWith := func(body string) string {
		return `window.__e2eHeld.some((text) => text !== null && text.includes(` + jsString(body) + `))`
	}

	const firstBody, secondBody = "Des arbres le long du quai", "Un abri pour les vélos"
	first := postIdea(t, author, ideas, firstBody)
	for _, s := range screens {
		s.b.waitFor("a render with the first idea, held", heldWith(firstBody), liveTimeout)
	}
	second := postIdea(t, author, ideas, secondBody)
	for _, s := range screens {
		s.b.waitFor("a render with the second idea, held", heldWith(secondBody), liveTimeout)
	}
	both := func(sel string) string {
		return fmt.Sprintf(`!!document.querySelector(%s) && !!document.querySelector(%s)`,
			jsString(fmt.Sprintf(sel, first)), jsString(fmt.Sprintf(sel, second)))
	}
	// The newer render first, then the older ones.
	for _, s := range screens {
		s.b.releaseRedraws(`text.includes(` + jsString(secondBody) + `)`)
		s.b.waitFor("both ideas", both(s.idea), liveTimeout)
		s.b.releaseRedraws(`true`)
	}
	time.Sleep(500 * time.Millisecond) // the older renders come back
	for _, s := range screens {
		if !eval[bool](s.b, both(s.idea)) {
			t.Errorf("%s: an older render undid the newer one, the second idea is gone:\n%s", s.b.name, s.b.describe())
		}
	}

	// A support of the first idea comes in while the screens fetch the
	// page for a third idea: the page they get has the support count
	// before it, the tally they heard has it.
	frames := []*frameLog{proj.socketFrames(), dash.socketFrames()}
	const thirdBody = "Une fontaine"
	third := postIdea(t, author, ideas, thirdBody)
	for _, s := range screens {
		s.b.waitFor("a render with the third idea, held", heldWith(thirdBody), liveTimeout)
	}
	supporter := newVoter(ctx, t, "supporter", a.baseURL, w, a.db, &inflight)
	if status, raw, err := supporter.post(fmt.Sprintf("/api/v1/ideas/%d/support", first), map[string]any{}); err != nil || status != 200 {
		t.Fatalf("support: %d %s %v", status, raw, err)
	}
	for _, f := range frames {
		f.waitFor(t, `"type":"tally"`, `"supports":1`)
	}
	for _, s := range screens {
		s.b.stopHoldingRedraws()
		s.b.waitFor("the third idea", `!!document.querySelector(`+jsString(fmt.Sprintf(s.idea, third))+`)`, liveTimeout)
		s.b.waitFor("the first idea's support", `(document.querySelector(`+jsString(fmt.Sprintf(s.supports, first))+`) || {dataset: {}}).dataset.supports === '1'`, liveTimeout)
	}
}

// postIdea publishes an idea as the voter, who joined the workshop, and
// returns its ID.
func postIdea(t *testing.T, v *voter, act *agora.Activity, body string) int64 {
	t.Helper()
	status, raw, err := v.post(fmt.Sprintf("/api/v1/activities/%d/ideas", act.ID),
		map[string]any{"body": body, "client_key": agora.NewSecret()})
	if err != nil || status != 200 {
		t.Fatalf("post idea: %d %s %v", status, raw, err)
	}
	var posted struct{ Idea struct{ ID int64 } }
	if err := json.Unmarshal([]byte(raw), &posted); err != nil || posted.Idea.ID == 0 {
		t.Fatalf("post idea: %s %v", raw, err)
	}
	return posted.Idea.ID
}

// holdRedraws makes the page's own HTML fetches (its redraws) wait, once
// the server has answered, until the test releases them. Each held body is
// kept in window.__e2eHeld, in the order the fetches began, so the test
// knows what the server rendered.
func (b *browser) holdRedraws() {
	b.t.Helper()
	eval[bool](b, `(() => {
		const real = window.fetch;
		window.__e2eHeld = [];
		window.__e2eGates = [];
		window.__e2eHolding = true;
		window.fetch = async (url, opts) => {
			if (!window.__e2eHolding || !opts || !opts.headers || opts.headers.Accept !== 'text/html') return real(url, opts);
			const i = window.__e2eHeld.length;
			const gate = Promise.withResolvers();
			window.__e2eHeld.push(null);
			window.__e2eGates.push(gate.resolve);
			const res = await real(url, opts);
			const text = await res.text();
			window.__e2eHeld[i] = text;
			await gate.promise;
			return new Response(text, { status: res.status, headers: res.headers });
		};
		return true;
	})()`)
}

// heldSince is a JavaScript condition: a fetch held from the k-th on has
// a body that holds needle.
func heldSince(k int, needle string) string {
	return fmt.Sprintf(`window.__e2eHeld.slice(%d).some((text) => text !== null && text.includes(%s))`, k, jsString(needle))
}

// releaseRedrawsUntil lets go every held fetch, and those held meanwhile
// (a redraw the page had scheduled before), until cond holds.
func (b *browser) releaseRedrawsUntil(what, cond string) {
	b.t.Helper()
	b.waitFor(what, `(window.__e2eHeld.forEach((text, i) => { if (text !== null) window.__e2eGates[i](); }), `+cond+`)`, liveTimeout)
}

// releaseRedraws lets go the held fetches whose body makes cond, a
// JavaScript expression of text, true.
func (b *browser) releaseRedraws(cond string) {
	b.t.Helper()
	eval[bool](b, `(() => {
		window.__e2eHeld.forEach((text, i) => { if (text !== null && (`+cond+`)) window.__e2eGates[i](); });
		return true;
	})()`)
}

// stopHoldingRedraws lets every held fetch go, and the next ones through.
func (b *browser) stopHoldingRedraws() {
	b.t.Helper()
	eval[bool](b, `(window.__e2eHolding = false, true)`)
	b.releaseRedraws(`true`)
}

// frameLog is the text of every WebSocket message the page received.
type frameLog struct {
	ch chan string
}

// socketFrames records, from now on, the WebSocket messages the page gets.
func (b *browser) socketFrames() *frameLog {
	l := &frameLog{ch: make(chan string, 256)}
	events := chromedp.Events(b.ctx, network.WebSocketFrameReceived)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if ev.Response != nil {
				select {
				case l.ch <- string(ev.Response.PayloadData):
				default:
				}
			}
		}
	}()
	return l
}

// waitFor waits for a message holding every one of parts, then a moment
// more so that the page's script has run on it.
func (l *frameLog) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	deadline := time.After(liveTimeout)
	for {
		select {
		case m := <-l.ch:
			all := true
			for _, p := range parts {
				all = all && strings.Contains(m, p)
			}
			if all {
				time.Sleep(200 * time.Millisecond)
				return
			}
		case <-deadline:
			t.Fatalf("no WebSocket message with %q within %s", parts, liveTimeout)
		}
	}
}

package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// This file holds the steps a person takes on a page (sign in, join,
// vote, click a dashboard command) and the JavaScript conditions the tests
// wait for. The conditions read the pages' data-* hooks only, never their
// translated text, so that they hold in French and in English.

// signInFacilitator opens the sign-in page with next=the dashboard, fills
// the real form and waits for the dashboard.
func signInFacilitator(t *testing.T, a *app, w *agora.Workshop) *browser {
	t.Helper()
	b := newLaptop(t, "dashboard")
	b.navigate(a.url("/signin?next=/facilitate/" + w.JoinCode))
	b.typeInto(`form[action="/signin"] input[name="email"]`, facilitatorEmail)
	b.typeInto(`form[action="/signin"] input[name="password"]`, facilitatorPassword)
	b.submitAndWait(`form[action="/signin"] button[type="submit"]`)
	b.waitFor("the dashboard", `document.querySelector('[data-dashboard][data-code=`+jsString(w.JoinCode)+`]')`, pageTimeout)
	return b
}

// joinPhone opens /j/{code} on a new phone, optionally types a nickname,
// taps Join and waits for the participant page.
func joinPhone(t *testing.T, a *app, w *agora.Workshop, name, nickname string) *browser {
	t.Helper()
	p := newPhone(t, name)
	p.navigate(a.url("/j/" + w.JoinCode))
	if nickname != "" {
		p.typeInto(`input[name="nickname"]`, nickname)
	}
	p.submitAndWait(`form[action$="/join"] button[type="submit"]`)
	p.waitFor("the participant page", `document.querySelector('[data-participant]')`, pageTimeout)
	return p
}

// openProjector loads the screen link and waits until its live
// connection is up.
func openProjector(t *testing.T, a *app, w *agora.Workshop) *browser {
	t.Helper()
	s := newProjector(t)
	s.navigate(a.url(screenPath(w)))
	s.waitFor("the projector", `document.querySelector('[data-screen]')`, pageTimeout)
	s.waitLive()
	return s
}

// waitLive waits until every live-status hook of the page says "live".
func (b *browser) waitLive() time.Duration {
	b.t.Helper()
	return b.waitFor("the live connection", condLive, liveTimeout)
}

const condLive = `(() => { const s = [...document.querySelectorAll('[data-live-status]')];
	return s.length > 0 && s.every(e => e.dataset.liveStatus === 'live'); })()`

// recordLiveStatus makes the page keep, in window.__e2eLive, every value
// its live-status hooks take from now on.
func (b *browser) recordLiveStatus() {
	b.t.Helper()
	eval[bool](b, `(() => {
		window.__e2eLive = [];
		new MutationObserver((ms) => {
			for (const m of ms) window.__e2eLive.push(m.target.dataset.liveStatus);
		}).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ['data-live-status'] });
		return true;
	})()`)
}

// condReconnected is true once a page recorded by recordLiveStatus has
// lost its connection and is live again.
const condReconnected = `window.__e2eLive && window.__e2eLive.includes('offline') && ` + condLive

// vote picks an option on a phone and sends the form; it does not wait
// for the outcome (the callers wait for what they assert).
func (b *browser) vote(optionID int) {
	b.t.Helper()
	b.click(fmt.Sprintf(`form[data-command="vote"] input[name="choice"][value="%d"]`, optionID))
	b.click(`form[data-command="vote"] button[type="submit"]`)
}

// waitVoteRecorded waits until the phone says its vote is recorded, with
// the selected option checked.
func (b *browser) waitVoteRecorded(optionID int) time.Duration {
	b.t.Helper()
	return b.waitFor(fmt.Sprintf("vote for option %d recorded", optionID), fmt.Sprintf(`(() => {
		const f = document.querySelector('form[data-command="vote"]');
		const st = f && f.querySelector('[data-form-status]');
		const on = f && f.querySelector('input[name="choice"][value="%d"]');
		return st && on && on.checked && st.textContent.trim() !== '' && st.textContent.trim() === (st.dataset.done || '').trim();
	})()`, optionID), liveTimeout)
}

// command clicks a dashboard button (data-command) inside scope, e.g. the
// current activity or an idea of the moderation queue.
func (b *browser) command(scope, cmd string) {
	b.t.Helper()
	b.click(scope + ` button[data-command="` + cmd + `"]`)
}

// condPollCounts is true when the results block of activity id under root
// shows exactly these counts per option (data-count) and this total
// (data-tally-total): the hooks shared by the dashboard and the projector.
func condPollCounts(root string, activityID int64, counts map[int]int) string {
	total := 0
	for _, n := range counts {
		total += n
	}
	want, _ := json.Marshal(stringKeys(counts))
	return fmt.Sprintf(`(() => {
		const r = document.querySelector(%s + ' [data-results][data-activity-id="%d"]');
		if (!r) return false;
		const want = %s;
		for (const [id, n] of Object.entries(want)) {
			const el = r.querySelector('[data-option-id="' + id + '"]');
			if (!el || el.dataset.count !== String(n)) return false;
		}
		const t = r.querySelector('[data-tally-total]');
		return !!t && t.textContent.trim() === '%d';
	})()`, jsString(root), activityID, want, total)
}

// condPhoneCounts is true when a phone's results show these counts. The
// phone's bars ([data-bar]) carry their figures as text ("2 votes · 67 %");
// a data-count attribute wins when the page has one.
func condPhoneCounts(counts map[int]int) string {
	want, _ := json.Marshal(stringKeys(counts))
	return fmt.Sprintf(`(() => {
		const r = document.querySelector('[data-results]');
		if (!r) return false;
		for (const [id, n] of Object.entries(%s)) {
			const el = r.querySelector('[data-bar="' + id + '"]');
			if (!el) return false;
			let c = el.dataset.count;
			if (c === undefined) {
				const f = el.querySelector('[data-figures]');
				const m = f && f.textContent.match(/\d+/);
				c = m ? m[0] : undefined;
			}
			if (c !== String(n)) return false;
		}
		return true;
	})()`, want)
}

// condNoCounts is true when a page shows no results: no results block, no
// bar, no per-option count.
const condNoCounts = `!document.querySelector('[data-results], [data-bar], [data-count], [data-figures], [data-option-id]')`

func stringKeys(m map[int]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[fmt.Sprint(k)] = v
	}
	return out
}

// optionIDs returns the stored IDs of a poll's options, in order.
func optionIDs(act *agora.Activity) []int {
	ids := make([]int, len(act.Options))
	for i, o := range act.Options {
		ids[i] = o.ID
	}
	return ids
}

// assertStoredVotes checks the store's votes per option.
func assertStoredVotes(t *testing.T, a *app, act *agora.Activity, want map[int]int) {
	t.Helper()
	got := a.votesByOption(act)
	if fmt.Sprint(sortedPairs(got)) != fmt.Sprint(sortedPairs(want)) {
		t.Errorf("stored votes of activity %d = %v, want %v", act.ID, got, want)
	}
}

func sortedPairs(m map[int]int) []string {
	var out []string
	for k, v := range m {
		if v != 0 {
			out = append(out, fmt.Sprintf("%d:%d", k, v))
		}
	}
	sort.Strings(out)
	return out
}

// waitStoredVotes waits until the store has n votes for the activity: the
// point where a vote is acknowledged, from which live latency is measured.
func waitStoredVotes(t *testing.T, a *app, act *agora.Activity, n int) time.Time {
	t.Helper()
	deadline := time.Now().Add(liveTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		vs, err := a.db.ListVotes(t.Context(), act.ID)
		if err == nil && len(vs) == n {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("store has %d votes for activity %d, want %d (err %v)", len(vs), act.ID, n, err)
		}
		<-tick.C
	}
}

// imgCount counts img elements other than the join QR code: an injected
// <img> would be one of them.
func imgCount(b *browser) int {
	return eval[int](b, `document.querySelectorAll('img:not(.qr)').length`)
}

// quoteCSS quotes a value for a CSS attribute selector.
func quoteCSS(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

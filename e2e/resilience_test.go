package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWorkshop_NoJavaScriptVote checks that a phone with JavaScript
// disabled can join and vote with the plain forms.
func TestWorkshop_NoJavaScriptVote(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	w, acts := a.seedWorkshop("Atelier sans script",
		pollActivity("Faut-il piétonniser la rue ?", false, "Oui", "Non"))
	poll := acts[0]
	optYes := optionIDs(poll)[0]
	a.openNow(poll)

	p := newPhone(t, "phone-nojs")
	p.disableJavaScript()
	p.navigate(a.url("/j/" + w.JoinCode))
	// Without JavaScript the test reads the page through the DOM domain
	// only (chromedp's queries), not by evaluating script in it.
	p.submitAndWait(`form[action$="/join"] button[type="submit"]`)
	p.do("the vote form", chromedp.WaitReady(chromedp.CSS(`form[data-command="vote"]`)))
	p.do("pick an option", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="choice"][value="%d"]`, optYes))))
	p.submitAndWait(`form[data-command="vote"] button[type="submit"]`)

	assertStoredVotes(t, a, poll, map[int]int{optYes: 1})
	// The page it lands on says so, with the choice still checked.
	ctx, cancel := contextTimeout(p, pageTimeout)
	defer cancel()
	checked, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(fmt.Sprintf(`input[name="choice"][value="%d"][checked]`, optYes)), chromedp.AtLeast(0)))
	if err != nil || len(checked) != 1 {
		t.Errorf("after the vote, option %d is not checked in the page (%d nodes, %v):\n%s", optYes, len(checked), err, p.describe())
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`form[data-command="vote"] [data-form-status]`)))
	if err != nil || status == "" {
		t.Errorf("after the vote, no confirmation in the page (%q, %v):\n%s", status, err, p.describe())
	}
	// And no script ran: live.js would have set the live status.
	live, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-participant] [data-live-status]`), "data-live-status"))
	if err != nil || live.Value != "" {
		t.Errorf("the live status is %q (%v): JavaScript ran in a phone where it is disabled", live.Value, err)
	}
	p.screenshot("voted-without-js")
}

// TestWorkshop_RestartKeepsEverything restarts the server in the middle
// of a poll: the pages reconnect by themselves and show the same state,
// and votes go on counting.
func TestWorkshop_RestartKeepsEverything(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	w, acts := a.seedWorkshop("Atelier qui redémarre",
		pollActivity("Quel horaire pour le marché ?", false, "Le matin", "Le soir"))
	poll := acts[0]
	optA, optB := optionIDs(poll)[0], optionIDs(poll)[1]
	a.openNow(poll)

	proj := openProjector(t, a, w)
	phones := []*browser{joinPhone(t, a, w, "phone1", "Louis"), joinPhone(t, a, w, "phone2", "")}
	choices := []int{optA, optB}
	for i, p := range phones {
		p.waitLive()
		p.vote(choices[i])
		p.waitVoteRecorded(choices[i])
	}
	before := map[int]int{optA: 1, optB: 1}
	proj.waitFor("2 votes before the restart", condPollCounts("[data-screen]", poll.ID, before), liveTimeout)

	// Record every live-status change from now on. The record lives in the
	// page's window, so it also proves the pages were not reloaded.
	pages := append([]*browser{proj}, phones...)
	for _, b := range pages {
		b.recordLiveStatus()
	}
	start := time.Now()
	a.restart()
	t.Logf("server restarted in %v", time.Since(start).Round(time.Millisecond))

	// Each page notices by itself (the hub closed its socket with 1001),
	// goes offline and comes back live, without a reload.
	for _, b := range pages {
		b.waitFor("the live connection lost then back after the restart", condReconnected, liveTimeout)
	}
	logLatency(t, "restart begins → all pages live again", time.Since(start))
	for _, b := range pages {
		t.Logf("%s live status after the restart: %s", b.name, eval[string](b, `(window.__e2eLive || []).join(' → ')`))
	}
	proj.waitFor("the same poll and counts after the restart", fmt.Sprintf(`document.querySelector('[data-screen][data-current-id="%d"]')`, poll.ID)+
		" && "+condPollCounts("[data-screen]", poll.ID, before), liveTimeout)
	for i, p := range phones {
		p.waitFor("the phone's own vote still selected", fmt.Sprintf(`(() => {
			const on = document.querySelector('form[data-command="vote"] input[name="choice"][value="%d"]');
			return on && on.checked;
		})()`, choices[i]), liveTimeout)
	}
	for _, p := range phones {
		p.waitFor("the same counts on the phone after the restart", condPhoneCounts(before), liveTimeout)
	}
	// The live DOM kept the checked radio anyway; a fresh load shows that
	// the new server knows the device (cookie) and its vote (store).
	phones[0].navigate(a.url("/j/" + w.JoinCode))
	phones[0].waitFor("the reloaded phone's own vote", fmt.Sprintf(`(() => {
		const on = document.querySelector('[data-participant] form[data-command="vote"] input[name="choice"][value="%d"]');
		return on && on.checked;
	})()`, choices[0]), pageTimeout)
	proj.screenshot("after-restart")

	// A vote after the restart counts, on the projector and in the store.
	t0 := time.Now()
	phones[1].vote(optA)
	after := map[int]int{optA: 2, optB: 0}
	proj.waitFor("the vote after the restart on the projector", condPollCounts("[data-screen]", poll.ID, after), liveTimeout)
	logLatency(t, "vote after restart → projector", time.Since(t0))
	phones[1].waitVoteRecorded(optA)
	late := joinPhone(t, a, w, "phone3", "")
	late.vote(optB)
	late.waitVoteRecorded(optB)
	after = map[int]int{optA: 2, optB: 1}
	proj.waitFor("a new participant's vote after the restart", condPollCounts("[data-screen]", poll.ID, after), liveTimeout)
	assertStoredVotes(t, a, poll, after)
	phones[1].screenshot("after-restart")
}

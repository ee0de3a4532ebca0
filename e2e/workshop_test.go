package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// TestWorkshop_PollLive runs a poll as in a room: the facilitator signs in
// and opens the poll from the dashboard, three phones join and vote, and
// the projector follows live; then a phone changes its vote.
func TestWorkshop_PollLive(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testPollLive(t, backend) })
	}
}

func testPollLive(t *testing.T, backend string) {
	requireChromium(t)
	a := startApp(t, backend)
	w, acts := a.seedWorkshop("Atelier du marché",
		pollActivity("Que faut-il d'abord sur la place ?", false, "Des arbres", "Des bancs"))
	poll := acts[0]
	optA, optB := optionIDs(poll)[0], optionIDs(poll)[1]

	dash := signInFacilitator(t, a, w)
	dash.waitLive()
	proj := openProjector(t, a, w)
	proj.waitFor("the join QR code on the projector", `(() => {
		const qr = document.querySelector('[data-screen] img.qr');
		return qr && qr.complete && qr.naturalWidth > 0;
	})()`, pageTimeout)

	// Open the poll with the dashboard's own button in the run of show.
	runItem := fmt.Sprintf(`[data-run-of-show] [data-activity-id="%d"]`, poll.ID)
	start := time.Now()
	dash.command(runItem, "open")
	dash.waitFor("the poll open on the dashboard",
		fmt.Sprintf(`document.querySelector('[data-current][data-activity-id="%d"][data-state="open"]')`, poll.ID), liveTimeout)
	proj.waitFor("the poll on the projector",
		fmt.Sprintf(`document.querySelector('[data-screen][data-current-id="%d"] [data-results][data-activity-id="%d"]')`, poll.ID, poll.ID), liveTimeout)
	logLatency(t, "open click → projector", time.Since(start))

	phones := []*browser{
		joinPhone(t, a, w, "phone1", "Camille"),
		joinPhone(t, a, w, "phone2", ""),
		joinPhone(t, a, w, "phone3", ""),
	}
	if nick := eval[string](phones[0], `(document.querySelector('.nickname') || {}).textContent || ''`); nick != "Camille" {
		t.Errorf("phone1 shows nickname %q, want Camille", nick)
	}
	const threeHere = `(document.querySelector('[data-participant-count]') || {}).textContent === '3'`
	proj.waitFor("3 participants on the projector", threeHere, liveTimeout)
	dash.waitFor("3 participants on the dashboard", threeHere, liveTimeout)

	choices := []int{optA, optA, optB}
	var lastTap time.Time
	for i, p := range phones {
		p.waitFor("the vote form", `document.querySelector('form[data-command="vote"]')`, liveTimeout)
		lastTap = time.Now()
		p.vote(choices[i])
	}
	acked := waitStoredVotes(t, a, poll, 3)
	want := map[int]int{optA: 2, optB: 1}
	proj.waitFor("3 votes split 2/1 on the projector", condPollCounts("[data-screen]", poll.ID, want), liveTimeout)
	logLatency(t, "last vote stored → projector shows 3 votes", time.Since(acked))
	logLatency(t, "last vote tap → projector shows 3 votes", time.Since(lastTap))
	dash.waitFor("3 votes on the dashboard", condPollCounts("[data-current]", poll.ID, want), liveTimeout)
	for i, p := range phones {
		p.waitVoteRecorded(choices[i])
		p.waitFor("the live results on the phone", condPhoneCounts(want), liveTimeout)
	}
	assertStoredVotes(t, a, poll, want)

	phones[0].screenshot("voted")
	dash.screenshot("3-votes")
	proj.screenshot("3-votes")

	// Phone 3 changes its mind: the vote is replaced, never counted twice.
	start = time.Now()
	phones[2].vote(optA)
	want = map[int]int{optA: 3, optB: 0}
	proj.waitFor("the changed vote on the projector", condPollCounts("[data-screen]", poll.ID, want), liveTimeout)
	logLatency(t, "changed vote click → projector", time.Since(start))
	phones[2].waitVoteRecorded(optA)
	dash.waitFor("the changed vote on the dashboard", condPollCounts("[data-current]", poll.ID, want), liveTimeout)
	assertStoredVotes(t, a, poll, want)

	phones[2].screenshot("changed-vote")
	proj.screenshot("changed-vote")
}

// TestWorkshop_HiddenResultsUntilReveal checks that a poll with hidden
// results shows no count to the room until the facilitator reveals them.
func TestWorkshop_HiddenResultsUntilReveal(t *testing.T) {
	r := startHiddenPoll(t)
	a, w, poll, optA, optB, dash, proj := r.a, r.w, r.poll, r.optA, r.optB, r.dash, r.proj
	phones := []*browser{joinPhone(t, a, w, "phone1", ""), joinPhone(t, a, w, "phone2", "")}
	for _, p := range phones {
		p.waitLive()
	}

	phones[0].vote(optA)
	phones[1].vote(optB)
	waitStoredVotes(t, a, poll, 2)
	for i, p := range phones {
		p.waitVoteRecorded([]int{optA, optB}[i])
	}
	// The dashboard always sees the results: once it shows both votes, the
	// room has been sent whatever it was going to be sent for them.
	dash.waitFor("2 votes on the dashboard", condPollCounts("[data-current]", poll.ID, map[int]int{optA: 1, optB: 1}), liveTimeout)
	for _, b := range append([]*browser{proj}, phones...) {
		if !eval[bool](b, condNoCounts) {
			t.Errorf("%s shows results before the reveal:\n%s", b.name, b.describe())
		}
	}
	// The projector says how many answered, live, never how they split;
	// a fresh load shows the same count.
	const answers = `(document.querySelector('[data-results-hidden] [data-answer-count]') || {}).textContent`
	proj.waitFor("2 answers on the projector while hidden", answers+` === "2"`, liveTimeout)
	proj.navigate(a.url(screenPath(w)))
	proj.waitLive()
	if n := eval[string](proj, answers); n != "2" {
		t.Errorf("the reloaded projector says %q answers, want 2", n)
	}
	if !eval[bool](proj, condNoCounts) {
		t.Errorf("the reloaded projector shows results before the reveal:\n%s", proj.describe())
	}
	proj.screenshot("hidden")
	phones[0].screenshot("hidden")

	start := time.Now()
	dash.command("[data-current]", "reveal")
	want := map[int]int{optA: 1, optB: 1}
	d := proj.waitFor("results on the projector after the reveal", condPollCounts("[data-screen]", poll.ID, want), liveTimeout)
	logLatency(t, "reveal click → projector", d)
	for _, p := range phones {
		p.waitFor("results on the phone after the reveal", condPhoneCounts(want), liveTimeout)
	}
	logLatency(t, "reveal click → both phones", time.Since(start))
	proj.screenshot("revealed")
	phones[0].screenshot("revealed")
	dash.screenshot("revealed")
}

// hiddenPoll is a workshop whose one poll, with hidden results, is open,
// with its dashboard and projector live.
type hiddenPoll struct {
	a          *app
	w          *agora.Workshop
	poll       *agora.Activity
	optA, optB int
	dash, proj *browser
}

func startHiddenPoll(t *testing.T) *hiddenPoll {
	t.Helper()
	requireChromium(t)
	a := startApp(t, "sqlite")
	w, acts := a.seedWorkshop("Atelier budget",
		pollActivity("Quel projet financer ?", true, "La piste cyclable", "Le jardin partagé"))
	poll := acts[0]
	a.openNow(poll)
	r := &hiddenPoll{a: a, w: w, poll: poll, optA: optionIDs(poll)[0], optB: optionIDs(poll)[1]}
	r.dash = signInFacilitator(t, a, w)
	r.dash.waitLive()
	r.proj = openProjector(t, a, w)
	return r
}

// xssIdea is an idea that would run script if a page put it in as HTML.
const xssIdea = `<img src=x onerror=alert(1)>`

// TestWorkshop_PremoderatedIdea checks that a premoderated idea reaches
// only the moderation queue, as text, and the projector once approved.
func TestWorkshop_PremoderatedIdea(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	w, acts := a.seedWorkshop("Atelier idées", &agora.Activity{Kind: agora.KindIdeas,
		Prompt: "Vos idées pour la place", Settings: agora.ActivitySettings{Premoderation: true}})
	ideas := acts[0]
	a.openNow(ideas)

	dash := signInFacilitator(t, a, w)
	dash.waitLive()
	proj := openProjector(t, a, w)
	phone := joinPhone(t, a, w, "phone", "")
	phone.waitLive()

	phone.typeInto(`form[data-command="idea"] textarea[name="body"]`, xssIdea)
	phone.click(`form[data-command="idea"] button[type="submit"]`)

	// The queue shows the idea as text: same characters, no element made.
	d := dash.waitFor("the idea in the moderation queue", `[...document.querySelectorAll('[data-region="ideas"] [data-idea-id][data-status="pending"] .idea-body')]
		.some(e => e.textContent === `+jsString(xssIdea)+`)`, liveTimeout)
	logLatency(t, "idea sent → moderation queue", d)
	if n := imgCount(dash); n != 0 {
		t.Errorf("dashboard has %d img elements: the idea was inserted as HTML", n)
	}
	ideaID := eval[string](dash, `[...document.querySelectorAll('[data-region="ideas"] [data-idea-id]')]
		.find(e => e.querySelector('.idea-body').textContent === `+jsString(xssIdea)+`).dataset.ideaId`)

	// Not on the projector, live or freshly loaded.
	if eval[bool](proj, `!!document.querySelector('[data-screen] [data-idea-id]')`) {
		t.Errorf("the projector shows an unmoderated idea:\n%s", proj.describe())
	}
	proj.navigate(a.url(screenPath(w)))
	proj.waitLive()
	if eval[bool](proj, `!!document.querySelector('[data-screen] [data-idea-id]')`) {
		t.Errorf("the reloaded projector shows an unmoderated idea:\n%s", proj.describe())
	}
	dash.screenshot("pending-idea")

	start := time.Now()
	dash.command(`[data-region="ideas"] [data-idea-id=`+quoteCSS(ideaID)+`]`, "approve")
	proj.waitFor("the approved idea on the projector", `(() => {
		const el = document.querySelector('[data-screen] [data-idea-id=`+quoteCSS(ideaID)+`] .wall-body');
		return el && el.textContent === `+jsString(xssIdea)+`;
	})()`, liveTimeout)
	logLatency(t, "approve click → projector", time.Since(start))
	phone.waitFor("the approved idea on the phone", `(() => {
		const el = document.querySelector('[data-ideas] [data-idea=`+quoteCSS(ideaID)+`] [data-body]');
		return el && el.textContent === `+jsString(xssIdea)+`;
	})()`, liveTimeout)
	for _, b := range []*browser{proj, dash, phone} {
		if n := imgCount(b); n != 0 {
			t.Errorf("%s has %d img elements besides the QR code: the idea was inserted as HTML", b.name, n)
		}
	}
	proj.screenshot("approved-idea")
	phone.screenshot("approved-idea")
}

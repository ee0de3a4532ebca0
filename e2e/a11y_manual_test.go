package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The checks of docs/accessibility.md that a machine can help with but axe
// does not make: keyboard order and focus, the accessibility tree of the
// phone and the projector, live announcements, reduced motion, text at
// 200 %. Each logs what it found, for the document, and fails on the
// properties the document promises.

// focusStep describes document.activeElement and whether its focus shows.
const focusStep = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return 'BODY';
	const cs = getComputedStyle(e);
	const shown = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
	const label = (e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent) || e.textContent || e.value || '').trim().replace(/\s+/g, ' ').slice(0, 40);
	const what = e.tagName.toLowerCase() + (e.type && e.tagName !== 'BUTTON' ? '[' + e.type + ']' : '') + (e.id ? '#' + e.id : '');
	return what + ' "' + label + '"' + (shown ? '' : ' NO-VISIBLE-FOCUS');
})()`

// tabOrder presses Tab from the top of the page until focus comes back to
// the start (or the body), and returns the elements in the order reached.
func tabOrder(b *browser, max int) []string {
	b.t.Helper()
	eval[bool](b, `(document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true)`)
	var order []string
	for i := 0; i < max; i++ {
		b.do("Tab", chromedp.KeyEvent("\t"))
		s := eval[string](b, focusStep)
		if s == "BODY" || (len(order) > 0 && s == order[0]) {
			return order
		}
		order = append(order, s)
	}
	b.t.Errorf("%s: focus did not leave the page or come back to its start after %d Tab presses: a keyboard trap?\n%s", b.name, max, strings.Join(order, "\n"))
	return order
}

func checkFocusOrder(t *testing.T, b *browser, order []string) {
	t.Helper()
	t.Logf("%s: Tab order (%d stops):\n  %s", b.name, len(order), strings.Join(order, "\n  "))
	for _, s := range order {
		if strings.HasSuffix(s, "NO-VISIBLE-FOCUS") {
			t.Errorf("%s: focus is not visible on %s", b.name, s)
		}
	}
}

// axTree lists the named, non-ignored nodes of the page's accessibility
// tree as "role: name", as a screen reader would meet them.
func axTree(b *browser) []string {
	b.t.Helper()
	ctx, cancel := contextTimeout(b, pageTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		b.t.Fatalf("%s: accessibility tree: %v", b.name, err)
	}
	var out []string
	for _, n := range res.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := strings.Trim(string(n.Role.Value), `"`)
		name := ""
		if n.Name != nil {
			name = strings.Trim(string(n.Name.Value), `"`)
		}
		var props []string
		for _, p := range n.Properties {
			switch p.Name {
			case "live", "checked", "required", "level", "pressed", "hidden":
				props = append(props, fmt.Sprintf("%s=%s", p.Name, strings.Trim(string(p.Value.Value), `"`)))
			}
		}
		if role == "none" || role == "generic" || role == "InlineTextBox" || role == "StaticText" || role == "LineBreak" {
			if len(props) == 0 {
				continue
			}
		}
		line := role
		if name != "" {
			line += ": " + name
		}
		if len(props) > 0 {
			line += " (" + strings.Join(props, ", ") + ")"
		}
		out = append(out, line)
	}
	return out
}

func TestA11y_KeyboardTreeAndMotion(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	s := a.seedA11y()
	code := s.workshop.JoinCode
	a.openNow(s.poll)

	dash := signInFacilitator(t, a, s.workshop)
	dash.waitLive()
	phone := joinPhone(t, a, s.workshop, "phone", "Camille")
	phone.waitLive()
	other := joinPhone(t, a, s.workshop, "other-phone", "")
	other.waitLive()
	proj := openProjector(t, a, s.workshop)

	// Keyboard: the participant's whole page, then a vote with keys only.
	checkFocusOrder(t, phone, tabOrder(phone, 40))
	eval[bool](phone, `(document.activeElement && document.activeElement.blur(), true)`)
	phone.do("focus the first answer", chromedp.Focus(chromedp.CSS(`form[data-command="vote"] input[name="choice"]`), chromedp.NodeVisible))
	phone.do("choose with the arrow keys, send with Enter", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	second := optionIDs(s.poll)[1]
	phone.waitVoteRecorded(second)
	t.Logf("phone: a vote for option 2 made with ↓ and Enter only was recorded")

	checkFocusOrder(t, dash, tabOrder(dash, 120))

	// The accessibility tree of the phone and the projector.
	tree := axTree(phone)
	t.Logf("phone: accessibility tree (named nodes):\n  %s", strings.Join(tree, "\n  "))
	treeHas(t, "phone", tree, "group: "+s.poll.Prompt, "heading: "+s.poll.Prompt, "live=polite", "button: ")
	tree = axTree(proj)
	t.Logf("projector: accessibility tree (named nodes):\n  %s", strings.Join(tree, "\n  "))
	treeHas(t, "projector", tree, "image: ", "heading: "+s.poll.Prompt, "live=polite")

	// Live announcements: tallies change on the phone but nothing is said;
	// a new question is said once.
	dash.command("[data-current]", "reveal")
	phone.waitFor("the results on the phone", `document.querySelector('[data-results] [data-bar]')`, liveTimeout)
	// The other phone redraws for the reveal too (after up to 1 s of
	// jitter): vote once it has, so the redraw cannot replace the form
	// under the vote.
	other.waitFor("the results on the other phone", `document.querySelector('[data-results] [data-bar]')`, liveTimeout)
	eval[bool](phone, `(() => {
		window.__said = [];
		for (const el of document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"]'))
			new MutationObserver(() => { const s = el.textContent.trim(); if (s) window.__said.push(s); })
				.observe(el, { childList: true, subtree: true, characterData: true });
		window.__tallies = 0;
		new MutationObserver(() => window.__tallies++).observe(document.querySelector('[data-results]'), { childList: true, subtree: true, characterData: true });
		return true;
	})()`)
	opts := optionIDs(s.poll)
	for i := 0; i < 6; i++ {
		other.vote(opts[i%3])
		other.waitVoteRecorded(opts[i%3])
	}
	phone.waitFor("the tallies to move on the phone", `window.__tallies > 0`, liveTimeout)
	said := eval[[]string](phone, `window.__said`)
	tallies := eval[int](phone, `window.__tallies`)
	t.Logf("phone: 6 vote changes elsewhere: %d changes to the results, live regions said %q", tallies, said)
	if len(said) != 0 {
		t.Errorf("phone: live tallies were announced: %q", said)
	}
	dash.command(fmt.Sprintf(`[data-run-of-show] [data-activity-id="%d"]`, s.ideas.ID), "open")
	phone.waitFor("the new question announced", `window.__said === undefined || document.querySelector('[data-announce]').textContent.includes(`+jsString(s.ideas.Prompt)+`)`, liveTimeout)
	t.Logf("phone: new question announced: %q", eval[string](phone, `document.querySelector('[data-announce]').textContent`))
	proj.waitFor("the new question announced on the projector", `(document.querySelector('[data-screen-announce]') || {}).textContent.includes(`+jsString(s.ideas.Prompt)+`)`, liveTimeout)

	// Reduced motion: the projector's bars and the ideas wall stop moving.
	dash.command(fmt.Sprintf(`[data-run-of-show] [data-activity-id="%d"]`, s.poll.ID), "open")
	dash.waitFor("the poll current again", fmt.Sprintf(`document.querySelector('[data-current][data-activity-id="%d"]')`, s.poll.ID), liveTimeout)
	proj.waitFor("the poll results", `document.querySelector('[data-screen] [data-bar-fill]')`, liveTimeout)
	const motion = `(() => { const f = document.querySelector('[data-bar-fill]'); return getComputedStyle(f).transitionDuration; })()`
	before := eval[string](proj, motion)
	mctx, cancel := contextTimeout(proj, pageTimeout)
	_, err := chromedp.Call(mctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
	cancel()
	if err != nil {
		t.Fatalf("emulate prefers-reduced-motion: %v", err)
	}
	after := eval[string](proj, motion)
	t.Logf("projector: bar transition %s, %s with prefers-reduced-motion: reduce", before, after)
	if after != "0s" {
		t.Errorf("projector: bars still move (%s) with prefers-reduced-motion", after)
	}

	// Text at 200 % on the phone: nothing scrolls sideways, nothing is cut.
	phone.navigate(a.url("/j/" + code))
	phone.waitLive()
	eval[bool](phone, `(document.documentElement.style.fontSize = '200%', true)`)
	ov := eval[string](phone, `(() => {
		const w = document.documentElement.clientWidth;
		const wide = [...document.querySelectorAll('body *')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; })
			.map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''));
		return document.documentElement.scrollWidth + '/' + w + (wide.length ? ' overflowing: ' + wide.slice(0, 8).join(' ') : '');
	})()`)
	t.Logf("phone at 200%% text: scroll width/viewport %s", ov)
	if strings.Contains(ov, "overflowing") {
		t.Errorf("phone at 200%% text: content wider than the screen: %s", ov)
	}
	phone.screenshot("text-200")
}

func treeHas(t *testing.T, who string, tree []string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		found := false
		for _, l := range tree {
			if strings.Contains(l, w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: accessibility tree has no %q", who, w)
		}
	}
}

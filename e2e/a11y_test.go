package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/server"
)

// The automated half of the accessibility audit (docs/accessibility.md):
// axe-core runs on every kind of page, in French and in English, and the
// test fails on any serious or critical violation of WCAG 2.0/2.1 A and AA.
//
// axe-core is not committed: .ci/run installs the version pinned in
// .ci/node/package.json into .ci/node/node_modules. $AGORA_AXE names
// another copy of axe.min.js. Without it the test skips, or fails under $CI.

const (
	adminEmail    = "admin@agora.test"
	adminPassword = "une phrase de passe pour l'admin"
)

// axeTags are the rule sets run: WCAG 2.0 and 2.1, levels A and AA (RGAA 4.1).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// loadAxe returns the source of axe.min.js and its version.
func loadAxe(t *testing.T) (src, version string) {
	t.Helper()
	path := os.Getenv("AGORA_AXE")
	if path == "" {
		path = filepath.Join("..", ".ci", "node", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("the accessibility audit needs axe-core at %s: run `npm install --no-save --no-package-lock --prefix .ci/node` at the repository root (.ci/run does), or set $AGORA_AXE (%v)", path, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var pkg struct{ Version string }
	if pj, err := os.ReadFile(filepath.Join(filepath.Dir(path), "package.json")); err == nil {
		json.Unmarshal(pj, &pkg)
	}
	return string(b), pkg.Version
}

// axeViolation is one rule failed on a page, as axe reports it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// audit collects the results of every page, for the matrix logged at the end.
type audit struct {
	t       *testing.T
	axe     string
	mu      sync.Mutex
	results map[string]map[string]string // page kind → lang → result
	kinds   []string
	serious int
}

// run loads path in b (unless path is empty: the page is already there),
// waits for its live connection when it has one, runs axe and records the
// outcome under kind and lang.
func (au *audit) run(b *browser, lang, kind, path string) {
	au.t.Helper()
	if path != "" {
		b.navigate(path)
	}
	au.check(b, lang, kind)
}

func (au *audit) check(b *browser, lang, kind string) {
	au.t.Helper()
	// The page must be in the language asked for: the switcher's cookie
	// was set once for this browser, on another page.
	if got := eval[string](b, `document.documentElement.lang`); got != lang {
		au.t.Errorf("%s (%s): <html lang=%q>, want %q: the language choice was not remembered", kind, lang, got, lang)
	}
	if eval[bool](b, `!!document.querySelector('[data-live-status]')`) {
		b.waitLive()
	}
	ctx, cancel := contextTimeout(b, 30*time.Second)
	defer cancel()
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`)); !ok {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](au.axe+"\n;undefined")); err != nil {
			au.t.Fatalf("%s (%s): inject axe: %v", kind, lang, err)
		}
	}
	vs, incomplete := runAxe(au.t, ctx, kind+" ("+lang+")")
	if len(incomplete) > 0 {
		// What axe could not decide (colour over a non-plain background,
		// for instance) is for the manual pass: docs/accessibility.md.
		au.t.Logf("%s (%s): needs review (axe incomplete): %s", kind, lang, strings.Join(incomplete, ", "))
	}
	var bad, minor []string
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var targets []string
			for _, n := range v.Nodes {
				targets = append(targets, fmt.Sprint(n.Target))
			}
			au.t.Errorf("%s (%s, %s): %s [%s] on %d element(s): %s\n    %s\n    %s", kind, lang, b.name, v.ID, v.Impact, len(v.Nodes),
				v.Help, strings.Join(targets, " "), firstLine(v.Nodes[0].Summary))
			bad = append(bad, v.ID)
			continue
		}
		minor = append(minor, v.ID+"("+v.Impact+")")
	}
	res := "pass"
	if len(bad) > 0 {
		res = "FAIL " + strings.Join(bad, ",")
	}
	if len(minor) > 0 {
		res += " · moderate/minor: " + strings.Join(minor, ",")
		au.t.Logf("%s (%s): moderate/minor violations: %s", kind, lang, strings.Join(minor, ", "))
	}
	au.mu.Lock()
	defer au.mu.Unlock()
	au.serious += len(bad)
	if au.results[kind] == nil {
		au.results[kind] = map[string]string{}
		au.kinds = append(au.kinds, kind)
	}
	au.results[kind][lang] = res
}

// runAxe runs axe (already injected) on the page and returns the
// violations, and the IDs of the rules it could not decide.
func runAxe(t *testing.T, ctx context.Context, what string) ([]axeViolation, []string) {
	t.Helper()
	tags, _ := json.Marshal(axeTags)
	expr := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}, resultTypes: ['violations', 'incomplete']})
		.then(r => JSON.stringify({
			violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
				nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})),
			incomplete: r.incomplete.map(v => v.id + '×' + v.nodes.length + ' (' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; ') + ')')}))`
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", what, err)
	}
	var r struct {
		Violations []axeViolation
		Incomplete []string
	}
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("%s: axe result: %v", what, err)
	}
	return r.Violations, r.Incomplete
}

// canary checks that the audit can fail: axe must report an image without
// a text alternative and a field without a label, put in the page for the
// time of one run.
func (au *audit) canary(b *browser) {
	au.t.Helper()
	au.check(b, eval[string](b, `document.documentElement.lang`), "canary setup")
	au.mu.Lock()
	delete(au.results, "canary setup")
	au.kinds = au.kinds[:len(au.kinds)-1]
	au.mu.Unlock()
	eval[bool](b, `(() => { const d = document.createElement('div'); d.id = 'axe-canary';
		d.innerHTML = '<img src="/static/img/favicon.svg"><input type="text">'; document.body.append(d); return true; })()`)
	ctx, cancel := contextTimeout(b, 30*time.Second)
	defer cancel()
	vs, _ := runAxe(au.t, ctx, "canary")
	eval[bool](b, `(document.getElementById('axe-canary').remove(), true)`)
	found := map[string]bool{}
	for _, v := range vs {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["label"] {
		au.t.Fatalf("axe did not report the canary's missing alt and label (got %v): the audit is not running", vs)
	}
}

func firstLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " · ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// matrix is the page × language table of results.
func (au *audit) matrix() string {
	var b strings.Builder
	b.WriteString("| page | fr | en |\n|---|---|---|\n")
	for _, k := range au.kinds {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", k, au.results[k]["fr"], au.results[k]["en"])
	}
	return b.String()
}

// a11ySeed is what the audit's pages show.
type a11ySeed struct {
	cons     *agora.Consultation
	proposal *agora.Proposal
	workshop *agora.Workshop
	poll     *agora.Activity
	ideas    *agora.Activity
	cloud    *agora.Activity
	scale    *agora.Activity
}

// seedA11y creates an admin, a citizen, an open consultation with a
// proposal, comments for and against (one reported, for the moderation
// queue) and a workshop with one activity of each kind.
func (a *app) seedA11y() *a11ySeed {
	a.t.Helper()
	ctx := context.Background()
	if _, err := server.CreateAccount(ctx, a.db, adminEmail, "Ada Admin", adminPassword, agora.RoleAdmin); err != nil {
		a.t.Fatalf("create admin: %v", err)
	}
	citizen, err := server.CreateAccount(ctx, a.db, "citoyen@agora.test", "Claude Citoyen", citizenPassword, agora.RoleCitizen)
	if err != nil {
		a.t.Fatalf("create citizen: %v", err)
	}
	poll := pollActivity("Que faut-il d'abord sur la place ?", true, "Des arbres", "Des bancs", "Une fontaine")
	ideas := &agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées pour la place"}
	cloud := &agora.Activity{Kind: agora.KindWordCloud, Prompt: "La place en un mot", Settings: agora.ActivitySettings{MaxWords: 3}}
	scale := &agora.Activity{Kind: agora.KindScale, Prompt: "La place est-elle agréable ?", Settings: agora.ActivitySettings{ScaleMin: 0, ScaleMax: 10}}
	w, _ := a.seedWorkshop("Atelier de la place", poll, ideas, cloud, scale)
	cons, err := a.db.ConsultationByID(ctx, w.ConsultationID)
	if err != nil {
		a.t.Fatal(err)
	}
	cons.Description = "Comment voulez-vous réaménager la place du marché ?\n\nDonnez votre avis **avant l'été**."
	if err := a.db.UpdateConsultation(ctx, cons); err != nil {
		a.t.Fatalf("update consultation: %v", err)
	}
	p := &agora.Proposal{ConsultationID: cons.ID, AuthorID: &citizen.ID, ClientKey: "a11y-1",
		Title: "Des arbres et de l'ombre", Body: "Planter des arbres côté sud.\n\nAjouter des bancs à l'ombre.",
		Category: "Nature", Status: agora.ProposalApproved}
	if err := a.db.CreateProposal(ctx, p); err != nil {
		a.t.Fatalf("create proposal: %v", err)
	}
	var comments []*agora.Comment
	for _, c := range []struct {
		stance agora.Stance
		body   string
	}{{agora.StanceFor, "Oui, l'été la place est brûlante."}, {agora.StanceAgainst, "Les racines abîment les pavés."}, {agora.StanceNeutral, "Quelles essences ?"}} {
		cm := &agora.Comment{ConsultationID: cons.ID, ProposalID: &p.ID, AuthorID: citizen.ID, Stance: c.stance, Body: c.body, Status: agora.CommentVisible}
		if err := a.db.CreateComment(ctx, cm); err != nil {
			a.t.Fatalf("create comment: %v", err)
		}
		comments = append(comments, cm)
	}
	if err := a.db.CreateFlag(ctx, &agora.Flag{ConsultationID: cons.ID, TargetKind: agora.TargetComment,
		TargetID: comments[1].ID, ReporterID: a.facilitator.ID, Reason: "Hors sujet"}); err != nil {
		a.t.Fatalf("create flag: %v", err)
	}
	return &a11ySeed{cons: cons, proposal: p, workshop: w, poll: poll, ideas: ideas, cloud: cloud, scale: scale}
}

// chooseLanguage sets the language with the switcher's own link, as a
// person would; the cookie it sets must hold on every later page.
func chooseLanguage(b *browser, a *app, lang string) {
	b.t.Helper()
	b.navigate(a.url("/"))
	b.click(`nav.langs a[hreflang="` + lang + `"]`)
	b.waitFor("the page in "+lang, `document.documentElement.lang === `+jsString(lang)+` && document.readyState === 'complete'`, pageTimeout)
}

// signInAs fills the sign-in form.
func signInAs(b *browser, a *app, email, password, next string) {
	b.t.Helper()
	b.navigate(a.url("/signin?next=" + next))
	b.typeInto(`form[action="/signin"] input[name="email"]`, email)
	b.typeInto(`form[action="/signin"] input[name="password"]`, password)
	b.submitAndWait(`form[action="/signin"] button[type="submit"]`)
	b.waitFor("signed in", `document.querySelector('.whoami, [data-dashboard]')`, pageTimeout)
}

// staffCommand posts a JSON API command from a signed-in staff page.
func staffCommand(b *browser, path string) {
	b.t.Helper()
	ctx, cancel := contextTimeout(b, pageTimeout)
	defer cancel()
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch(`+jsString(path)+`, {method: 'POST', credentials: 'same-origin',
		headers: {'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content, 'Content-Type': 'application/json'},
		body: '{}'}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 200 {
		b.t.Fatalf("%s: POST %s: status %d, %v", b.name, path, status, err)
	}
}

func TestA11y_Axe(t *testing.T) {
	requireChromium(t)
	axeSrc, axeVersion := loadAxe(t)
	t.Logf("axe-core %s, rules tagged %v", axeVersion, axeTags)
	a := startApp(t, "sqlite")
	s := a.seedA11y()
	au := &audit{t: t, axe: axeSrc, results: map[string]map[string]string{}}
	root := newBrowser(t, "chromium", laptopW, laptopH, false)
	langs := []string{"fr", "en"}

	cons := "/c/" + s.cons.Slug
	code := s.workshop.JoinCode
	act := func(x *agora.Activity) string { return fmt.Sprintf("/api/v1/activities/%d/", x.ID) }

	// Each language has its own devices: a visitor, a phone, a projector
	// and a signed-in admin (who facilitates and moderates too).
	type devices struct{ visitor, phone, projector, staff *browser }
	dev := map[string]*devices{}
	for _, lang := range langs {
		d := &devices{
			visitor:   newBrowserContext(t, root.ctx, "visitor-"+lang, laptopW, laptopH, false),
			phone:     newBrowserContext(t, root.ctx, "phone-"+lang, phoneW, phoneH, true),
			projector: newBrowserContext(t, root.ctx, "projector-"+lang, projectorW, projectorH, false),
			staff:     newBrowserContext(t, root.ctx, "admin-"+lang, laptopW, laptopH, false),
		}
		for _, b := range []*browser{d.visitor, d.phone, d.projector, d.staff} {
			chooseLanguage(b, a, lang)
		}
		dev[lang] = d
	}

	// Pages of the online consultation and of accounts.
	for _, lang := range langs {
		v := dev[lang].visitor
		au.run(v, lang, "home", a.url("/"))
		if lang == "fr" {
			au.canary(v)
		}
		au.run(v, lang, "consultation", a.url(cons))
		au.run(v, lang, "proposal", a.url(fmt.Sprintf("%s/p/%d", cons, s.proposal.ID)))
		au.run(v, lang, "activity page (online)", a.url(fmt.Sprintf("%s/a/%d", cons, s.poll.ID)))
		au.run(v, lang, "sign-in", a.url("/signin"))
		au.run(v, lang, "sign-up", a.url("/signup"))
		au.run(v, lang, "password forgotten", a.url("/password/forgot"))
		au.run(v, lang, "join (type a code)", a.url("/j"))
		au.run(v, lang, "accessibility statement", a.url("/accessibilite"))
		au.run(v, lang, "error 404", a.url("/no/such/page"))

		st := dev[lang].staff
		signInAs(st, a, adminEmail, adminPassword, "/admin")
		au.run(st, lang, "admin", "")
		au.run(st, lang, "admin: consultation", a.url(fmt.Sprintf("/admin/consultations/%d", s.cons.ID)))
		au.run(st, lang, "new proposal", a.url(cons+"/proposals/new"))
		au.run(st, lang, "me", a.url("/me"))
		au.run(st, lang, "moderate", a.url("/moderate"))
		au.run(st, lang, "facilitate (workshops)", a.url("/facilitate"))
		au.run(st, lang, "prepare", a.url("/facilitate/"+code+"/prepare"))
		au.run(st, lang, "dashboard: draft", a.url("/facilitate/"+code))
	}

	// The workshop, state by state. Each step changes the room through the
	// admin's French dashboard, then audits every language's views.
	fr := dev["fr"].staff
	phoneIn := func(lang, kind, cond string) {
		p := dev[lang].phone
		p.waitFor(kind, cond, liveTimeout)
		au.check(p, lang, "participant: "+kind)
	}
	for _, lang := range langs {
		p := dev[lang].phone
		au.run(p, lang, "join", a.url("/j/"+code))
		p.submitAndWait(`form[action$="/join"] button[type="submit"]`)
		p.waitFor("the participant page", `document.querySelector('[data-participant]')`, pageTimeout)
		au.check(p, lang, "participant: waiting")
		au.run(dev[lang].projector, lang, "projector: lobby", a.url(screenPath(s.workshop)))
	}

	staffCommand(fr, act(s.poll)+"open")
	for _, lang := range langs {
		phoneIn(lang, "poll open", `document.querySelector('form[data-command="vote"]')`)
		dev[lang].projector.waitFor("the poll", fmt.Sprintf(`document.querySelector('[data-screen][data-current-id="%d"]')`, s.poll.ID), liveTimeout)
		au.check(dev[lang].projector, lang, "projector: poll open, results hidden")
	}
	for i, lang := range langs {
		p := dev[lang].phone
		p.vote(optionIDs(s.poll)[i])
		p.waitVoteRecorded(optionIDs(s.poll)[i])
		au.check(p, lang, "participant: poll voted")
	}
	for _, lang := range langs {
		au.run(dev[lang].staff, lang, "dashboard: poll open with votes", a.url("/facilitate/"+code))
	}
	staffCommand(fr, act(s.poll)+"reveal")
	for _, lang := range langs {
		phoneIn(lang, "results revealed", `document.querySelector('[data-results] [data-bar]')`)
		dev[lang].projector.waitFor("the results", `document.querySelector('[data-screen] [data-results] [data-option-id]')`, liveTimeout)
		au.check(dev[lang].projector, lang, "projector: poll results")
	}

	staffCommand(fr, act(s.ideas)+"open")
	for _, lang := range langs {
		p := dev[lang].phone
		p.waitFor("the idea form", `document.querySelector('form[data-command="idea"]')`, liveTimeout)
		p.typeInto(`form[data-command="idea"] textarea[name="body"]`, "Une idée en "+lang)
		p.click(`form[data-command="idea"] button[type="submit"]`)
	}
	for _, lang := range langs {
		phoneIn(lang, "ideas", `document.querySelectorAll('[data-ideas] [data-idea]').length === 2`)
		au.run(dev[lang].staff, lang, "dashboard: ideas", a.url("/facilitate/"+code))
	}
	staffCommand(fr, act(s.ideas)+"reveal")
	for _, lang := range langs {
		dev[lang].projector.waitFor("the ideas wall", `document.querySelectorAll('[data-screen] [data-idea-wall] [data-idea-id]').length === 2`, liveTimeout)
		au.check(dev[lang].projector, lang, "projector: ideas wall")
	}

	staffCommand(fr, act(s.cloud)+"open")
	for _, lang := range langs {
		phoneIn(lang, "word cloud", `document.querySelector('form[data-command="vote"] input[name="word"]')`)
	}
	staffCommand(fr, act(s.cloud)+"reveal")
	for _, lang := range langs {
		dev[lang].projector.waitFor("the word cloud", fmt.Sprintf(`document.querySelector('[data-screen][data-current-id="%d"] [data-results]')`, s.cloud.ID), liveTimeout)
		au.check(dev[lang].projector, lang, "projector: word cloud")
	}

	staffCommand(fr, act(s.scale)+"open")
	staffCommand(fr, act(s.scale)+"reveal")
	for _, lang := range langs {
		phoneIn(lang, "scale", `document.querySelector('form[data-command="vote"] input[name="value"]')`)
		dev[lang].projector.waitFor("the scale", fmt.Sprintf(`document.querySelector('[data-screen][data-current-id="%d"] [data-results]')`, s.scale.ID), liveTimeout)
		au.check(dev[lang].projector, lang, "projector: scale")
	}

	staffCommand(fr, "/api/v1/workshops/"+code+"/end")
	for _, lang := range langs {
		au.run(dev[lang].phone, lang, "participant: ended", a.url("/j/"+code))
		au.run(dev[lang].projector, lang, "projector: ended", a.url(screenPath(s.workshop)))
		au.run(dev[lang].staff, lang, "dashboard: ended", a.url("/facilitate/"+code))
		au.run(dev[lang].staff, lang, "session summary", a.url("/facilitate/"+code+"/summary"))
	}

	// The bilan of the finished workshop, once published: on a laptop and
	// at a phone's width.
	s.cons.ReportPublished = true
	if err := a.db.UpdateConsultation(context.Background(), s.cons); err != nil {
		t.Fatalf("publish the report: %v", err)
	}
	for _, lang := range langs {
		au.run(dev[lang].visitor, lang, "report", a.url(cons+"/report"))
		au.run(dev[lang].phone, lang, "report (phone)", a.url(cons+"/report"))
	}

	t.Logf("axe-core %s, WCAG 2.1 A/AA, %d page kinds × %d languages, %d serious/critical:\n%s",
		axeVersion, len(au.kinds), len(langs), au.serious, au.matrix())
}

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/server"
)

// reportSeed is a published consultation with one workshop whose four
// activities have room and online answers, ideas with supports, and an
// online proposal with an official answer.
type reportSeed struct {
	cons *agora.Consultation
	poll *agora.Activity
}

// seedReport fills a consultation the way a finished town hall leaves it.
func (a *app) seedReport() *reportSeed {
	a.t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		a.t.Helper()
		if err != nil {
			a.t.Fatalf("%s: %v", what, err)
		}
	}
	poll := pollActivity("Que faut-il d'abord sur la place ?", false, "Des arbres", "Des bancs", "Une fontaine")
	scale := &agora.Activity{Kind: agora.KindScale, Prompt: "La place est-elle agréable aujourd'hui ?",
		Settings: agora.ActivitySettings{ScaleMin: 1, ScaleMax: 5}}
	cloud := &agora.Activity{Kind: agora.KindWordCloud, Prompt: "La place en un mot", Settings: agora.ActivitySettings{MaxWords: 3}}
	ideas := &agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées pour la place"}
	w, _ := a.seedWorkshop("Atelier de la place", poll, scale, cloud, ideas)
	cons, err := a.db.ConsultationByID(ctx, w.ConsultationID)
	must("consultation", err)
	cons.Description = "Comment voulez-vous réaménager la place du marché ?"
	cons.SupportThreshold = 3
	cons.ReportPublished = true
	must("publish", a.db.UpdateConsultation(ctx, cons))

	var room []*agora.Participant
	for i := range 12 {
		p := &agora.Participant{WorkshopID: w.ID, TokenHash: agora.HashToken(agora.NewSecret()), PublicID: agora.NewSecret()}
		if i%4 == 0 {
			p.Nickname = fmt.Sprintf("Voisin %d", i)
		}
		must("participant", a.db.CreateParticipant(ctx, p))
		room = append(room, p)
	}
	var online []*agora.User
	for i := range 4 {
		u, err := server.CreateAccount(ctx, a.db, fmt.Sprintf("habitant%d@agora.test", i), "Habitant", citizenPassword, agora.RoleCitizen)
		must("citizen", err)
		online = append(online, u)
	}
	words := [][]string{{"Ombre", "arbres"}, {"ombre"}, {"Bruit"}, {"Marché", "ombre"}, {"bancs"}, {"Fraîcheur"}}
	for i, p := range room {
		value := 1 + i%5
		for _, v := range []*agora.Vote{
			{ActivityID: poll.ID, Choices: []int{poll.Options[[]int{0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 0}[i]].ID}},
			{ActivityID: scale.ID, Value: &value},
			{ActivityID: cloud.ID, Words: words[i%len(words)]},
		} {
			v.ParticipantID, v.Channel = &p.ID, agora.ChannelRoom
			_, err := a.db.PutVote(ctx, v)
			must("room vote", err)
		}
	}
	for i, u := range online {
		_, err := a.db.PutVote(ctx, &agora.Vote{ActivityID: poll.ID, UserID: &u.ID, Channel: agora.ChannelOnline,
			Choices: []int{poll.Options[[]int{0, 2, 2, 1}[i]].ID}})
		must("online vote", err)
	}
	for i, body := range []string{"Planter des tilleuls côté sud", "Une fontaine à boire", "Des bancs à l'ombre", "Un marché bio le samedi"} {
		idea := &agora.Proposal{ConsultationID: cons.ID, WorkshopID: &w.ID, ActivityID: &ideas.ID, ParticipantID: &room[i].ID,
			ClientKey: fmt.Sprintf("idea-%d", i), Body: body, Status: agora.ProposalApproved}
		must("idea", a.db.CreateProposal(ctx, idea))
		for _, p := range room[:1+(3*i)%len(room)] {
			_, err := a.db.AddSupport(ctx, &agora.Support{ProposalID: idea.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom})
			must("room support", err)
		}
	}
	prop := &agora.Proposal{ConsultationID: cons.ID, AuthorID: &online[0].ID, ClientKey: "report-1",
		Title: "Des arbres et de l'ombre", Body: "Planter des arbres côté sud.", Category: "Nature", Status: agora.ProposalApproved}
	must("proposal", a.db.CreateProposal(ctx, prop))
	for _, u := range online[1:] {
		_, err := a.db.AddSupport(ctx, &agora.Support{ProposalID: prop.ID, UserID: &u.ID, Channel: agora.ChannelOnline})
		must("online support", err)
	}
	answered := time.Now().UTC()
	prop.Answer, prop.AnswerText, prop.AnsweredAt = agora.AnswerAccepted, "La mairie plantera douze tilleuls à l'automne.", &answered
	must("answer", a.db.UpdateProposal(ctx, prop))
	for _, c := range []struct {
		stance agora.Stance
		body   string
	}{{agora.StanceFor, "Oui, l'été la place est brûlante."}, {agora.StanceAgainst, "Les racines abîment les pavés."}} {
		must("comment", a.db.CreateComment(ctx, &agora.Comment{ConsultationID: cons.ID, ProposalID: &prop.ID,
			AuthorID: online[1].ID, Stance: c.stance, Body: c.body, Status: agora.CommentVisible}))
	}
	return &reportSeed{cons: cons, poll: poll}
}

// TestReport_ScreenAndPrint opens a published report in a laptop browser:
// every chart is drawn (an SVG of real size) with its table, the page
// prints on A4 with the navigation left out and no chart cut across pages.
// It saves what a person looks at: the page, its print preview (print
// media at A4 width) and the PDF, under the artifacts folder.
func TestReport_ScreenAndPrint(t *testing.T) {
	a := startApp(t, "sqlite")
	s := a.seedReport()
	b := newLaptop(t, "organiser")
	b.navigate(a.url("/c/" + s.cons.Slug + "/report"))
	b.waitFor("the charts", `document.querySelectorAll("svg[role=img]").length >= 5`, 5*time.Second)

	charts := eval[[]float64](b, `[...document.querySelectorAll("svg[role=img]")].map(s => s.getBoundingClientRect().width)`)
	for i, w := range charts {
		if w < 200 {
			t.Errorf("chart %d is %.0f px wide on a laptop: not drawn", i, w)
		}
	}
	if n := eval[int](b, `document.querySelectorAll("table caption").length`); n < len(charts)-1 {
		t.Errorf("%d tables with a caption for %d charts: each chart needs its table", n, len(charts))
	}
	if !eval[bool](b, `document.body.innerText.includes("Des arbres") && document.body.innerText.includes("douze tilleuls")`) {
		t.Errorf("the report lacks the poll's option or the official answer\n%s", b.describe())
	}
	b.fullScreenshot("report-screen")

	// Print preview: print media at the width of an A4 page (96 dpi).
	b.do("print media", chromedp.EmulateViewport(794, 1123))
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatalf("print media: %v", err)
	}
	if hidden := eval[bool](b, `[...document.querySelectorAll("header nav, .lang-switch, .no-print")].every(e => getComputedStyle(e).display === "none")`); !hidden {
		t.Errorf("navigation or download buttons are printed")
	}
	split := eval[[]string](b, `[...document.querySelectorAll("figure")].filter(f => !["avoid", "avoid-page"].includes(getComputedStyle(f).breakInside)).map(f => f.id || f.className || "figure")`)
	if len(split) > 0 {
		t.Errorf("figures that may break across pages: %v", split)
	}
	// A heading and its lead line (a workshop's place, the threshold)
	// never end a page without the figure they introduce.
	loose := eval[[]string](b, `[...document.querySelectorAll("h2, h3, h4, .report-workshop > .meta, #proposals > p")].filter(e => getComputedStyle(e).breakAfter !== "avoid").map(e => e.tagName + "." + e.className)`)
	if len(loose) > 0 {
		t.Errorf("headings or lead lines a page may end on: %v", loose)
	}
	overflow := eval[[]float64](b, `[...document.querySelectorAll("svg[role=img]")].map(s => s.getBoundingClientRect().right).filter(r => r > 794)`)
	if len(overflow) > 0 {
		t.Errorf("charts overflow the A4 width: right edges %v", overflow)
	}
	b.fullScreenshot("report-print-preview")

	pdf := b.printA4()
	pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
	if pages < 1 || pages > 12 {
		t.Errorf("the report prints on %d A4 pages", pages)
	}
	path := filepath.Join(artifactsDir(t), "report.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Errorf("save PDF: %v", err)
	}
	t.Logf("report: %d charts, %d A4 pages, PDF %s", len(charts), pages, path)
}

// fullScreenshot saves a PNG of the whole page under the artifacts folder
// (quality 100 asks Chromium for PNG rather than JPEG).
func (b *browser) fullScreenshot(label string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("%s: screenshot: %v", b.name, err)
		return
	}
	path := filepath.Join(artifactsDir(b.t), fmt.Sprintf("%s-%s.png", sanitize(b.t.Name()), sanitize(label)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("%s: save screenshot: %v", b.name, err)
		return
	}
	b.t.Logf("screenshot %s", path)
}

// printA4 prints the page as the browser's "save as PDF" does, on A4 with
// the page's own @page size and margins.
func (b *browser) printA4() []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	yes := true
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69,
		PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		b.t.Fatalf("%s: print to PDF: %v", b.name, err)
	}
	if !bytes.HasPrefix(res.Data, []byte("%PDF")) {
		b.t.Fatalf("%s: print to PDF gave no PDF", b.name)
	}
	return res.Data
}

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/agora-civic/agora"
)

// TestSummary_PrintsOnOneA4Page: the facilitator's summary of a workshop
// with six activities, each with its five top lines (and more left out),
// long prompts and long ideas, prints on one A4 page, as the organiser is
// promised.
func TestSummary_PrintsOnOneA4Page(t *testing.T) {
	a := startApp(t, "sqlite")
	ctx := context.Background()
	long := func(s string, n int) string { return s + strings.Repeat(" et encore un peu de texte", n) }
	labels := []string{"Des pistes cyclables séparées", "Des zones 30", "Du stationnement vélo sécurisé",
		"Des rues scolaires", "Des bancs et de l'ombre", "Une navette électrique", "Rien de tout cela"}
	acts := []*agora.Activity{
		pollActivity(long("Quelle est votre priorité pour le centre-ville dans les cinq prochaines années ?", 2), false, labels...),
		pollActivity(long("Comment venez-vous aujourd'hui au marché du samedi matin ?", 2), false, labels...),
		{Kind: agora.KindScale, Prompt: long("Êtes-vous satisfait des aménagements actuels de la place ?", 2),
			Settings: agora.ActivitySettings{ScaleMin: 0, ScaleMax: 10}},
		{Kind: agora.KindWordCloud, Prompt: long("La place du marché en un mot", 2), Settings: agora.ActivitySettings{MaxWords: 3}},
		pollActivity(long("Quels usages voulez-vous voir sur la place le dimanche ?", 2), false, labels...),
		{Kind: agora.KindIdeas, Prompt: long("Vos idées pour la place", 2)},
	}
	w, acts := a.seedWorkshop("Atelier de la place du marché", acts...)
	var parts []*agora.Participant
	for range 30 {
		p := &agora.Participant{WorkshopID: w.ID, TokenHash: agora.HashToken(agora.NewSecret()), PublicID: agora.NewSecret()}
		if err := a.db.CreateParticipant(ctx, p); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	words := []string{"ombre", "marché", "bruit", "voitures", "fraîcheur", "fontaine", "arbres", "bancs"}
	for i, p := range parts {
		for _, act := range acts {
			v := &agora.Vote{ActivityID: act.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom}
			switch act.Kind {
			case agora.KindPoll:
				v.Choices = []int{act.Options[i%len(act.Options)].ID}
			case agora.KindScale:
				x := i % 11
				v.Value = &x
			case agora.KindWordCloud:
				v.Words = []string{words[i%len(words)], words[(i+3)%len(words)]}
			default:
				continue
			}
			if _, err := a.db.PutVote(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	cons, err := a.db.ConsultationByID(ctx, w.ConsultationID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		idea := &agora.Proposal{ConsultationID: cons.ID, WorkshopID: &w.ID, ActivityID: &acts[5].ID, ParticipantID: &parts[i].ID,
			ClientKey: fmt.Sprintf("idea-%d", i), Status: agora.ProposalApproved,
			Body: long(fmt.Sprintf("Idée %d : installer des fontaines et des arbres pour l'été, avec des bancs à l'ombre", i+1), 6)}
		if err := a.db.CreateProposal(ctx, idea); err != nil {
			t.Fatal(err)
		}
	}

	b := signInFacilitator(t, a, w)
	b.navigate(a.url("/facilitate/" + w.JoinCode + "/summary"))
	b.waitFor("the summary", `document.querySelectorAll("[data-summary] tr[data-activity]").length === 6`, 5*time.Second)
	b.do("print media", chromedp.EmulateViewport(794, 1123))
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatalf("print media: %v", err)
	}
	b.fullScreenshot("summary-print-preview")
	pdf := b.printA4()
	path := filepath.Join(artifactsDir(t), "summary.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Errorf("save PDF: %v", err)
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)); pages != 1 {
		t.Errorf("the summary of six activities prints on %d A4 pages, want 1 (%s)", pages, path)
	}
}

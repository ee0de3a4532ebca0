package main

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/server"
)

// The demo's fixed names: running `agora demo` again finds and reuses them
// instead of creating copies.
const (
	demoSlug          = "plan-velo-montreuil-sur-loire"
	demoEmail         = "animation@montreuil-sur-loire.example"
	demoWorkshopTitle = "Atelier public — Plan vélo"
)

// demo is what seedDemo prepared: the facilitator's sign-in and the workshop.
type demo struct {
	Consultation *agora.Consultation
	Workshop     *agora.Workshop
	Email        string
	Password     string // fresh on each run
}

// runDemo serves Agora with a realistic French consultation and a
// workshop ready to run, and prints the links to open.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := ParseConfig("agora demo", args, getenv, stderr)
	if err != nil {
		return err
	}
	tuneGC(ctx, getenv)
	m := NewMain(cfg, stdout)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	d, err := seedDemo(ctx, m.db, m.engine)
	if err != nil {
		m.Close()
		return fmt.Errorf("demo: %w", err)
	}
	printDemo(stdout, cfg.PublicURL, d)
	<-ctx.Done()
	return m.Close()
}

func printDemo(out io.Writer, publicURL string, d *demo) {
	w := d.Workshop
	fmt.Fprintf(out, `Démo prête : %s
  Animateur·rice : %s
  Mot de passe   : %s   (nouveau à chaque lancement)
  Tableau de bord : %s/facilitate/%s
  Écran (projecteur) : %s/screen/%s?t=%s
  Rejoindre : %s/j/%s   (code %s)

`, d.Consultation.Title, d.Email, d.Password, publicURL, w.JoinCode,
		publicURL, w.JoinCode, url.QueryEscape(w.ScreenToken), publicURL, w.JoinCode, w.JoinCode)
}

// seedDemo stores the demo consultation, its facilitator and a workshop
// with one activity of each kind. It is idempotent: what exists (found by
// slug, email and workshop title) is reused, never duplicated; only the
// facilitator's password changes, so that it can be printed.
func seedDemo(ctx context.Context, st agora.Store, e *live.Engine) (*demo, error) {
	d := &demo{Email: demoEmail, Password: agora.NewSecret()}
	u, err := demoFacilitator(ctx, st, d.Password)
	if err != nil {
		return nil, err
	}
	if d.Consultation, err = demoConsultation(ctx, st, u); err != nil {
		return nil, err
	}
	ws, err := st.ListWorkshops(ctx, d.Consultation.ID)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if w.Title == demoWorkshopTitle {
			d.Workshop = w
			return d, nil
		}
	}
	d.Workshop = &agora.Workshop{ConsultationID: d.Consultation.ID, Title: demoWorkshopTitle, Place: "Salle des fêtes, place de la Mairie"}
	if err := e.CreateWorkshop(ctx, u, d.Workshop); err != nil {
		return nil, err
	}
	for _, a := range demoActivities() {
		a.WorkshopID = d.Workshop.ID
		if err := e.AddActivity(ctx, u, a); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func demoFacilitator(ctx context.Context, st agora.Store, password string) (*agora.User, error) {
	u, err := st.UserByEmail(ctx, demoEmail)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return server.CreateAccount(ctx, st, demoEmail, "Claire Animatrice", password, agora.RoleFacilitator)
	}
	if err != nil {
		return nil, err
	}
	return u, server.SetPassword(ctx, st, u, password)
}

func demoConsultation(ctx context.Context, st agora.Store, u *agora.User) (*agora.Consultation, error) {
	c, err := st.ConsultationBySlug(ctx, demoSlug)
	if !agora.IsCode(err, agora.ENOTFOUND) {
		return c, err
	}
	c = &agora.Consultation{
		Slug:   demoSlug,
		Title:  "Plan vélo et mobilités douces — Ville de Montreuil-sur-Loire",
		Status: agora.ConsultationOpen,
		Description: "La Ville de Montreuil-sur-Loire prépare son plan vélo 2026-2032 : pistes cyclables, " +
			"stationnement, apaisement des rues autour des écoles, liaisons avec les communes voisines.\n\n" +
			"Participez à l'atelier public à la salle des fêtes, puis continuez en ligne : proposez, " +
			"soutenez les idées des autres et votez jusqu'à la clôture. Le bilan sera publié ici.",
		CreatedBy: &u.ID,
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, st.CreateConsultation(ctx, c)
}

func demoActivities() []*agora.Activity {
	return []*agora.Activity{
		{Kind: agora.KindPoll, Prompt: "Quelle doit être la priorité du plan vélo ?",
			Options: []agora.Option{{Label: "Des pistes cyclables séparées de la circulation"},
				{Label: "Des stationnements vélo sécurisés"}, {Label: "Des rues apaisées autour des écoles"},
				{Label: "Des liaisons avec les communes voisines"}, {Label: "L'aide à l'achat de vélos"}},
			Settings: agora.ActivitySettings{MaxChoices: 2, TimerSeconds: 120}},
		{Kind: agora.KindIdeas, Prompt: "Quelle idée pour donner envie de se déplacer à vélo ?",
			Settings: agora.ActivitySettings{Premoderation: true}},
		{Kind: agora.KindWordCloud, Prompt: "En un mot, la rue idéale ?",
			Settings: agora.ActivitySettings{MaxWords: 1}},
		{Kind: agora.KindScale, Prompt: "La sécurité à vélo aujourd'hui, de 0 à 10",
			Settings: agora.ActivitySettings{ScaleMin: 0, ScaleMax: 10, HideResults: true}},
	}
}

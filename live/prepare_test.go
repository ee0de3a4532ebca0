package live_test

import (
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

func TestEngine_CreateWorkshop(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		if agora.NormalizeJoinCode(w.JoinCode) != w.JoinCode || len(w.ScreenToken) < 20 {
			t.Errorf("join code %q, screen token %q", w.JoinCode, w.ScreenToken)
		}
		if w.State != agora.WorkshopDraft || w.ID == 0 || *w.CreatedBy != h.facilitator.ID {
			t.Errorf("workshop = %+v", w)
		}
		if got := h.audit("workshop.create", w.ID); len(got) != 1 || *got[0].ActorID != h.facilitator.ID {
			t.Errorf("audit = %v", got)
		}
		for _, tc := range []struct {
			name      string
			actor     *agora.User
			w         agora.Workshop
			code, key string
		}{
			{"anonymous", nil, agora.Workshop{ConsultationID: h.consultation.ID, Title: "x"}, agora.EUNAUTHORIZED, "error.sign_in_required"},
			{"citizen", h.citizen, agora.Workshop{ConsultationID: h.consultation.ID, Title: "x"}, agora.EFORBIDDEN, "error.forbidden"},
			{"moderator", h.moderatorU, agora.Workshop{ConsultationID: h.consultation.ID, Title: "x"}, agora.EFORBIDDEN, "error.forbidden"},
			{"no title", h.admin, agora.Workshop{ConsultationID: h.consultation.ID, Title: "  "}, agora.EINVALID, "error.title_length"},
			{"control", h.admin, agora.Workshop{ConsultationID: h.consultation.ID, Title: "a\x07b"}, agora.EINVALID, "error.text_invalid"},
			{"no consultation", h.admin, agora.Workshop{ConsultationID: 999, Title: "x"}, agora.ENOTFOUND, "error.consultation_not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr(t, h.eng.CreateWorkshop(h.ctx, tc.actor, &tc.w), tc.code, tc.key)
			})
		}
		ws, err := h.st.ListWorkshops(h.ctx, h.consultation.ID)
		h.must(err)
		if len(ws) != 1 {
			t.Errorf("%d workshops, want 1", len(ws))
		}
	})
}

func TestEngine_UpdateWorkshop(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		edit := &agora.Workshop{ID: w.ID, Title: "Nouveau titre", Place: "Mairie", State: agora.WorkshopEnded}
		h.must(h.eng.UpdateWorkshop(h.ctx, h.facilitator, edit))
		got := h.workshopNow(w.ID)
		if got.Title != "Nouveau titre" || got.Place != "Mairie" || got.State != agora.WorkshopDraft || got.JoinCode != w.JoinCode {
			t.Errorf("workshop = %+v", got)
		}
		wantErr(t, h.eng.UpdateWorkshop(h.ctx, h.citizen, edit), agora.EFORBIDDEN, "error.forbidden")
		wantErr(t, h.eng.UpdateWorkshop(h.ctx, h.admin, &agora.Workshop{ID: 999, Title: "x"}), agora.ENOTFOUND, "error.workshop_not_found")
	})
}

func TestEngine_Activities(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindWordCloud, agora.KindScale, agora.KindIdeas)
		poll := as[0]
		if ids := []int{poll.Options[0].ID, poll.Options[1].ID, poll.Options[2].ID}; ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
			t.Errorf("option IDs = %v", ids)
		}
		if poll.Settings.MaxChoices != 1 || as[1].Settings.MaxWords != 3 || as[2].Settings.ScaleMax != 5 {
			t.Errorf("defaults not applied: %+v %+v %+v", poll.Settings, as[1].Settings, as[2].Settings)
		}
		bad := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindPoll, Prompt: "?", Options: []agora.Option{{Label: "seul"}}}
		wantErr(t, h.eng.AddActivity(h.ctx, h.facilitator, bad), agora.EINVALID, "error.options_count")
		wantErr(t, h.eng.AddActivity(h.ctx, h.citizen, bad), agora.EFORBIDDEN, "error.forbidden")

		// Votes on "Oui" (1); then edit: relabel 1, drop 3, add one.
		h.must(h.eng.OpenActivity(h.ctx, h.facilitator, poll.ID))
		p := h.join(w)
		_, err := h.eng.Vote(h.ctx, p, poll.ID, live.VoteInput{Choices: []int{1}})
		h.must(err)
		edit := &agora.Activity{ID: poll.ID, Prompt: "Vraiment ?", Settings: poll.Settings,
			Options: []agora.Option{{ID: 2, Label: "Non"}, {ID: 1, Label: "Oui !"}, {Label: "Peut-être"}}}
		h.must(h.eng.UpdateActivity(h.ctx, h.facilitator, edit))
		got := h.activityNow(poll.ID)
		want := []agora.Option{{ID: 2, Label: "Non"}, {ID: 1, Label: "Oui !"}, {ID: 4, Label: "Peut-être"}}
		if !equalOptions(got.Options, want) || got.Prompt != "Vraiment ?" || got.State != agora.ActivityOpen {
			t.Errorf("after edit: %+v", got)
		}
		tally := h.state(w, live.Facilitators, nil).Tally
		if tally.Voters != 1 || tally.Options[1].Label != "Oui !" || tally.Options[1].Count != 1 {
			t.Errorf("live tally after edit = %+v", tally.Options)
		}
		drop := &agora.Activity{ID: poll.ID, Prompt: "?", Settings: poll.Settings,
			Options: []agora.Option{{ID: 2, Label: "Non"}, {ID: 4, Label: "Peut-être"}}}
		wantErr(t, h.eng.UpdateActivity(h.ctx, h.facilitator, drop), agora.ECONFLICT, "error.option_has_votes")
		unknown := &agora.Activity{ID: poll.ID, Prompt: "?", Settings: poll.Settings,
			Options: []agora.Option{{ID: 1, Label: "Oui"}, {ID: 2, Label: "Non"}, {ID: 9, Label: "?"}}}
		wantErr(t, h.eng.UpdateActivity(h.ctx, h.facilitator, unknown), agora.EINVALID, "error.option_ids")
		kind := &agora.Activity{ID: poll.ID, Kind: agora.KindScale, Prompt: "?", Settings: agora.ActivitySettings{ScaleMin: 1, ScaleMax: 5}}
		wantErr(t, h.eng.UpdateActivity(h.ctx, h.facilitator, kind), agora.ECONFLICT, "error.kind_locked")

		// Move the scale first; an open activity cannot be deleted.
		h.must(h.eng.MoveActivity(h.ctx, h.facilitator, as[2].ID, 0))
		run, err := h.st.ListActivities(h.ctx, w.ID)
		h.must(err)
		if run[0].ID != as[2].ID {
			t.Errorf("first activity = %d, want %d", run[0].ID, as[2].ID)
		}
		wantErr(t, h.eng.DeleteActivity(h.ctx, h.facilitator, poll.ID), agora.ECONFLICT, "error.activity_open")
		h.must(h.eng.DeleteActivity(h.ctx, h.facilitator, as[1].ID))
		_, err = h.st.ActivityByID(h.ctx, as[1].ID)
		wantErr(t, err, agora.ENOTFOUND, agora.ErrorMessage(err))
		if len(h.audit("activity.delete", as[1].ID)) != 1 || len(h.audit("activity.update", poll.ID)) != 1 {
			t.Error("audit entries missing")
		}
	})
}

func equalOptions(x, y []agora.Option) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// TestEngine_Roles checks that a citizen can run no command and that the
// attempt changes nothing.
func TestEngine_Roles(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindPoll, agora.KindIdeas)
		p := h.join(w)
		h.must(h.eng.OpenActivity(h.ctx, h.facilitator, as[1].ID))
		idea, err := h.eng.SubmitIdea(h.ctx, p, as[1].ID, "Des pistes cyclables", "k1")
		h.must(err)
		h.rec.clear()
		before := h.activityNow(as[0].ID)
		cmds := map[string]func(u *agora.User) error{
			"open":      func(u *agora.User) error { return h.eng.OpenActivity(h.ctx, u, as[0].ID) },
			"close":     func(u *agora.User) error { return h.eng.CloseActivity(h.ctx, u, as[1].ID) },
			"reveal":    func(u *agora.User) error { return h.eng.RevealResults(h.ctx, u, as[1].ID) },
			"hide":      func(u *agora.User) error { return h.eng.HideResults(h.ctx, u, as[1].ID) },
			"reset":     func(u *agora.User) error { return h.eng.ResetActivity(h.ctx, u, as[1].ID) },
			"next":      func(u *agora.User) error { return h.eng.Next(h.ctx, u, w.ID) },
			"previous":  func(u *agora.User) error { return h.eng.Previous(h.ctx, u, w.ID) },
			"start":     func(u *agora.User) error { return h.eng.StartWorkshop(h.ctx, u, w.ID) },
			"end":       func(u *agora.User) error { return h.eng.EndWorkshop(h.ctx, u, w.ID) },
			"move":      func(u *agora.User) error { return h.eng.MoveActivity(h.ctx, u, as[0].ID, 1) },
			"delete":    func(u *agora.User) error { return h.eng.DeleteActivity(h.ctx, u, as[0].ID) },
			"update":    func(u *agora.User) error { return h.eng.UpdateActivity(h.ctx, u, before) },
			"add":       func(u *agora.User) error { return h.eng.AddActivity(h.ctx, u, &agora.Activity{WorkshopID: w.ID}) },
			"moderate":  func(u *agora.User) error { _, err := h.eng.Moderate(h.ctx, u, idea.ID, live.HideIdea); return err },
			"create":    func(u *agora.User) error { return h.eng.CreateWorkshop(h.ctx, u, &agora.Workshop{}) },
			"update ws": func(u *agora.User) error { return h.eng.UpdateWorkshop(h.ctx, u, w) },
			"highlight": func(u *agora.User) error { _, err := h.eng.Moderate(h.ctx, u, idea.ID, live.Highlight); return err },
			"reject":    func(u *agora.User) error { _, err := h.eng.Moderate(h.ctx, u, idea.ID, live.Reject); return err },
		}
		for name, cmd := range cmds {
			t.Run(name, func(t *testing.T) {
				wantErr(t, cmd(h.citizen), agora.EFORBIDDEN, "error.forbidden")
				wantErr(t, cmd(nil), agora.EUNAUTHORIZED, "error.sign_in_required")
			})
		}
		if got := h.activityNow(as[1].ID); got.State != agora.ActivityOpen || got.Round != 0 {
			t.Errorf("ideas activity changed: %+v", got)
		}
		if got := h.workshopNow(w.ID); got.State != agora.WorkshopLive {
			t.Errorf("workshop changed: %+v", got)
		}
		if n := len(h.rec.events); n != 0 {
			t.Errorf("%d events published by refused commands", n)
		}
		// A moderator may moderate ideas, but not run the workshop.
		_, err = h.eng.Moderate(h.ctx, h.moderatorU, idea.ID, live.Highlight)
		h.must(err)
		wantErr(t, h.eng.CloseActivity(h.ctx, h.moderatorU, as[1].ID), agora.EFORBIDDEN, "error.forbidden")
	})
}

package live_test

import (
	"strings"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

func TestEngine_SubmitIdea(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindIdeas, agora.KindPoll)
		ideas := as[0]
		open(t, h, ideas)
		p := h.join(w)
		h.rec.clear()
		first, err := h.eng.SubmitIdea(h.ctx, p, ideas.ID, "  Plus de   pistes\ncyclables ", "key-1")
		h.must(err)
		if first.Body != "Plus de pistes cyclables" || first.Status != agora.ProposalApproved ||
			first.ConsultationID != h.consultation.ID || *first.ParticipantID != p.ID {
			t.Errorf("idea = %+v", first)
		}
		retry, err := h.eng.SubmitIdea(h.ctx, p, ideas.ID, "Plus de pistes cyclables", "key-1")
		h.must(err)
		if retry.ID != first.ID {
			t.Errorf("retry created idea %d, want %d", retry.ID, first.ID)
		}
		_, total, err := h.st.ListProposals(h.ctx, agora.ProposalFilter{ActivityID: &ideas.ID})
		h.must(err)
		if total != 1 {
			t.Errorf("%d ideas stored, want 1", total)
		}
		for _, topic := range []string{live.ParticipantsTopic(w.ID), live.ScreenTopic(w.ID), live.FacilitatorsTopic(w.ID)} {
			if ev := h.rec.take(topic, live.EventIdea); len(ev) != 1 || ev[0].Data.(live.IdeaView).ID != first.ID {
				t.Errorf("%s: idea events = %+v", topic, ev)
			}
		}
		other, _ := h.workshop()
		stranger := h.join(other)
		for _, tc := range []struct {
			name      string
			p         *agora.Participant
			id        int64
			body, key string
			code, msg string
		}{
			{"not joined", nil, ideas.ID, "x", "", agora.EUNAUTHORIZED, "error.join_required"},
			{"empty", p, ideas.ID, " \n ", "", agora.EINVALID, "error.idea_length"},
			{"too long", p, ideas.ID, strings.Repeat("a", agora.MaxIdeaLen+1), "", agora.EINVALID, "error.idea_length"},
			{"control", p, ideas.ID, "a\x1bb", "", agora.EINVALID, "error.text_invalid"},
			{"other workshop", stranger, ideas.ID, "x", "", agora.ENOTFOUND, "error.activity_not_found"},
			{"poll", p, as[1].ID, "x", "", agora.EINVALID, "error.not_ideas"},
			{"long key", p, ideas.ID, "x", strings.Repeat("k", 65), agora.EINVALID, "error.client_key_invalid"},
			{"key of another activity", p, as[1].ID, "x", "key-1", agora.ECONFLICT, "error.client_key_reused"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := h.eng.SubmitIdea(h.ctx, tc.p, tc.id, tc.body, tc.key)
				wantErr(t, err, tc.code, tc.msg)
			})
		}
		// Rate limit: five a minute, retries free.
		for i := range 4 {
			_, err := h.eng.SubmitIdea(h.ctx, p, ideas.ID, "idée", "k"+string(rune('a'+i)))
			h.must(err)
		}
		_, err = h.eng.SubmitIdea(h.ctx, p, ideas.ID, "une de trop", "")
		wantErr(t, err, agora.ETOOMANY, "error.too_many_ideas")
		_, err = h.eng.SubmitIdea(h.ctx, p, ideas.ID, "Plus de pistes cyclables", "key-1")
		h.must(err)
		h.clock.Advance(61 * 1e9)
		_, err = h.eng.SubmitIdea(h.ctx, p, ideas.ID, "la minute suivante", "")
		h.must(err)
		// Closed: no more ideas.
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, ideas.ID))
		_, err = h.eng.SubmitIdea(h.ctx, h.join(w), ideas.ID, "trop tard", "")
		wantErr(t, err, agora.ECONFLICT, "error.activity_closed")
	})
}

func TestEngine_Premoderation(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, _ := h.workshop()
		ideas := h.activity(w, agora.KindIdeas, agora.ActivitySettings{Premoderation: true})
		open(t, h, ideas)
		author, other := h.join(w), h.join(w)
		h.rec.clear()
		idea, err := h.eng.SubmitIdea(h.ctx, author, ideas.ID, "Un parking vélo", "k")
		h.must(err)
		if idea.Status != agora.ProposalPending {
			t.Fatalf("status = %s, want pending", idea.Status)
		}
		if got := h.rec.topics(live.EventIdea); len(got) != 1 || got[0] != live.FacilitatorsTopic(w.ID) {
			t.Errorf("pending idea published to %v, want the facilitators only", got)
		}
		if s := h.state(w, live.Screen, nil); len(s.Ideas) != 0 {
			t.Errorf("screen sees pending ideas: %+v", s.Ideas)
		}
		if s := h.state(w, live.Participants, other); len(s.Ideas) != 0 || len(s.Me.Ideas) != 0 {
			t.Errorf("another participant sees a pending idea: %+v", s)
		}
		if s := h.state(w, live.Participants, author); len(s.Ideas) != 0 || len(s.Me.Ideas) != 1 || !s.Me.Ideas[0].Mine {
			t.Errorf("the author's state = %+v %+v", s.Ideas, s.Me)
		}
		if s := h.state(w, live.Facilitators, nil); len(s.Ideas) != 1 || s.Ideas[0].Status != agora.ProposalPending {
			t.Errorf("facilitators' ideas = %+v", s.Ideas)
		}
		err = h.eng.Support(h.ctx, other, idea.ID)
		wantErr(t, err, agora.ENOTFOUND, "error.idea_not_found")

		h.rec.clear()
		got, err := h.eng.Moderate(h.ctx, h.facilitator, idea.ID, live.Approve)
		h.must(err)
		if got.Status != agora.ProposalApproved {
			t.Errorf("status = %s", got.Status)
		}
		for _, topic := range []string{live.ParticipantsTopic(w.ID), live.ScreenTopic(w.ID)} {
			if ev := h.rec.take(topic, live.EventIdea); len(ev) != 1 {
				t.Errorf("%s: %d idea events after approval, want 1", topic, len(ev))
			}
		}
		if ev := h.rec.take(live.FacilitatorsTopic(w.ID), live.EventIdeaModerated); len(ev) != 1 ||
			ev[0].Data.(live.ModerationEvent).Action != live.Approve {
			t.Errorf("moderation events = %+v", ev)
		}
		if s := h.state(w, live.Screen, nil); len(s.Ideas) != 1 {
			t.Errorf("screen ideas after approval = %+v", s.Ideas)
		}
		if len(h.audit("proposal.approve", idea.ID)) != 1 {
			t.Error("approval not audited")
		}
		h.rec.clear()
		_, err = h.eng.Moderate(h.ctx, h.facilitator, idea.ID, live.HideIdea)
		h.must(err)
		if ev := h.rec.take(live.ScreenTopic(w.ID), live.EventIdeaRemoved); len(ev) != 1 {
			t.Errorf("screen removal events = %+v", ev)
		}
		_, err = h.eng.Moderate(h.ctx, h.facilitator, idea.ID, live.Reject)
		wantErr(t, err, agora.ECONFLICT, "error.moderation_conflict")
		_, err = h.eng.Moderate(h.ctx, h.facilitator, idea.ID, "delete")
		wantErr(t, err, agora.EINVALID, "error.moderation_invalid")
		_, err = h.eng.Moderate(h.ctx, h.facilitator, 9999, live.Approve)
		wantErr(t, err, agora.ENOTFOUND, "error.idea_not_found")
	})
}

func TestEngine_Support(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindIdeas)
		ideas := as[0]
		open(t, h, ideas)
		a, b := h.join(w), h.join(w)
		idea, err := h.eng.SubmitIdea(h.ctx, a, ideas.ID, "Des arceaux", "")
		h.must(err)
		h.must(h.eng.Support(h.ctx, b, idea.ID))
		h.must(h.eng.Support(h.ctx, b, idea.ID)) // twice: once
		h.must(h.eng.Support(h.ctx, a, idea.ID))
		h.must(h.eng.Unsupport(h.ctx, a, idea.ID))
		h.must(h.eng.Unsupport(h.ctx, a, idea.ID))
		stored, err := h.st.ProposalByID(h.ctx, idea.ID)
		h.must(err)
		if stored.Supports() != 1 {
			t.Errorf("store: %d supports, want 1", stored.Supports())
		}
		s := h.state(w, live.Participants, b)
		if s.Tally == nil || len(s.Tally.Ideas) != 1 || s.Tally.Ideas[0].Supports != 1 {
			t.Errorf("live tally = %+v", s.Tally)
		}
		if len(s.Me.Supports) != 1 || s.Me.Supports[0] != idea.ID {
			t.Errorf("my supports = %v", s.Me.Supports)
		}
		h.clock.Advance(live.DefaultTallyInterval)
		ev := h.rec.take(live.ScreenTopic(w.ID), live.EventTally)
		if len(ev) == 0 || ev[len(ev)-1].Data.(agora.Tally).Ideas[0].Supports != 1 {
			t.Errorf("screen tallies = %+v", ev)
		}
		other, _ := h.workshop()
		wantErr(t, h.eng.Support(h.ctx, h.join(other), idea.ID), agora.ENOTFOUND, "error.idea_not_found")
		wantErr(t, h.eng.Support(h.ctx, b, 9999), agora.ENOTFOUND, "error.idea_not_found")
		wantErr(t, h.eng.Support(h.ctx, nil, idea.ID), agora.EUNAUTHORIZED, "error.join_required")
		h.must(h.eng.CloseActivity(h.ctx, h.facilitator, ideas.ID))
		wantErr(t, h.eng.Support(h.ctx, a, idea.ID), agora.ECONFLICT, "error.activity_closed")
	})
}

func TestEngine_Highlight(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w, as := h.workshop(agora.KindIdeas)
		open(t, h, as[0])
		p := h.join(w)
		x, err := h.eng.SubmitIdea(h.ctx, p, as[0].ID, "idée x", "")
		h.must(err)
		y, err := h.eng.SubmitIdea(h.ctx, p, as[0].ID, "idée y", "")
		h.must(err)
		_, err = h.eng.Moderate(h.ctx, h.facilitator, x.ID, live.Highlight)
		h.must(err)
		h.rec.clear()
		_, err = h.eng.Moderate(h.ctx, h.facilitator, y.ID, live.Highlight)
		h.must(err)
		stored, err := h.st.ProposalByID(h.ctx, x.ID)
		h.must(err)
		if stored.Highlighted {
			t.Error("two ideas highlighted at once")
		}
		ev := h.rec.take(live.ScreenTopic(w.ID), live.EventHighlight)
		if len(ev) != 1 || ev[0].Data.(live.HighlightEvent).Idea.ID != y.ID {
			t.Errorf("highlight events = %+v", ev)
		}
		if s := h.state(w, live.Screen, nil); s.Highlighted == nil || s.Highlighted.ID != y.ID {
			t.Errorf("screen highlight = %+v", s.Highlighted)
		}
		h.rec.clear()
		_, err = h.eng.Moderate(h.ctx, h.facilitator, y.ID, live.HideIdea)
		h.must(err)
		ev = h.rec.take(live.ScreenTopic(w.ID), live.EventHighlight)
		if len(ev) != 1 || ev[0].Data.(live.HighlightEvent).Idea != nil {
			t.Errorf("hiding the highlighted idea: events = %+v", ev)
		}
		_, err = h.eng.Moderate(h.ctx, h.facilitator, y.ID, live.Highlight)
		wantErr(t, err, agora.ECONFLICT, "error.idea_not_approved")
		if s := h.state(w, live.Screen, nil); s.Highlighted != nil || len(s.Ideas) != 1 {
			t.Errorf("screen after hiding: %+v %+v", s.Highlighted, s.Ideas)
		}
	})
}

package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// prompts returns the prompts of a workshop's run of show, checking that
// positions are dense.
func prompts(t *testing.T, s agora.Store, workshopID int64) []string {
	t.Helper()
	as, err := s.ListActivities(t.Context(), workshopID)
	must(t, err)
	var out []string
	for i, a := range as {
		if a.Position != i {
			t.Fatalf("activity %q at position %d, want %d", a.Prompt, a.Position, i)
		}
		out = append(out, a.Prompt)
	}
	return out
}

func mkRunOfShow(t *testing.T, s agora.Store, names ...string) (*agora.Workshop, []*agora.Activity) {
	t.Helper()
	w := mkWorkshop(t, s)
	var as []*agora.Activity
	for _, n := range names {
		as = append(as, mkActivity(t, s, w.ID, n))
	}
	return w, as
}

var activityTests = []test{
	{"Activity/RoundTrip", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w := mkWorkshop(t, s)
		a := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindScale, Prompt: "Êtes-vous d'accord ?",
			Settings: agora.ActivitySettings{ScaleMin: 1, ScaleMax: 5, HideResults: true, TimerSeconds: 60},
			State:    agora.ActivityClosed, Revealed: true, Round: 2, OpenedAt: ptr(base),
			ClosesAt: ptr(base.Add(time.Minute)), ClosedAt: ptr(base.Add(time.Minute)), OnlineUntil: ptr(base.Add(time.Hour))}
		must(t, s.CreateActivity(ctx, a))
		if a.ID == 0 || a.Position != 0 || a.CreatedAt.IsZero() {
			t.Fatalf("create did not fill ID, position, timestamps: %+v", a)
		}
		got, err := s.ActivityByID(ctx, a.ID)
		must(t, err)
		same(t, "by id", got, a)
		b := mkActivity(t, s, w.ID, "poll")
		if b.Position != 1 {
			t.Fatalf("second activity at %d, want 1", b.Position)
		}
		list, err := s.ListActivities(ctx, w.ID)
		must(t, err)
		same(t, "list", list, []*agora.Activity{a, b})
		// The joined read gives the same records as the two reads, and
		// the activity's own workshop, not another.
		other := mkWorkshop(t, s)
		c := mkActivity(t, s, other.ID, "elsewhere")
		for _, want := range []*agora.Activity{a, c} {
			gotA, gotW, err := s.ActivityWithWorkshop(ctx, want.ID)
			must(t, err)
			same(t, "with workshop: activity", gotA, want)
			wantW, err := s.WorkshopByID(ctx, want.WorkshopID)
			must(t, err)
			same(t, "with workshop: workshop", gotW, wantW)
		}
	}},
	{"Activity/NotFound", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		_, err := s.ActivityByID(ctx, 5)
		wantCode(t, err, agora.ENOTFOUND)
		_, _, err = s.ActivityWithWorkshop(ctx, 5)
		wantCode(t, err, agora.ENOTFOUND)
		wantCode(t, s.UpdateActivity(ctx, &agora.Activity{ID: 5, Kind: agora.KindPoll, State: agora.ActivityOpen}), agora.ENOTFOUND)
		wantCode(t, s.MoveActivity(ctx, 5, 0), agora.ENOTFOUND)
		wantCode(t, s.DeleteActivity(ctx, 5), agora.ENOTFOUND)
		_, err = s.ResetActivity(ctx, 5, &agora.AuditEntry{Action: "activity.reset"})
		wantCode(t, err, agora.ENOTFOUND)
		err = s.CreateActivity(ctx, &agora.Activity{WorkshopID: 5, Kind: agora.KindPoll, Prompt: "x", State: agora.ActivityPending})
		wantCode(t, err, agora.ENOTFOUND)
	}},
	{"Activity/Update", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		_, as := mkRunOfShow(t, s, "a", "b")
		a := as[1]
		a.Kind, a.Prompt, a.Options = agora.KindWordCloud, "Un mot ?", nil
		a.Settings = agora.ActivitySettings{MaxWords: 3}
		a.State, a.Revealed, a.Round = agora.ActivityOpen, true, 4
		a.OpenedAt, a.ClosesAt, a.ClosedAt, a.OnlineUntil = ptr(base), ptr(base.Add(time.Minute)), nil, ptr(base)
		a.Position = 0 // ignored: MoveActivity changes positions
		must(t, s.UpdateActivity(ctx, a))
		got, err := s.ActivityByID(ctx, a.ID)
		must(t, err)
		a.Position = 1
		same(t, "updated", got, a)
	}},
	{"Activity/Move", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w, as := mkRunOfShow(t, s, "a", "b", "c", "d")
		must(t, s.MoveActivity(ctx, as[3].ID, 0))
		same(t, "last to first", prompts(t, s, w.ID), []string{"d", "a", "b", "c"})
		must(t, s.MoveActivity(ctx, as[3].ID, 99)) // clamped to the end
		same(t, "first to last (clamped)", prompts(t, s, w.ID), []string{"a", "b", "c", "d"})
		must(t, s.MoveActivity(ctx, as[0].ID, 2))
		same(t, "down two", prompts(t, s, w.ID), []string{"b", "c", "a", "d"})
		must(t, s.MoveActivity(ctx, as[3].ID, -5)) // clamped to the start
		same(t, "to start (clamped)", prompts(t, s, w.ID), []string{"d", "b", "c", "a"})
		must(t, s.MoveActivity(ctx, as[1].ID, 1)) // already there
		same(t, "no-op", prompts(t, s, w.ID), []string{"d", "b", "c", "a"})
	}},
	{"Activity/DeleteClosesRanks", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w, as := mkRunOfShow(t, s, "a", "b", "c")
		p := mkParticipant(t, s, w.ID)
		_, err := s.PutVote(ctx, &agora.Vote{ActivityID: as[1].ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{1}})
		must(t, err)
		w.CurrentActivityID = &as[1].ID
		must(t, s.UpdateWorkshop(ctx, w))
		must(t, s.DeleteActivity(ctx, as[1].ID))
		same(t, "after delete", prompts(t, s, w.ID), []string{"a", "c"})
		_, err = s.ActivityByID(ctx, as[1].ID)
		wantCode(t, err, agora.ENOTFOUND)
		_, err = s.VoteByParticipant(ctx, as[1].ID, p.ID)
		wantCode(t, err, agora.ENOTFOUND)
		got, err := s.WorkshopByID(ctx, w.ID)
		must(t, err)
		if got.CurrentActivityID != nil {
			t.Fatalf("current activity %d survives its deletion", *got.CurrentActivityID)
		}
		d := mkActivity(t, s, w.ID, "d")
		if d.Position != 2 {
			t.Fatalf("new activity at %d, want 2", d.Position)
		}
	}},
	{"Activity/Reset", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		w, as := mkRunOfShow(t, s, "a", "ideas")
		a := as[1]
		a.State, a.Revealed, a.OpenedAt, a.ClosedAt, a.ClosesAt = agora.ActivityClosed, true, ptr(base), ptr(base), ptr(base)
		must(t, s.UpdateActivity(ctx, a))
		p := mkParticipant(t, s, w.ID)
		_, err := s.PutVote(ctx, &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Choices: []int{2}})
		must(t, err)
		c, err := s.ConsultationByID(ctx, w.ConsultationID)
		must(t, err)
		idea := mkProposal(t, s, c, &agora.Proposal{WorkshopID: &w.ID, ActivityID: &a.ID, ParticipantID: &p.ID})
		other := mkProposal(t, s, c, &agora.Proposal{})
		for _, id := range []int64{idea.ID, other.ID} {
			_, err = s.AddSupport(ctx, &agora.Support{ProposalID: id, ParticipantID: &p.ID, Channel: agora.ChannelRoom})
			must(t, err)
		}
		actor := mkUser(t, s, agora.RoleFacilitator)
		entry := &agora.AuditEntry{ActorID: &actor.ID, Action: "activity.reset", Detail: `{"round":0}`}
		got, err := s.ResetActivity(ctx, a.ID, entry)
		must(t, err)
		want := *a
		want.State, want.Revealed, want.Round = agora.ActivityPending, false, a.Round+1
		want.OpenedAt, want.ClosedAt, want.ClosesAt = nil, nil, nil
		if got.UpdatedAt.Before(a.UpdatedAt) {
			t.Fatalf("UpdatedAt went back: %v < %v", got.UpdatedAt, a.UpdatedAt)
		}
		want.UpdatedAt = got.UpdatedAt
		same(t, "reset activity", got, &want)
		if n, _ := s.CountVotes(ctx, a.ID); n != 0 {
			t.Fatalf("%d votes survive the reset", n)
		}
		if ok, _ := s.HasSupport(ctx, &agora.Support{ProposalID: idea.ID, ParticipantID: &p.ID}); ok {
			t.Fatal("the idea's support survives the reset")
		}
		if ok, _ := s.HasSupport(ctx, &agora.Support{ProposalID: other.ID, ParticipantID: &p.ID}); !ok {
			t.Fatal("a support outside the activity was deleted")
		}
		if _, err := s.ProposalByID(ctx, idea.ID); err != nil {
			t.Fatalf("the idea itself must stay: %v", err)
		}
		log, err := s.ListAudit(ctx, agora.AuditFilter{TargetKind: agora.TargetActivity, TargetID: a.ID})
		must(t, err)
		same(t, "audit", log, []*agora.AuditEntry{{ID: entry.ID, At: entry.At, ActorID: &actor.ID,
			Action: "activity.reset", TargetKind: agora.TargetActivity, TargetID: a.ID,
			WorkshopID: &w.ID, Detail: `{"round":0}`}})
	}},
}

package report

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// cmpOpts compares times as instants and empty slices as nil.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

func TestBuild(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		s := seed(t, open(t))
		r, err := Build(context.Background(), s.st, s.cons)
		if err != nil {
			t.Fatal(err)
		}
		if r.Consultation != s.cons {
			t.Errorf("Consultation = %p, want the one passed in", r.Consultation)
		}
		same(t, "participation", r.Participation, Participation{RoomParticipants: 7, OnlineCitizens: 6,
			Contributions: Contributions{VotesRoom: 12, VotesOnline: 5, Ideas: 2, Proposals: 2,
				SupportsRoom: 3, SupportsOnline: 5, Comments: 5}})
		timeline := []TimelineDay{
			{Day: at(10, 0, 0), Joins: 5, Contributions: 5}, // ideas i1, i2 and their 3 room supports
			{Day: at(12, 0, 0), Contributions: 1},           // P1
			{Day: at(13, 0, 0), Contributions: 1},           // P2 (P3 hidden, P4 deleted)
			{Day: at(14, 0, 0), Contributions: 5},           // online supports on P1, P2, i1
			{Day: at(15, 0, 0), Contributions: 3},           // c1, c2, c3
			{Day: at(16, 0, 0), Contributions: 2},           // c6, c9
			{Day: at(20, 0, 0), Joins: 2},
		}
		// The store stamps votes now: 17 of them, today (or across midnight).
		n := 0
		for _, d := range slices.SortedFunc(maps.Keys(s.votesOn), time.Time.Compare) {
			if s.votesOn[d] == 0 {
				continue // only the discarded round's votes fell on d
			}
			timeline = append(timeline, TimelineDay{Day: d, Votes: s.votesOn[d]})
			n += s.votesOn[d]
		}
		if n != 17 {
			t.Fatalf("seed cast %d votes, want 17", n)
		}
		same(t, "timeline", r.Timeline, timeline)
		same(t, "workshops", r.Workshops, wantWorkshops(s))
		same(t, "proposals", r.Proposals, []*Proposal{
			{ID: s.props["i1"], Body: "Des arceaux devant l'école", FromRoom: true, SupportsRoom: 2, SupportsOnline: 1,
				Qualified: true, CreatedAt: at(10, 18, 30)},
			{ID: s.props["P1"], Title: "Piste rue Victor Hugo", Body: "Corps de Piste rue Victor Hugo", Category: "Pistes",
				SupportsOnline: 3, CommentsFor: 2, CommentsAgainst: 1, CommentsNeutral: 1, Qualified: true,
				Answer: agora.AnswerAccepted, AnswerText: "Sera réalisé en 2027", AnsweredAt: ptr(at(25, 10, 0)),
				CreatedAt: at(12, 12, 0)},
			{ID: s.props["i2"], Body: "Une rue scolaire", FromRoom: true, SupportsRoom: 1, CreatedAt: at(10, 18, 31)},
			{ID: s.props["P2"], Title: "+Parking vélos gare", Body: "Corps de +Parking vélos gare", Category: "Pistes",
				SupportsOnline: 1, CreatedAt: at(13, 12, 0)},
		})
		same(t, "moderation", r.Moderation, Moderation{HiddenProposals: 2, RejectedIdeas: 1, HiddenComments: 1,
			Reasons: []ReasonCount{{"hors sujet", 2}, {"propos injurieux", 1}}})
		same(t, "method", r.Method, Method{SupportThreshold: 3, Premoderated: 1, Phases: []Phase{
			{Kind: PhaseConsultation, Title: "Plan vélo", OpenedAt: ptr(at(1, 8, 0)),
				ClosedAt: ptr(time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC))},
			{Kind: PhaseWorkshop, Title: "Atelier mairie", OpenedAt: ptr(at(10, 18, 5)), ClosedAt: ptr(at(10, 20, 0)),
				WorkshopID: s.w1.ID},
			{Kind: PhaseOnline, Title: "Quel aménagement d'abord ?", OpenedAt: ptr(at(11, 9, 0)),
				ClosedAt: ptr(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)), WorkshopID: s.w1.ID, ActivityID: s.acts["poll"].ID},
			{Kind: PhaseWorkshop, Title: "Atelier quartier", OpenedAt: ptr(at(20, 18, 0)), WorkshopID: s.w2.ID},
		}})
		if !r.LastChange.Equal(s.lastVote) || r.LastChange.Location() != time.UTC {
			t.Errorf("LastChange = %v, want %v (the last vote)", r.LastChange, s.lastVote)
		}
		again, err := Build(context.Background(), s.st, s.cons)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "second build", again, r)
	})
}

// wantWorkshops is the seed's workshops with every tally written out.
func wantWorkshops(s *seeded) []*Workshop {
	a := s.acts
	opened := func(i int) *time.Time { return ptr(at(10, 18, 10+i)) }
	closed := func(i int) *time.Time { return ptr(at(10, 18, 20+i)) }
	poll := func(id int64, round int, labels []string, all, room, online []int, voters [3]int) agora.Tally {
		counts := func(n []int, v int) []agora.OptionCount {
			out := make([]agora.OptionCount, len(labels))
			for i, l := range labels {
				pct := 0.0
				if v > 0 {
					pct = float64(n[i]*1000/v) / 10
				}
				out[i] = agora.OptionCount{ID: i + 1, Label: l, Count: n[i], Percent: pct}
			}
			return out
		}
		sub := func(n []int, v int) *agora.Tally {
			return &agora.Tally{ActivityID: id, Kind: agora.KindPoll, Round: round, Voters: v, Options: counts(n, v)}
		}
		return agora.Tally{ActivityID: id, Kind: agora.KindPoll, Round: round, Voters: voters[0],
			Options: counts(all, voters[0]), Room: sub(room, voters[1]), Online: sub(online, voters[2])}
	}
	pollLabels := []string{"Pistes cyclables", "Stationnement", "-Zones 30"}
	scaleDist := []int{0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1}
	scale := agora.Tally{ActivityID: a["scale"].ID, Kind: agora.KindScale, Voters: 3,
		Scale: &agora.ScaleResult{Min: 0, Max: 10, Distribution: scaleDist, Mean: 8, Count: 3},
		Room: &agora.Tally{ActivityID: a["scale"].ID, Kind: agora.KindScale, Voters: 3,
			Scale: &agora.ScaleResult{Min: 0, Max: 10, Distribution: scaleDist, Mean: 8, Count: 3}},
		Online: &agora.Tally{ActivityID: a["scale"].ID, Kind: agora.KindScale,
			Scale: &agora.ScaleResult{Min: 0, Max: 10, Distribution: make([]int, 11)}}}
	words := []agora.WordCount{{Key: "velo", Label: "VELO", Count: 3}, {Key: "arbres", Label: "arbres", Count: 1},
		{Key: "ecole", Label: "École", Count: 1}}
	cloud := agora.Tally{ActivityID: a["cloud"].ID, Kind: agora.KindWordCloud, Voters: 3, Words: words,
		Room:   &agora.Tally{ActivityID: a["cloud"].ID, Kind: agora.KindWordCloud, Voters: 3, Words: words},
		Online: &agora.Tally{ActivityID: a["cloud"].ID, Kind: agora.KindWordCloud}}
	ideas := agora.Tally{ActivityID: a["ideas"].ID, Kind: agora.KindIdeas, Ideas: []agora.IdeaCount{
		{ID: s.props["i1"], Body: "Des arceaux devant l'école", Supports: 3, SupportsRoom: 2, SupportsOnline: 1},
		{ID: s.props["i2"], Body: "Une rue scolaire", Supports: 1, SupportsRoom: 1},
	}}
	act := func(key string, i int, t agora.Tally, both bool) *Activity {
		x := a[key]
		return &Activity{ID: x.ID, Position: i, Kind: x.Kind, Prompt: x.Prompt, Settings: x.Settings, Round: x.Round,
			Resets: x.Round, OpenedAt: x.OpenedAt, ClosedAt: x.ClosedAt, OnlineUntil: x.OnlineUntil, Tally: t, BothChannels: both}
	}
	return []*Workshop{
		{ID: s.w1.ID, Title: "Atelier mairie", Place: "Salle des fêtes", State: agora.WorkshopEnded,
			StartedAt: ptr(at(10, 18, 5)), EndedAt: ptr(at(10, 20, 0)), Participants: 5, Voters: 5,
			Activities: []*Activity{
				withTimes(act("poll", 0, poll(a["poll"].ID, 0, pollLabels, []int{4, 6, 0}, []int{3, 2, 0}, []int{1, 4, 0}, [3]int{10, 5, 5}), true),
					opened(0), closed(0), ptr(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC))),
				withTimes(act("scale", 1, scale, false), opened(1), closed(1), nil),
				withTimes(act("cloud", 2, cloud, false), opened(2), closed(2), nil),
				withTimes(act("ideas", 3, ideas, true), opened(3), closed(3), nil),
				// Reset once: round 1, its opening cleared, one vote since.
				withTimes(act("reset", 4, poll(a["reset"].ID, 1, []string{"Oui", "Non"}, []int{0, 1}, []int{0, 1}, []int{0, 0}, [3]int{1, 1, 0}), false),
					nil, nil, nil),
			}},
		{ID: s.w2.ID, Title: "Atelier quartier", Place: "École Jaurès", State: agora.WorkshopDraft, Participants: 2,
			Activities: []*Activity{
				withTimes(act("empty", 0, poll(a["empty"].ID, 0, []string{"Samedi", "Dimanche"}, []int{0, 0}, []int{0, 0}, []int{0, 0}, [3]int{}), false),
					opened(5), closed(5), nil),
			}},
	}
}

// withTimes states an activity's times outright, so the test does not
// just copy what the store returned.
func withTimes(a *Activity, opened, closed, online *time.Time) *Activity {
	a.OpenedAt, a.ClosedAt, a.OnlineUntil = opened, closed, online
	if a.Kind == agora.KindPoll && a.Tally.Round == 1 {
		a.Round, a.Resets = 1, 1
	}
	return a
}

func TestBuildWorkshop(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		s := seed(t, open(t))
		want := wantWorkshops(s)
		for i, w := range []*agora.Workshop{s.w1, s.w2} {
			got, err := BuildWorkshop(context.Background(), s.st, w)
			if err != nil {
				t.Fatal(err)
			}
			same(t, w.Title, got, want[i])
		}
	})
}

func TestBuild_Empty(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		st := open(t)
		ctx := context.Background()
		c := &agora.Consultation{Slug: "vide", Title: "Vide", Status: agora.ConsultationDraft}
		if err := st.CreateConsultation(ctx, c); err != nil {
			t.Fatal(err)
		}
		r, err := Build(ctx, st, c)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "empty report", r, &Report{Consultation: c,
			Method: Method{Phases: []Phase{{Kind: PhaseConsultation, Title: "Vide"}}}})
		// A workshop with an activity but no votes or participants.
		w := &agora.Workshop{ConsultationID: c.ID, Title: "Atelier", JoinCode: agora.NewJoinCode(), ScreenToken: agora.NewSecret(),
			State: agora.WorkshopDraft}
		if err := st.CreateWorkshop(ctx, w); err != nil {
			t.Fatal(err)
		}
		a := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindScale, Prompt: "Note", State: agora.ActivityPending,
			Settings: agora.ActivitySettings{ScaleMin: 1, ScaleMax: 5}}
		if err := st.CreateActivity(ctx, a); err != nil {
			t.Fatal(err)
		}
		if r, err = Build(ctx, st, c); err != nil {
			t.Fatal(err)
		}
		same(t, "participation", r.Participation, Participation{})
		if len(r.Workshops) != 1 || r.Workshops[0].Voters != 0 || r.Workshops[0].Activities[0].Tally.Scale.Count != 0 {
			t.Errorf("workshops = %+v", r.Workshops)
		}
		ex, err := BuildExports(ctx, st, c, testKey)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, ex.JSON)
	})
}

// failing is a Source whose every read fails.
type failing struct{ Source }

var errDown = agora.Errorf(agora.EUNAVAILABLE, "error.unavailable")

func (failing) ListWorkshops(context.Context, int64) ([]*agora.Workshop, error) { return nil, errDown }
func (failing) ListAudit(context.Context, agora.AuditFilter) ([]*agora.AuditEntry, error) {
	return nil, errDown
}
func (failing) ListActivities(context.Context, int64) ([]*agora.Activity, error) { return nil, errDown }

func TestBuild_StoreErrors(t *testing.T) {
	c := &agora.Consultation{ID: 1, Title: "X"}
	if _, err := Build(context.Background(), failing{}, c); !errors.Is(err, errDown) || !agora.IsCode(err, agora.EUNAVAILABLE) {
		t.Errorf("Build: err = %v, want the store's error wrapped", err)
	}
	if _, err := BuildExports(context.Background(), failing{}, c, testKey); !errors.Is(err, errDown) {
		t.Errorf("BuildExports: err = %v, want the store's error wrapped", err)
	}
	if _, err := BuildWorkshop(context.Background(), failing{}, &agora.Workshop{ID: 1}); !errors.Is(err, errDown) {
		t.Errorf("BuildWorkshop: err = %v, want the store's error wrapped", err)
	}
	if _, err := BuildExports(context.Background(), failing{}, c, []byte("short")); err == nil {
		t.Error("BuildExports accepted a 5-byte key")
	}
	if _, err := Build(context.Background(), failing{}, nil); err == nil {
		t.Error("Build accepted a nil consultation")
	}
}

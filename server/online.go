package server

import (
	"context"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris on hosts without a zone database

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// MaxOnlineVotesPerMinute is how many online votes (and changes) one
// citizen may send per minute.
const MaxOnlineVotesPerMinute = 30

// localZone is where the dates facilitators type in datetime-local fields
// are read, and shown: the instance serves French public bodies.
var localZone = func() *time.Location {
	if z, err := time.LoadLocation("Europe/Paris"); err == nil {
		return z
	}
	return time.UTC
}()

// registerOnlineRoutes registers the online side of workshop activities:
// their public page with results and debate, the online vote, and the
// facilitators' command reopening an activity online until a date (in
// registerFacilitateRoutes, before its catch-all command route).
func (s *Server) registerOnlineRoutes() {
	s.app.Get("/c/:slug/a/:id", s.handleActivityPage)
	s.app.Post("/c/:slug/a/:id/vote", s.requireUser, s.handleOnlineVote)
}

// onlineActivity is an activity of a consultation's workshop as its pages
// list it.
type onlineActivity struct {
	Activity *agora.Activity
	Workshop *agora.Workshop
	URL      string
	Until    string // when online voting ends, in words; empty when closed
}

// onlineActivities lists the consultation's activities open to online
// votes now, workshop by workshop: for the consultation page.
func (s *Server) onlineActivities(ctx context.Context, consultationID int64) ([]onlineActivity, error) {
	cons, err := s.store.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	ws, err := s.store.ListWorkshops(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []onlineActivity
	for _, w := range ws {
		run, err := s.store.ListActivities(ctx, w.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range run {
			if agora.CanVoteOnline(a, now) == nil {
				out = append(out, onlineActivity{Activity: a, Workshop: w, URL: activityURL(cons, a), Until: localTime(*a.OnlineUntil)})
			}
		}
	}
	return out, nil
}

func activityURL(cons *agora.Consultation, a *agora.Activity) string {
	return "/c/" + cons.Slug + "/a/" + strconv.FormatInt(a.ID, 10)
}

// localTime writes an instant as the people of the instance read it:
// "2026-03-14 18:00" in Europe/Paris, for both languages.
func localTime(t time.Time) string { return t.In(localZone).Format("2006-01-02 15:04") }

// activityPageData is the activity page: the question, its results in
// the room, online and together, the online vote and the debate.
type activityPageData struct {
	Cons     *agora.Consultation
	Workshop *agora.Workshop
	Activity *agora.Activity
	Results  *resultTable // nil while hidden
	Hidden   bool         // results exist but are not revealed yet
	CanVote  bool         // online voting is open to this reader
	Until    string       // online voting ends then (empty: not open online)
	Ballot   ballot
	Voted    bool
	Comments commentsView
}

// ballot is the reader's current online vote, to fill the form.
type ballot struct {
	Choices map[int]bool
	Words   []string
	Value   int
	Values  []int      // a scale's possible values
	Slots   []wordSlot // a word cloud's fields
}

// wordSlot is one field of a word cloud's form, numbered from 1.
type wordSlot struct {
	N     int
	Value string
}

// handleActivityPage shows an activity of a consultation's workshop. It
// reads the votes from the store: an online page need not be live.
func (s *Server) handleActivityPage(c *fiber.Ctx) error {
	t, w, err := s.activityTargetOf(c)
	if err != nil {
		return err
	}
	ctx, a := c.UserContext(), t.Activity
	u, err := s.currentUser(c)
	if err != nil {
		return err
	}
	d := activityPageData{Cons: t.Cons, Workshop: w, Activity: a}
	open := agora.CanVoteOnline(a, s.now()) == nil && consultationOpenAt(t.Cons, s.now()) == nil
	if open {
		d.Until = localTime(*a.OnlineUntil)
	}
	staff := u != nil && (u.Role.CanFacilitate() || u.Role.CanModerate())
	if a.ResultsVisible() || staff {
		if d.Results, err = s.activityResults(ctx, a); err != nil {
			return err
		}
	} else {
		d.Hidden = true
	}
	if d.Ballot, d.Voted, err = s.readerBallot(ctx, a, u); err != nil {
		return err
	}
	d.Ballot.Slots = wordSlots(a, d.Ballot.Words)
	d.CanVote = open && u != nil
	if d.Comments, err = s.commentsView(c, t); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "activity", form{}, d)
}

// readerBallot returns the reader's online vote, if any, and the values a
// scale offers.
func (s *Server) readerBallot(ctx context.Context, a *agora.Activity, u *agora.User) (ballot, bool, error) {
	b := ballot{Choices: map[int]bool{}}
	for v := a.Settings.ScaleMin; a.Kind == agora.KindScale && v <= a.Settings.ScaleMax; v++ {
		b.Values = append(b.Values, v)
	}
	if u == nil || !a.Kind.Votable() {
		return b, false, nil
	}
	v, err := s.store.VoteByUser(ctx, a.ID, u.ID)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return b, false, nil
	} else if err != nil {
		return b, false, err
	}
	for _, ch := range v.Choices {
		b.Choices[ch] = true
	}
	b.Words = v.Words
	if v.Value != nil {
		b.Value = *v.Value
	}
	return b, true, nil
}

// wordSlots are a word cloud's fields, filled with the reader's words.
func wordSlots(a *agora.Activity, words []string) []wordSlot {
	if a.Kind != agora.KindWordCloud {
		return nil
	}
	out := make([]wordSlot, a.Settings.MaxWords)
	for i := range out {
		out[i].N = i + 1
		if i < len(words) {
			out[i].Value = words[i]
		}
	}
	return out
}

// handleOnlineVote records a signed-in citizen's vote on an activity
// reopened online; a second vote replaces the first.
func (s *Server) handleOnlineVote(c *fiber.Ctx) error {
	t, _, err := s.activityTargetOf(c)
	if err != nil {
		return err
	}
	in, err := voteFromForm(c)
	if err != nil {
		return err
	}
	v, err := s.voteOnline(c.UserContext(), s.mustUser(c), t, in)
	if err != nil {
		return err
	}
	return s.debateDone(c, fiber.StatusOK, t.url()+"?voted=1#results", fiber.Map{"id": v.ID})
}

// voteOnline checks and stores u's online vote in t's activity.
func (s *Server) voteOnline(ctx context.Context, u *agora.User, t commentTarget, in voteRequest) (*agora.Vote, error) {
	a, now := t.Activity, s.now()
	if err := consultationOpenAt(t.Cons, now); err != nil {
		return nil, err
	}
	if err := agora.CanVoteOnline(a, now); err != nil {
		return nil, err
	}
	v := &agora.Vote{ActivityID: a.ID, UserID: &u.ID, Channel: agora.ChannelOnline}
	switch a.Kind {
	case agora.KindPoll:
		v.Choices = in.Choices
	case agora.KindWordCloud:
		for _, w := range in.Words {
			if w = strings.TrimSpace(w); w != "" {
				v.Words = append(v.Words, w)
			}
		}
	case agora.KindScale:
		v.Value = in.Value
	}
	if err := agora.ValidateVote(a, v); err != nil {
		return nil, err
	}
	if err := s.limitPerMinute(ctx, map[string]int{"ovote:u:" + strconv.FormatInt(u.ID, 10): MaxOnlineVotesPerMinute}); err != nil {
		return nil, err
	}
	if err := s.engine.PutOnlineVote(ctx, a, v); err != nil {
		return nil, err
	}
	return v, nil
}

// handleReopenOnline is POST /facilitate/{code}/activities/{id}/online:
// until (a datetime-local, Europe/Paris) opens the activity to online
// votes until then; an empty until closes it online.
func (s *Server) handleReopenOnline(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	a, err := s.workshopActivity(c, w)
	if err != nil {
		return err
	}
	var until *time.Time
	if raw := strings.TrimSpace(c.FormValue("until")); raw != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", raw, localZone)
		if err != nil {
			return agora.Errorf(agora.EINVALID, "error.online_until_invalid")
		}
		if !t.After(s.now()) {
			return agora.Errorf(agora.EINVALID, "error.online_until_past")
		}
		t = t.UTC()
		until = &t
	}
	if until != nil && !a.Kind.Votable() {
		return agora.Errorf(agora.EINVALID, "error.not_votable")
	}
	if err := s.setOnlineUntil(c.UserContext(), s.mustUser(c), w, a, until); err != nil {
		return err
	}
	return s.done(c, w)
}

// setOnlineUntil writes the activity's online window with its audit entry.
func (s *Server) setOnlineUntil(ctx context.Context, u *agora.User, w *agora.Workshop, a *agora.Activity, until *time.Time) error {
	return s.store.WithTx(ctx, func(tx agora.Store) error {
		cur, err := tx.ActivityByID(ctx, a.ID)
		if err != nil {
			return err
		}
		cur.OnlineUntil, cur.UpdatedAt = until, s.now()
		if err := tx.UpdateActivity(ctx, cur); err != nil {
			return err
		}
		detail := `{"online_until":null}`
		if until != nil {
			detail = `{"online_until":"` + until.Format(time.RFC3339) + `"}`
		}
		return tx.AppendAudit(ctx, &agora.AuditEntry{At: s.now(), ActorID: &u.ID, Action: "activity.online",
			TargetKind: agora.TargetActivity, TargetID: a.ID, ConsultationID: &w.ConsultationID, WorkshopID: &w.ID,
			Detail: detail})
	})
}

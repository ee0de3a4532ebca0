package live_test

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// eachStore runs test against a fresh SQLite file and a fresh Postgres
// schema. Postgres is skipped when unreachable, unless CI is set.
func eachStore(t *testing.T, test func(t *testing.T, h *harness)) {
	storetest.Backends(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		test(t, newHarness(t, open(t)))
	})
}

// harness is an engine on a migrated store with a fake clock, a recording
// notifier, staff accounts and a consultation.
type harness struct {
	t            *testing.T
	ctx          context.Context
	st           *store.DB
	clock        *fakeClock
	rec          *recorder
	eng          *live.Engine
	admin        *agora.User
	facilitator  *agora.User
	moderatorU   *agora.User
	citizen      *agora.User
	consultation *agora.Consultation
}

// newHarness builds the harness on a migrated store.
func newHarness(t *testing.T, db *store.DB) *harness {
	h := &harness{t: t, ctx: t.Context(), st: db, clock: newFakeClock(), rec: &recorder{}}
	h.eng = h.newEngine()
	h.admin = h.user("admin@example.org", agora.RoleAdmin)
	h.facilitator = h.user("fac@example.org", agora.RoleFacilitator)
	h.moderatorU = h.user("mod@example.org", agora.RoleModerator)
	h.citizen = h.user("cit@example.org", agora.RoleCitizen)
	h.consultation = &agora.Consultation{Slug: "velo", Title: "Le vélo en ville", Status: agora.ConsultationOpen}
	h.must(db.CreateConsultation(h.ctx, h.consultation))
	return h
}

// newEngine starts an engine on the harness's store, clock and notifier,
// closed when the test ends: a second one stands for a restarted process.
func (h *harness) newEngine() *live.Engine { return h.engineOn(h.st) }

// engineOn is newEngine on st, such as a group commit over the harness's
// store.
func (h *harness) engineOn(st agora.Store) *live.Engine {
	e := live.New(st, h.rec, live.Options{Clock: h.clock, Logger: slog.New(slog.DiscardHandler)})
	h.t.Cleanup(e.Close)
	return e
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) user(email string, r agora.Role) *agora.User {
	u := &agora.User{Email: email, DisplayName: email, Role: r}
	h.must(h.st.CreateUser(h.ctx, u))
	return u
}

// workshop creates a workshop with activities of the given kinds.
func (h *harness) workshop(kinds ...agora.ActivityKind) (*agora.Workshop, []*agora.Activity) {
	h.t.Helper()
	w := &agora.Workshop{ConsultationID: h.consultation.ID, Title: "Atelier mobilité", Place: "Salle des fêtes"}
	h.must(h.eng.CreateWorkshop(h.ctx, h.facilitator, w))
	var as []*agora.Activity
	for _, k := range kinds {
		as = append(as, h.activity(w, k, agora.ActivitySettings{}))
	}
	return w, as
}

func (h *harness) activity(w *agora.Workshop, k agora.ActivityKind, s agora.ActivitySettings) *agora.Activity {
	h.t.Helper()
	a := &agora.Activity{WorkshopID: w.ID, Kind: k, Prompt: "Question " + string(k), Settings: s}
	if k == agora.KindPoll {
		a.Options = []agora.Option{{Label: "Oui"}, {Label: "Non"}, {Label: "Sans avis"}}
	}
	h.must(h.eng.AddActivity(h.ctx, h.facilitator, a))
	return a
}

// join adds a participant with a fresh device.
func (h *harness) join(w *agora.Workshop) *agora.Participant {
	h.t.Helper()
	_, p, err := h.eng.Join(h.ctx, w.JoinCode, agora.NewSecret(), "")
	h.must(err)
	return p
}

func (h *harness) activityNow(id int64) *agora.Activity {
	h.t.Helper()
	a, err := h.st.ActivityByID(h.ctx, id)
	h.must(err)
	return a
}

func (h *harness) workshopNow(id int64) *agora.Workshop {
	h.t.Helper()
	w, err := h.st.WorkshopByID(h.ctx, id)
	h.must(err)
	return w
}

func (h *harness) state(w *agora.Workshop, aud live.Audience, p *agora.Participant) *live.RoomState {
	h.t.Helper()
	s, err := h.eng.State(h.ctx, h.workshopNow(w.ID), aud, p)
	h.must(err)
	return s
}

// storeTally is the tally computed from the store alone.
func (h *harness) storeTally(id int64) agora.Tally {
	h.t.Helper()
	votes, err := h.st.ListVotes(h.ctx, id)
	h.must(err)
	return agora.TallyVotes(h.activityNow(id), votes)
}

func (h *harness) audit(action string, id int64) []*agora.AuditEntry {
	h.t.Helper()
	all, err := h.st.ListAudit(h.ctx, agora.AuditFilter{TargetID: id})
	h.must(err)
	var out []*agora.AuditEntry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// wantErr checks an error's code and catalog key.
func wantErr(t *testing.T, err error, code, key string) {
	t.Helper()
	if agora.ErrorCode(err) != code || agora.ErrorMessage(err) != key {
		t.Fatalf("error = %v, want %s %s", err, code, key)
	}
}

func intp(i int) *int { return &i }

// fakeClock is a Clock whose time moves only when the test says so; due
// timers run in Advance's goroutine, in time order.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c     *fakeClock
	at    time.Time
	f     func()
	done  bool
	order int
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) live.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f, order: len(c.timers)}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the time forward by d, running the timers that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.done && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			c.now = end
			c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t.done })
			c.mu.Unlock()
			return
		}
		next.done = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
	}
}

// pending counts the timers not yet fired nor stopped.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// recorder is a Notifier that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []event
}

type event struct {
	Topic, Type, Key string
	Data             any
}

func (r *recorder) Publish(ctx context.Context, topic, typ string, data any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{Topic: topic, Type: typ, Data: data})
	return nil
}

func (r *recorder) PublishTally(topic, key, typ string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{Topic: topic, Type: typ, Key: key, Data: data})
}

// take returns the events of a topic and type.
func (r *recorder) take(topic, typ string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if e.Topic == topic && e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

// topics lists the topics that received an event of typ.
func (r *recorder) topics(typ string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, e := range r.events {
		if e.Type == typ {
			seen[e.Topic] = true
		}
	}
	var out []string
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

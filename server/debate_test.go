package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// testClock is a settable clock for the edit window and online dates.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// debateEnv is a consultation with an approved proposal, and a workshop
// with a poll reopened online, served with a settable clock.
type debateEnv struct {
	t     *testing.T
	s     *Server
	st    agora.Store
	clock *testClock
	cons  *agora.Consultation
	prop  *agora.Proposal
	room  *testRoom
}

func newDebateEnv(t *testing.T, st agora.Store) *debateEnv {
	t.Helper()
	e := &debateEnv{t: t, st: st, clock: &testClock{t: time.Now().UTC().Truncate(time.Second)}}
	e.room = newTestRoom(t, st) // its own server, for the room's engine
	s, err := New(Config{PublicURL: "http://agora.test"}, Deps{Store: st, Now: e.clock.Now,
		Logger: slog.New(slog.DiscardHandler)})
	must(t, err)
	e.s, e.cons = s, e.room.cons
	e.prop = &agora.Proposal{ConsultationID: e.cons.ID, Title: "Des bancs", Body: "Plus de bancs au parc.",
		Status: agora.ProposalApproved}
	must(t, st.CreateProposal(context.Background(), e.prop))
	return e
}

func (e *debateEnv) citizen() (*client, *agora.User) {
	return signedIn(e.t, e.s, e.st, agora.RoleCitizen)
}

func (e *debateEnv) propPath(rest string) string {
	return fmt.Sprintf("/c/%s/p/%d%s", e.cons.Slug, e.prop.ID, rest)
}

func (e *debateEnv) actPath(a *agora.Activity, rest string) string {
	return fmt.Sprintf("/c/%s/a/%d%s", e.cons.Slug, a.ID, rest)
}

func (e *debateEnv) comments(f agora.CommentFilter) []*agora.Comment {
	e.t.Helper()
	cs, err := e.st.ListComments(context.Background(), f)
	must(e.t, err)
	return cs
}

// comment posts a comment and returns it, read back from the store.
func (e *debateEnv) comment(c *client, path, stance, body string, parent *agora.Comment) *agora.Comment {
	e.t.Helper()
	form := url.Values{"stance": {stance}, "body": {body}}
	if parent != nil {
		form.Set("parent_id", itoa(parent.ID))
	}
	r := c.post(path+"/comments", form)
	if r.StatusCode != 303 {
		e.t.Fatalf("comment: %d\n%s", r.StatusCode, r.Body)
	}
	loc := r.Header.Get("Location")
	var id int64
	fmt.Sscanf(loc[strings.Index(loc, "#comment-")+len("#comment-"):], "%d", &id)
	cm, err := e.st.CommentByID(context.Background(), id)
	must(e.t, err)
	return cm
}

func (e *debateEnv) setConsultation(status agora.ConsultationStatus) {
	e.t.Helper()
	e.cons.Status = status
	must(e.t, e.st.UpdateConsultation(context.Background(), e.cons))
}

func (e *debateEnv) audit(kind agora.TargetKind, id int64) []string {
	e.t.Helper()
	es, err := e.st.ListAudit(context.Background(), agora.AuditFilter{TargetKind: kind, TargetID: id})
	must(e.t, err)
	var out []string
	for _, a := range es {
		out = append(out, a.Action)
	}
	return out
}

func TestDebate_Comments(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		alice, au := e.citizen()
		bob, _ := e.citizen()

		top := e.comment(alice, e.propPath(""), "for", "Oui, des bancs à l’ombre.", nil)
		if top.Stance != agora.StanceFor || top.AuthorID != au.ID || top.ProposalID == nil || *top.ProposalID != e.prop.ID {
			t.Fatalf("stored comment %+v", top)
		}
		t.Run("stance invalid", func(t *testing.T) {
			wantStatus(t, bob.post(e.propPath("/comments"), url.Values{"stance": {"maybe"}, "body": {"x"}}), 422)
		})
		t.Run("body empty or too long", func(t *testing.T) {
			wantStatus(t, bob.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"  "}}), 422)
			long := strings.Repeat("é", agora.MaxCommentLen+1)
			r := bob.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {long}})
			wantStatus(t, r, 422)
			wantContains(t, r.Body, "3\u202f000") // the limit, written the French way
		})
		t.Run("reply to a reply joins its thread", func(t *testing.T) {
			reply := e.comment(bob, e.propPath(""), "against", "Et l’entretien ?", top)
			again := e.comment(alice, e.propPath(""), "neutral", "La mairie s’en charge.", reply)
			if again.ParentID == nil || *again.ParentID != top.ID {
				t.Fatalf("reply to reply parent %v, want %d", again.ParentID, top.ID)
			}
		})
		t.Run("parent of another target refused", func(t *testing.T) {
			other := e.comment(alice, e.actPath(e.room.poll, ""), "for", "Sur le sondage", nil)
			wantStatus(t, bob.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"x"}, "parent_id": {itoa(other.ID)}}), 422)
		})
		t.Run("second vote replaces the first", func(t *testing.T) {
			wantRedirect(t, bob.post(fmt.Sprintf("/comments/%d/vote", top.ID), url.Values{"value": {"up"}}), e.propPath("#comment-"+itoa(top.ID)))
			bob.post(fmt.Sprintf("/comments/%d/vote", top.ID), url.Values{"value": {"down"}})
			got, _ := e.st.CommentByID(context.Background(), top.ID)
			if got.Up != 0 || got.Down != 1 {
				t.Fatalf("after up then down: up %d down %d", got.Up, got.Down)
			}
			wantStatus(t, bob.post(fmt.Sprintf("/comments/%d/vote", top.ID), url.Values{"value": {"sideways"}}), 422)
			wantStatus(t, alice.post(fmt.Sprintf("/comments/%d/vote", top.ID), url.Values{"value": {"up"}}), 403) // own comment
		})
		t.Run("edit by author within the window only", func(t *testing.T) {
			path := fmt.Sprintf("/comments/%d/edit", top.ID)
			wantStatus(t, bob.post(path, url.Values{"body": {"pirate"}}), 403)
			alice.post(path, url.Values{"body": {"Oui, des bancs à l’ombre des platanes."}})
			got, _ := e.st.CommentByID(context.Background(), top.ID)
			if got.EditedAt == nil || !strings.Contains(got.Body, "platanes") {
				t.Fatalf("edit not stored: %+v", got)
			}
			e.clock.Add(CommentEditWindow + time.Second)
			wantStatus(t, alice.post(path, url.Values{"body": {"trop tard"}}), 409)
		})
		t.Run("delete by author only; placeholder kept for replies", func(t *testing.T) {
			wantStatus(t, bob.post(fmt.Sprintf("/comments/%d/delete", top.ID), nil), 403)
			wantRedirect(t, alice.post(fmt.Sprintf("/comments/%d/delete", top.ID), nil), e.propPath("#comment-"+itoa(top.ID)))
			got, _ := e.st.CommentByID(context.Background(), top.ID)
			if got.DeletedAt == nil || got.Body != "" {
				t.Fatalf("delete: %+v", got)
			}
			wantStatus(t, bob.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"x"}, "parent_id": {itoa(top.ID)}}), 409)
		})
		t.Run("visitor sent to sign in, no CSRF refused", func(t *testing.T) {
			v := newClient(t, e.s)
			r := v.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"x"}})
			if r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
				t.Fatalf("visitor: %d %s", r.StatusCode, r.Header.Get("Location"))
			}
			wantStatus(t, bob.postRaw(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"x"}}), 403)
		})
	})
}

func TestDebate_ActivityPageShowsColumnsAndReplies(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		alice, _ := e.citizen()
		bob, _ := e.citizen()
		path := e.actPath(e.room.poll, "")
		pro := e.comment(alice, path, "for", "Argument <b>pour</b>", nil)
		e.comment(bob, path, "against", "Argument contre", nil)
		e.comment(bob, path, "neutral", "Une question", nil)
		e.comment(bob, path, "against", "Réponse à l’argument pour", pro)
		r := bob.get(path)
		wantStatus(t, r, 200)
		wantContains(t, r.Body, `data-comment-list="for"`, `data-comment-list="against"`, `data-comment-list="neutral"`,
			"Argument &lt;b&gt;pour&lt;/b&gt;", "Réponse à l’argument pour", `data-comments data-consultation="`+e.cons.Slug)
		forCol := r.Body[strings.Index(r.Body, `data-comment-list="for"`):strings.Index(r.Body, `data-comment-list="against"`)]
		wantContains(t, forCol, "Argument &lt;b&gt;pour", "Réponse à l’argument pour") // the reply sits under its parent
		if strings.Contains(forCol, "Argument contre") {
			t.Fatal("against argument in the for column")
		}
		wantStatus(t, bob.get(path+"?sort=newest"), 200)
		// The proposal page shows its own debate.
		e.comment(alice, e.propPath(""), "against", "Sur la proposition", nil)
		r = bob.get(e.propPath(""))
		wantStatus(t, r, 200)
		wantContains(t, r.Body, `data-target-kind="proposal"`, "Sur la proposition")
		if strings.Contains(r.Body, "Argument contre") {
			t.Fatal("the activity's debate on the proposal page")
		}
	})
}

func TestDebate_RateLimitAndClosed(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		alice, _ := e.citizen()
		for i := range MaxCommentsPerWindow {
			e.comment(alice, e.propPath(""), "for", fmt.Sprintf("argument %d", i), nil)
		}
		r := alice.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"un de trop"}})
		wantStatus(t, r, 429)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		bob, _ := e.citizen()
		cm := e.comment(bob, e.propPath(""), "against", "avant la clôture", nil)
		e.setConsultation(agora.ConsultationClosed)
		wantStatus(t, bob.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"après"}}), 409)
		wantStatus(t, alice.post(fmt.Sprintf("/comments/%d/vote", cm.ID), url.Values{"value": {"up"}}), 409)
		page := bob.get(e.actPath(e.room.poll, ""))
		wantContains(t, page.Body, "lecture seule")
	})
}

func TestModeration_FlagsHideRestore(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		alice, _ := e.citizen()
		bob, _ := e.citizen()
		mod, _ := signedIn(t, e.s, e.st, agora.RoleModerator)
		path := e.actPath(e.room.poll, "")
		bad := e.comment(alice, path, "against", "Texte injurieux", nil)

		flag := fmt.Sprintf("/comments/%d/flag", bad.ID)
		wantStatus(t, bob.post(flag, url.Values{"reason": {strings.Repeat("x", agora.MaxFlagReasonLen+1)}}), 422)
		wantRedirect(t, bob.post(flag, url.Values{"reason": {"Insulte"}}), path+"?flagged=1#comment-"+itoa(bad.ID))
		r := bob.post(flag, url.Values{"reason": {"Encore"}})
		wantStatus(t, r, 409)
		wantContains(t, r.Body, "déjà signalé")
		wantRedirect(t, bob.post(e.propPath("/flag"), url.Values{"reason": {"Hors sujet"}}), e.propPath("?flagged=1"))

		wantStatus(t, alice.get("/moderate"), 403)
		q := mod.get("/moderate")
		wantStatus(t, q, 200)
		wantContains(t, q.Body, "Texte injurieux", "Insulte", "Hors sujet", "Des bancs")

		wantStatus(t, mod.post(fmt.Sprintf("/moderate/comment/%d/hide", bad.ID), url.Values{"reason": {""}}), 422)
		wantRedirect(t, mod.post(fmt.Sprintf("/moderate/comment/%d/hide", bad.ID), url.Values{"reason": {"Propos injurieux"}}), "/moderate")
		if page := bob.get(path); strings.Contains(page.Body, "Texte injurieux") {
			t.Fatal("hidden comment still on the page")
		}
		flags, err := e.st.ListFlags(context.Background(), e.cons.ID)
		must(t, err)
		if len(flags) != 1 || flags[0].TargetKind != agora.TargetProposal {
			t.Fatalf("open flags after hiding: %+v", flags)
		}
		wantStatus(t, bob.post(flag, url.Values{"reason": {"x"}}), 404) // hidden: nothing to report
		q = mod.get("/moderate")
		wantContains(t, q.Body, "Propos injurieux", fmt.Sprintf("/moderate/comment/%d/restore", bad.ID))

		wantRedirect(t, mod.post(fmt.Sprintf("/moderate/comment/%d/restore", bad.ID), url.Values{"reason": {"Erreur"}}), "/moderate")
		wantContains(t, bob.get(path).Body, "Texte injurieux")
		wantRedirect(t, mod.post(fmt.Sprintf("/moderate/proposal/%d/dismiss", e.prop.ID), nil), "/moderate")
		if got := e.audit(agora.TargetComment, bad.ID); strings.Join(got, ",") != "comment.hide,comment.restore" {
			t.Fatalf("comment audit %v", got)
		}
		if got := e.audit(agora.TargetProposal, e.prop.ID); strings.Join(got, ",") != "proposal.dismiss" {
			t.Fatalf("proposal audit %v", got)
		}
		wantStatus(t, mod.postRaw(fmt.Sprintf("/moderate/comment/%d/hide", bad.ID), url.Values{"reason": {"x"}}), 403)
	})
}

func TestModeration_HideProposalAndWorkshopIdea(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		ctx := context.Background()
		mod, _ := signedIn(t, e.s, e.st, agora.RoleModerator)
		wantRedirect(t, mod.post(fmt.Sprintf("/moderate/proposal/%d/hide", e.prop.ID), url.Values{"reason": {"Doublon"}}), "/moderate")
		p, err := e.st.ProposalByID(ctx, e.prop.ID)
		must(t, err)
		if p.Status != agora.ProposalHidden || p.HiddenReason != "Doublon" {
			t.Fatalf("hidden proposal %+v", p)
		}
		// A workshop idea goes through the engine: off the projector too.
		e.room.open(e.room.ideas)
		phone := e.room.join("Léa")
		idea, err := e.room.s.engine.SubmitIdea(ctx, e.room.participant(phone, e.room.w), e.room.ideas.ID, "Un kiosque", "k1")
		must(t, err)
		if idea.Status != agora.ProposalApproved {
			_, err = e.room.s.engine.Moderate(ctx, e.room.staff, idea.ID, "approve")
			must(t, err)
		}
		wantRedirect(t, mod.post(fmt.Sprintf("/moderate/proposal/%d/hide", idea.ID), url.Values{"reason": {"Hors sujet"}}), "/moderate")
		got, err := e.st.ProposalByID(ctx, idea.ID)
		must(t, err)
		if got.Status != agora.ProposalHidden || got.HiddenReason != "Hors sujet" {
			t.Fatalf("hidden idea %+v", got)
		}
		if a := e.audit(agora.TargetProposal, idea.ID); !strings.Contains(strings.Join(a, ","), "proposal.hide") {
			t.Fatalf("idea audit %v", a)
		}
		wantRedirect(t, mod.post(fmt.Sprintf("/moderate/proposal/%d/restore", idea.ID), url.Values{"reason": {"Finalement pertinent"}}), "/moderate")
		got, _ = e.st.ProposalByID(ctx, idea.ID)
		if got.Status != agora.ProposalApproved || got.HiddenReason != "" {
			t.Fatalf("restored idea %+v", got)
		}
	})
}

func TestOnline_VoteCountedApartFromRoom(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		ctx := context.Background()
		poll := e.room.poll
		opts := poll.Options
		// A phone votes in the room.
		phone := e.room.join("Léa")
		wantRedirect(t, phone.post("/j/"+e.room.code()+"/vote", voteForm(poll, "k1", "choice", itoa(int64(opts[0].ID)))), "/j/"+e.room.code()+"?done=vote")
		alice, _ := e.citizen()
		vote := func(c *client, opt int) *response {
			return c.post(e.actPath(poll, "/vote"), url.Values{"choice": {itoa(int64(opt))}})
		}
		wantStatus(t, vote(alice, opts[1].ID), 409) // not reopened online yet

		fac := newClient(t, e.s)
		wantRedirect(t, fac.signin(e.room.staff.Email, "correct horse battery"), "/")
		reopen := fmt.Sprintf("/facilitate/%s/activities/%d/online", e.room.code(), poll.ID)
		past := e.clock.Now().Add(-time.Hour).In(localZone).Format("2006-01-02T15:04")
		wantStatus(t, fac.post(reopen, url.Values{"until": {past}}), 422)
		wantStatus(t, alice.post(reopen, url.Values{"until": {"2099-01-01T12:00"}}), 403)
		until := e.clock.Now().Add(48 * time.Hour).In(localZone).Format("2006-01-02T15:04")
		if r := fac.post(reopen, url.Values{"until": {until}}); r.StatusCode != 303 {
			t.Fatalf("reopen: %d %s", r.StatusCode, r.Body)
		}
		if a := e.audit(agora.TargetActivity, poll.ID); a[len(a)-1] != "activity.online" {
			t.Fatalf("audit %v", a)
		}
		prep := fac.get("/facilitate/" + e.room.code() + "/prepare")
		wantContains(t, prep.Body, `action="`+reopen+`"`, `value="`+until+`"`, "Ouvert en ligne jusqu’au")

		page := alice.get(e.actPath(poll, ""))
		wantContains(t, page.Body, "data-online-vote", `name="choice" value="`+itoa(int64(opts[1].ID))+`"`)
		wantRedirect(t, vote(alice, opts[1].ID), e.actPath(poll, "?voted=1#results"))
		wantRedirect(t, vote(alice, opts[2].ID), e.actPath(poll, "?voted=1#results")) // replaces
		wantStatus(t, vote(alice, 999), 422)
		votes, err := e.st.ListVotes(ctx, poll.ID)
		must(t, err)
		if len(votes) != 2 {
			t.Fatalf("%d votes, want 2 (one room, one online)", len(votes))
		}
		tally := agora.TallyVotes(poll, votes)
		if tally.Room.Voters != 1 || tally.Online.Voters != 1 || tally.Voters != 2 {
			t.Fatalf("tally room %d online %d all %d", tally.Room.Voters, tally.Online.Voters, tally.Voters)
		}
		page = alice.get(e.actPath(poll, ""))
		wantContains(t, page.Body, `data-voters-room="1"`, `data-voters-online="1"`, `data-voters-all="2"`)

		acts, err := e.s.onlineActivities(ctx, e.cons.ID)
		must(t, err)
		if len(acts) != 1 || acts[0].Activity.ID != poll.ID {
			t.Fatalf("online activities %+v", acts)
		}
		e.setConsultation(agora.ConsultationClosed)
		wantStatus(t, vote(alice, opts[0].ID), 409)
		e.setConsultation(agora.ConsultationOpen)
		e.clock.Add(49 * time.Hour)
		wantStatus(t, vote(alice, opts[0].ID), 409)
	})
}

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/server"
)

// The online half of a consultation, in real browsers: citizens sign up
// with the real form, propose, support and argue; a second browser sees the
// support count and the new comment arrive live; a moderator hides the
// comment from the queue and it vanishes from the other browser without a
// reload.

const (
	citizenPassword = "une phrase de passe assez longue"
	modEmail        = "moderatrice@agora.test"
)

// seedOnlineConsultation creates an open consultation and a moderator.
func (a *app) seedOnlineConsultation() *agora.Consultation {
	a.t.Helper()
	ctx := context.Background()
	c := &agora.Consultation{Slug: fmt.Sprintf("en-ligne-e2e-%d", slugSeq.Add(1)),
		Title: "Plan vélo de la ville", Description: "Donnez votre avis sur le plan vélo.",
		Status: agora.ConsultationOpen, CreatedBy: &a.facilitator.ID}
	if err := a.db.CreateConsultation(ctx, c); err != nil {
		a.t.Fatalf("create consultation: %v", err)
	}
	if _, err := server.CreateAccount(ctx, a.db, modEmail, "Mona Modératrice", citizenPassword, agora.RoleModerator); err != nil {
		a.t.Fatalf("create moderator: %v", err)
	}
	return c
}

// signUp fills the real sign-up form on a new laptop browser, coming back
// to next.
func signUp(t *testing.T, a *app, name, email, next string) *browser {
	t.Helper()
	b := newLaptop(t, name)
	b.navigate(a.url("/signup?next=" + next))
	b.typeInto(`form[action="/signup"] input[name="email"]`, email)
	b.typeInto(`form[action="/signup"] input[name="name"]`, name)
	b.typeInto(`form[action="/signup"] input[name="password"]`, citizenPassword)
	b.submitAndWait(`form[action="/signup"] button[type="submit"]`)
	b.waitFor("signed in", `document.querySelector('.whoami')`, pageTimeout)
	return b
}

// waitDebateLive waits until the page's debate receives events.
func (b *browser) waitDebateLive() {
	b.t.Helper()
	b.waitFor("the debate's live connection", `document.querySelector('[data-comments][data-debate-live]')`, liveTimeout)
}

func TestOnline_ProposeSupportDebateModerate(t *testing.T) {
	requireChromium(t)
	a := startApp(t, "sqlite")
	cons := a.seedOnlineConsultation()
	consPath := "/c/" + cons.Slug

	// Alice signs up and proposes through the form.
	alice := signUp(t, a, "Alice", "alice@agora.test", consPath+"/proposals/new")
	alice.waitFor("the proposal form", `document.querySelector('form[action$="/proposals"] input[name="title"]')`, pageTimeout)
	alice.typeInto(`input[name="title"]`, "Une piste cyclable rue Victor-Hugo")
	alice.typeInto(`textarea[name="body"]`, "Séparée de la chaussée, dans les deux sens.")
	alice.submitAndWait(`form[action$="/proposals"] button[type="submit"]`)
	alice.waitFor("the proposal page", `document.querySelector('article.proposal[data-proposal-id]')`, pageTimeout)
	id := eval[string](alice, `document.querySelector('article.proposal').dataset.proposalId`)
	propPath := consPath + "/p/" + id

	// Bob signs up and watches the proposal.
	bob := signUp(t, a, "Bob", "bob@agora.test", propPath)
	bob.waitFor("the proposal page", `document.querySelector('article.proposal[data-proposal-id="`+id+`"]')`, pageTimeout)
	bob.waitLive()
	bob.waitDebateLive()
	eval[bool](bob, `(window.__e2eNoReload = true)`)
	alice.waitLive()
	alice.waitDebateLive()

	// Alice supports: Bob's count moves without a reload.
	alice.submitAndWait(`article.proposal form[action$="/support"] button[type="submit"]`)
	d := bob.waitFor("the support count to reach 1", `document.querySelector('article.proposal [data-supports-total]').textContent.trim() === '1' && window.__e2eNoReload === true`, liveTimeout)
	logLatency(t, "support → second browser", d)
	bob.screenshot("support-live")

	// Alice argues against (a stance), and Bob sees it in the against column.
	alice.waitDebateLive()
	alice.click(`.debate-form input[name="stance"][value="against"]`)
	alice.typeInto(`#debate-body`, "Elle supprime trop de places de livraison.")
	alice.submitAndWait(`.debate-form button[type="submit"]`)
	alice.waitFor("her comment", `document.querySelector('[data-comment-list="against"] [data-comment-id]')`, pageTimeout)
	cid := eval[string](alice, `document.querySelector('[data-comment-list="against"] [data-comment-id]').dataset.commentId`)
	cond := `document.querySelector('[data-comment-list="against"] [data-comment-id="` + cid + `"]')`
	d = bob.waitFor("the comment in the against column", cond+` && window.__e2eNoReload === true`, liveTimeout)
	logLatency(t, "comment → second browser", d)
	eval[bool](bob, `(document.getElementById('debate').scrollIntoView(), true)`)
	bob.screenshot("comment-live")

	// Bob reports it; the moderator hides it from the queue.
	bob.click(`#comment-` + cid + ` details.comment-tool summary`)
	bob.typeInto(`#c`+cid+`-flag`, "Hors sujet, et agressif.")
	bob.submitAndWait(`#comment-` + cid + ` form[data-flag-form] button[type="submit"]`)
	bob.waitFor("the thank-you notice", `document.querySelector('.debate .alert-success')`, pageTimeout)
	bob.waitDebateLive()
	eval[bool](bob, `(window.__e2eNoReload = true)`)

	mod := newLaptop(t, "moderator")
	mod.navigate(a.url("/signin?next=/moderate"))
	mod.typeInto(`form[action="/signin"] input[name="email"]`, modEmail)
	mod.typeInto(`form[action="/signin"] input[name="password"]`, citizenPassword)
	mod.submitAndWait(`form[action="/signin"] button[type="submit"]`)
	mod.waitFor("the queue", `document.querySelector('#mod-comment-`+cid+`')`, pageTimeout)
	mod.screenshot("queue")
	mod.typeInto(`#hide-comment-`+cid, "Propos agressifs")
	mod.submitAndWait(`#mod-comment-` + cid + ` button[data-mod-action="hide"]`)
	mod.waitFor("the hidden list", `document.querySelector('#hidden-comment-`+cid+`')`, pageTimeout)

	d = bob.waitFor("the comment to vanish", `!`+cond+` && window.__e2eNoReload === true`, liveTimeout)
	logLatency(t, "hide → second browser", d)
	bob.screenshot("comment-hidden")
	alice.waitFor("the comment to vanish for its author too", `!`+cond, liveTimeout)

	cm, err := a.db.CommentByID(context.Background(), mustInt(t, cid))
	if err != nil || cm.Status != agora.CommentHidden || cm.HiddenReason != "Propos agressifs" {
		t.Fatalf("stored comment %+v, %v", cm, err)
	}
	for _, b := range []*browser{alice, bob, mod} {
		b.checkConsole()
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/agora-civic/agora"
)

// myContributions seeds, for u, an online proposal, a comment and a
// support, plus another citizen's proposal that must never show as u's.
func myContributions(t *testing.T, st agora.Store, u *agora.User) (mine, theirs *agora.Proposal) {
	t.Helper()
	ctx := context.Background()
	cons := &agora.Consultation{Slug: "parc-" + itoa(uniqueSeq.Add(1)), Title: "Le parc des rives", Status: agora.ConsultationOpen}
	must(t, st.CreateConsultation(ctx, cons))
	other := mustAccount(t, st, "other"+itoa(uniqueSeq.Add(1))+"@example.fr", "Dominique Autre", agora.RoleCitizen)
	mine = &agora.Proposal{ConsultationID: cons.ID, AuthorID: &u.ID, Title: "Des bancs à l’ombre", Body: "Sous les platanes.", Status: agora.ProposalApproved}
	theirs = &agora.Proposal{ConsultationID: cons.ID, AuthorID: &other.ID, Title: "Un parking", Body: "Secret d’autrui.", Status: agora.ProposalApproved}
	must(t, st.CreateProposal(ctx, mine))
	must(t, st.CreateProposal(ctx, theirs))
	must(t, st.CreateComment(ctx, &agora.Comment{ConsultationID: cons.ID, ProposalID: &theirs.ID, AuthorID: u.ID,
		Stance: agora.StanceAgainst, Body: "Plutôt des arbres.", Status: agora.CommentVisible}))
	must(t, st.CreateComment(ctx, &agora.Comment{ConsultationID: cons.ID, ProposalID: &mine.ID, AuthorID: other.ID,
		Stance: agora.StanceFor, Body: "Commentaire d’autrui.", Status: agora.CommentVisible}))
	_, err := st.AddSupport(ctx, &agora.Support{ProposalID: theirs.ID, UserID: &u.ID, Channel: agora.ChannelOnline})
	must(t, err)
	return mine, theirs
}

func TestMe_ListsMyContributions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		wantRedirect(t, newClient(t, s).get("/me"), "/signin?next=%2Fme")
		c, u := signedIn(t, s, st, agora.RoleCitizen)
		myContributions(t, st, u)
		r := c.get("/me")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.Body, "Mes contributions", "Des bancs à l’ombre", "Plutôt des arbres.", "Contre",
			"1 soutien donné", "Le parc des rives", `action="/me/delete"`, `href="/me/data.json"`)
		for _, leak := range []string{"Un parking", "Commentaire d’autrui."} {
			if strings.Contains(r.Body, leak) {
				t.Fatalf("/me shows another user's %q", leak)
			}
		}
	})
}

func TestMe_DataDownload(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		c, u := signedIn(t, s, st, agora.RoleCitizen)
		mine, _ := myContributions(t, st, u)
		r := c.get("/me/data.json")
		wantStatus(t, r, http.StatusOK)
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Fatalf("Content-Disposition %q", cd)
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", r.Header)
		}
		for _, leak := range []string{"argon2", "password", "Un parking", "Secret d’autrui", "Commentaire d’autrui", "Dominique"} {
			if strings.Contains(r.Body, leak) {
				t.Fatalf("data.json holds %q:\n%s", leak, r.Body)
			}
		}
		var d myData
		if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
			t.Fatal(err)
		}
		if d.Account.ID != u.ID || d.Account.Email != u.Email || d.Account.DisplayName != u.DisplayName {
			t.Fatalf("account %+v", d.Account)
		}
		if len(d.Proposals) != 1 || d.Proposals[0].ID != mine.ID || d.Proposals[0].Channel != agora.ChannelOnline {
			t.Fatalf("proposals %+v", d.Proposals)
		}
		if len(d.Comments) != 1 || d.Comments[0].Body != "Plutôt des arbres." || len(d.Supports) != 1 || d.Votes == nil || d.Participations == nil {
			t.Fatalf("data %+v", d)
		}
	})
}

func TestMe_DeleteAnonymisesAndKeepsContributions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		ctx := context.Background()
		c, u := signedIn(t, s, st, agora.RoleFacilitator)
		other := newClient(t, s)
		wantRedirect(t, other.signin(u.Email, "correct horse battery"), "/")
		mine, _ := myContributions(t, st, u)
		c.get("/me")

		r := c.post("/me/delete", url.Values{"delete_password": {"wrong password!"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, "Le mot de passe est incorrect", `id="f-delete_password-error"`)

		r = c.post("/me/delete", url.Values{"delete_password": {"correct horse battery"}})
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r.Body, "Votre compte a été supprimé")
		if _, ok := c.jar[sessionCookie]; ok {
			t.Fatal("session cookie kept")
		}

		got, err := st.UserByID(ctx, u.ID)
		must(t, err)
		if got.DeletedAt == nil || got.Email != deletedEmail(u.ID) || got.PasswordHash != "" ||
			got.DisplayName != DeletedDisplayName || got.Role != agora.RoleCitizen {
			t.Fatalf("user after deletion %+v", got)
		}
		if _, err := st.UserByEmail(ctx, u.Email); !agora.IsCode(err, agora.ENOTFOUND) {
			t.Fatalf("old email still found: %v", err)
		}
		p, err := st.ProposalByID(ctx, mine.ID)
		must(t, err)
		if p.AuthorID == nil || *p.AuthorID != u.ID || p.DeletedAt != nil {
			t.Fatalf("proposal after deletion %+v", p)
		}
		cs, err := st.ListComments(ctx, agora.CommentFilter{AuthorID: &u.ID})
		must(t, err)
		if len(cs) != 1 {
			t.Fatalf("%d comments after deletion, want 1", len(cs))
		}
		// Every session is gone, and nobody signs in again.
		wantRedirect(t, other.get("/me"), "/signin?next=%2Fme")
		wantStatus(t, newClient(t, s).signin(u.Email, "correct horse battery"), http.StatusUnauthorized)
		wantStatus(t, newClient(t, s).signin(deletedEmail(u.ID), ""), http.StatusUnauthorized)
		// The same address may sign up again, as a new account.
		wantRedirect(t, newClient(t, s).signup(u.Email, "Camille", "correct horse battery"), "/")
		// The admin list shows the anonymous name.
		admin, _ := signedIn(t, s, st, agora.RoleAdmin)
		wantContains(t, admin.get("/admin").Body, "Compte supprimé")
	})
}

func TestMe_LastAdminCannotDelete(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	c, u := signedIn(t, s, st, agora.RoleAdmin)
	c.get("/me")
	r := c.post("/me/delete", url.Values{"delete_password": {"correct horse battery"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r.Body, "Il doit rester au moins un compte administrateur")
	got, err := st.UserByID(context.Background(), u.ID)
	must(t, err)
	if got.DeletedAt != nil {
		t.Fatal("the last admin was deleted")
	}
}

func TestMe_LinkDevice(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		room := newTestRoom(t, st)
		s := room.s
		ctx := context.Background()
		phone := room.join("Zoé")
		p := room.participant(phone, room.w)
		idea := &agora.Proposal{ConsultationID: room.cons.ID, WorkshopID: &room.w.ID, ActivityID: &room.ideas.ID,
			ParticipantID: &p.ID, Body: "Une fontaine à eau", Status: agora.ProposalApproved}
		must(t, st.CreateProposal(ctx, idea))

		// Signing up on the phone leads to the offer.
		wantRedirect(t, phone.signup("zoe@example.fr", "Zoé Martin", "correct horse battery"), "/me")
		r := phone.get("/me")
		wantContains(t, r.Body, "Relier mes participations sur cet appareil", "Atelier du parc", `action="/me/link"`)
		if strings.Contains(r.Body, "Une fontaine à eau") {
			t.Fatal("room idea listed before linking")
		}
		wantRedirect(t, phone.post("/me/link", nil), "/me?done=linked")
		r = phone.get("/me?done=linked")
		wantContains(t, r.Body, "sont maintenant liées", "Une fontaine à eau", "Idée en atelier")
		if strings.Contains(r.Body, `action="/me/link"`) {
			t.Fatal("offer still shown once linked")
		}
		u, err := st.UserByEmail(ctx, "zoe@example.fr")
		must(t, err)
		got, err := st.ParticipantByID(ctx, p.ID)
		must(t, err)
		if got.UserID == nil || *got.UserID != u.ID {
			t.Fatalf("participant %+v not linked to %d", got, u.ID)
		}
		// Signed in again later: no offer, no detour.
		wantRedirect(t, phone.post("/signout", nil), "/")
		wantRedirect(t, phone.signin("zoe@example.fr", "correct horse battery"), "/")

		// Another account on the same device cannot take the participation.
		wantRedirect(t, phone.post("/signout", nil), "/")
		wantRedirect(t, phone.signup("intrus@example.fr", "Intrus", "correct horse battery"), "/")
		phone.get("/me")
		r = phone.post("/me/link", nil)
		wantStatus(t, r, http.StatusConflict)
		wantContains(t, r.Body, "déjà liée à un autre compte")
		got, err = st.ParticipantByID(ctx, p.ID)
		must(t, err)
		if *got.UserID != u.ID {
			t.Fatal("participation moved to another account")
		}
		// A browser without workshop cookies has nothing to link.
		c, _ := signedIn(t, s, st, agora.RoleCitizen)
		c.get("/me")
		wantStatus(t, c.post("/me/link", nil), http.StatusUnprocessableEntity)
	})
}

// handleLinkDevice refuses a participation linked to someone else even
// when the page offered it (linked in the meantime).
func TestMe_LinkRefusesParticipantLinkedMeanwhile(t *testing.T) {
	st := openSQLite(t)
	room := newTestRoom(t, st)
	ctx := context.Background()
	phone := room.join("")
	p := room.participant(phone, room.w)
	wantRedirect(t, phone.signup("a@example.fr", "A", "correct horse battery"), "/me")
	phone.get("/me")
	other := mustAccount(t, st, "b@example.fr", "B", agora.RoleCitizen)
	p.UserID = &other.ID
	must(t, st.UpdateParticipant(ctx, p))
	r := phone.post("/me/link", nil)
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r.Body, "déjà liée à un autre compte")
}

func TestMe_FormsNeedCSRF(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	c, u := signedIn(t, s, st, agora.RoleCitizen)
	for _, path := range []string{"/me/delete", "/me/link", "/password/forgot", "/password/reset/x", "/admin/consultations/1"} {
		r := c.postRaw(path, url.Values{"delete_password": {"correct horse battery"}, "email": {u.Email}})
		wantStatus(t, r, http.StatusForbidden)
	}
	got, err := st.UserByID(context.Background(), u.ID)
	must(t, err)
	if got.DeletedAt != nil {
		t.Fatal("deleted without a CSRF token")
	}
}

// Every string of these pages comes from the catalog, in both languages:
// a missing key would show as the key itself.
func TestMyPages_NoRawCatalogKeys(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	admin, u := signedIn(t, s, st, agora.RoleAdmin)
	myContributions(t, st, u)
	cons := draftConsultation(t, st)
	rawKey := regexp.MustCompile(`>[^<]*\b(me|admin|forgot|reset|deleted|account|signin|status|role|error)\.[a-z_]+(\.[a-z_]+)*\b`)
	for _, lang := range []string{"fr", "en"} {
		admin.header.Set("Accept-Language", lang)
		for _, path := range []string{"/me", "/admin", "/admin/consultations/" + itoa(cons.ID), "/password/forgot", "/password/reset/x", "/signin"} {
			r := admin.get(path)
			wantStatus(t, r, http.StatusOK)
			if m := rawKey.FindString(r.Body); m != "" {
				t.Errorf("%s %s shows a raw key: %q", lang, path, m)
			}
		}
	}
}

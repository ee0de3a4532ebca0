package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/agora-civic/agora"
)

// The comment forms' idempotency keys (issue 8, "idempotency keys on every
// command"): a double-submitted or retried comment is stored once and every
// submission gets the first one's answer.

var (
	commentKeyRE = regexp.MustCompile(`<form method="post" action="[^"]+/comments" class="debate-form" data-comment-form>\s*<input type="hidden" name="csrf" value="[^"]*">\s*<input type="hidden" name="client_key" value="([^"]*)">`)
	replyKeyRE   = regexp.MustCompile(`<input type="hidden" name="parent_id" value="(\d+)">\s*<input type="hidden" name="client_key" value="([^"]*)">`)
)

// commentFormKey reads the new comment form's key from a debate page.
func commentFormKey(t *testing.T, r *response) string {
	t.Helper()
	m := commentKeyRE.FindStringSubmatch(r.Body)
	if m == nil || m[1] == "" {
		t.Fatalf("no client_key in the comment form:\n%s", r.Body)
	}
	return m[1]
}

// commentsWithKey returns the stored comments of the proposal with key.
func (e *debateEnv) commentsWithKey(key string) []*agora.Comment {
	e.t.Helper()
	var out []*agora.Comment
	for _, cm := range e.comments(agora.CommentFilter{ProposalID: &e.prop.ID}) {
		if cm.ClientKey == key {
			out = append(out, cm)
		}
	}
	return out
}

// concurrentPosts sends the same form n times at once with c's cookies
// (the client itself is not safe for concurrent use) and returns the
// answers.
func concurrentPosts(t *testing.T, c *client, path string, form url.Values, n int) []*http.Response {
	t.Helper()
	form.Set("csrf", c.token)
	body := form.Encode()
	out := make([]*http.Response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, ck := range c.jar {
				req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			}
			<-start
			resp, err := c.s.App().Test(req, -1)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			out[i], errs[i] = resp, err
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	return out
}

func TestDebate_CommentClientKey(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		e := newDebateEnv(t, open(t))
		alice, au := e.citizen()

		t.Run("every render and every form has its own key", func(t *testing.T) {
			top := e.comment(alice, e.propPath(""), "for", "Un argument à qui répondre", nil)
			p1, p2 := alice.get(e.propPath("")), alice.get(e.propPath(""))
			k1, k2 := commentFormKey(t, p1), commentFormKey(t, p2)
			if k1 == k2 || len(k1) > maxIdempotencyKeyLen {
				t.Fatalf("keys of two renders %q and %q", k1, k2)
			}
			m := replyKeyRE.FindStringSubmatch(p1.Body)
			if m == nil || m[1] != itoa(top.ID) || m[2] == "" || m[2] == k1 {
				t.Fatalf("reply form key %q (comment form %q)", m, k1)
			}
			if strings.Contains(newClient(t, e.s).get(e.propPath("")).Body, `name="client_key"`) {
				t.Fatal("a visitor, who cannot comment, got a key")
			}
		})

		t.Run("double submit stores one comment and answers alike", func(t *testing.T) {
			key := commentFormKey(t, alice.get(e.propPath("")))
			form := url.Values{"stance": {"against"}, "body": {"Trop cher pour la commune."}, "client_key": {key}}
			first := alice.post(e.propPath("/comments"), form)
			wantStatus(t, first, 303)
			loc := first.Header.Get("Location")
			wantRedirect(t, alice.post(e.propPath("/comments"), form), loc)
			// A script asking for JSON gets the same comment, 201 as the first time.
			r := alice.do("POST", e.propPath("/comments"), strings.NewReader(form.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
			wantStatus(t, r, 201)
			if ref := decode[CommentRef](t, r); e.propPath("#comment-"+itoa(ref.ID)) != loc {
				t.Fatalf("JSON answer %+v, first answer %s", ref, loc)
			}
			if got := e.commentsWithKey(key); len(got) != 1 || got[0].AuthorID != au.ID || got[0].Body != "Trop cher pour la commune." {
				t.Fatalf("stored with the key: %+v", got)
			}
		})

		t.Run("concurrent submits store one comment, all succeed", func(t *testing.T) {
			bob, _ := e.citizen()
			key := commentFormKey(t, bob.get(e.propPath("")))
			form := url.Values{"stance": {"for"}, "body": {"Cinq fois le même envoi"}, "client_key": {key}}
			var loc string
			for i, r := range concurrentPosts(t, bob, e.propPath("/comments"), form, 5) {
				if r.StatusCode != 303 || (loc != "" && r.Header.Get("Location") != loc) {
					t.Fatalf("post %d: %d %q, others %q", i, r.StatusCode, r.Header.Get("Location"), loc)
				}
				loc = r.Header.Get("Location")
			}
			if got := e.commentsWithKey(key); len(got) != 1 || !strings.HasSuffix(loc, "#comment-"+itoa(got[0].ID)) {
				t.Fatalf("%d comments stored with the key, answers %s", len(got), loc)
			}
		})

		t.Run("replies too", func(t *testing.T) {
			carol, _ := e.citizen()
			top := e.comment(alice, e.propPath(""), "for", "Un autre argument", nil)
			m := replyKeyRE.FindAllStringSubmatch(carol.get(e.propPath("")).Body, -1)
			var key string
			for _, x := range m {
				if x[1] == itoa(top.ID) {
					key = x[2]
				}
			}
			if key == "" {
				t.Fatalf("no reply key for comment %d", top.ID)
			}
			form := url.Values{"stance": {"neutral"}, "body": {"Une réponse"}, "parent_id": {itoa(top.ID)}, "client_key": {key}}
			for _, r := range concurrentPosts(t, carol, e.propPath("/comments"), form, 3) {
				if r.StatusCode != 303 {
					t.Fatalf("reply: %d", r.StatusCode)
				}
			}
			if got := e.commentsWithKey(key); len(got) != 1 || got[0].ParentID == nil || *got[0].ParentID != top.ID {
				t.Fatalf("replies stored with the key: %+v", got)
			}
		})

		t.Run("a form without key still works, without deduplication", func(t *testing.T) {
			dave, _ := e.citizen()
			form := url.Values{"stance": {"for"}, "body": {"Page d’avant la mise à jour"}}
			wantStatus(t, dave.post(e.propPath("/comments"), form), 303)
			wantStatus(t, dave.post(e.propPath("/comments"), form), 303)
			if got := e.commentsWithKey(""); len(got) < 2 {
				t.Fatalf("%d comments without key", len(got))
			}
		})

		t.Run("a key reused for something else is refused", func(t *testing.T) {
			erin, _ := e.citizen()
			form := url.Values{"stance": {"for"}, "body": {"Premier envoi"}, "client_key": {"erin-1"}}
			wantStatus(t, erin.post(e.propPath("/comments"), form), 303)
			form.Set("body", "Autre chose, même clé")
			r := erin.post(e.propPath("/comments"), form)
			wantStatus(t, r, 409)
			wantContains(t, r.Body, "déjà été reçu avec un autre contenu")
			form.Set("body", "Premier envoi")
			wantStatus(t, erin.post(e.actPath(e.room.poll, "/comments"), form), 409) // another target
			if got := e.commentsWithKey("erin-1"); len(got) != 1 {
				t.Fatalf("%d comments with the key", len(got))
			}
		})

		t.Run("bad keys: a typed error in the reader's language", func(t *testing.T) {
			frank, _ := e.citizen()
			for _, key := range []string{strings.Repeat("k", maxIdempotencyKeyLen+1), "a\x00b", "a\nb", "\xff\xfe"} {
				form := url.Values{"stance": {"for"}, "body": {"Texte"}, "client_key": {key}}
				r := frank.post(e.propPath("/comments"), form)
				wantStatus(t, r, 422)
				wantContains(t, r.Body, "La clé d’envoi n’est pas valable (64 caractères au plus).")
				r = frank.do("POST", e.propPath("/comments"), strings.NewReader(form.Encode()), map[string]string{
					"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "Accept-Language": "en"})
				wantStatus(t, r, 422)
				var v struct {
					Error struct{ Code, Message string }
				}
				must(t, json.Unmarshal([]byte(r.Body), &v))
				if v.Error.Code != agora.EINVALID || v.Error.Message != "The submission key is not valid (at most 64 characters)." {
					t.Fatalf("key %q: error %+v", key, v.Error)
				}
			}
			form := url.Values{"stance": {"for"}, "body": {"Texte"}, "client_key": {strings.Repeat("k", maxIdempotencyKeyLen)}}
			wantStatus(t, frank.post(e.propPath("/comments"), form), 303) // the longest key is fine
		})

		t.Run("a retry is not counted against the rate limit", func(t *testing.T) {
			gus, _ := e.citizen()
			var last url.Values
			for i := range MaxCommentsPerWindow {
				last = url.Values{"stance": {"for"}, "body": {fmt.Sprintf("argument %d", i)}, "client_key": {fmt.Sprintf("gus-%d", i)}}
				wantStatus(t, gus.post(e.propPath("/comments"), last), 303)
			}
			wantStatus(t, gus.post(e.propPath("/comments"), last), 303) // the last one again: still its answer
			wantStatus(t, gus.post(e.propPath("/comments"), url.Values{"stance": {"for"}, "body": {"un de trop"}, "client_key": {"gus-x"}}), 429)
		})

		t.Run("a retry after the first comment was deleted gets its answer", func(t *testing.T) {
			hana, _ := e.citizen()
			form := url.Values{"stance": {"for"}, "body": {"Bientôt retiré"}, "client_key": {"hana-1"}}
			first := hana.post(e.propPath("/comments"), form)
			wantStatus(t, first, 303)
			cm := e.commentsWithKey("hana-1")[0]
			wantStatus(t, hana.post(fmt.Sprintf("/comments/%d/delete", cm.ID), nil), 303)
			wantRedirect(t, hana.post(e.propPath("/comments"), form), first.Header.Get("Location"))
			if got := e.commentsWithKey("hana-1"); len(got) != 1 {
				t.Fatalf("%d comments with the key", len(got))
			}
		})

		t.Run("a retry after the closing gets its answer, a new comment 409", func(t *testing.T) {
			ivan, _ := e.citizen()
			form := url.Values{"stance": {"against"}, "body": {"Juste avant la clôture"}, "client_key": {"ivan-1"}}
			first := ivan.post(e.propPath("/comments"), form)
			wantStatus(t, first, 303)
			e.setConsultation(agora.ConsultationClosed)
			defer e.setConsultation(agora.ConsultationOpen)
			wantRedirect(t, ivan.post(e.propPath("/comments"), form), first.Header.Get("Location"))
			form.Set("client_key", "ivan-2")
			wantStatus(t, ivan.post(e.propPath("/comments"), form), 409)
		})
	})
}

// TestDebate_CommentRetryNoSecondEvent checks that a resent comment is not
// announced again on the consultation's topic.
func TestDebate_CommentRetryNoSecondEvent(t *testing.T) {
	e := newWSEnv(t)
	ws := e.mustDial(wsDial{query: "c=velo"})
	if m := wsRead(t, ws); m.Type != "snapshot" {
		t.Fatalf("first message %q", m.Type)
	}
	alice, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
	bob, _ := signedIn(t, e.s, e.st, agora.RoleCitizen)
	path := fmt.Sprintf("/c/velo/a/%d", e.act.ID)
	form := url.Values{"stance": {"against"}, "body": {"Trop cher"}, "client_key": {"once"}}
	first := alice.post(path+"/comments", form)
	wantStatus(t, first, 303)
	wantRedirect(t, alice.post(path+"/comments", form), first.Header.Get("Location"))
	m := wsRead(t, ws)
	if m.Type != EventComment {
		t.Fatalf("event %q, want %q", m.Type, EventComment)
	}
	var ref CommentRef
	must(t, json.Unmarshal(m.Data, &ref))
	// The next event is the vote's, not a second comment.
	wantStatus(t, bob.post(fmt.Sprintf("/comments/%d/vote", ref.ID), url.Values{"value": {"up"}}), 303)
	if m := wsRead(t, ws); m.Type != EventCommentVotes {
		t.Fatalf("event after the retry %q: %s", m.Type, m.Data)
	}
	cs, err := e.st.ListComments(context.Background(), agora.CommentFilter{ActivityID: &e.act.ID})
	must(t, err)
	if len(cs) != 1 {
		t.Fatalf("%d comments stored", len(cs))
	}
}

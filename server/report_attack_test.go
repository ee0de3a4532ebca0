package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// The review's attack on the bilan: hostile text in every field people
// type, and secrets in every row that must stay out, then every public
// output (page, JSON, zip, public API) and the facilitator's CSV and
// summary are read as a stranger would.

// attackTexts are planted where users type: markup, SVG and CDATA
// breakers, control characters, a right-to-left override and spreadsheet
// formulas.
var attackTexts = []string{
	`<script>alert(1)</script>`,
	`</svg><script>alert(2)</script>`,
	`"><img src=x onerror=alert(3)>`,
	`]]><x>`,
	"ctl\x01\x07\x1b\x7fend",
	"\u202eevil.exe",
	`=HYPERLINK("http://evil.example","x")`,
	`+cmd|' /C calc'!A0`,
	`-1+1`,
	`@SUM(A1:A2)`,
	"\t=1+1",
	"\r=2+2",
}

type attackSeed struct {
	cons   *agora.Consultation
	w      *agora.Workshop
	draftW *agora.Workshop
	acts   []*agora.Activity
	// secrets must appear in no public output.
	secrets []string
}

func seedAttack(t *testing.T, st agora.Store) *attackSeed {
	t.Helper()
	ctx := context.Background()
	n := uniqueSeq.Add(1)
	at := func(h int) time.Time { return time.Date(2026, 3, 10, h, 0, 0, 0, time.UTC) }
	s := &attackSeed{}
	text := func(i int) string { return attackTexts[i%len(attackTexts)] }

	var users []*agora.User
	for i := range 3 {
		u := &agora.User{Email: fmt.Sprintf("victim%d-%d@secret-mail.example", i, n), DisplayName: fmt.Sprintf("SECRET-NAME-%d", i),
			Role: agora.RoleCitizen, CreatedAt: at(1)}
		must(t, st.CreateUser(ctx, u))
		users = append(users, u)
		s.secrets = append(s.secrets, u.Email, u.DisplayName)
	}
	s.cons = &agora.Consultation{Slug: fmt.Sprintf("attaque-%d", n), Title: text(0) + " consultation", Description: text(6),
		Status: agora.ConsultationOpen, SupportThreshold: 1, ReportPublished: true}
	must(t, st.CreateConsultation(ctx, s.cons))
	cid := s.cons.ID
	s.w = &agora.Workshop{ConsultationID: cid, Title: text(1), Place: text(7), JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopEnded, CreatedAt: at(2)}
	must(t, st.CreateWorkshop(ctx, s.w))
	s.draftW = &agora.Workshop{ConsultationID: cid, Title: "Atelier en préparation", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopDraft, CreatedAt: at(2)}
	must(t, st.CreateWorkshop(ctx, s.draftW))
	s.secrets = append(s.secrets, s.w.JoinCode, s.w.ScreenToken, s.draftW.JoinCode, s.draftW.ScreenToken)

	var parts []*agora.Participant
	for i := range 4 {
		p := &agora.Participant{WorkshopID: s.w.ID, TokenHash: fmt.Sprintf("SECRET-TOKENHASH-%d-%d", n, i),
			PublicID: fmt.Sprintf("SECRET-PUBLICID-%d-%d", n, i), CreatedAt: at(18)}
		if i < 2 {
			p.Nickname = text(8 + i) // chosen: published, neutralised in CSV
		}
		must(t, st.CreateParticipant(ctx, p))
		parts = append(parts, p)
		s.secrets = append(s.secrets, p.TokenHash, p.PublicID)
	}
	var opts []agora.Option
	for i, l := range attackTexts {
		opts = append(opts, agora.Option{ID: i + 1, Label: l})
	}
	add := func(a *agora.Activity) *agora.Activity {
		a.WorkshopID, a.State, a.CreatedAt, a.Position = s.w.ID, agora.ActivityClosed, at(2), len(s.acts)
		must(t, st.CreateActivity(ctx, a))
		s.acts = append(s.acts, a)
		return a
	}
	poll := add(&agora.Activity{Kind: agora.KindPoll, Prompt: text(2), Options: opts, Settings: agora.ActivitySettings{MaxChoices: 3}})
	scale := add(&agora.Activity{Kind: agora.KindScale, Prompt: text(3), Settings: agora.ActivitySettings{ScaleMin: 0, ScaleMax: 5}})
	cloud := add(&agora.Activity{Kind: agora.KindWordCloud, Prompt: text(4), Settings: agora.ActivitySettings{MaxWords: 3}})
	ideas := add(&agora.Activity{Kind: agora.KindIdeas, Prompt: text(5), Settings: agora.ActivitySettings{Premoderation: true}})

	vote := func(a *agora.Activity, p int, v agora.Vote) {
		v.ActivityID, v.ParticipantID, v.Channel = a.ID, &parts[p].ID, agora.ChannelRoom
		_, err := st.PutVote(ctx, &v)
		must(t, err)
	}
	onlineVote := func(a *agora.Activity, u int, v agora.Vote) {
		v.ActivityID, v.UserID, v.Channel = a.ID, &users[u].ID, agora.ChannelOnline
		_, err := st.PutVote(ctx, &v)
		must(t, err)
	}
	for p := range parts {
		vote(poll, p, agora.Vote{Choices: []int{1 + p, 7 + p, 12}})
		val := p + 1
		vote(scale, p, agora.Vote{Value: &val})
		vote(cloud, p, agora.Vote{Words: []string{text(p), text(p + 6), text(p + 8)}})
	}
	onlineVote(poll, 0, agora.Vote{Choices: []int{2, 9}})
	onlineVote(cloud, 0, agora.Vote{Words: []string{text(10)}})

	prop := func(p *agora.Proposal) *agora.Proposal {
		p.ConsultationID, p.ClientKey = cid, fmt.Sprintf("k%d-%d", n, uniqueSeq.Add(1))
		if p.CreatedAt.IsZero() {
			p.CreatedAt = at(19)
		}
		p.UpdatedAt = p.CreatedAt
		must(t, st.CreateProposal(ctx, p))
		return p
	}
	idea := func(part int, body string, status agora.ProposalStatus) *agora.Proposal {
		return prop(&agora.Proposal{WorkshopID: &s.w.ID, ActivityID: &ideas.ID, ParticipantID: &parts[part].ID, Body: body, Status: status})
	}
	var shown []*agora.Proposal
	for i := range attackTexts {
		shown = append(shown, idea(i%len(parts), attackTexts[i], agora.ProposalApproved))
	}
	hiddenIdea := idea(0, "SECRET-HIDDEN-IDEA", agora.ProposalHidden)
	idea(1, "SECRET-PENDING-IDEA", agora.ProposalPending)
	idea(2, "SECRET-REJECTED-IDEA", agora.ProposalRejected)
	answered := at(20)
	online := prop(&agora.Proposal{AuthorID: &users[0].ID, Title: text(6), Body: text(0), Category: text(7), Status: agora.ProposalApproved,
		Answer: agora.AnswerAccepted, AnswerText: text(1) + "\n\n" + text(8), AnsweredAt: &answered})
	shown = append(shown, online)
	hiddenProp := prop(&agora.Proposal{AuthorID: &users[1].ID, Title: "SECRET-HIDDEN-TITLE", Body: "SECRET-HIDDEN-BODY",
		Category: "SECRET-HIDDEN-CATEGORY", Status: agora.ProposalHidden, HiddenReason: text(9)})
	deleted := at(21)
	deletedProp := prop(&agora.Proposal{AuthorID: &users[1].ID, Title: "SECRET-DELETED-TITLE", Body: "SECRET-DELETED-BODY",
		Status: agora.ProposalApproved, DeletedAt: &deleted})
	for _, p := range append(shown, hiddenIdea, hiddenProp, deletedProp) {
		_, err := st.AddSupport(ctx, &agora.Support{ProposalID: p.ID, ParticipantID: &parts[3].ID, Channel: agora.ChannelRoom, CreatedAt: at(19)})
		must(t, err)
		_, err = st.AddSupport(ctx, &agora.Support{ProposalID: p.ID, UserID: &users[2].ID, Channel: agora.ChannelOnline, CreatedAt: at(19)})
		must(t, err)
	}
	comment := func(c *agora.Comment) *agora.Comment {
		c.ConsultationID, c.CreatedAt = cid, at(20)
		must(t, st.CreateComment(ctx, c))
		return c
	}
	top := comment(&agora.Comment{ProposalID: &online.ID, AuthorID: users[1].ID, Stance: agora.StanceFor, Body: text(0), Status: agora.CommentVisible})
	comment(&agora.Comment{ProposalID: &online.ID, ParentID: &top.ID, AuthorID: users[2].ID, Stance: agora.StanceAgainst, Body: text(6), Status: agora.CommentVisible})
	hiddenTop := comment(&agora.Comment{ProposalID: &online.ID, AuthorID: users[1].ID, Stance: agora.StanceAgainst, Body: "SECRET-HIDDEN-COMMENT",
		Status: agora.CommentHidden, HiddenReason: "spam"})
	comment(&agora.Comment{ProposalID: &online.ID, ParentID: &hiddenTop.ID, AuthorID: users[2].ID, Stance: agora.StanceNeutral,
		Body: "SECRET-ORPHAN-REPLY", Status: agora.CommentVisible})
	comment(&agora.Comment{ProposalID: &online.ID, AuthorID: users[1].ID, Stance: agora.StanceNeutral, Body: "SECRET-DELETED-COMMENT",
		Status: agora.CommentVisible, DeletedAt: &deleted})
	comment(&agora.Comment{ProposalID: &hiddenProp.ID, AuthorID: users[2].ID, Stance: agora.StanceFor, Body: "SECRET-COMMENT-ON-HIDDEN",
		Status: agora.CommentVisible})
	comment(&agora.Comment{ActivityID: &poll.ID, AuthorID: users[2].ID, Stance: agora.StanceFor, Body: "SECRET-HIDDEN-ON-ACTIVITY",
		Status: agora.CommentHidden})
	s.secrets = append(s.secrets, "SECRET-")
	return s
}

var svgRE = regexp.MustCompile(`(?s)<svg.*?</svg>`)

// wantValidSVG checks that every inline SVG of a page is well-formed XML.
func wantValidSVG(t *testing.T, page string) int {
	t.Helper()
	svgs := svgRE.FindAllString(page, -1)
	for _, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		d.Strict = true
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("an SVG is not well-formed XML: %v\n%s", err, s)
				break
			}
		}
	}
	return len(svgs)
}

var numberCell = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// wantSafeCSV checks that no cell of a CSV file would run as a formula.
func wantSafeCSV(t *testing.T, name string, body []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: not RFC 4180 CSV: %v", name, err)
	}
	for i, row := range rows {
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !numberCell.MatchString(cell) {
				t.Errorf("%s row %d col %d: formula cell %q", name, i, j, cell)
			}
		}
	}
	return rows
}

func wantNoSecrets(t *testing.T, what, body string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(body, s) {
			i := strings.Index(body, s)
			t.Errorf("%s leaks %q: …%s…", what, s, body[max(0, i-80):min(len(body), i+80)])
		}
	}
}

// wantNoMarkup checks that none of the planted markup reached a page as
// markup. (Control characters are refused at input; in HTML text they
// are harmless, and the SVG drops them: wantValidSVG.)
func wantNoMarkup(t *testing.T, what, page string) {
	t.Helper()
	for _, bad := range []string{"<script>alert", "</svg><script", "<img src=x", "]]><x>"} {
		if strings.Contains(page, bad) {
			t.Errorf("%s holds %q unescaped", what, bad)
		}
	}
}

func TestReport_Attack(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		a := seedAttack(t, st)
		anon := newClient(t, s)
		base := "/c/" + a.cons.Slug + "/report"

		page := anon.get(base)
		wantStatus(t, page, http.StatusOK)
		wantNoSecrets(t, "the report page", page.Body, a.secrets)
		wantNoMarkup(t, "the report page", page.Body)
		if n := wantValidSVG(t, page.Body); n < 4 {
			t.Errorf("%d charts on the page", n)
		}

		js := anon.get(base + "/opendata.json")
		wantStatus(t, js, http.StatusOK)
		wantNoSecrets(t, "the JSON", js.Body, a.secrets)
		wantContains(t, js.Body, `"=HYPERLINK(\"http://evil.example\",\"x\")"`) // the JSON keeps the text as typed
		wantContains(t, page.Body, "&lt;/svg&gt;&lt;script&gt;alert(2)", "&#34;&gt;&lt;img src=x onerror=alert(3)&gt;")

		z := anon.get(base + "/opendata.zip")
		wantStatus(t, z, http.StatusOK)
		zr, err := zip.NewReader(strings.NewReader(z.Body), int64(len(z.Body)))
		must(t, err)
		for _, f := range zr.File {
			rc, err := f.Open()
			must(t, err)
			b, err := io.ReadAll(rc)
			must(t, err)
			wantNoSecrets(t, f.Name, string(b), a.secrets)
			wantSafeCSV(t, f.Name, b)
			if f.Name == "proposals.csv" {
				wantContains(t, string(b), `"'=HYPERLINK(""http://evil.example"",""x"")"`, "'+cmd", "'-1+1", "'@SUM")
			}
		}

		// The open data's results are the public API's and the live
		// tallies', channel by channel.
		var doc struct {
			Results []struct {
				ActivityID int64 `json:"activity_id"`
				Total      json.RawMessage
				Room       json.RawMessage
				Online     json.RawMessage
				Ideas      []struct {
					ProposalID int64 `json:"proposal_id"`
					Supports   int
				}
			}
		}
		must(t, json.Unmarshal([]byte(js.Body), &doc))
		var api struct {
			Results []struct {
				ActivityID int64 `json:"activity_id"`
				Tally      *agora.Tally
			}
		}
		must(t, json.Unmarshal([]byte(anon.get("/api/v1/consultations/"+a.cons.Slug+"/results").Body), &api))
		apiOf := map[int64]*agora.Tally{}
		for _, r := range api.Results {
			apiOf[r.ActivityID] = r.Tally
		}
		counts := func(tl *agora.Tally) string {
			b, _ := json.Marshal(map[string]any{"voters": tl.Voters, "options": tl.Options, "words": tl.Words, "scale": tl.Scale})
			return string(b)
		}
		fromDoc := func(raw json.RawMessage) string {
			var tl agora.Tally
			must(t, json.Unmarshal(raw, &tl))
			return counts(&tl)
		}
		for _, act := range a.acts {
			if !act.Kind.Votable() {
				continue
			}
			vs, err := st.ListVotes(context.Background(), act.ID)
			must(t, err)
			live := agora.TallyVotes(act, vs)
			for _, r := range doc.Results {
				if r.ActivityID != act.ID {
					continue
				}
				if got, want := fromDoc(r.Total), counts(&live); got != want {
					t.Errorf("activity %d: JSON total %s, live %s", act.ID, got, want)
				}
				if got, want := fromDoc(r.Room), counts(live.Room); got != want {
					t.Errorf("activity %d: JSON room %s, live %s", act.ID, got, want)
				}
				if got, want := fromDoc(r.Online), counts(live.Online); got != want {
					t.Errorf("activity %d: JSON online %s, live %s", act.ID, got, want)
				}
				if got, want := counts(apiOf[act.ID]), counts(&live); got != want {
					t.Errorf("activity %d: API %s, live %s", act.ID, got, want)
				}
			}
		}

		for _, p := range []string{"", "/activities", "/results"} {
			r := anon.get("/api/v1/consultations/" + a.cons.Slug + p)
			wantStatus(t, r, http.StatusOK)
			wantNoSecrets(t, "GET /api/v1/consultations/{slug}"+p, r.Body, a.secrets)
		}
		for _, act := range a.acts {
			r := anon.get(fmt.Sprintf("/api/v1/activities/%d/results", act.ID))
			wantStatus(t, r, http.StatusOK)
			wantNoSecrets(t, "GET /api/v1/activities/{id}/results", r.Body, a.secrets)
		}

		// CORS only on the public reads: never on a command, whoever asks.
		citizen, _ := signedIn(t, s, st, agora.RoleCitizen)
		for _, c := range []*client{anon, citizen} {
			for _, r := range []*response{
				c.api("POST", "/api/v1/consultations/"+a.cons.Slug+"/proposals", map[string]string{"title": "t", "body": "b"}),
				c.api("POST", fmt.Sprintf("/api/v1/activities/%d/vote", a.acts[0].ID), map[string]any{"choices": []int{1}}),
				c.api("GET", "/api/v1/csrf", nil),
				c.api("GET", "/api/v1/workshops/"+a.w.JoinCode+"/state", nil),
			} {
				if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
					t.Errorf("%d answer with Access-Control-Allow-Origin %q", r.StatusCode, got)
				}
			}
		}

		// The facilitator's exports: staff see the join code in the
		// links, nothing else of the secrets.
		staff, _ := signedIn(t, s, st, agora.RoleFacilitator)
		staffSecrets := []string{"SECRET-", "secret-mail", a.w.ScreenToken}
		code := a.w.JoinCode
		sum := staff.get("/facilitate/" + code + "/summary")
		wantStatus(t, sum, http.StatusOK)
		wantNoSecrets(t, "the summary", sum.Body, staffSecrets)
		wantNoMarkup(t, "the summary", sum.Body)
		ex := staff.get("/facilitate/" + code + "/export.csv")
		wantStatus(t, ex, http.StatusOK)
		wantNoSecrets(t, "the facilitator's CSV", ex.Body, staffSecrets)
		wantSafeCSV(t, "export.csv", []byte(ex.Body))
		wantContains(t, ex.Body, "'+cmd", "'-1+1", "'@SUM", "<script>alert(1)</script>")
	})
}

// An unpublished report, and everything of a draft consultation, stay
// hidden from strangers and citizens whatever the method (HEAD too), a
// trailing slash or the case of the path.
func TestReport_HiddenOnEveryRoute(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	ctx := context.Background()
	unpublished := seedAttack(t, st)
	unpublished.cons.ReportPublished = false
	must(t, st.UpdateConsultation(ctx, unpublished.cons))
	draft := seedAttack(t, st)
	draft.cons.Status = agora.ConsultationDraft // report published, consultation draft
	must(t, st.UpdateConsultation(ctx, draft.cons))

	anon := newClient(t, s)
	citizen, _ := signedIn(t, s, st, agora.RoleCitizen)
	var paths []string
	for _, a := range []*attackSeed{unpublished, draft} {
		c := "/c/" + a.cons.Slug
		paths = append(paths, c+"/report", c+"/report/", c+"/REPORT", "/C"+c[2:]+"/Report/",
			c+"/report/opendata.json", c+"/report/opendata.json/", c+"/report/OPENDATA.ZIP", c+"/report/opendata.zip")
	}
	v1 := "/api/v1/consultations/" + draft.cons.Slug
	paths = append(paths, v1, v1+"/", v1+"/activities", v1+"/results", v1+"/proposals",
		fmt.Sprintf("/api/v1/activities/%d/results", draft.acts[0].ID))
	for _, c := range []*client{anon, citizen} {
		for _, p := range paths {
			for _, m := range []string{"GET", "HEAD"} {
				r := c.do(m, p, nil, nil)
				if r.StatusCode == http.StatusOK || r.StatusCode >= 500 {
					t.Errorf("%s %s: %d", m, p, r.StatusCode)
				}
				wantNoSecrets(t, m+" "+p, r.Body, append(draft.secrets, "Atelier en préparation", "data-sha256", "data-report=", `"schema"`))
			}
		}
		list := c.get("/api/v1/consultations")
		wantStatus(t, list, http.StatusOK)
		if strings.Contains(list.Body, draft.cons.Slug) {
			t.Error("the public list holds a draft consultation")
		}
	}
}

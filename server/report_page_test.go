package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// reportSeed is a consultation with known numbers, room and online:
//
//   - workshop "Atelier mairie", 3 phones p1–p3;
//   - poll "Quel aménagement ?": Pistes / <script>alert(1)</script> /
//     Zones 30, room p1 p2 → Pistes, p3 → script; online Alice → script,
//     Bob → Zones 30;
//   - scale 0–10: 7, 6, 10 (mean 7.67);
//   - word cloud: p1 vélo + arbres, p2 vélo, p3 bancs;
//   - ideas: "Des arceaux devant l’école" (room p2 p3, online Alice),
//     "Une rue scolaire" (room p1), one hidden and one rejected;
//   - online proposal "Piste rue Victor Hugo" (Bob, Carol; accepted with
//     an answer), one hidden; one visible comment and one hidden.
type reportSeed struct {
	cons                     *agora.Consultation
	poll, scale, cloud, idea *agora.Activity
}

// reportSecrets must appear nowhere on the page or in the open data.
var reportSecrets = []string{"SECRET-", "@example.org", "Alice Martin", "Bob Durand", "Carol Petit", "token-hash-"}

func seedReport(t *testing.T, st agora.Store) *reportSeed {
	t.Helper()
	ctx := context.Background()
	n := uniqueSeq.Add(1)
	ptr := func(v int64) *int64 { return &v }
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	users := map[string]int64{}
	for _, name := range []string{"Alice Martin", "Bob Durand", "Carol Petit"} {
		first, _, _ := strings.Cut(name, " ")
		u := &agora.User{Email: fmt.Sprintf("%s%d@example.org", first, n), DisplayName: name, Role: agora.RoleCitizen, CreatedAt: day(1)}
		must(t, st.CreateUser(ctx, u))
		users[first] = u.ID
	}
	r := &reportSeed{cons: &agora.Consultation{Slug: fmt.Sprintf("plan-velo-%d", n), Title: "Plan vélo", Status: agora.ConsultationOpen,
		OpensAt: &[]time.Time{day(1)}[0], SupportThreshold: 2}}
	must(t, st.CreateConsultation(ctx, r.cons))
	cid := r.cons.ID
	w := &agora.Workshop{ConsultationID: cid, Title: "Atelier mairie", Place: "Salle des fêtes", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopEnded, CreatedAt: day(2)}
	must(t, st.CreateWorkshop(ctx, w))
	parts := map[string]int64{}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("p%d", i)
		p := &agora.Participant{WorkshopID: w.ID, TokenHash: fmt.Sprintf("token-hash-%d-%s", n, name),
			PublicID: fmt.Sprintf("pub-%d-%s", n, name), CreatedAt: day(10)}
		must(t, st.CreateParticipant(ctx, p))
		parts[name] = p.ID
	}
	activity := func(a *agora.Activity) *agora.Activity {
		a.WorkshopID, a.State, a.CreatedAt = w.ID, agora.ActivityClosed, day(2)
		must(t, st.CreateActivity(ctx, a))
		return a
	}
	r.poll = activity(&agora.Activity{Kind: agora.KindPoll, Prompt: "Quel aménagement ?", Settings: agora.ActivitySettings{MaxChoices: 1},
		Options: []agora.Option{{ID: 1, Label: "Pistes"}, {ID: 2, Label: "<script>alert(1)</script>"}, {ID: 3, Label: "Zones 30"}}})
	r.scale = activity(&agora.Activity{Kind: agora.KindScale, Prompt: "Votre envie de pédaler", Settings: agora.ActivitySettings{ScaleMin: 0, ScaleMax: 10}})
	r.cloud = activity(&agora.Activity{Kind: agora.KindWordCloud, Prompt: "Un mot ?", Settings: agora.ActivitySettings{MaxWords: 2}})
	r.idea = activity(&agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées", Settings: agora.ActivitySettings{Premoderation: true}})

	vote := func(a *agora.Activity, who string, v agora.Vote) {
		v.ActivityID = a.ID
		if id, ok := parts[who]; ok {
			v.ParticipantID, v.Channel = ptr(id), agora.ChannelRoom
		} else {
			v.UserID, v.Channel = ptr(users[who]), agora.ChannelOnline
		}
		_, err := st.PutVote(ctx, &v)
		must(t, err)
	}
	for who, c := range map[string]int{"p1": 1, "p2": 1, "p3": 2, "Alice": 2, "Bob": 3} {
		vote(r.poll, who, agora.Vote{Choices: []int{c}})
	}
	for who, v := range map[string]int{"p1": 7, "p2": 6, "p3": 10} {
		vote(r.scale, who, agora.Vote{Value: &v})
	}
	vote(r.cloud, "p1", agora.Vote{Words: []string{"vélo", "arbres"}})
	vote(r.cloud, "p2", agora.Vote{Words: []string{"vélo"}})
	vote(r.cloud, "p3", agora.Vote{Words: []string{"bancs"}})

	props := map[string]int64{}
	prop := func(key string, p *agora.Proposal) {
		p.ConsultationID, p.ClientKey, p.UpdatedAt = cid, key, p.CreatedAt
		must(t, st.CreateProposal(ctx, p))
		props[key] = p.ID
	}
	idea := func(key, author, body string, status agora.ProposalStatus, reason string) {
		prop(key, &agora.Proposal{WorkshopID: &w.ID, ActivityID: &r.idea.ID, ParticipantID: ptr(parts[author]),
			Body: body, Status: status, HiddenReason: reason, CreatedAt: day(10)})
	}
	idea("i1", "p1", "Des arceaux devant l’école", agora.ProposalApproved, "")
	idea("i2", "p2", "Une rue scolaire", agora.ProposalApproved, "")
	idea("i3", "p3", "SECRET-HIDDEN-IDEA", agora.ProposalHidden, "hors sujet")
	idea("i4", "p3", "SECRET-REJECTED-IDEA", agora.ProposalRejected, "")
	answered := day(20)
	prop("P1", &agora.Proposal{AuthorID: ptr(users["Alice"]), Title: "Piste rue Victor Hugo", Body: "Une piste.", Category: "Pistes",
		Status: agora.ProposalApproved, Answer: agora.AnswerAccepted, AnswerText: "Sera réalisé en 2027", AnsweredAt: &answered, CreatedAt: day(12)})
	prop("P2", &agora.Proposal{AuthorID: ptr(users["Alice"]), Title: "SECRET-HIDDEN-PROPOSAL", Body: "SECRET-BODY",
		Status: agora.ProposalHidden, HiddenReason: "propos injurieux", CreatedAt: day(12)})
	support := func(key, who string) {
		sp := &agora.Support{ProposalID: props[key], CreatedAt: day(14)}
		if id, ok := parts[who]; ok {
			sp.ParticipantID, sp.Channel = ptr(id), agora.ChannelRoom
		} else {
			sp.UserID, sp.Channel = ptr(users[who]), agora.ChannelOnline
		}
		_, err := st.AddSupport(ctx, sp)
		must(t, err)
	}
	support("i1", "p2")
	support("i1", "p3")
	support("i1", "Alice")
	support("i2", "p1")
	support("P1", "Bob")
	support("P1", "Carol")
	must(t, st.CreateComment(ctx, &agora.Comment{ConsultationID: cid, ProposalID: ptr(props["P1"]), AuthorID: users["Bob"],
		Stance: agora.StanceFor, Body: "Oui !", Status: agora.CommentVisible, CreatedAt: day(15)}))
	must(t, st.CreateComment(ctx, &agora.Comment{ConsultationID: cid, ProposalID: ptr(props["P1"]), AuthorID: users["Bob"],
		Stance: agora.StanceAgainst, Body: "SECRET-HIDDEN-COMMENT", Status: agora.CommentHidden, HiddenReason: "hors sujet", CreatedAt: day(15)}))
	return r
}

func (r *reportSeed) path(rest string) string { return "/c/" + r.cons.Slug + "/report" + rest }

func publishReport(t *testing.T, st agora.Store, c *agora.Consultation) {
	t.Helper()
	c.ReportPublished = true
	must(t, st.UpdateConsultation(context.Background(), c))
}

// pageSlice returns body from the first from on, up to the next to.
func pageSlice(t *testing.T, body, from, to string) string {
	t.Helper()
	i := strings.Index(body, from)
	if i < 0 {
		t.Fatalf("no %q in the page", from)
	}
	j := strings.Index(body[i:], to)
	if j < 0 {
		t.Fatalf("no %q after %q", to, from)
	}
	return body[i : i+j]
}

var (
	reportTagRE   = regexp.MustCompile(`<[^>]*>`)
	reportCellRE  = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	reportSpaceRE = regexp.MustCompile(`[ \t\n]+`)
)

// rowTexts returns the texts of the cells of the row headed by label.
func rowTexts(t *testing.T, html, label string) []string {
	t.Helper()
	row := pageSlice(t, html, `<th scope="row">`+label, "</tr>")
	var out []string
	for _, m := range reportCellRE.FindAllStringSubmatch(row, -1) {
		// Only ASCII spaces fold: the no-break spaces are part of the figure.
		out = append(out, reportSpaceRE.ReplaceAllString(strings.TrimSpace(reportTagRE.ReplaceAllString(m[1], " ")), " "))
	}
	return out
}

func wantRow(t *testing.T, html, label string, want ...string) {
	t.Helper()
	got := rowTexts(t, html, label)
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("row %q: %q, want %q", label, got, want)
	}
}

const nbsp = "\u00a0" // the no-break space French puts before % and :

func TestReport_PageShowsEveryFigure(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		r := seedReport(t, st)
		publishReport(t, st, r.cons)
		anon := newClient(t, s)
		resp := anon.get(r.path(""))
		wantStatus(t, resp, http.StatusOK)
		body := resp.Body
		wantContains(t, body, `<html lang="fr">`, "Bilan de la consultation", "Plan vélo",
			`data-figure="room-participants">3<`, `data-figure="online-citizens">3<`, `data-participants="3"`)
		if strings.Contains(body, "data-report-draft") {
			t.Fatal("a published report says draft")
		}
		for _, s := range reportSecrets {
			if strings.Contains(body, s) {
				t.Errorf("the page shows %q", s)
			}
		}

		contrib := pageSlice(t, body, `data-table="contributions"`, "</table>")
		wantRow(t, contrib, "Réponses aux questions", "9", "2", "11")
		wantRow(t, contrib, "Idées retenues", "2", "– sans objet", "2")
		wantRow(t, contrib, "Propositions", "– sans objet", "1", "1")
		wantRow(t, contrib, "Soutiens", "3", "3", "6")
		wantRow(t, contrib, "Commentaires", "– sans objet", "1", "1")

		// The poll: room, online and total side by side, the script label as text.
		poll := pageSlice(t, body, fmt.Sprintf(`data-activity="%d"`, r.poll.ID), "</figure>")
		wantContains(t, poll, `role="img"`, "Dans la salle", "En ligne")
		wantRow(t, poll, "Pistes", "2 (66,7"+nbsp+"%)", "0 (0"+nbsp+"%)", "2 (40"+nbsp+"%)")
		wantRow(t, poll, "&lt;script&gt;alert(1)&lt;/script&gt;", "1 (33,3"+nbsp+"%)", "1 (50"+nbsp+"%)", "2 (40"+nbsp+"%)")
		wantRow(t, poll, "Zones 30", "0 (0"+nbsp+"%)", "1 (50"+nbsp+"%)", "1 (20"+nbsp+"%)")
		wantRow(t, poll, "Votants", "3", "2", "5")
		if strings.Contains(body, "<script>alert") {
			t.Fatal("an option label reached the page as markup")
		}
		wantContains(t, poll, "&lt;script&gt;alert(1)&lt;/script&gt;</text>") // in the chart too, escaped

		scale := pageSlice(t, body, fmt.Sprintf(`data-activity="%d"`, r.scale.ID), "</figure>")
		wantContains(t, scale, `data-mean="7,67"`, "Moyenne"+nbsp+": 7,67", "chart-marker")
		wantRow(t, scale, "7", "1 (33,3"+nbsp+"%)")
		wantRow(t, scale, "10", "1 (33,3"+nbsp+"%)")
		wantRow(t, scale, "Moyenne", "7,67")
		wantRow(t, scale, "Votants", "3")

		cloud := pageSlice(t, body, fmt.Sprintf(`data-activity="%d"`, r.cloud.ID), "</figure>")
		wantContains(t, cloud, ">vélo</text>", ">arbres</text>", ">bancs</text>")
		wantRow(t, cloud, "vélo", "2 (66,7"+nbsp+"%)")
		wantRow(t, cloud, "bancs", "1 (33,3"+nbsp+"%)")

		ideas := pageSlice(t, body, fmt.Sprintf(`data-activity="%d"`, r.idea.ID), "</figure>")
		wantRow(t, ideas, "Des arceaux devant l’école", "2", "1", "3")
		wantRow(t, ideas, "Une rue scolaire", "1", "0", "1")

		props := pageSlice(t, body, `data-table="proposals"`, "</table>")
		wantContains(t, props, "Seuil atteint", "Acceptée", "Sera réalisé en 2027")
		if got := rowTexts(t, props, "Piste rue Victor Hugo"); len(got) != 4 || got[0] != "0" || got[1] != "2" || got[2] != "2" ||
			!strings.Contains(got[3], "Acceptée") || !strings.Contains(got[3], "Sera réalisé en 2027") {
			t.Errorf("proposal row %q", got)
		}
		if got := rowTexts(t, props, "Des arceaux devant l’école"); len(got) != 4 || got[0] != "2" || got[1] != "1" || got[2] != "3" {
			t.Errorf("idea row %q", got)
		}

		wantContains(t, body, `data-hidden-proposals="2"`, `data-rejected-ideas="1"`, `data-hidden-comments="1"`)
		reasons := pageSlice(t, body, `data-table="reasons"`, "</table>")
		wantRow(t, reasons, "hors sujet", "2")
		wantRow(t, reasons, "propos injurieux", "1")

		// Method: how people were identified, the moderation rules, the phases.
		wantContains(t, body, "cookie pseudonyme", "avec un compte", `data-premoderated="1"`, `data-table="phases"`,
			"Consultation « Plan vélo »", `data-table="timeline"`, `id="timeline-title"`)

		// Open data: the fingerprints shown are those of the bytes served.
		for _, kind := range []string{"json", "zip"} {
			m := regexp.MustCompile(`data-sha256="` + kind + `">([0-9a-f]{64})</code>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no %s fingerprint on the page", kind)
			}
			d := anon.get(r.path("/opendata." + kind))
			wantStatus(t, d, http.StatusOK)
			sum := sha256.Sum256([]byte(d.Body))
			if hex.EncodeToString(sum[:]) != m[1] || d.Header.Get("X-Content-SHA256") != m[1] {
				t.Errorf("%s: page %s, bytes %x, header %s", kind, m[1], sum, d.Header.Get("X-Content-SHA256"))
			}
			if cd := d.Header.Get("Content-Disposition"); cd != `attachment; filename="`+r.cons.Slug+`-opendata.`+kind+`"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			if d.Header.Get("Digest") != "sha-256="+base64.StdEncoding.EncodeToString(sum[:]) {
				t.Errorf("Digest %q", d.Header.Get("Digest"))
			}
			for _, s := range reportSecrets {
				if strings.Contains(d.Body, s) {
					t.Errorf("%s export holds %q", kind, s)
				}
			}
			wantContains(t, body, "sha256sum "+r.cons.Slug+"-opendata.json", `href="/c/`+r.cons.Slug+`/report/opendata.`+kind+`"`)
		}
		var doc map[string]any
		must(t, json.Unmarshal([]byte(anon.get(r.path("/opendata.json")).Body), &doc))
	})
}

func TestReport_UnpublishedIsForStaffOnly(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		r := seedReport(t, st)
		anon := newClient(t, s)
		citizen, _ := signedIn(t, s, st, agora.RoleCitizen)
		for _, p := range []string{"", "/opendata.json", "/opendata.zip"} {
			for _, c := range []*client{anon, citizen} {
				resp := c.get(r.path(p))
				wantStatus(t, resp, http.StatusNotFound)
				if strings.Contains(resp.Body, "Quel aménagement") || strings.Contains(resp.Body, "Pistes") {
					t.Fatalf("a 404 shows the report: %s", resp.Body)
				}
			}
		}
		wantContains(t, anon.get(r.path("")).Body, "pas encore publié")
		// No link to the report on the consultation page for the public.
		if strings.Contains(anon.get("/c/"+r.cons.Slug).Body, "data-report-link") {
			t.Fatal("the public sees a link to an unpublished report")
		}
		for _, role := range []agora.Role{agora.RoleAdmin, agora.RoleFacilitator, agora.RoleModerator} {
			staff, _ := signedIn(t, s, st, role)
			resp := staff.get(r.path(""))
			wantStatus(t, resp, http.StatusOK)
			wantContains(t, resp.Body, "data-report-draft", "Brouillon — bilan non publié.", `data-participants="3"`)
			wantStatus(t, staff.get(r.path("/opendata.json")), http.StatusOK)
			wantContains(t, staff.get("/c/"+r.cons.Slug).Body, `data-report-link="draft"`)
		}
		// A draft consultation's report does not exist for the public even once published.
		draft := &agora.Consultation{Slug: fmt.Sprintf("brouillon-%d", uniqueSeq.Add(1)), Title: "Brouillon", Status: agora.ConsultationDraft, ReportPublished: true}
		must(t, st.CreateConsultation(context.Background(), draft))
		wantStatus(t, anon.get("/c/"+draft.Slug+"/report"), http.StatusNotFound)
	})
}

func TestReport_English(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	r := seedReport(t, st)
	publishReport(t, st, r.cons)
	c := newClient(t, s)
	c.jar[langCookie] = &http.Cookie{Name: langCookie, Value: "en"}
	resp := c.get(r.path(""))
	wantStatus(t, resp, http.StatusOK)
	body := resp.Body
	wantContains(t, body, `<html lang="en">`, "Consultation report", "In the room", "Online", `data-mean="7.67"`, "Mean: 7.67",
		"Proposals and official answers", "Threshold reached", "SHA-256 fingerprint of")
	poll := pageSlice(t, body, fmt.Sprintf(`data-activity="%d"`, r.poll.ID), "</figure>")
	wantRow(t, poll, "Pistes", "2 (66.7%)", "0 (0%)", "2 (40%)")
	for _, fr := range []string{"Bilan de la consultation", "Dans la salle", "Moyenne"} {
		if strings.Contains(body, fr) {
			t.Errorf("English page shows %q", fr)
		}
	}
}

func TestReport_PublishCheckbox(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		ctx := context.Background()
		admin, _ := signedIn(t, s, st, agora.RoleAdmin)
		cons := draftConsultation(t, st)
		path := "/admin/consultations/" + itoa(cons.ID)
		r := admin.get(path)
		wantContains(t, r.Body, `name="report_published" type="checkbox" value="on" aria-describedby`)

		f := editForm(cons)
		f.Set("report_published", "on")
		wantRedirect(t, admin.post(path, f), path+"?done=saved")
		got, err := st.ConsultationByID(ctx, cons.ID)
		must(t, err)
		if !got.ReportPublished {
			t.Fatal("the checkbox did not publish the report")
		}
		wantContains(t, admin.get(path).Body, `value="on" checked`)
		es, err := st.ListAudit(ctx, agora.AuditFilter{ConsultationID: &cons.ID})
		must(t, err)
		if len(es) != 1 || !strings.Contains(es[0].Detail, `"report_published":{"from":false,"to":true}`) {
			t.Fatalf("audit %+v", es)
		}
		anon := newClient(t, s)
		wantStatus(t, anon.get("/c/"+cons.Slug+"/report"), http.StatusOK)
		wantContains(t, anon.get("/c/"+cons.Slug).Body, `href="/c/`+cons.Slug+`/report" data-report-link>`)

		// Unticked, the form sends nothing: the report goes back to staff only.
		f.Del("report_published")
		wantRedirect(t, admin.post(path, f), path+"?done=saved")
		got, err = st.ConsultationByID(ctx, cons.ID)
		must(t, err)
		if got.ReportPublished {
			t.Fatal("unticking did not unpublish")
		}
		wantStatus(t, anon.get("/c/"+cons.Slug+"/report"), http.StatusNotFound)
		es, _ = st.ListAudit(ctx, agora.AuditFilter{ConsultationID: &cons.ID})
		if len(es) != 2 {
			t.Fatalf("%d audit entries", len(es))
		}
	})
}

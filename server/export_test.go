package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// bilanRoom is a live workshop (testRoom) with known answers in the room
// and online, for the exports and the public API:
//
//	poll  Nord/Sud/Est   room: Nord×3, Sud×1          online: Nord, Est
//	multi A/B/C (max 2)  room: {A,B}, {A}             online: {B,C}
//	scale 1–5            room: 4, 5, 2                online: 3
//	cloud (max 2)        room: {vélo, arbres}, {Vélo}, {vélo}  online: {arbres}
//	ideas                "Plus de bancs…" (2 room + 1 online supports),
//	                     a formula (1 room support), one hidden, one pending
type bilanRoom struct {
	*testRoom
	parts  []*agora.Participant // 4 devices; the first has a nickname
	users  []*agora.User        // 2 citizens voting online
	posted []*agora.Proposal    // ideas: approved, approved, hidden, pending
	bancs  string
	hidden string
}

const formulaIdea = `=HYPERLINK("http://evil.example","x")`

func newBilanRoom(t *testing.T, st agora.Store) *bilanRoom {
	t.Helper()
	ctx := context.Background()
	r := &bilanRoom{testRoom: newTestRoom(t, st), bancs: "Plus de bancs à l’ombre", hidden: "Idée masquée par la modération"}
	for i := range 4 {
		p := &agora.Participant{WorkshopID: r.w.ID, TokenHash: agora.NewSecret(), PublicID: agora.NewSecret()}
		if i == 0 {
			p.Nickname = "Léa-secrète"
		}
		must(t, st.CreateParticipant(ctx, p))
		r.parts = append(r.parts, p)
	}
	for i := range 2 {
		r.users = append(r.users, mustAccount(t, st, fmt.Sprintf("online%d-%d@example.fr", i, uniqueSeq.Add(1)), "Citoyen Caché", agora.RoleCitizen))
	}
	room := func(a *agora.Activity, p int, v agora.Vote) {
		v.ActivityID, v.ParticipantID, v.Channel = a.ID, &r.parts[p].ID, agora.ChannelRoom
		_, err := st.PutVote(ctx, &v)
		must(t, err)
	}
	online := func(a *agora.Activity, u int, v agora.Vote) {
		v.ActivityID, v.UserID, v.Channel = a.ID, &r.users[u].ID, agora.ChannelOnline
		_, err := st.PutVote(ctx, &v)
		must(t, err)
	}
	opt := func(a *agora.Activity, i int) int { return a.Options[i].ID }
	val := func(n int) *int { return &n }

	nord, sud, est := opt(r.poll, 0), opt(r.poll, 1), opt(r.poll, 2)
	for p, c := range []int{nord, nord, nord, sud} {
		room(r.poll, p, agora.Vote{Choices: []int{c}})
	}
	online(r.poll, 0, agora.Vote{Choices: []int{nord}})
	online(r.poll, 1, agora.Vote{Choices: []int{est}})

	room(r.multi, 0, agora.Vote{Choices: []int{opt(r.multi, 0), opt(r.multi, 1)}})
	room(r.multi, 1, agora.Vote{Choices: []int{opt(r.multi, 0)}})
	online(r.multi, 0, agora.Vote{Choices: []int{opt(r.multi, 1), opt(r.multi, 2)}})

	for p, v := range []int{4, 5, 2} {
		room(r.scale, p, agora.Vote{Value: val(v)})
	}
	online(r.scale, 0, agora.Vote{Value: val(3)})

	room(r.cloud, 0, agora.Vote{Words: []string{"vélo", "arbres"}})
	room(r.cloud, 1, agora.Vote{Words: []string{"Vélo"}})
	room(r.cloud, 2, agora.Vote{Words: []string{"vélo"}})
	online(r.cloud, 0, agora.Vote{Words: []string{"arbres"}})

	for i, idea := range []struct {
		body   string
		status agora.ProposalStatus
	}{{r.bancs, agora.ProposalApproved}, {formulaIdea, agora.ProposalApproved},
		{r.hidden, agora.ProposalHidden}, {"Idée en attente de modération", agora.ProposalPending}} {
		p := &agora.Proposal{ConsultationID: r.cons.ID, WorkshopID: &r.w.ID, ActivityID: &r.testRoom.ideas.ID,
			ParticipantID: &r.parts[i].ID, ClientKey: fmt.Sprintf("k%d", i), Body: idea.body, Status: idea.status}
		must(t, st.CreateProposal(ctx, p))
		r.posted = append(r.posted, p)
	}
	support := func(idea, part int) {
		_, err := st.AddSupport(ctx, &agora.Support{ProposalID: r.posted[idea].ID, ParticipantID: &r.parts[part].ID, Channel: agora.ChannelRoom})
		must(t, err)
	}
	support(0, 1)
	support(0, 2)
	support(1, 0)
	support(2, 3) // hidden: counted nowhere
	_, err := st.AddSupport(ctx, &agora.Support{ProposalID: r.posted[0].ID, UserID: &r.users[0].ID, Channel: agora.ChannelOnline})
	must(t, err)
	// Written behind the engine's back, as an import would be: the live
	// tally it holds of the open poll is read again.
	must(t, r.s.engine.Reload(ctx, r.poll.ID))
	return r
}

// staffClient signs the room's facilitator in.
func (r *bilanRoom) staffClient() *client {
	r.t.Helper()
	c := newClient(r.t, r.s)
	wantRedirect(r.t, c.signin(r.staff.Email, "correct horse battery"), "/")
	return c
}

func TestExport_CSVCells(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		r := newBilanRoom(t, open(t))
		w, err := r.st.WorkshopByID(context.Background(), r.w.ID)
		must(t, err)
		if w.State != agora.WorkshopLive {
			t.Fatalf("workshop %s, want live: the export must work during the workshop", w.State)
		}
		resp := r.staffClient().get("/facilitate/" + r.code() + "/export.csv")
		wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+r.code()+`-results.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		body, ok := strings.CutPrefix(resp.Body, "\ufeff")
		if !ok {
			t.Fatalf("no UTF-8 BOM: %q", resp.Body[:min(20, len(resp.Body))])
		}
		if !strings.Contains(body, "\r\n") {
			t.Error("lines not ended by CRLF")
		}
		got, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		id := func(a *agora.Activity) string { return itoa(a.ID) }
		row := func(a *agora.Activity, pos, kind, prompt string, cells ...string) []string {
			return append([]string{id(a), pos, kind, prompt}, cells...)
		}
		poll := func(cells ...string) []string { return row(r.poll, "1", "poll", "Quel accès ?", cells...) }
		multi := func(cells ...string) []string { return row(r.multi, "2", "poll", "Quels usages ?", cells...) }
		scale := func(cells ...string) []string { return row(r.scale, "3", "scale", "Satisfait ?", cells...) }
		cloud := func(cells ...string) []string { return row(r.cloud, "4", "wordcloud", "En un mot ?", cells...) }
		ideas := func(cells ...string) []string { return row(r.testRoom.ideas, "5", "ideas", "Vos idées ?", cells...) }
		want := [][]string{
			{"activity_id", "position", "kind", "prompt", "row", "label", "room", "online", "total", "percent"},
			poll("option", "Nord", "3", "1", "4", "66.7"),
			poll("option", "Sud", "1", "0", "1", "16.7"),
			poll("option", "Est", "0", "1", "1", "16.7"),
			poll("voters", "", "4", "2", "6", ""),
			multi("option", "A", "2", "0", "2", "66.7"),
			multi("option", "B", "1", "1", "2", "66.7"),
			multi("option", "C", "0", "1", "1", "33.3"),
			multi("voters", "", "2", "1", "3", ""),
			scale("value", "1", "0", "0", "0", "0.0"),
			scale("value", "2", "1", "0", "1", "25.0"),
			scale("value", "3", "0", "1", "1", "25.0"),
			scale("value", "4", "1", "0", "1", "25.0"),
			scale("value", "5", "1", "0", "1", "25.0"),
			scale("mean", "", "3.67", "3.00", "3.50", ""),
			scale("voters", "", "3", "1", "4", ""),
			cloud("word", "vélo", "3", "0", "3", "75.0"),
			cloud("word", "arbres", "1", "1", "2", "50.0"),
			cloud("voters", "", "3", "1", "4", ""),
			ideas("idea", r.bancs, "2", "1", "3", ""),
			ideas("idea", "'"+formulaIdea, "1", "0", "1", ""),
		}
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d:\n%s", len(got), len(want), body)
		}
		for i := range want {
			if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("row %d:\n got %q\nwant %q", i, got[i], want[i])
			}
		}
		for _, leak := range []string{r.hidden, "en attente", "Léa-secrète", r.users[0].Email} {
			if strings.Contains(body, leak) {
				t.Errorf("export holds %q", leak)
			}
		}
	})
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+33 6": "'+33 6", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx",
		"Nord": "Nord", "": "", "é=1": "é=1", "1": "1",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExport_Access(t *testing.T) {
	r := newBilanRoom(t, openSQLite(t))
	paths := []string{"/facilitate/" + r.code() + "/export.csv", "/facilitate/" + r.code() + "/summary"}
	phone := r.join("Tom") // a participant of this very workshop
	citizen, _ := signedIn(t, r.s, r.st, agora.RoleCitizen)
	moderator, _ := signedIn(t, r.s, r.st, agora.RoleModerator)
	admin, _ := signedIn(t, r.s, r.st, agora.RoleAdmin)
	for _, p := range paths {
		for name, c := range map[string]*client{"anonymous": newClient(t, r.s), "participant": phone} {
			resp := c.get(p)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?next=") {
				t.Errorf("%s %s: %d %q, want 303 to /signin", name, p, resp.StatusCode, resp.Header.Get("Location"))
			}
			if strings.Contains(resp.Body, "Nord") {
				t.Errorf("%s %s: results leaked", name, p)
			}
		}
		wantStatus(t, citizen.get(p), http.StatusForbidden)
		wantStatus(t, moderator.get(p), http.StatusForbidden)
		wantStatus(t, admin.get(p), http.StatusOK)
	}
	fac := r.staffClient()
	wantStatus(t, fac.get("/facilitate/ZZZZZZ/export.csv"), http.StatusNotFound)
	wantStatus(t, fac.get("/facilitate/nope!/summary"), http.StatusNotFound)
}

func TestExport_Summary(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		r := newBilanRoom(t, open(t))
		ctx := context.Background()
		w, err := r.st.WorkshopByID(ctx, r.w.ID) // live now: r.w is stale
		must(t, err)
		w.Place = "Salle des fêtes"
		must(t, r.st.UpdateWorkshop(ctx, w))
		fac := r.staffClient()
		path := "/facilitate/" + r.code() + "/summary"

		resp := fac.get(path)
		wantStatus(t, resp, http.StatusOK)
		audit, err := r.st.ListAudit(ctx, agora.AuditFilter{WorkshopID: &r.w.ID, TargetKind: agora.TargetWorkshop})
		must(t, err)
		var started string
		for _, e := range audit {
			if e.Action == "workshop.start" && started == "" {
				started = e.At.UTC().Format("2006-01-02T15:04:05Z07:00")
			}
		}
		if started == "" {
			t.Fatal("no workshop.start in the audit log")
		}
		wantContains(t, resp.Body,
			"<h1>Bilan de l’atelier : Atelier du parc</h1>", "Consultation : Le parc",
			`<dd data-place>Salle des fêtes</dd>`, `<time datetime="`+started+`">`, "en cours",
			`data-joined="4">4 participants ont rejoint l’atelier`,
			`data-voted="4">4 personnes ont voté au moins une fois`,
			`href="/facilitate/`+r.code()+`"`, `href="/facilitate/`+r.code()+`/export.csv"`, "css/summary.",
		)
		// Each activity's key result, in order.
		items := strings.Split(resp.Body, `<tr data-activity="`)[1:]
		if len(items) != 5 {
			t.Fatalf("%d activities in the summary, want 5", len(items))
		}
		wantSeq(t, items[0], "1. Quel accès ?", "Sondage", "<td data-answers>6</td>",
			"Nord</span>", `data-count="4">4 votes (66,7 %)`, "Sud</span>", `data-count="1">1 vote (16,7 %)`, "Est</span>")
		wantSeq(t, items[1], "2. Quels usages ?", "<td data-answers>3</td>",
			"A</span>", `data-count="2">2 votes (66,7 %)`, "B</span>", `2 votes (66,7 %)`, "C</span>", `1 vote (33,3 %)`)
		wantSeq(t, items[2], "3. Satisfait ?", "Échelle", "<td data-answers>4</td>",
			`data-mean="3.5">Moyenne : 3,5 (de 1 à 5) · 4 réponses`)
		wantSeq(t, items[3], "4. En un mot ?", "Nuage de mots", "<td data-answers>4</td>",
			"vélo</span>", `3 votes (75 %)`, "arbres</span>", `2 votes (50 %)`)
		wantSeq(t, items[4], "5. Vos idées ?", "Idées", "<td data-answers>2 idées retenues</td>",
			r.bancs+"</span>", `data-count="3">3 soutiens`,
			"=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)</span>", `data-count="1">1 soutien`)
		for _, leak := range []string{r.hidden, "en attente", "Léa-secrète", r.users[0].Email} {
			if strings.Contains(resp.Body, leak) {
				t.Errorf("summary holds %q", leak)
			}
		}

		// In English, and once the workshop has ended.
		must(t, r.s.engine.EndWorkshop(ctx, r.staff, r.w.ID))
		fac.header.Set("Accept-Language", "en")
		resp = fac.get(path)
		wantStatus(t, resp, http.StatusOK)
		wantContains(t, resp.Body, "Workshop summary: Atelier du parc", "4 participants joined the workshop",
			"4 people voted at least once", "4 votes (66.7%)", "Mean: 3.5 (from 1 to 5)", "3 supports")
		if !strings.Contains(strings.Split(resp.Body, "<dd data-ended>")[1], "<time datetime=") {
			t.Error("no end time once the workshop ended")
		}
	})
}

// wantSeq checks that s holds parts in this order.
func wantSeq(t *testing.T, s string, parts ...string) {
	t.Helper()
	rest := s
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Fatalf("missing (or out of order) %q in:\n%s", p, s)
		}
		rest = rest[i+len(p):]
	}
}

// The dashboard links to both exports.
func TestExport_DashboardLinks(t *testing.T) {
	r := newBilanRoom(t, openSQLite(t))
	resp := r.staffClient().get("/facilitate/" + r.code())
	wantStatus(t, resp, http.StatusOK)
	wantContains(t, resp.Body, `href="/facilitate/`+r.code()+`/summary" data-export-summary`,
		`href="/facilitate/`+r.code()+`/export.csv" download data-export-csv`)
}

// The summary keeps the five most chosen options, most chosen first, and
// says how many it left out.
func TestSummary_TopFive(t *testing.T) {
	a := &agora.Activity{ID: 1, Kind: agora.KindPoll}
	var votes []*agora.Vote
	for i := range 7 {
		a.Options = append(a.Options, agora.Option{ID: i + 1, Label: fmt.Sprintf("o%d", i+1)})
		for range i { // option i+1 gets i votes
			votes = append(votes, &agora.Vote{Choices: []int{i + 1}, Channel: agora.ChannelRoom})
		}
	}
	it := summaryOf(exportActivity{ID: a.ID, Kind: a.Kind, Tally: agora.TallyVotes(a, votes)})
	var got []string
	for _, r := range it.Rows {
		got = append(got, fmt.Sprintf("%s:%d:%v", r.Label, r.Count, r.Percent))
	}
	if strings.Join(got, " ") != "o7:6:28.6 o6:5:23.8 o5:4:19 o4:3:14.3 o3:2:9.5" || it.More != 2 || it.Voters != 21 {
		t.Fatalf("rows %v, more %d, voters %d", got, it.More, it.Voters)
	}
}

// A long idea is cut in the summary, so that six activities fit on one
// A4 page (e2e TestSummary_PrintsOnOneA4Page); short labels stay whole.
func TestSummary_LongLabelsCut(t *testing.T) {
	long := strings.Repeat("Planter des tilleuls côté sud ", 9) // 270 characters
	a := &agora.Activity{ID: 1, Kind: agora.KindIdeas}
	ideas := []*agora.Proposal{{ID: 1, Body: long, Status: agora.ProposalApproved}, {ID: 2, Body: "Des bancs", Status: agora.ProposalApproved}}
	it := summaryOf(exportActivity{ID: a.ID, Kind: a.Kind, Tally: agora.TallyIdeas(a, ideas)})
	if len(it.Rows) != 2 || it.Rows[1].Label != "Des bancs" {
		t.Fatalf("rows %+v", it.Rows)
	}
	got := it.Rows[0].Label
	if n := utf8.RuneCountInString(got); n > summaryLabelMax || !strings.HasSuffix(got, "…") ||
		!strings.HasPrefix(long, strings.TrimSuffix(got, "…")) || strings.HasSuffix(got, " …") {
		t.Fatalf("label %q (%d characters)", got, n)
	}
	if shortLabel("Très court", 5) != "Très…" {
		t.Fatalf("shortLabel %q", shortLabel("Très court", 5))
	}
}

// The summary writes a scale's mean with its two decimals, as the report
// page and the CSV do: 1,33, not 1,3.
func TestSummary_MeanTwoDecimals(t *testing.T) {
	st := openSQLite(t)
	r := &bilanRoom{testRoom: newTestRoom(t, st)}
	ctx := context.Background()
	for _, v := range []int{1, 1, 2} {
		p := &agora.Participant{WorkshopID: r.w.ID, TokenHash: agora.NewSecret(), PublicID: agora.NewSecret()}
		must(t, st.CreateParticipant(ctx, p))
		_, err := st.PutVote(ctx, &agora.Vote{ActivityID: r.scale.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, Value: &v})
		must(t, err)
	}
	resp := r.staffClient().get("/facilitate/" + r.code() + "/summary")
	wantStatus(t, resp, http.StatusOK)
	wantContains(t, resp.Body, `data-mean="1.33">Moyenne : 1,33 (de`)
}

package report

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

var testKey = []byte("0123456789abcdef-test-key")

// hmacID computes a pseudonym the way docs/opendata.md states it, apart
// from the code under test.
func hmacID(key []byte, prefix, msg string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return prefix + hex.EncodeToString(h.Sum(nil))[:16]
}

func (s *seeded) room(key []byte, p string) string {
	return hmacID(key, "r-", fmt.Sprintf("consultation:%d:participant:%d", s.cons.ID, s.parts[p]))
}

func (s *seeded) online(key []byte, u string) string {
	return hmacID(key, "o-", fmt.Sprintf("consultation:%d:user:%d", s.cons.ID, s.users[u]))
}

func TestExports_JSON(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		s := seed(t, open(t))
		ex, err := BuildExports(context.Background(), s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, ex.JSON)
		var doc Document
		dec := json.NewDecoder(bytes.NewReader(ex.JSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		checkDocument(t, s, &doc)
		// A vote has the answer of its activity's kind, the others null.
		var raw struct {
			Votes []map[string]any `json:"votes"`
		}
		if err := json.Unmarshal(ex.JSON, &raw); err != nil {
			t.Fatal(err)
		}
		for _, v := range raw.Votes {
			kinds := map[float64]string{float64(s.acts["poll"].ID): "choices", float64(s.acts["reset"].ID): "choices",
				float64(s.acts["scale"].ID): "value", float64(s.acts["cloud"].ID): "words"}
			kind := kinds[v["activity_id"].(float64)]
			for _, f := range []string{"choices", "words", "value"} {
				if (v[f] == nil) != (f != kind) {
					t.Errorf("vote %v: %s = %v", v, f, v[f])
				}
			}
		}
		// Times are written in UTC.
		if !strings.Contains(string(ex.JSON), `"opens_at": "2026-03-01T08:00:00Z"`) {
			t.Errorf("opens_at not in RFC 3339 UTC:\n%.600s", ex.JSON)
		}
	})
}

// checkDocument compares every part of the document with the seed.
func checkDocument(t *testing.T, s *seeded, doc *Document) {
	t.Helper()
	k, a, p := testKey, s.acts, s.props
	same(t, "schema", doc.Schema, SchemaURI)
	same(t, "consultation", doc.Consultation, ConsultationJSON{ID: s.cons.ID, Slug: "plan-velo", Title: "Plan vélo",
		Description: "Un **plan** pour le vélo.", Status: "open", OpensAt: ptr(at(1, 8, 0)),
		ClosesAt: ptr(time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC)), SupportThreshold: 3, LastChange: &s.lastVote})
	same(t, "workshops", doc.Workshops, []WorkshopJSON{
		{ID: s.w1.ID, Title: "Atelier mairie", Place: "Salle des fêtes", State: "ended", StartsAt: ptr(at(10, 18, 0)),
			StartedAt: ptr(at(10, 18, 5)), EndedAt: ptr(at(10, 20, 0)), Participants: 5, Voters: 5},
		{ID: s.w2.ID, Title: "Atelier quartier", Place: "École Jaurès", State: "draft", StartsAt: ptr(at(20, 18, 0)),
			Participants: 2},
	})
	var parts []ParticipantJSON
	for i := 1; i <= 7; i++ {
		name := fmt.Sprintf("p%d", i)
		pj := ParticipantJSON{ID: s.room(k, name), WorkshopID: s.w1.ID, JoinedAt: at(10, 18, i-1)}
		if i > 5 {
			pj.WorkshopID, pj.JoinedAt = s.w2.ID, at(20, 18, i-1)
		}
		parts = append(parts, pj)
	}
	parts[0].Nickname, parts[6].Nickname = ptr("Zoé"), ptr("=Marc")
	same(t, "participants", doc.Participants, parts)

	i3, i10 := ptr(3), ptr(10)
	one := ptr(1)
	pollOpts := []OptionJSON{{1, "Pistes cyclables"}, {2, "Stationnement"}, {3, "-Zones 30"}}
	same(t, "activities", doc.Activities, []ActivityJSON{
		{ID: a["poll"].ID, WorkshopID: s.w1.ID, Kind: "poll", Prompt: "Quel aménagement d'abord ?", Options: pollOpts,
			MaxChoices: one, OpenedAt: ptr(at(10, 18, 10)), ClosedAt: ptr(at(10, 18, 20)),
			OnlineUntil: ptr(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC))},
		{ID: a["scale"].ID, WorkshopID: s.w1.ID, Position: 1, Kind: "scale", Prompt: "Votre envie de pédaler",
			Options: []OptionJSON{}, ScaleMin: ptr(0), ScaleMax: i10, OpenedAt: ptr(at(10, 18, 11)), ClosedAt: ptr(at(10, 18, 21))},
		{ID: a["cloud"].ID, WorkshopID: s.w1.ID, Position: 2, Kind: "wordcloud", Prompt: "Un mot ?", Options: []OptionJSON{},
			MaxWords: i3, OpenedAt: ptr(at(10, 18, 12)), ClosedAt: ptr(at(10, 18, 22))},
		{ID: a["ideas"].ID, WorkshopID: s.w1.ID, Position: 3, Kind: "ideas", Prompt: "Vos idées", Options: []OptionJSON{},
			Premoderated: true, OpenedAt: ptr(at(10, 18, 13)), ClosedAt: ptr(at(10, 18, 23))},
		{ID: a["reset"].ID, WorkshopID: s.w1.ID, Position: 4, Kind: "poll", Prompt: "On garde ?",
			Options: []OptionJSON{{1, "Oui"}, {2, "Non"}}, MaxChoices: one, Round: 1},
		{ID: a["empty"].ID, WorkshopID: s.w2.ID, Kind: "poll", Prompt: "Quel jour ?",
			Options: []OptionJSON{{1, "Samedi"}, {2, "Dimanche"}}, MaxChoices: one, OpenedAt: ptr(at(10, 18, 15)), ClosedAt: ptr(at(10, 18, 25))},
	})

	// Votes: the current round only, as cast; times are the store's, so
	// they are checked for order and presence, not value.
	type vote struct {
		Act     int64
		Voter   string
		Channel string
		Choices []int
		Words   []string
		Value   *int
	}
	var got []vote
	for i, v := range doc.Votes {
		if v.CreatedAt.IsZero() || v.UpdatedAt.Before(v.CreatedAt) || v.CreatedAt.Location() != time.UTC {
			t.Errorf("vote %d: times %v %v", i, v.CreatedAt, v.UpdatedAt)
		}
		got = append(got, vote{v.ActivityID, v.Voter, v.Channel, v.Choices, v.Words, v.Value})
	}
	want := []vote{}
	add := func(act int64, voter, channel string, choices []int, words []string, value *int) {
		want = append(want, vote{act, voter, channel, choices, words, value})
	}
	for _, pv := range []struct {
		who string
		c   int
	}{{"p1", 1}, {"p2", 1}, {"p3", 1}, {"p4", 2}, {"p5", 2}} {
		add(a["poll"].ID, s.room(k, pv.who), "room", []int{pv.c}, nil, nil)
	}
	for _, ov := range []struct {
		who string
		c   int
	}{{"Alice", 1}, {"Bob", 2}, {"Carol", 2}, {"Dave", 2}, {"Eve", 2}} {
		add(a["poll"].ID, s.online(k, ov.who), "online", []int{ov.c}, nil, nil)
	}
	add(a["scale"].ID, s.room(k, "p1"), "room", nil, nil, ptr(8))
	add(a["scale"].ID, s.room(k, "p2"), "room", nil, nil, ptr(6))
	add(a["scale"].ID, s.room(k, "p3"), "room", nil, nil, ptr(10))
	add(a["cloud"].ID, s.room(k, "p1"), "room", nil, []string{"Vélo", "École"}, nil)
	add(a["cloud"].ID, s.room(k, "p2"), "room", nil, []string{"vélo"}, nil)
	add(a["cloud"].ID, s.room(k, "p3"), "room", nil, []string{"VELO", "arbres"}, nil)
	add(a["reset"].ID, s.room(k, "p1"), "room", []int{2}, nil, nil)
	// The seed cast votes from maps: compare as sets within an activity.
	order := func(x, y vote) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) }
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	same(t, "votes", got, want)

	same(t, "proposals", doc.Proposals, []ProposalJSON{
		{ID: p["i1"], Origin: "room", WorkshopID: &s.w1.ID, ActivityID: &a["ideas"].ID, Author: s.room(k, "p1"),
			Body: "Des arceaux devant l'école", SupportsRoom: 2, SupportsOnline: 1, Qualified: true, CreatedAt: at(10, 18, 30)},
		{ID: p["i2"], Origin: "room", WorkshopID: &s.w1.ID, ActivityID: &a["ideas"].ID, Author: s.room(k, "p2"),
			Body: "Une rue scolaire", SupportsRoom: 1, CreatedAt: at(10, 18, 31)},
		{ID: p["P1"], Origin: "online", Author: s.online(k, "Alice"), Title: "Piste rue Victor Hugo",
			Body: "Corps de Piste rue Victor Hugo", Category: "Pistes", SupportsOnline: 3, Qualified: true,
			Answer:    &AnswerJSON{Status: "accepted", Text: "Sera réalisé en 2027", AnsweredAt: ptr(at(25, 10, 0))},
			CreatedAt: at(12, 12, 0)},
		{ID: p["P2"], Origin: "online", Author: s.online(k, "Bob"), Title: "+Parking vélos gare",
			Body: "Corps de +Parking vélos gare", Category: "Pistes", SupportsOnline: 1, CreatedAt: at(13, 12, 0)},
	})
	same(t, "supports", doc.Supports, []SupportJSON{
		{ProposalID: p["i1"], Supporter: s.room(k, "p2"), Channel: "room", CreatedAt: at(10, 18, 40)},
		{ProposalID: p["i1"], Supporter: s.room(k, "p3"), Channel: "room", CreatedAt: at(10, 18, 41)},
		{ProposalID: p["i2"], Supporter: s.room(k, "p1"), Channel: "room", CreatedAt: at(10, 18, 42)},
		{ProposalID: p["P1"], Supporter: s.online(k, "Bob"), Channel: "online", CreatedAt: at(14, 9, 0)},
		{ProposalID: p["P1"], Supporter: s.online(k, "Carol"), Channel: "online", CreatedAt: at(14, 9, 1)},
		{ProposalID: p["P1"], Supporter: s.online(k, "Dave"), Channel: "online", CreatedAt: at(14, 9, 2)},
		{ProposalID: p["P2"], Supporter: s.online(k, "Alice"), Channel: "online", CreatedAt: at(14, 10, 0)},
		{ProposalID: p["i1"], Supporter: s.online(k, "Alice"), Channel: "online", CreatedAt: at(14, 11, 0)},
	})
	onP1 := ptr(p["P1"])
	same(t, "comments", doc.Comments, []CommentJSON{
		{ID: s.cmts["c1"], ProposalID: onP1, Author: s.online(k, "Bob"), Stance: "for", Body: "Oui !", CreatedAt: at(15, 9, 0)},
		{ID: s.cmts["c2"], ProposalID: onP1, Author: s.online(k, "Carol"), Stance: "against", Body: "Trop cher", CreatedAt: at(15, 9, 1)},
		{ID: s.cmts["c3"], ProposalID: onP1, Author: s.online(k, "Dave"), Stance: "neutral", Body: "À voir", CreatedAt: at(15, 9, 2)},
		{ID: s.cmts["c6"], ProposalID: onP1, ParentID: ptr(s.cmts["c1"]), Author: s.online(k, "Alice"), Stance: "for",
			Body: "Merci", CreatedAt: at(16, 9, 0), EditedAt: ptr(at(16, 9, 30))},
		{ID: s.cmts["c9"], ActivityID: &a["poll"].ID, Author: s.online(k, "Grace"), Stance: "neutral",
			Body: "Bonne question", CreatedAt: at(16, 9, 3)},
	})
	same(t, "moderation", doc.Moderation, ModerationJSON{HiddenProposals: 2, RejectedIdeas: 1, HiddenComments: 1,
		Reasons: []ReasonJSON{{"hors sujet", 2}, {"propos injurieux", 1}}})

	// Results: the same tallies as the report, in the document's shape.
	ws := wantWorkshops(s)
	var results []ResultJSON
	for _, w := range ws {
		for _, act := range w.Activities {
			results = append(results, resultJSON(act))
		}
	}
	same(t, "results", doc.Results, results)
	// And a few figures by hand, so the shape itself is checked.
	r0 := doc.Results[0]
	if r0.Total.Voters != 10 || r0.Room.Voters != 5 || r0.Online.Voters != 5 ||
		r0.Total.Options[1].Count != 6 || r0.Room.Options[0].Count != 3 || r0.Online.Options[1].Count != 4 {
		t.Errorf("poll result = %+v", r0)
	}
	if r3 := doc.Results[3]; r3.Room != nil || len(r3.Ideas) != 2 || r3.Ideas[0] != (IdeaJSON{p["i1"], 3, 2, 1}) {
		t.Errorf("ideas result = %+v", r3)
	}
}

func TestExports_CSV(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		s := seed(t, open(t))
		ex, err := BuildExports(context.Background(), s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		files := readZip(t, ex.Zip, s.lastVote)
		k, a, p := testKey, s.acts, s.props
		id := func(n int64) string { return fmt.Sprint(n) }
		same(t, "consultation.csv", files["consultation.csv"], [][]string{
			{"id", "slug", "title", "description", "status", "opens_at", "closes_at", "support_threshold", "last_change"},
			{id(s.cons.ID), "plan-velo", "Plan vélo", "Un **plan** pour le vélo.", "open", "2026-03-01T08:00:00Z",
				"2026-04-30T18:00:00Z", "3", s.lastVote.Format(time.RFC3339Nano)},
		})
		same(t, "workshops.csv", files["workshops.csv"], [][]string{
			{"id", "title", "place", "state", "starts_at", "started_at", "ended_at", "participants", "voters"},
			{id(s.w1.ID), "Atelier mairie", "Salle des fêtes", "ended", "2026-03-10T18:00:00Z", "2026-03-10T18:05:00Z", "2026-03-10T20:00:00Z", "5", "5"},
			{id(s.w2.ID), "Atelier quartier", "École Jaurès", "draft", "2026-03-20T18:00:00Z", "", "", "2", "0"},
		})
		parts := [][]string{{"id", "workshop_id", "nickname", "joined_at"}}
		for i := 1; i <= 7; i++ {
			w, nick, joined := s.w1.ID, "", fmt.Sprintf("2026-03-10T18:%02d:00Z", i-1)
			if i > 5 {
				w, joined = s.w2.ID, fmt.Sprintf("2026-03-20T18:%02d:00Z", i-1)
			}
			switch i {
			case 1:
				nick = "Zoé"
			case 7:
				nick = "'=Marc" // a formula is defused
			}
			parts = append(parts, []string{s.room(k, fmt.Sprintf("p%d", i)), id(w), nick, joined})
		}
		same(t, "participants.csv", files["participants.csv"], parts)
		acts := files["activities.csv"]
		same(t, "activities.csv header", acts[0], []string{"id", "workshop_id", "position", "kind", "prompt", "max_choices",
			"max_words", "scale_min", "scale_max", "premoderated", "round", "opened_at", "closed_at", "online_until"})
		same(t, "activities.csv rows", acts[1:], [][]string{
			{id(a["poll"].ID), id(s.w1.ID), "0", "poll", "Quel aménagement d'abord ?", "1", "", "", "", "false", "0",
				"2026-03-10T18:10:00Z", "2026-03-10T18:20:00Z", "2026-04-15T00:00:00Z"},
			{id(a["scale"].ID), id(s.w1.ID), "1", "scale", "Votre envie de pédaler", "", "", "0", "10", "false", "0",
				"2026-03-10T18:11:00Z", "2026-03-10T18:21:00Z", ""},
			{id(a["cloud"].ID), id(s.w1.ID), "2", "wordcloud", "Un mot ?", "", "3", "", "", "false", "0",
				"2026-03-10T18:12:00Z", "2026-03-10T18:22:00Z", ""},
			{id(a["ideas"].ID), id(s.w1.ID), "3", "ideas", "Vos idées", "", "", "", "", "true", "0",
				"2026-03-10T18:13:00Z", "2026-03-10T18:23:00Z", ""},
			{id(a["reset"].ID), id(s.w1.ID), "4", "poll", "On garde ?", "1", "", "", "", "false", "1", "", "", ""},
			{id(a["empty"].ID), id(s.w2.ID), "0", "poll", "Quel jour ?", "1", "", "", "", "false", "0",
				"2026-03-10T18:15:00Z", "2026-03-10T18:25:00Z", ""},
		})
		same(t, "options.csv", files["options.csv"], [][]string{
			{"activity_id", "option_id", "position", "label"},
			{id(a["poll"].ID), "1", "0", "Pistes cyclables"}, {id(a["poll"].ID), "2", "1", "Stationnement"},
			{id(a["poll"].ID), "3", "2", "'-Zones 30"},
			{id(a["reset"].ID), "1", "0", "Oui"}, {id(a["reset"].ID), "2", "1", "Non"},
			{id(a["empty"].ID), "1", "0", "Samedi"}, {id(a["empty"].ID), "2", "1", "Dimanche"},
		})
		votes := files["votes.csv"]
		same(t, "votes.csv header", votes[0], []string{"activity_id", "voter", "channel", "choices", "word_1", "word_2", "word_3", "value", "created_at", "updated_at"})
		var vrows []string
		for _, v := range votes[1:] {
			vrows = append(vrows, strings.Join(v[:8], "|"))
		}
		slices.Sort(vrows)
		var wantV []string
		for _, v := range [][]string{
			{id(a["poll"].ID), s.room(k, "p1"), "room", "1", "", "", "", ""},
			{id(a["poll"].ID), s.room(k, "p2"), "room", "1", "", "", "", ""},
			{id(a["poll"].ID), s.room(k, "p3"), "room", "1", "", "", "", ""},
			{id(a["poll"].ID), s.room(k, "p4"), "room", "2", "", "", "", ""},
			{id(a["poll"].ID), s.room(k, "p5"), "room", "2", "", "", "", ""},
			{id(a["poll"].ID), s.online(k, "Alice"), "online", "1", "", "", "", ""},
			{id(a["poll"].ID), s.online(k, "Bob"), "online", "2", "", "", "", ""},
			{id(a["poll"].ID), s.online(k, "Carol"), "online", "2", "", "", "", ""},
			{id(a["poll"].ID), s.online(k, "Dave"), "online", "2", "", "", "", ""},
			{id(a["poll"].ID), s.online(k, "Eve"), "online", "2", "", "", "", ""},
			{id(a["scale"].ID), s.room(k, "p1"), "room", "", "", "", "", "8"},
			{id(a["scale"].ID), s.room(k, "p2"), "room", "", "", "", "", "6"},
			{id(a["scale"].ID), s.room(k, "p3"), "room", "", "", "", "", "10"},
			{id(a["cloud"].ID), s.room(k, "p1"), "room", "", "Vélo", "École", "", ""},
			{id(a["cloud"].ID), s.room(k, "p2"), "room", "", "vélo", "", "", ""},
			{id(a["cloud"].ID), s.room(k, "p3"), "room", "", "VELO", "arbres", "", ""},
			{id(a["reset"].ID), s.room(k, "p1"), "room", "2", "", "", "", ""},
		} {
			wantV = append(wantV, strings.Join(v, "|"))
		}
		slices.Sort(wantV)
		same(t, "votes.csv rows", vrows, wantV)
		same(t, "proposals.csv", files["proposals.csv"], [][]string{
			{"id", "origin", "workshop_id", "activity_id", "author", "title", "body", "category", "supports_room",
				"supports_online", "qualified", "answer", "answer_text", "answered_at", "created_at"},
			{id(p["i1"]), "room", id(s.w1.ID), id(a["ideas"].ID), s.room(k, "p1"), "", "Des arceaux devant l'école", "", "2", "1", "true", "", "", "", "2026-03-10T18:30:00Z"},
			{id(p["i2"]), "room", id(s.w1.ID), id(a["ideas"].ID), s.room(k, "p2"), "", "Une rue scolaire", "", "1", "0", "false", "", "", "", "2026-03-10T18:31:00Z"},
			{id(p["P1"]), "online", "", "", s.online(k, "Alice"), "Piste rue Victor Hugo", "Corps de Piste rue Victor Hugo", "Pistes",
				"0", "3", "true", "accepted", "Sera réalisé en 2027", "2026-03-25T10:00:00Z", "2026-03-12T12:00:00Z"},
			{id(p["P2"]), "online", "", "", s.online(k, "Bob"), "'+Parking vélos gare", "Corps de +Parking vélos gare", "Pistes",
				"0", "1", "false", "", "", "", "2026-03-13T12:00:00Z"},
		})
		same(t, "supports.csv", files["supports.csv"], [][]string{
			{"proposal_id", "supporter", "channel", "created_at"},
			{id(p["i1"]), s.room(k, "p2"), "room", "2026-03-10T18:40:00Z"},
			{id(p["i1"]), s.room(k, "p3"), "room", "2026-03-10T18:41:00Z"},
			{id(p["i2"]), s.room(k, "p1"), "room", "2026-03-10T18:42:00Z"},
			{id(p["P1"]), s.online(k, "Bob"), "online", "2026-03-14T09:00:00Z"},
			{id(p["P1"]), s.online(k, "Carol"), "online", "2026-03-14T09:01:00Z"},
			{id(p["P1"]), s.online(k, "Dave"), "online", "2026-03-14T09:02:00Z"},
			{id(p["P2"]), s.online(k, "Alice"), "online", "2026-03-14T10:00:00Z"},
			{id(p["i1"]), s.online(k, "Alice"), "online", "2026-03-14T11:00:00Z"},
		})
		p1 := id(p["P1"])
		same(t, "comments.csv", files["comments.csv"], [][]string{
			{"id", "proposal_id", "activity_id", "parent_id", "author", "stance", "body", "created_at", "edited_at"},
			{id(s.cmts["c1"]), p1, "", "", s.online(k, "Bob"), "for", "Oui !", "2026-03-15T09:00:00Z", ""},
			{id(s.cmts["c2"]), p1, "", "", s.online(k, "Carol"), "against", "Trop cher", "2026-03-15T09:01:00Z", ""},
			{id(s.cmts["c3"]), p1, "", "", s.online(k, "Dave"), "neutral", "À voir", "2026-03-15T09:02:00Z", ""},
			{id(s.cmts["c6"]), p1, "", id(s.cmts["c1"]), s.online(k, "Alice"), "for", "Merci", "2026-03-16T09:00:00Z", "2026-03-16T09:30:00Z"},
			{id(s.cmts["c9"]), "", id(a["poll"].ID), "", s.online(k, "Grace"), "neutral", "Bonne question", "2026-03-16T09:03:00Z", ""},
		})
		// results.csv: every count by channel; check the header, the poll
		// and the ideas by hand, and the row count.
		res := files["results.csv"]
		same(t, "results.csv header", res[0], []string{"activity_id", "kind", "round", "channel", "item", "label", "count"})
		poll := id(a["poll"].ID)
		want := map[string]bool{
			poll + "|poll|0|total|voters||10": true, poll + "|poll|0|total|option:1|Pistes cyclables|4": true,
			poll + "|poll|0|total|option:2|Stationnement|6": true, poll + "|poll|0|total|option:3|'-Zones 30|0": true,
			poll + "|poll|0|room|option:1|Pistes cyclables|3": true, poll + "|poll|0|online|option:2|Stationnement|4": true,
			id(a["scale"].ID) + "|scale|0|room|value:8||1": true, id(a["scale"].ID) + "|scale|0|total|value:7||0": true,
			id(a["cloud"].ID) + "|wordcloud|0|total|word:velo|VELO|3":             true,
			id(a["cloud"].ID) + "|wordcloud|0|room|word:ecole|École|1":            true,
			id(a["ideas"].ID) + "|ideas|0|total|proposal:" + id(p["i1"]) + "||3":  true,
			id(a["ideas"].ID) + "|ideas|0|online|proposal:" + id(p["i1"]) + "||1": true,
			id(a["reset"].ID) + "|poll|1|total|option:2|Non|1":                    true,
		}
		for _, row := range res[1:] {
			delete(want, strings.Join(row, "|"))
		}
		if len(want) > 0 {
			t.Errorf("results.csv lacks rows %v", want)
		}
		// poll 3×(1+3), scale 3×(1+11), cloud 1+3 + 1+3 + 1, ideas 3×2,
		// reset 3×(1+2), empty 3×(1+2)
		if n := len(res) - 1; n != 12+36+9+6+9+9 {
			t.Errorf("results.csv has %d rows", n)
		}
	})
}

// readZip opens the zip, checks its files' names, order and dates, and
// parses each CSV file.
func readZip(t *testing.T, b []byte, modified time.Time) map[string][][]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string][][]string{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(modified.Truncate(time.Second)) {
			t.Errorf("%s modified %v, want %v", f.Name, f.Modified, modified.Truncate(time.Second))
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(raw), "\r\n") {
			t.Errorf("%s: lines do not end in CRLF", f.Name)
		}
		r := csv.NewReader(bytes.NewReader(raw))
		rows, err := r.ReadAll() // also checks every row has the header's width
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = rows
	}
	same(t, "zip files", names, CSVFiles)
	return files
}

func TestExports_LeavesOut(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		s := seed(t, open(t))
		ctx := context.Background()
		ex, err := BuildExports(ctx, s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		blobs := map[string][]byte{"JSON": ex.JSON}
		zr, err := zip.NewReader(bytes.NewReader(ex.Zip), int64(len(ex.Zip)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			blobs[f.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		blobs["zip bytes"] = ex.Zip
		for name, b := range blobs {
			for _, secret := range secrets {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s contains %q", name, secret)
				}
			}
		}
		// Nor the reasons' targets' authors: Frank only wrote hidden things.
		frank := s.online(testKey, "Frank")
		if bytes.Contains(ex.JSON, []byte(frank)) {
			t.Errorf("JSON names the author of only hidden content (%s)", frank)
		}
		// The pseudonyms are stable, keyed, and per consultation.
		again, err := BuildExports(ctx, s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.JSON, ex.JSON) || !bytes.Equal(again.Zip, ex.Zip) {
			t.Error("two builds of the same data differ")
		}
		r, all, err := BuildAll(ctx, s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(all.JSON, ex.JSON) || !bytes.Equal(all.Zip, ex.Zip) || all.ZipSHA256 != ex.ZipSHA256 || r.Participation.RoomParticipants != 7 {
			t.Error("BuildAll differs from BuildExports")
		}
		if _, _, err := BuildAll(ctx, s.st, s.cons, []byte("short")); err == nil {
			t.Error("BuildAll accepted a 5-byte key")
		}
		if ex.JSONSHA256 != sha256hex(ex.JSON) || ex.ZipSHA256 != sha256hex(ex.Zip) || again.JSONSHA256 != ex.JSONSHA256 {
			t.Errorf("fingerprints %s %s do not match the bytes", ex.JSONSHA256, ex.ZipSHA256)
		}
		if Fingerprint([]byte("abc")) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
			t.Error("Fingerprint is not SHA-256")
		}
		other, err := BuildExports(ctx, s.st, s.cons, []byte("another key, 16 bytes or more"))
		if err != nil {
			t.Fatal(err)
		}
		p1 := s.room(testKey, "p1")
		if !bytes.Contains(ex.JSON, []byte(p1)) || bytes.Contains(other.JSON, []byte(p1)) {
			t.Error("pseudonyms do not change with the key")
		}
		if len(other.JSON) != len(ex.JSON) || other.JSONSHA256 == ex.JSONSHA256 {
			t.Error("another key should change the pseudonyms only")
		}
		// Another consultation's pseudonym of the same device differs.
		if s.room(testKey, "p1") == hmacID(testKey, "r-", fmt.Sprintf("consultation:%d:participant:%d", s.cons.ID+1, s.parts["p1"])) {
			t.Error("pseudonyms do not depend on the consultation")
		}
		// A change of data changes the bytes and the date in the zip.
		c9 := s.cmts["c9"]
		cm, err := s.st.CommentByID(ctx, c9)
		if err != nil {
			t.Fatal(err)
		}
		cm.Status, cm.HiddenReason = agora.CommentHidden, "spam"
		if err := s.st.UpdateComment(ctx, cm); err != nil {
			t.Fatal(err)
		}
		changed, err := BuildExports(ctx, s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if changed.JSONSHA256 == ex.JSONSHA256 || bytes.Contains(changed.JSON, []byte("Bonne question")) {
			t.Error("hiding a comment did not change the export")
		}
	})
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// validate checks a JSON export against docs/opendata.schema.json.
func validate(t *testing.T, js []byte) {
	t.Helper()
	if err := schema(t).Validate(decodeAny(t, js)); err != nil {
		t.Fatalf("export does not validate against the schema: %v", err)
	}
}

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("../docs/opendata.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("opendata.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("opendata.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func decodeAny(t *testing.T, js []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSchema_Rejects checks that the schema test can fail: documents
// with a leak, a missing field or a wrong type do not validate.
func TestSchema_Rejects(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		s := seed(t, open(t))
		ex, err := BuildExports(context.Background(), s.st, s.cons, testKey)
		if err != nil {
			t.Fatal(err)
		}
		sch := schema(t)
		for name, corrupt := range map[string]func(m map[string]any){
			"email in a participant": func(m map[string]any) {
				m["participants"].([]any)[0].(map[string]any)["email"] = "alice@example.org"
			},
			"no votes":        func(m map[string]any) { delete(m, "votes") },
			"id as a string":  func(m map[string]any) { m["proposals"].([]any)[0].(map[string]any)["id"] = "12" },
			"raw participant": func(m map[string]any) { m["votes"].([]any)[0].(map[string]any)["voter"] = "public-id-p1" },
			"local time": func(m map[string]any) {
				m["supports"].([]any)[0].(map[string]any)["created_at"] = "2026-03-10T19:40:00+01:00"
			},
			"unknown kind": func(m map[string]any) { m["activities"].([]any)[0].(map[string]any)["kind"] = "quiz" },
		} {
			var m map[string]any
			if err := json.Unmarshal(ex.JSON, &m); err != nil {
				t.Fatal(err)
			}
			corrupt(m)
			b, _ := json.Marshal(m)
			if err := sch.Validate(decodeAny(t, b)); err == nil {
				t.Errorf("%s: the schema accepted a corrupted document", name)
			}
		}
	})
}

// An idea submitted and awaiting pre-moderation, and supports of what is
// not shown, change nothing public: not the report's date, not a byte of
// the open data.
func TestExports_PendingChangesNothing(t *testing.T) {
	st := storetest.OpenSQLite(t)
	s := seed(t, st)
	ctx := context.Background()
	before, err := BuildExports(ctx, st, s.cons, testKey)
	if err != nil {
		t.Fatal(err)
	}
	r0, err := Build(ctx, st, s.cons)
	if err != nil {
		t.Fatal(err)
	}
	later := r0.LastChange.Add(48 * time.Hour)
	p := &agora.Proposal{ConsultationID: s.cons.ID, WorkshopID: &s.w1.ID, ActivityID: &s.acts["ideas"].ID,
		ParticipantID: ptr(s.parts["p2"]), ClientKey: "late-pending", Body: "SECRET-LATE-PENDING",
		Status: agora.ProposalPending, CreatedAt: later, UpdatedAt: later}
	if err := st.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddSupport(ctx, &agora.Support{ProposalID: s.props["P3"], UserID: ptr(s.users["Eve"]),
		Channel: agora.ChannelOnline, CreatedAt: later}); err != nil {
		t.Fatal(err)
	}
	after, err := BuildExports(ctx, st, s.cons, testKey)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := Build(ctx, st, s.cons)
	if err != nil {
		t.Fatal(err)
	}
	if !r1.LastChange.Equal(r0.LastChange) || after.JSONSHA256 != before.JSONSHA256 || after.ZipSHA256 != before.ZipSHA256 {
		t.Errorf("a pending idea moved the report: last change %v → %v, JSON %s → %s",
			r0.LastChange, r1.LastChange, before.JSONSHA256, after.JSONSHA256)
	}
}

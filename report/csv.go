package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// zipEpoch dates the files of a zip whose consultation has no rows yet:
// the earliest time a zip can hold.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// csvFile is one file of the zip: its name and its rows, header first.
type csvFile struct {
	name string
	rows [][]string
}

// encodeZip writes the document as one CSV file per entity, in a fixed
// order, each dated the consultation's last change, so that the same data
// gives the same bytes.
func encodeZip(doc *Document) ([]byte, error) {
	mod := zipEpoch
	if lc := doc.Consultation.LastChange; lc != nil && lc.After(zipEpoch) {
		mod = lc.UTC().Truncate(time.Second)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range csvFiles(doc) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mod})
		if err != nil {
			return nil, fmt.Errorf("report: zip %s: %w", f.name, err)
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true // RFC 4180
		if err := cw.WriteAll(f.rows); err != nil {
			return nil, fmt.Errorf("report: zip %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("report: zip: %w", err)
	}
	return b.Bytes(), nil
}

// CSVFiles are the names of the zip's files, in order.
var CSVFiles = []string{"consultation.csv", "workshops.csv", "participants.csv", "activities.csv",
	"options.csv", "votes.csv", "proposals.csv", "supports.csv", "comments.csv", "results.csv"}

func csvFiles(doc *Document) []csvFile {
	c := doc.Consultation
	files := []csvFile{
		{"consultation.csv", [][]string{
			{"id", "slug", "title", "description", "status", "opens_at", "closes_at", "support_threshold", "last_change"},
			{id(c.ID), text(c.Slug), text(c.Title), text(c.Description), c.Status, tsP(c.OpensAt), tsP(c.ClosesAt),
				strconv.Itoa(c.SupportThreshold), tsP(c.LastChange)}}},
		{"workshops.csv", [][]string{{"id", "title", "place", "state", "starts_at", "started_at", "ended_at", "participants", "voters"}}},
		{"participants.csv", [][]string{{"id", "workshop_id", "nickname", "joined_at"}}},
		{"activities.csv", [][]string{{"id", "workshop_id", "position", "kind", "prompt", "max_choices", "max_words",
			"scale_min", "scale_max", "premoderated", "round", "opened_at", "closed_at", "online_until"}}},
		{"options.csv", [][]string{{"activity_id", "option_id", "position", "label"}}},
		{"votes.csv", [][]string{{"activity_id", "voter", "channel", "choices", "word_1", "word_2", "word_3", "value", "created_at", "updated_at"}}},
		{"proposals.csv", [][]string{{"id", "origin", "workshop_id", "activity_id", "author", "title", "body", "category",
			"supports_room", "supports_online", "qualified", "answer", "answer_text", "answered_at", "created_at"}}},
		{"supports.csv", [][]string{{"proposal_id", "supporter", "channel", "created_at"}}},
		{"comments.csv", [][]string{{"id", "proposal_id", "activity_id", "parent_id", "author", "stance", "body", "created_at", "edited_at"}}},
		{"results.csv", [][]string{{"activity_id", "kind", "round", "channel", "item", "label", "count"}}},
	}
	add := func(i int, row ...string) { files[i].rows = append(files[i].rows, row) }
	for _, w := range doc.Workshops {
		add(1, id(w.ID), text(w.Title), text(w.Place), w.State, tsP(w.StartsAt), tsP(w.StartedAt), tsP(w.EndedAt),
			strconv.Itoa(w.Participants), strconv.Itoa(w.Voters))
	}
	for _, p := range doc.Participants {
		nick := ""
		if p.Nickname != nil {
			nick = text(*p.Nickname)
		}
		add(2, p.ID, id(p.WorkshopID), nick, ts(p.JoinedAt))
	}
	for _, a := range doc.Activities {
		add(3, id(a.ID), id(a.WorkshopID), strconv.Itoa(a.Position), a.Kind, text(a.Prompt), intP(a.MaxChoices),
			intP(a.MaxWords), intP(a.ScaleMin), intP(a.ScaleMax), strconv.FormatBool(a.Premoderated),
			strconv.Itoa(a.Round), tsP(a.OpenedAt), tsP(a.ClosedAt), tsP(a.OnlineUntil))
		for i, o := range a.Options {
			add(4, id(a.ID), strconv.Itoa(o.ID), strconv.Itoa(i), text(o.Label))
		}
	}
	for _, v := range doc.Votes {
		choices := make([]string, len(v.Choices))
		for i, ch := range v.Choices {
			choices[i] = strconv.Itoa(ch)
		}
		var words [3]string // a word cloud takes at most three words
		for i, w := range v.Words {
			if i < len(words) {
				words[i] = text(w)
			}
		}
		add(5, id(v.ActivityID), v.Voter, v.Channel, strings.Join(choices, ";"), words[0], words[1], words[2],
			intP(v.Value), ts(v.CreatedAt), ts(v.UpdatedAt))
	}
	for _, p := range doc.Proposals {
		answer, answerText, answeredAt := "", "", ""
		if p.Answer != nil {
			answer, answerText, answeredAt = p.Answer.Status, text(p.Answer.Text), tsP(p.Answer.AnsweredAt)
		}
		add(6, id(p.ID), p.Origin, idP(p.WorkshopID), idP(p.ActivityID), p.Author, text(p.Title), text(p.Body),
			text(p.Category), strconv.Itoa(p.SupportsRoom), strconv.Itoa(p.SupportsOnline),
			strconv.FormatBool(p.Qualified), answer, answerText, answeredAt, ts(p.CreatedAt))
	}
	for _, s := range doc.Supports {
		add(7, id(s.ProposalID), s.Supporter, s.Channel, ts(s.CreatedAt))
	}
	for _, cm := range doc.Comments {
		add(8, id(cm.ID), idP(cm.ProposalID), idP(cm.ActivityID), idP(cm.ParentID), cm.Author, cm.Stance,
			text(cm.Body), ts(cm.CreatedAt), tsP(cm.EditedAt))
	}
	for _, r := range doc.Results {
		for _, row := range resultRows(r) {
			add(9, row...)
		}
	}
	return files
}

// resultRows flattens a result: one row per channel (total, room, online)
// and per option, word group, scale value or idea.
func resultRows(r ResultJSON) [][]string {
	var rows [][]string
	head := []string{id(r.ActivityID), r.Kind, strconv.Itoa(r.Round)}
	row := func(channel, item, label string, count int) {
		rows = append(rows, append(append([]string{}, head...), channel, item, label, strconv.Itoa(count)))
	}
	counts := func(channel string, c *CountsJSON) {
		if c == nil {
			return
		}
		row(channel, "voters", "", c.Voters)
		for _, o := range c.Options {
			row(channel, "option:"+strconv.Itoa(o.ID), text(o.Label), o.Count)
		}
		for _, w := range c.Words {
			row(channel, "word:"+w.Key, text(w.Label), w.Count)
		}
		if c.Scale != nil {
			for i, n := range c.Scale.Distribution {
				row(channel, "value:"+strconv.Itoa(c.Scale.Min+i), "", n)
			}
		}
	}
	if r.Ideas == nil { // ideas have supports, not voters
		counts("total", &r.Total)
		counts("room", r.Room)
		counts("online", r.Online)
	}
	for _, i := range r.Ideas {
		row("total", "proposal:"+id(i.ProposalID), "", i.Supports)
		row("room", "proposal:"+id(i.ProposalID), "", i.SupportsRoom)
		row("online", "proposal:"+id(i.ProposalID), "", i.SupportsOnline)
	}
	return rows
}

// text guards a free-text cell against formula injection: a spreadsheet
// runs a cell starting with = + - @ (or a tab or carriage return) as a
// formula, so such a cell gets a leading apostrophe, as OWASP advises.
// The JSON document keeps the text as typed.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func idP(n *int64) string {
	if n == nil {
		return ""
	}
	return id(*n)
}

func intP(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// ts formats a time as in the JSON: RFC 3339 in UTC.
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func tsP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

package server

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// csvBOM makes Excel read the file as UTF-8, accents included; other
// tools skip it. The separator is the comma of RFC 4180: a French Excel
// opening the file by double click splits on ";" and shows one column,
// but its import wizard (Data > From Text/CSV) and LibreOffice read it
// right, and scripts expect commas.
const csvBOM = "\ufeff"

// exportHeader names the CSV's columns; docs/api.md describes them.
var exportHeader = []string{"activity_id", "position", "kind", "prompt", "row", "label", "room", "online", "total", "percent"}

// Values of the "row" column.
const (
	rowOption = "option" // a poll's option: voters who chose it
	rowValue  = "value"  // a scale's value: voters who gave it
	rowWord   = "word"   // a word cloud's word: voters who typed it
	rowIdea   = "idea"   // an approved idea: its supports
	rowMean   = "mean"   // a scale's mean, per channel
	rowVoters = "voters" // voters of a poll, scale or word cloud
)

// handleExportCSV is GET /facilitate/{code}/export.csv: the workshop's
// results, one line per option, value, word or idea.
func (s *Server) handleExportCSV(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	ex, err := s.sessionOf(c.UserContext(), w)
	if err != nil {
		return err
	}
	body, err := exportCSV(ex)
	if err != nil {
		return agora.WrapError(agora.EINTERNAL, "export csv", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+w.JoinCode+`-results.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store") // live figures, staff only
	return c.Send(body)
}

// exportCSV writes the export: the BOM, the header, then each activity's
// lines in run-of-show order.
func exportCSV(ex *sessionExport) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(csvBOM)
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true // RFC 4180, and what Excel writes
	if err := cw.Write(exportHeader); err != nil {
		return nil, err
	}
	for _, ea := range ex.Activities {
		for _, r := range exportRows(ea) {
			if err := cw.Write(r); err != nil {
				return nil, err
			}
		}
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}

// exportRows are one activity's lines.
func exportRows(ea exportActivity) [][]string {
	a, t := ea, ea.Tally
	room, online := channelTally(t.Room), channelTally(t.Online)
	var rows [][]string
	line := func(kind, label string, cells ...string) {
		r := []string{strconv.FormatInt(a.ID, 10), strconv.Itoa(a.Position + 1), string(a.Kind), safeCell(a.Prompt), kind, safeCell(label)}
		rows = append(rows, append(r, cells...))
	}
	counts := func(kind, label string, nr, no, n int) {
		line(kind, label, strconv.Itoa(nr), strconv.Itoa(no), strconv.Itoa(n), pct1(n, t.Voters))
	}
	switch a.Kind {
	case agora.KindPoll:
		for i, o := range t.Options {
			counts(rowOption, o.Label, optionCount(room, i), optionCount(online, i), o.Count)
		}
	case agora.KindScale:
		if t.Scale != nil {
			for i, n := range t.Scale.Distribution {
				counts(rowValue, strconv.Itoa(t.Scale.Min+i), distCount(room.Scale, i), distCount(online.Scale, i), n)
			}
			line(rowMean, "", csvMean(room.Scale), csvMean(online.Scale), csvMean(t.Scale), "")
		}
	case agora.KindWordCloud:
		for _, w := range t.Words {
			counts(rowWord, w.Label, wordCount(room, w.Key), wordCount(online, w.Key), w.Count)
		}
	case agora.KindIdeas:
		for _, i := range t.Ideas {
			line(rowIdea, i.Body, strconv.Itoa(i.SupportsRoom), strconv.Itoa(i.SupportsOnline), strconv.Itoa(i.Supports), "")
		}
		return rows
	}
	line(rowVoters, "", strconv.Itoa(room.Voters), strconv.Itoa(online.Voters), strconv.Itoa(t.Voters), "")
	return rows
}

// channelTally is a channel's part of a tally, empty when absent.
func channelTally(t *agora.Tally) *agora.Tally {
	if t == nil {
		return &agora.Tally{}
	}
	return t
}

// pct1 is n out of total in percent to one decimal, as agora's tallies
// round Percent: "66.7", "0.0".
func pct1(n, total int) string {
	if total == 0 {
		return "0.0"
	}
	return strconv.FormatFloat(math.Round(float64(n)*1000/float64(total))/10, 'f', 1, 64)
}

// csvMean is a scale's mean to two decimals, empty without answers.
func csvMean(sc *agora.ScaleResult) string {
	if sc == nil || sc.Count == 0 {
		return ""
	}
	return strconv.FormatFloat(sc.Mean, 'f', 2, 64)
}

// safeCell keeps a spreadsheet from running a cell as a formula (CSV
// injection): text that starts like one gets a leading apostrophe, which
// Excel and LibreOffice show as text.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

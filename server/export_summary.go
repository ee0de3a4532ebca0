package server

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// summaryTop is how many options, words or ideas the summary lists per
// activity: enough to read the outcome, few enough for one A4 page.
const summaryTop = 5

// summaryLabelMax is the longest option, word or idea the summary writes
// in full, in characters: five ideas of 280 characters would push six
// activities onto a second page. Longer ones are cut at a word with an
// ellipsis; the CSV export and the report have them whole.
const summaryLabelMax = 80

// summaryData is what facilitate_summary.html shows.
type summaryData struct {
	*sessionExport
	StartedISO, EndedISO string // for <time datetime>
	Items                []summaryItem
	Now                  time.Time // when the summary was drawn up
}

// summaryItem is one activity's key result.
type summaryItem struct {
	Position int // 1-based
	Kind     agora.ActivityKind
	Prompt   string
	Voters   int
	Rows     []summaryRow // the top options, words or ideas
	More     int          // lines left out
	Mean     float64      // a scale's
	MeanText string       // Mean as the report writes it: two decimals at most ("7.67")
	Min, Max int          // a scale's range
	Answers  int          // a scale's answers; ideas shown
}

// summaryRow is a line of an item: count is voters, or supports for an
// idea (Percent is then unused).
type summaryRow struct {
	Label   string
	Count   int
	Percent float64
}

// handleSummary is GET /facilitate/{code}/summary: one printable page
// for the organiser.
func (s *Server) handleSummary(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	ex, err := s.sessionOf(c.UserContext(), w)
	if err != nil {
		return err
	}
	d := summaryData{sessionExport: ex, StartedISO: isoTime(ex.StartedAt), EndedISO: isoTime(ex.EndedAt), Now: s.now()}
	for _, ea := range ex.Activities {
		d.Items = append(d.Items, summaryOf(ea))
	}
	return s.render(c, fiber.StatusOK, "facilitate_summary", form{}, d)
}

func isoTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// summaryOf picks an activity's key result: the most chosen options, the
// scale's mean, the most frequent words, the most supported ideas.
func summaryOf(ea exportActivity) summaryItem {
	a, t := ea, ea.Tally
	it := summaryItem{Position: a.Position + 1, Kind: a.Kind, Prompt: a.Prompt, Voters: t.Voters}
	var rows []summaryRow
	switch a.Kind {
	case agora.KindPoll:
		for _, o := range t.Options {
			rows = append(rows, summaryRow{Label: o.Label, Count: o.Count, Percent: o.Percent})
		}
		// Most chosen first; ties keep the run of show's order.
		slices.SortStableFunc(rows, func(x, y summaryRow) int { return cmp.Compare(y.Count, x.Count) })
	case agora.KindScale:
		if t.Scale != nil {
			it.Mean, it.Min, it.Max, it.Answers = t.Scale.Mean, t.Scale.Min, t.Scale.Max, t.Scale.Count
			// Written as a string, the mean keeps both decimals (the page
			// localises it with "number"): the catalog writes a float
			// with one ("7,7" where the report and the CSV say 7,67).
			it.MeanText = strconv.FormatFloat(math.Round(t.Scale.Mean*100)/100, 'f', -1, 64)
		}
	case agora.KindWordCloud:
		for _, w := range t.Words {
			var p float64
			if t.Voters > 0 {
				p = float64(w.Count) * 100 / float64(t.Voters)
			}
			rows = append(rows, summaryRow{Label: w.Label, Count: w.Count, Percent: roundTenth(p)})
		}
	case agora.KindIdeas:
		it.Answers = len(t.Ideas)
		for _, i := range t.Ideas {
			rows = append(rows, summaryRow{Label: i.Body, Count: i.Supports})
		}
	}
	if len(rows) > summaryTop {
		it.More = len(rows) - summaryTop
		rows = rows[:summaryTop]
	}
	for i := range rows {
		rows[i].Label = shortLabel(rows[i].Label, summaryLabelMax)
	}
	it.Rows = rows
	return it
}

// shortLabel cuts s to at most n characters, at the last space when there
// is one in the second half, and marks the cut with an ellipsis.
func shortLabel(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}

func roundTenth(p float64) float64 { return float64(int(p*10+0.5)) / 10 }

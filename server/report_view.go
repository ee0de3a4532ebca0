package server

import (
	"html/template"
	"math"
	"strconv"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/chart"
	"github.com/agora-civic/agora/report"
	"github.com/agora-civic/agora/web"
)

// The report page's view: report.Report shaped into table rows and SVG
// charts, with every number written for the reader's language.

// reportView is what report.html shows.
type reportView struct {
	R     *report.Report
	Draft bool // not published: staff only, with a banner
	// Totals of the room and online contributions.
	VotesTotal, SupportsTotal int
	Timeline                  template.HTML
	// Workshops mirrors R.Workshops, with each activity's chart and rows.
	Workshops      []reportWorkshop
	ProposalsChart template.HTML
	Phases         []reportPhase
	Base           string // the instance's public URL, printed before the downloads' paths
	JSONURL        string
	ZipURL         string
	JSONFile       string
	ZipFile        string
	JSONSHA256     string
	ZipSHA256      string
	JSONSize       int
	ZipSize        int
}

type reportWorkshop struct {
	W          *report.Workshop
	Activities []reportActivity
}

// reportActivity is one activity's results: Rows for its table, and per
// channel (room, online, total) the voters and the scale's mean.
type reportActivity struct {
	A      *report.Activity
	Chart  template.HTML
	Col    string // the first column's heading key
	Rows   []reportRow
	Both   bool
	Voters [3]int
	Mean   [3]string // "" when nobody answered
	Empty  bool
}

// reportRow is one line of a results table: an option, a value, a word or
// an idea, with its count (and percent of voters) in the room, online and
// in total. Percent is "" for ideas, which count supports.
type reportRow struct {
	Label string
	Count [3]int
	Pct   [3]string
}

// reportPhase is one row of the method's calendar. A consultation's
// dates are days (the admin form sets no time); Ongoing says a phase
// without a closing date is still open rather than unrecorded.
type reportPhase struct {
	P        report.Phase
	Label    string
	DateOnly bool
	Ongoing  bool
}

// reportShaper writes numbers and texts for one language.
type reportShaper struct {
	cat  *web.Catalog
	lang string
}

func (sh reportShaper) t(key string, args ...any) string { return sh.cat.T(sh.lang, key, args...) }
func (sh reportShaper) n(v any) string                   { return web.FormatNumber(sh.cat, sh.lang, v) }

// decimal writes a mean with its two decimals at most, in the language's
// notation (7,25).
func (sh reportShaper) decimal(f float64) string {
	return sh.n(strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64))
}

func (sh reportShaper) view(r *report.Report) *reportView {
	v := &reportView{R: r}
	c := r.Participation.Contributions
	v.VotesTotal, v.SupportsTotal = c.VotesRoom+c.VotesOnline, c.SupportsRoom+c.SupportsOnline
	v.timeline(sh, r.Timeline)
	for _, w := range r.Workshops {
		rw := reportWorkshop{W: w}
		for _, a := range w.Activities {
			rw.Activities = append(rw.Activities, sh.activity(a))
		}
		v.Workshops = append(v.Workshops, rw)
	}
	v.ProposalsChart = sh.proposals(r.Proposals)
	live := map[int64]bool{}
	for _, w := range r.Workshops {
		live[w.ID] = w.State == agora.WorkshopLive
	}
	for _, p := range r.Method.Phases {
		ph := reportPhase{P: p, Label: sh.t("report.phase."+string(p.Kind), p.Title)}
		switch p.Kind {
		case report.PhaseConsultation:
			ph.DateOnly, ph.Ongoing = true, r.Consultation.Status == agora.ConsultationOpen
		case report.PhaseWorkshop:
			ph.Ongoing = live[p.WorkshopID]
		}
		v.Phases = append(v.Phases, ph)
	}
	return v
}

func (v *reportView) timeline(sh reportShaper, days []report.TimelineDay) {
	if len(days) == 0 {
		return
	}
	labels := make([]string, len(days))
	series := []chart.Series{{Name: sh.t("report.col_joins")}, {Name: sh.t("report.col_votes")}, {Name: sh.t("report.col_contributions")}}
	for i, d := range days {
		labels[i] = sh.t("report.day_short", d.Day.Format("02"), d.Day.Format("01"))
		series[0].Values = append(series[0].Values, d.Joins)
		series[1].Values = append(series[1].Values, d.Votes)
		series[2].Values = append(series[2].Values, d.Contributions)
	}
	for i := range series {
		for _, n := range series[i].Values {
			series[i].Texts = append(series[i].Texts, sh.n(n))
		}
	}
	v.Timeline = chart.Columns{ID: "timeline", Title: sh.t("report.timeline"), Desc: sh.t("report.timeline_desc"),
		Labels: labels, Series: series}.HTML()
}

// activity shapes one activity by kind.
func (sh reportShaper) activity(a *report.Activity) reportActivity {
	ra := reportActivity{A: a, Both: a.BothChannels}
	t := &a.Tally
	ra.Voters = [3]int{channel(t.Room).Voters, channel(t.Online).Voters, t.Voters}
	id := "a" + strconv.FormatInt(a.ID, 10)
	switch a.Kind {
	case agora.KindPoll:
		ra.Col = "report.col_answer"
		ra.pollRows(sh, t)
		ra.Chart = sh.bars(id, a, ra.Rows, "report.chart_bars_desc")
	case agora.KindScale:
		ra.Col = "report.col_value"
		ra.scaleRows(sh, a, t)
	case agora.KindWordCloud:
		ra.Col = "report.col_word"
		ra.wordRows(sh, t)
		var ws []chart.Word
		for _, w := range t.Words {
			ws = append(ws, chart.Word{Text: w.Label, Count: w.Count})
		}
		if len(ws) > 0 {
			ra.Chart = chart.Cloud{ID: id, Title: a.Prompt, Desc: sh.t("report.chart_cloud_desc"), Words: ws}.HTML()
		}
	case agora.KindIdeas:
		ra.Col = "report.col_idea"
		ra.Both = true // supports come from both channels
		for _, i := range t.Ideas {
			ra.Rows = append(ra.Rows, reportRow{Label: i.Body, Count: [3]int{i.SupportsRoom, i.SupportsOnline, i.Supports}})
		}
		ra.Chart = sh.bars(id, a, ra.Rows, "report.chart_ideas_desc")
	}
	ra.Empty = len(ra.Rows) == 0 || (a.Kind != agora.KindIdeas && t.Voters == 0)
	if ra.Empty {
		ra.Chart = ""
	}
	return ra
}

// channel is a channel's tally, or an empty one.
func channel(t *agora.Tally) *agora.Tally {
	if t == nil {
		return &agora.Tally{}
	}
	return t
}

func (ra *reportActivity) pollRows(sh reportShaper, t *agora.Tally) {
	// A channel's options are found by ID: nothing promises their order.
	find := func(ch *agora.Tally, id int) (int, float64) {
		for _, o := range channel(ch).Options {
			if o.ID == id {
				return o.Count, o.Percent
			}
		}
		return 0, 0
	}
	for _, o := range t.Options {
		r := reportRow{Label: o.Label}
		for i, ch := range []*agora.Tally{t.Room, t.Online} {
			n, p := find(ch, o.ID)
			r.Count[i], r.Pct[i] = n, sh.n(p)
		}
		r.Count[2], r.Pct[2] = o.Count, sh.n(o.Percent)
		ra.Rows = append(ra.Rows, r)
	}
}

func (ra *reportActivity) wordRows(sh reportShaper, t *agora.Tally) {
	find := func(ch *agora.Tally, key string) int {
		for _, w := range channel(ch).Words {
			if w.Key == key {
				return w.Count
			}
		}
		return 0
	}
	for _, w := range t.Words {
		r := reportRow{Label: w.Label, Count: [3]int{find(t.Room, w.Key), find(t.Online, w.Key), w.Count}}
		for i, n := range r.Count {
			r.Pct[i] = sh.n(pct(n, ra.Voters[i]))
		}
		ra.Rows = append(ra.Rows, r)
	}
}

func (ra *reportActivity) scaleRows(sh reportShaper, a *report.Activity, t *agora.Tally) {
	sc := t.Scale
	if sc == nil {
		return
	}
	chans := [3]*agora.ScaleResult{channel(t.Room).Scale, channel(t.Online).Scale, sc}
	for i, c := range chans {
		if c != nil && c.Count > 0 {
			ra.Mean[i] = sh.decimal(c.Mean)
		}
	}
	var labels []string
	series := []chart.Series{{Name: sh.t("report.col_room")}, {Name: sh.t("report.col_online")}}
	for i, total := range sc.Distribution {
		value := sc.Min + i
		r := reportRow{Label: strconv.Itoa(value)}
		for ch, c := range chans {
			if c != nil && i < len(c.Distribution) {
				r.Count[ch] = c.Distribution[i]
			}
			r.Pct[ch] = sh.n(pct(r.Count[ch], ra.Voters[ch]))
		}
		r.Count[2] = total
		ra.Rows = append(ra.Rows, r)
		labels = append(labels, sh.n(value))
		for ch := range series {
			series[ch].Values = append(series[ch].Values, r.Count[ch])
			series[ch].Texts = append(series[ch].Texts, sh.n(r.Count[ch]))
		}
	}
	if !ra.Both {
		series = []chart.Series{{Values: nil}}
		for _, r := range ra.Rows {
			series[0].Values = append(series[0].Values, r.Count[2])
			series[0].Texts = append(series[0].Texts, sh.n(r.Count[2]))
		}
	}
	var marker *chart.Marker
	if ra.Mean[2] != "" {
		marker = &chart.Marker{At: sc.Mean - float64(sc.Min), Text: sh.t("report.mean_marker", ra.Mean[2])}
	}
	ra.Chart = chart.Columns{ID: "a" + strconv.FormatInt(a.ID, 10), Title: a.Prompt,
		Desc:   sh.t("report.chart_scale_desc", sh.n(sc.Min), sh.n(sc.Max)),
		Labels: labels, Series: series, Marker: marker}.HTML()
}

// bars draws rows as horizontal bars: room and online side by side when
// the activity has both, the total otherwise.
func (sh reportShaper) bars(id string, a *report.Activity, rows []reportRow, desc string) template.HTML {
	var labels []string
	chans := []int{2}
	series := []chart.Series{{}}
	if a.BothChannels || a.Kind == agora.KindIdeas && hasBoth(rows) {
		chans = []int{0, 1}
		series = []chart.Series{{Name: sh.t("report.col_room")}, {Name: sh.t("report.col_online")}}
	}
	for _, r := range rows {
		labels = append(labels, r.Label)
		for i, ch := range chans {
			series[i].Values = append(series[i].Values, r.Count[ch])
			text := sh.n(r.Count[ch])
			if r.Pct[ch] != "" {
				text = sh.t("report.count_percent", r.Count[ch], r.Pct[ch])
			}
			series[i].Texts = append(series[i].Texts, text)
		}
	}
	return chart.Bars{ID: id, Title: a.Prompt, Desc: sh.t(desc), Labels: labels, Series: series}.HTML()
}

// hasBoth reports whether ideas were supported in the room and online.
func hasBoth(rows []reportRow) bool {
	var room, online bool
	for _, r := range rows {
		room, online = room || r.Count[0] > 0, online || r.Count[1] > 0
	}
	return room && online
}

// proposals ranks the most supported proposals (at most 15: the table
// lists them all).
func (sh reportShaper) proposals(ps []*report.Proposal) template.HTML {
	const top = 15
	var labels []string
	series := []chart.Series{{Name: sh.t("report.col_room")}, {Name: sh.t("report.col_online")}}
	for i, p := range ps {
		if i == top || p.Supports() == 0 {
			break
		}
		labels = append(labels, proposalLabel(p))
		series[0].Values = append(series[0].Values, p.SupportsRoom)
		series[1].Values = append(series[1].Values, p.SupportsOnline)
		series[0].Texts = append(series[0].Texts, sh.n(p.SupportsRoom))
		series[1].Texts = append(series[1].Texts, sh.n(p.SupportsOnline))
	}
	if len(labels) == 0 {
		return ""
	}
	return chart.Bars{ID: "proposals-chart", Title: sh.t("report.proposals_chart"), Desc: sh.t("report.chart_ideas_desc"),
		Labels: labels, Series: series}.HTML()
}

// proposalLabel is a proposal's title, or a room idea's text.
func proposalLabel(p *report.Proposal) string {
	if p.Title != "" {
		return p.Title
	}
	return p.Body
}

func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return math.Round(float64(n)*1000/float64(total)) / 10
}

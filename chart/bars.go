package chart

import "html/template"

// Bars is a horizontal bar chart: poll options, ideas ranked by supports.
// Each label sits on its own line above its bars, so long labels need no
// margin and the chart stays narrow enough for a phone.
type Bars struct {
	ID     string // unique on the page; prefixes the chart's ids
	Title  string // the accessible name
	Desc   string // optional longer description
	Labels []string
	Series []Series // one, or several side by side (room, online)
}

// Layout of a bar row, in viewBox units.
const (
	labelLine = 22 // a label's line above its bars
	barHeight = 20 // one series' bar
	barGap    = 4  // between the bars of one row
	rowGap    = 12 // between rows
	minRoom   = 50 // right of the longest bar, for its number, at least
	maxLines  = 2  // lines of a label drawn; the table has the rest
)

// BarWidth is the width of a bar of value v when the largest is max and
// the longest bar may be full wide; a max of zero gives zero.
func BarWidth(v, max int, full float64) float64 {
	if max <= 0 || v <= 0 {
		return 0
	}
	return float64(v) / float64(max) * full
}

// fullBar is the longest bar's width: what the numbers written after the
// bars leave, so that the longest number still fits in the viewBox.
func (c Bars) fullBar() float64 {
	room := float64(minRoom)
	for _, se := range c.Series {
		for i := range c.Labels {
			room = max(room, textWidth(se.text(i), small)+12)
		}
	}
	return max(Width-room, Width/2)
}

// HTML draws the chart.
func (c Bars) HTML() template.HTML {
	n := len(c.Labels)
	bars := len(c.Series) * (barHeight + barGap)
	labels := make([][]string, n)
	_, _, legendH := legendPlaces(c.Series)
	height := 10 + int(legendH)
	for i, l := range c.Labels {
		labels[i] = wrap(l, Width, fontSize, maxLines)
		height += len(labels[i])*labelLine + bars + rowGap
	}
	s := newSVG(c.ID, c.Title, c.Desc, height)
	s.defs(len(c.Series))
	y := s.legend(c.Series, 0)
	max, full := maxOf(c.Series, n), c.fullBar()
	for i, lines := range labels {
		for _, l := range lines {
			s.text(0, y+17, fontSize, "start", "chart-label", l)
			y += labelLine
		}
		by := y
		for j, se := range c.Series {
			w := BarWidth(se.value(i), max, full)
			s.bar(j, 0, by, w, barHeight)
			s.text(w+6, by+barHeight-4, small, "start", "chart-value", se.text(i))
			by += barHeight + barGap
		}
		y += float64(bars + rowGap)
	}
	return s.html()
}

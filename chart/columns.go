package chart

import (
	"fmt"
	"html/template"
)

// Columns is a vertical bar chart along an ordered axis: the answers of a
// scale, the days of a timeline.
type Columns struct {
	ID     string
	Title  string
	Desc   string
	Labels []string // under each column; thinned out when there are many
	Series []Series
	// Marker draws a dashed line across the axis, such as a scale's mean:
	// At is in columns from the first one's centre (mean − min).
	Marker *Marker
}

// Marker is a labelled position on a Columns axis.
type Marker struct {
	At   float64
	Text string
}

// Layout of a column chart, in viewBox units.
const (
	plotTop    = 34 // room for the marker's text and the numbers above columns
	plotHeight = 160
	axisText   = 22
	maxTicks   = 12 // labels under the axis before they are thinned out
	maxColumn  = 48 // the widest a column gets
)

// ColumnHeight is the height of a column of value v when the largest is
// max; a max of zero gives zero.
func ColumnHeight(v, max int) float64 {
	if max <= 0 || v <= 0 {
		return 0
	}
	return float64(v) / float64(max) * plotHeight
}

// HTML draws the chart.
func (c Columns) HTML() template.HTML {
	n := len(c.Labels)
	_, _, legendH := legendPlaces(c.Series)
	height := int(legendH) + plotTop + plotHeight + axisText + 6
	s := newSVG(c.ID, c.Title, c.Desc, height)
	s.defs(len(c.Series))
	top := s.legend(c.Series, 0) + plotTop
	base := top + plotHeight
	fmt.Fprintf(&s.b, `<line x1="0" y1="%s" x2="%d" y2="%s" stroke="#1b1f24" stroke-width="1"/>`, num(base), Width, num(base))
	if n == 0 {
		return s.html()
	}
	slot := float64(Width) / float64(n)
	// A few columns stay column-sized rather than filling the width.
	barW := min(slot*0.8/float64(max(1, len(c.Series))), maxColumn)
	groupW := barW * float64(max(1, len(c.Series)))
	step := (n + maxTicks - 1) / maxTicks
	// Numbers above columns only when they fit: the table has them all.
	showValues := barW >= 16
	mx := maxOf(c.Series, n)
	for i, label := range c.Labels {
		x := float64(i)*slot + (slot-groupW)/2
		for j, se := range c.Series {
			h := ColumnHeight(se.value(i), mx)
			s.bar(j, x, base-h, barW, h)
			if showValues {
				s.text(x+barW/2, base-h-5, small, "middle", "chart-value", se.text(i))
			}
			x += barW
		}
		if i%step == 0 {
			s.text(float64(i)*slot+slot/2, base+18, small, "middle", "chart-label", truncate(label, 12))
		}
	}
	if m := c.Marker; m != nil {
		x := slot/2 + m.At*slot
		x = min(max(x, 0), Width)
		fmt.Fprintf(&s.b, `<line class="chart-marker" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#1b1f24" stroke-width="2" stroke-dasharray="6 4"/>`,
			num(x), num(top-12), num(x), num(base))
		anchor := "middle"
		if x < Width*0.2 {
			anchor = "start"
		} else if x > Width*0.8 {
			anchor = "end"
		}
		s.text(x, top-16, small, anchor, "chart-marker-text", m.Text)
	}
	return s.html()
}

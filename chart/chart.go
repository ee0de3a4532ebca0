// Package chart draws the report's charts as SVG on the server, so they
// read without JavaScript and print as they show.
//
// Every chart is an <svg role="img"> named by its <title>, with a fixed
// viewBox and width 100% so that it scales to its column and to the A4
// page. Series are told apart by a pattern and a legend in words, never by
// colour alone; the numbers also go in a table beside each chart (the
// page's job). Every text is escaped here: callers pass plain strings,
// user text included.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Geometry shared by the charts, in viewBox units. Width 400 keeps the
// text readable once scaled down to a 360 px phone (about 0.8: 17 units
// show as 14 px, 15 as 12 px).
const (
	Width    = 400
	fontSize = 17
	small    = 15
)

// Series is one set of values drawn with one pattern, such as the room's
// answers or the online ones.
type Series struct {
	Name   string   // the legend's text; may be empty when it is the only series
	Values []int    // one per label
	Texts  []string // written next to each bar ("12 (40 %)"); a missing one is the value
}

func (s Series) text(i int) string {
	if i < len(s.Texts) && s.Texts[i] != "" {
		return s.Texts[i]
	}
	if i < len(s.Values) {
		return strconv.Itoa(s.Values[i])
	}
	return "0"
}

func (s Series) value(i int) int {
	if i < len(s.Values) && s.Values[i] > 0 {
		return s.Values[i]
	}
	return 0
}

// fills are the series' looks, in order: solid, hatched, dotted. Each is
// dark enough on white, and distinct in black and white print.
var fills = []struct{ colour, kind string }{
	{"#1d3f8f", "solid"},
	{"#9a3412", "hatch"},
	{"#1e6b34", "dots"},
}

// svg accumulates one chart.
type svg struct {
	b  strings.Builder
	id string
}

func newSVG(id, title, desc string, height int) *svg {
	s := &svg{id: cleanID(id)}
	labelled := s.id + "-title"
	if desc != "" {
		labelled += " " + s.id + "-desc"
	}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%%" viewBox="0 0 %d %d" preserveAspectRatio="xMinYMin meet" aria-labelledby="%s" font-family="system-ui, sans-serif" font-size="%d">`,
		Width, height, labelled, fontSize)
	fmt.Fprintf(&s.b, `<title id="%s-title">%s</title>`, s.id, esc(title))
	if desc != "" {
		fmt.Fprintf(&s.b, `<desc id="%s-desc">%s</desc>`, s.id, esc(desc))
	}
	return s
}

// defs declares the patterns of n series.
func (s *svg) defs(n int) {
	s.b.WriteString("<defs>")
	for i := 0; i < n && i < len(fills); i++ {
		f := fills[i]
		switch f.kind {
		case "hatch":
			fmt.Fprintf(&s.b, `<pattern id="%s-p%d" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><rect width="3" height="6" fill="%s"/></pattern>`, s.id, i, f.colour)
		case "dots":
			fmt.Fprintf(&s.b, `<pattern id="%s-p%d" patternUnits="userSpaceOnUse" width="5" height="5"><rect width="5" height="5" fill="#ffffff"/><circle cx="2.5" cy="2.5" r="1.6" fill="%s"/></pattern>`, s.id, i, f.colour)
		}
	}
	s.b.WriteString("</defs>")
}

// fill is the fill attribute of series i.
func (s *svg) fill(i int) string {
	f := fills[i%len(fills)]
	if f.kind == "solid" {
		return f.colour
	}
	return fmt.Sprintf("url(#%s-p%d)", s.id, i%len(fills))
}

// bar draws one bar with an outline, so a hatched bar keeps its edges.
func (s *svg) bar(series int, x, y, w, h float64) {
	fmt.Fprintf(&s.b, `<rect class="chart-bar chart-series-%d" x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="%s" stroke-width="1"/>`,
		series, num(x), num(y), num(w), num(h), s.fill(series), fills[series%len(fills)].colour)
}

func (s *svg) text(x, y float64, size int, anchor, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" font-size="%d" text-anchor="%s" class="%s" fill="#1b1f24">%s</text>`,
		num(x), num(y), size, anchor, class, esc(t))
}

// legendLine is the height of a line of the legend.
const legendLine = 24

// legendPlaces lays out one swatch and name per series, wrapping onto a
// new line when the next would pass the width; it returns each entry's
// position and the height used (none for a single series).
func legendPlaces(series []Series) (xs, ys []float64, height float64) {
	if len(series) < 2 {
		return nil, nil, 0
	}
	x, y := 0.0, 0.0
	for _, se := range series {
		w := 24 + textWidth(se.Name, small)
		if x > 0 && x+w > Width {
			x, y = 0, y+legendLine
		}
		xs, ys = append(xs, x), append(ys, y)
		x += w + 20
	}
	return xs, ys, y + legendLine + 4
}

// legend writes the series' swatches and names from y; it returns the
// height used.
func (s *svg) legend(series []Series, y float64) float64 {
	xs, ys, h := legendPlaces(series)
	for i, se := range series[:len(xs)] {
		s.bar(i, xs[i], y+ys[i]+2, 18, 14)
		s.text(xs[i]+24, y+ys[i]+15, small, "start", "chart-legend", se.Name)
	}
	return h
}

func (s *svg) html() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String()) // every text went through esc
}

// esc makes s safe as XML text or attribute: escaped markup, and no
// character XML forbids (a control character would break the document).
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return html.EscapeString(s)
}

// cleanID keeps what an XML id may hold, so that a caller's id cannot
// break out of its attribute.
func cleanID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 || !(b.String()[0] >= 'a' && b.String()[0] <= 'z' || b.String()[0] >= 'A' && b.String()[0] <= 'Z') {
		return "chart-" + b.String()
	}
	return b.String()
}

// num writes a coordinate with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// textWidth estimates the width of t at size: SVG cannot measure text on
// the server. An average glyph of a sans-serif is about 0.55 em wide; 0.6
// leaves room for wide letters and capitals.
func textWidth(t string, size int) float64 {
	return float64(utf8.RuneCountInString(t)) * float64(size) * 0.6
}

// wrap splits t into lines of about width units at size, at most max
// lines, the last one truncated; the full text is in the table.
func wrap(t string, width float64, size, max int) []string {
	per := int(width / (float64(size) * 0.6))
	var lines []string
	line := ""
	for _, w := range strings.Fields(t) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= per:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	if len(lines) > max {
		lines = append(lines[:max-1], strings.Join(lines[max-1:], " "))
		lines[max-1] += "…" // marks the cut even when it falls between words
	}
	for i := range lines {
		lines[i] = truncate(lines[i], per)
	}
	return lines
}

// truncate shortens t to n characters with an ellipsis; the full text is
// in the table beside the chart.
func truncate(t string, n int) string {
	if utf8.RuneCountInString(t) <= n {
		return t
	}
	r := []rune(t)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// maxOf is the largest value of the series, at least 1 so that nothing
// divides by zero.
func maxOf(series []Series, n int) int {
	m := 1
	for _, s := range series {
		for i := 0; i < n; i++ {
			if v := s.value(i); v > m {
				m = v
			}
		}
	}
	return m
}

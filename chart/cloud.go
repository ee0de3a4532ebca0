package chart

import (
	"html/template"
	"math"
)

// Word is one word of a cloud with how many people gave it.
type Word struct {
	Text  string
	Count int
}

// Cloud is a word cloud: words sized by count, laid out in wrapped rows in
// the order given (most frequent first), so the same tally always draws
// the same picture.
type Cloud struct {
	ID    string
	Title string
	Desc  string
	Words []Word
}

// Sizes of a cloud's words, in viewBox units, and how many are drawn.
const (
	minWord   = 14
	maxWord   = 40
	maxWords  = 60
	wordGap   = 18
	cloudLine = 1.25
)

// WordSize is the font size of a word given count times when the most
// frequent was given max times; the area of the text grows with the count.
func WordSize(count, max int) int {
	if max <= 0 || count <= 0 {
		return minWord
	}
	f := math.Sqrt(float64(count) / float64(max))
	return minWord + int(math.Round(f*(maxWord-minWord)))
}

type placed struct {
	w    Word
	size int
	x    float64
}

// HTML draws the cloud.
func (c Cloud) HTML() template.HTML {
	words := c.Words
	if len(words) > maxWords {
		words = words[:maxWords]
	}
	mx := 0
	for _, w := range words {
		mx = max(mx, w.Count)
	}
	// Wrap into rows, then centre each row.
	var rows [][]placed
	var widths []float64
	var cur []placed
	x := 0.0
	for _, w := range words {
		size := WordSize(w.Count, mx)
		t := truncate(w.Text, int(Width/(float64(size)*0.6)))
		tw := textWidth(t, size)
		if len(cur) > 0 && x+tw > Width {
			rows, widths = append(rows, cur), append(widths, x-wordGap)
			cur, x = nil, 0
		}
		cur = append(cur, placed{w: Word{Text: t, Count: w.Count}, size: size, x: x})
		x += tw + wordGap
	}
	if len(cur) > 0 {
		rows, widths = append(rows, cur), append(widths, x-wordGap)
	}
	height := 10.0
	for _, r := range rows {
		height += rowHeight(r)
	}
	s := newSVG(c.ID, c.Title, c.Desc, int(math.Ceil(height)))
	y := 4.0
	for i, r := range rows {
		h := rowHeight(r)
		off := max(0, (Width-widths[i])/2)
		for _, p := range r {
			s.text(off+p.x, y+h*0.8, p.size, "start", "chart-word", p.w.Text)
		}
		y += h
	}
	return s.html()
}

func rowHeight(r []placed) float64 {
	h := 0
	for _, p := range r {
		h = max(h, p.size)
	}
	return float64(h) * cloudLine
}

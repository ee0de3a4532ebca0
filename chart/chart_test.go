package chart

import (
	"encoding/xml"
	"html/template"
	"io"
	"strconv"
	"strings"
	"testing"
)

// wellFormed parses the SVG as XML and returns its rect widths and text
// contents, in document order.
func wellFormed(t *testing.T, h template.HTML) (rects []map[string]string, texts []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(h)))
	d.Strict = true
	var inText bool
	var cur strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, h)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "rect" {
				m := map[string]string{}
				for _, a := range e.Attr {
					m[a.Name.Local] = a.Value
				}
				rects = append(rects, m)
			}
			if e.Name.Local == "text" || e.Name.Local == "title" {
				inText = true
				cur.Reset()
			}
		case xml.CharData:
			if inText {
				cur.Write(e)
			}
		case xml.EndElement:
			if e.Name.Local == "text" || e.Name.Local == "title" {
				inText = false
				texts = append(texts, cur.String())
			}
		}
	}
	return rects, texts
}

func bars(rects []map[string]string) []map[string]string {
	var out []map[string]string
	for _, r := range rects {
		if strings.HasPrefix(r["class"], "chart-bar") {
			out = append(out, r)
		}
	}
	return out
}

func width(t *testing.T, r map[string]string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(r["width"], 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBars_EscapesLabels(t *testing.T) {
	h := Bars{ID: "p1", Title: `Quel <b>accès</b> ?`, Labels: []string{"<script>alert(1)</script>", `"&'`, "bell\x07"},
		Series: []Series{{Values: []int{1, 2, 3}, Texts: []string{"<i>1</i>"}}}}.HTML()
	s := string(h)
	for _, bad := range []string{"<script>", "<b>", "<i>", "\x07"} {
		if strings.Contains(s, bad) {
			t.Fatalf("unescaped %q in\n%s", bad, s)
		}
	}
	if !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("label not escaped as text:\n%s", s)
	}
	_, texts := wellFormed(t, h)
	want := []string{`Quel <b>accès</b> ?`, "<script>alert(1)</script>", "<i>1</i>", `"&'`, "2", "bell", "3"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Fatalf("texts %q, want %q", texts, want)
	}
}

func TestBars_WidthsProportional(t *testing.T) {
	h := Bars{ID: "b", Title: "t", Labels: []string{"a", "b", "c"},
		Series: []Series{{Name: "Salle", Values: []int{10, 5, 0}}, {Name: "En ligne", Values: []int{2, 20, 1}}}}.HTML()
	rects, texts := wellFormed(t, h)
	bs := bars(rects)
	// Two legend swatches, then a, b, c with two bars each.
	if len(bs) != 2+6 {
		t.Fatalf("%d bars", len(bs))
	}
	full := width(t, bs[2+3]) // b online: 20, the largest
	if full != Width-minRoom {
		t.Fatalf("largest bar %v, want %v", full, Width-minRoom)
	}
	for i, v := range []int{10, 2, 5, 20, 0, 1} {
		got := width(t, bs[2+i])
		if want := float64(v) / 20 * full; got < want-0.1 || got > want+0.1 {
			t.Errorf("bar %d = %v, want %v", i, got, want)
		}
	}
	// The legend names each series in words, and patterns tell them apart.
	if !strings.Contains(strings.Join(texts, "|"), "Salle|En ligne") {
		t.Fatalf("legend texts %q", texts)
	}
	if bs[0]["fill"] == bs[1]["fill"] || !strings.HasPrefix(bs[1]["fill"], "url(#b-p1)") {
		t.Fatalf("fills %q %q", bs[0]["fill"], bs[1]["fill"])
	}
	if !strings.Contains(string(h), `<pattern id="b-p1"`) {
		t.Fatal("pattern not defined")
	}
}

func TestCharts_ZeroTotals(t *testing.T) {
	for name, h := range map[string]template.HTML{
		"bars":    Bars{ID: "z", Title: "t", Labels: []string{"a", "b"}, Series: []Series{{Values: []int{0, 0}}}}.HTML(),
		"empty":   Bars{ID: "z", Title: "t"}.HTML(),
		"columns": Columns{ID: "z", Title: "t", Labels: []string{"1", "2"}, Series: []Series{{Values: []int{0, 0}}}, Marker: &Marker{Text: "m"}}.HTML(),
		"nocols":  Columns{ID: "z", Title: "t"}.HTML(),
		"cloud":   Cloud{ID: "z", Title: "t", Words: []Word{{"a", 0}}}.HTML(),
		"nocloud": Cloud{ID: "z", Title: "t"}.HTML(),
	} {
		s := string(h)
		if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
			t.Errorf("%s: %s", name, s)
		}
		rects, _ := wellFormed(t, h)
		for _, r := range bars(rects) {
			if width(t, r) != 0 && r["height"] != "0.0" {
				t.Errorf("%s: a zero value drew %v", name, r)
			}
		}
	}
	if BarWidth(3, 0, Width) != 0 || ColumnHeight(3, 0) != 0 || WordSize(1, 0) != minWord {
		t.Fatal("zero max")
	}
}

func TestCharts_Accessible(t *testing.T) {
	for name, h := range map[string]template.HTML{
		"bars":    Bars{ID: "x1", Title: "t", Labels: []string{"a"}, Series: []Series{{Values: []int{1}}}}.HTML(),
		"columns": Columns{ID: "x1", Title: "t", Desc: "d", Labels: []string{"a"}, Series: []Series{{Values: []int{1}}}}.HTML(),
		"cloud":   Cloud{ID: "x1", Title: "t", Words: []Word{{"a", 1}}}.HTML(),
	} {
		s := string(h)
		for _, want := range []string{`role="img"`, `<title id="x1-title">t</title>`, `aria-labelledby="x1-title`, `viewBox="0 0 400 `, `width="100%"`} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %s:\n%s", name, want, s)
			}
		}
		if strings.Contains(s, "style=") {
			t.Errorf("%s: a style attribute breaks the CSP", name)
		}
	}
	// An id cannot break out of its attribute.
	if got := cleanID(`a" onload="x`); got != "aonloadx" {
		t.Fatalf("cleanID = %q", got)
	}
}

func TestColumns_HeightsAndMarker(t *testing.T) {
	h := Columns{ID: "s", Title: "t", Labels: []string{"1", "2", "3", "4", "5"},
		Series: []Series{{Values: []int{1, 0, 4, 2, 0}}}, Marker: &Marker{At: 1.5, Text: "Moyenne : 2,5"}}.HTML()
	rects, texts := wellFormed(t, h)
	bs := bars(rects)
	if len(bs) != 5 {
		t.Fatalf("%d columns", len(bs))
	}
	for i, v := range []int{1, 0, 4, 2, 0} {
		hh, _ := strconv.ParseFloat(bs[i]["height"], 64)
		if want := float64(v) / 4 * plotHeight; hh < want-0.1 || hh > want+0.1 {
			t.Errorf("column %d = %v, want %v", i, hh, want)
		}
	}
	if !strings.Contains(strings.Join(texts, "|"), "Moyenne : 2,5") {
		t.Fatalf("marker text missing: %q", texts)
	}
	// The mean 2.5 of a 1–5 scale (At 1.5) sits halfway between the centres
	// of columns "2" and "3".
	slot := float64(Width) / 5
	if !strings.Contains(string(h), `x1="`+num(slot/2+1.5*slot)+`"`) {
		t.Fatalf("marker not at the centre:\n%s", h)
	}
}

func TestCloud_SizedAndDeterministic(t *testing.T) {
	ws := []Word{{"vélo", 9}, {"<arbres>", 4}, {"bancs", 1}}
	h := Cloud{ID: "c", Title: "t", Words: ws}.HTML()
	if h != (Cloud{ID: "c", Title: "t", Words: ws}).HTML() {
		t.Fatal("not deterministic")
	}
	_, texts := wellFormed(t, h)
	if strings.Join(texts, "|") != "t|vélo|<arbres>|bancs" {
		t.Fatalf("texts %q", texts)
	}
	if !(WordSize(9, 9) == maxWord && WordSize(4, 9) < maxWord && WordSize(1, 9) < WordSize(4, 9)) {
		t.Fatal("sizes do not follow counts")
	}
	if !strings.Contains(string(h), `font-size="40"`) {
		t.Fatalf("largest word not at the largest size:\n%s", h)
	}
}

// Many words wrap onto several rows inside the viewBox.
func TestCloud_Wraps(t *testing.T) {
	var ws []Word
	for i := 0; i < 40; i++ {
		ws = append(ws, Word{"mot" + strconv.Itoa(i), 40 - i})
	}
	h := Cloud{ID: "c", Title: "t", Words: ws}.HTML()
	wellFormed(t, h)
	if n := strings.Count(string(h), "<text"); n != 40 {
		t.Fatalf("%d words drawn", n)
	}
}

// A long label wraps onto two lines inside the viewBox, the rest cut.
func TestBars_LongLabelsWrap(t *testing.T) {
	long := strings.Repeat("aménagement cyclable ", 12)
	h := Bars{ID: "l", Title: "t", Labels: []string{long}, Series: []Series{{Values: []int{1}}}}.HTML()
	_, texts := wellFormed(t, h)
	// title, two label lines, the value
	if len(texts) != 4 || !strings.HasSuffix(texts[2], "…") {
		t.Fatalf("texts %q", texts)
	}
	for _, l := range texts[1:3] {
		if w := textWidth(l, fontSize); w > Width {
			t.Errorf("line %q is %v wide", l, w)
		}
	}
	if got := wrap("court", Width, fontSize, 2); len(got) != 1 || got[0] != "court" {
		t.Fatalf("wrap short = %q", got)
	}
}

// Legends wrap inside the viewBox rather than run off its edge.
func TestLegend_Wraps(t *testing.T) {
	series := []Series{{Name: "Arrivées dans un atelier"}, {Name: "Réponses aux questions"}, {Name: "Contributions en ligne"}}
	xs, ys, h := legendPlaces(series)
	for i, se := range series {
		if right := xs[i] + 24 + textWidth(se.Name, small); right > Width {
			t.Errorf("%q ends at %v", se.Name, right)
		}
	}
	if ys[2] == 0 || h < 2*legendLine {
		t.Fatalf("no wrap: ys %v, height %v", ys, h)
	}
	h2 := Columns{ID: "t", Title: "t", Labels: []string{"a"}, Series: series}.HTML()
	wellFormed(t, h2)
}

// The longest number after a bar stays inside the viewBox.
func TestBars_NumbersFit(t *testing.T) {
	text := "12 345 (100 %)"
	h := Bars{ID: "n", Title: "t", Labels: []string{"a", "b"}, Series: []Series{{Values: []int{12345, 3}, Texts: []string{text, "3"}}}}.HTML()
	rects, texts := wellFormed(t, h)
	bs := bars(rects)
	if right := width(t, bs[0]) + 6 + textWidth(text, small); right > Width {
		t.Fatalf("%q ends at %v: %q", text, right, texts)
	}
}

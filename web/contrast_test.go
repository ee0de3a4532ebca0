package web

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"testing"
)

// The projector is read from 10 m: every text colour of screen.css on
// every background it sits on reaches 7:1 (WCAG AAA), and the bars reach
// 3:1 against their track (docs/accessibility.md has the figures).
func TestScreenCSS_Contrast(t *testing.T) {
	b, err := fs.ReadFile(embedded, "static/css/screen.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = m[2]
	}
	pairs := []struct {
		fg, bg string
		min    float64
	}{
		{"fg", "bg", 7}, {"muted", "bg", 7}, {"accent", "bg", 7},
		{"fg", "panel", 7}, {"accent", "panel", 7}, {"muted", "panel", 7},
		{"bar", "panel", 3}, {"bar", "bg", 3},
	}
	for _, p := range pairs {
		fg, bg := vars[p.fg], vars[p.bg]
		if fg == "" || bg == "" {
			t.Fatalf("screen.css has no --%s or --%s", p.fg, p.bg)
		}
		r := contrast(fg, bg)
		t.Logf("--%s %s on --%s %s: %.1f:1", p.fg, fg, p.bg, bg, r)
		if r < p.min {
			t.Errorf("--%s on --%s is %.2f:1, want at least %v:1", p.fg, p.bg, r, p.min)
		}
	}
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			panic(fmt.Sprint("bad colour ", hex))
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

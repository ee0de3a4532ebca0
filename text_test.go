package agora

import "testing"

// CheckLine accepts exactly what cleanLine (ideas, nicknames) accepts, and
// CheckText adds newlines, carriage returns and tabs.
func TestCheckLineAndText(t *testing.T) {
	tests := []struct {
		name, in   string
		line, text bool // accepted by CheckLine, by CheckText
	}{
		{"plain", "Le parc des rives", true, true},
		{"accents and emoji", "Zoé 🦊 <b>", true, true},
		{"marks LRM and RLM", "Soir\u200e\u200f", true, true},
		{"newline and tab", "Premier.\n\n\tSecond.\r\n", true, true},
		{"NUL", "Matin\x00", false, false},
		{"escape", "\x1b[2JMatin", false, false},
		{"DEL", "Ma\x7ftin", false, false},
		{"C1 control", "Ma\u009btin", false, false},
		{"vertical tab", "Ma\vtin", true, false},
		{"LRE", "\u202aMatin", false, false},
		{"RLO", "Matin \u202eelbuod", false, false},
		{"PDF", "Matin\u202c", false, false},
		{"LRI", "\u2066Matin", false, false},
		{"PDI", "Matin\u2069", false, false},
		{"invalid UTF-8", "Matin \xff", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckLine(tt.in, "error.title_invalid"); (err == nil) != tt.line {
				t.Errorf("CheckLine(%q) = %v", tt.in, err)
			} else if err != nil {
				wantError(t, err, EINVALID, "error.title_invalid")
			}
			_, cerr := cleanLine(tt.in)
			if (cerr == nil) != tt.line {
				t.Errorf("cleanLine(%q) = %v: CheckLine disagrees", tt.in, cerr)
			}
			if err := CheckText(tt.in, "error.description_invalid"); (err == nil) != tt.text {
				t.Errorf("CheckText(%q) = %v", tt.in, err)
			}
		})
	}
	if got := NormalizeLine(" Tôt\tle\r\n matin  "); got != "Tôt le matin" {
		t.Errorf("NormalizeLine = %q", got)
	}
}

package agora

import (
	"strings"
	"testing"
)

func TestProposal_Heading(t *testing.T) {
	tests := []struct{ title, body, want string }{
		{"Zone 30", "ignored", "Zone 30"},
		{"  ", "Des arceaux\n devant l’école", "Des arceaux devant l’école"},
		{"", "un deux trois quatre cinq six sept huit neuf dix onze douze treize", "un deux trois quatre cinq six sept huit neuf dix onze douze…"},
		{"", "", ""},
	}
	for _, tc := range tests {
		p := &Proposal{Title: tc.title, Body: tc.body}
		if got := p.Heading(); got != tc.want {
			t.Errorf("Heading(%q, %q) = %q, want %q", tc.title, tc.body, got, tc.want)
		}
	}
}

func TestProposal_Qualified(t *testing.T) {
	tests := []struct {
		room, online, threshold int
		want                    bool
	}{
		{0, 0, 0, false}, {5, 5, 0, false}, {2, 0, 3, false}, {2, 1, 3, true}, {0, 4, 3, true},
	}
	for _, tc := range tests {
		p := &Proposal{SupportsRoom: tc.room, SupportsOnline: tc.online}
		if got := p.Qualified(tc.threshold); got != tc.want {
			t.Errorf("Qualified(room %d, online %d, threshold %d) = %v", tc.room, tc.online, tc.threshold, got)
		}
	}
}

func TestProposal_ValidateOnline(t *testing.T) {
	tests := []struct {
		name             string
		title, body, cat string
		key              string // error message key, "" for valid
	}{
		{"valid", "Titre", "Corps", "Vélo", ""},
		{"max lengths", strings.Repeat("é", 150), strings.Repeat("é", 5000), strings.Repeat("é", 60), ""},
		{"no title", " ", "Corps", "", "error.proposal_title_length"},
		{"long title", strings.Repeat("a", 151), "Corps", "", "error.proposal_title_length"},
		{"no body", "Titre", "\n", "", "error.proposal_body_length"},
		{"long body", "Titre", strings.Repeat("a", 5001), "", "error.proposal_body_length"},
		{"long category", "Titre", "Corps", strings.Repeat("a", 61), "error.category_length"},
		{"invalid utf-8", "Titre\xff", "Corps", "", "error.text_invalid"},
		{"nul", "Titre", "Co\x00rps", "", "error.text_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Proposal{Title: tc.title, Body: tc.body, Category: tc.cat}).ValidateOnline()
			if got := ErrorMessage(err); err != nil && got != tc.key || err == nil && tc.key != "" {
				t.Fatalf("ValidateOnline: %v, want %q", err, tc.key)
			}
		})
	}
}

func TestNormalizeCategory(t *testing.T) {
	if got := NormalizeCategory("  Vélo \t et   bus "); got != "Vélo et bus" {
		t.Fatalf("NormalizeCategory = %q", got)
	}
}

func TestAnswerStatus_Valid(t *testing.T) {
	for s, want := range map[AnswerStatus]bool{AnswerAccepted: true, AnswerRejected: true, AnswerUnderStudy: true, AnswerNone: false, "maybe": false} {
		if s.Valid() != want {
			t.Errorf("%q.Valid() = %v", s, !want)
		}
	}
}

package agora

import "testing"

func TestConsultationStatus_CanBecome(t *testing.T) {
	d, o, c := ConsultationDraft, ConsultationOpen, ConsultationClosed
	tests := []struct {
		from, to ConsultationStatus
		want     bool
	}{
		{d, d, true}, {d, o, true}, {d, c, false},
		{o, o, true}, {o, c, true}, {o, d, false},
		{c, c, true}, {c, o, true}, {c, d, false},
		{d, "archived", false}, {"archived", "archived", false},
	}
	for _, tc := range tests {
		if got := tc.from.CanBecome(tc.to); got != tc.want {
			t.Errorf("%s → %s: %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	if err := o.CheckTransition(d); ErrorMessage(err) != "error.status_transition" {
		t.Errorf("open → draft: %v", err)
	}
	if err := o.CheckTransition("x"); ErrorMessage(err) != "error.status_invalid" {
		t.Errorf("open → x: %v", err)
	}
}

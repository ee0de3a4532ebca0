package storetest

import (
	"testing"

	"github.com/agora-civic/agora"
)

var auditTests = []test{
	{"Audit/AppendAndList", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		u := mkUser(t, s, agora.RoleAdmin)
		c1, c2, w := int64(1), int64(2), int64(3)
		es := []*agora.AuditEntry{
			{ActorID: &u.ID, Action: "consultation.open", TargetKind: agora.TargetConsultation, TargetID: c1, ConsultationID: &c1, At: base},
			{Action: "activity.close", TargetKind: agora.TargetActivity, TargetID: 9, ConsultationID: &c1, WorkshopID: &w, Detail: `{"timer":true}`},
			{ActorID: &u.ID, Action: "proposal.hide", TargetKind: agora.TargetProposal, TargetID: 4, ConsultationID: &c2},
		}
		for _, e := range es {
			must(t, s.AppendAudit(ctx, e))
			if e.ID == 0 || e.At.IsZero() {
				t.Fatalf("append did not fill ID, At: %+v", e)
			}
		}
		if !es[0].At.Equal(base) {
			t.Fatalf("At %v overwritten, want %v", es[0].At, base)
		}
		cases := []struct {
			name string
			f    agora.AuditFilter
			want []*agora.AuditEntry
		}{
			{"all", agora.AuditFilter{}, es},
			{"consultation", agora.AuditFilter{ConsultationID: &c1}, es[:2]},
			{"workshop", agora.AuditFilter{WorkshopID: &w}, es[1:2]},
			{"target", agora.AuditFilter{TargetKind: agora.TargetProposal, TargetID: 4}, es[2:]},
			{"limit", agora.AuditFilter{Limit: 2}, es[:2]},
		}
		for _, tc := range cases {
			got, err := s.ListAudit(ctx, tc.f)
			must(t, err)
			same(t, tc.name, got, tc.want)
		}
	}},
}

package storetest

import (
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

var flagTests = []test{
	{"Flag/CreateListResolve", func(t *testing.T, s agora.Store) {
		ctx := t.Context()
		c := mkConsultation(t, s)
		r1, r2 := mkUser(t, s, agora.RoleCitizen), mkUser(t, s, agora.RoleCitizen)
		mod := mkUser(t, s, agora.RoleModerator)
		f1 := &agora.Flag{ConsultationID: c.ID, TargetKind: agora.TargetComment, TargetID: 7, ReporterID: r1.ID,
			Reason: "insulte", CreatedAt: base}
		f2 := &agora.Flag{ConsultationID: c.ID, TargetKind: agora.TargetComment, TargetID: 7, ReporterID: r2.ID,
			CreatedAt: base.Add(time.Minute)}
		f3 := &agora.Flag{ConsultationID: c.ID, TargetKind: agora.TargetProposal, TargetID: 7, ReporterID: r1.ID,
			CreatedAt: base.Add(2 * time.Minute)}
		for _, f := range []*agora.Flag{f1, f2, f3} {
			must(t, s.CreateFlag(ctx, f))
		}
		if f1.ID == 0 {
			t.Fatal("create did not fill ID")
		}
		dup := &agora.Flag{ConsultationID: c.ID, TargetKind: agora.TargetComment, TargetID: 7, ReporterID: r1.ID}
		wantCode(t, s.CreateFlag(ctx, dup), agora.ECONFLICT)
		open, err := s.ListFlags(ctx, c.ID)
		must(t, err)
		same(t, "open flags", open, []*agora.Flag{f1, f2, f3})
		must(t, s.ResolveFlags(ctx, agora.TargetComment, 7, mod.ID, base.Add(time.Hour)))
		open, err = s.ListFlags(ctx, c.ID)
		must(t, err)
		same(t, "after resolve", open, []*agora.Flag{f3})
		// Resolved flags still block a second report by the same reporter.
		wantCode(t, s.CreateFlag(ctx, dup), agora.ECONFLICT)
	}},
}

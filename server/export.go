package server

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/report"
)

// The facilitator's export of one workshop: its results as CSV
// (export_csv.go) and a one-page summary for the organiser
// (export_summary.go). Both are available at any time, during the
// workshop too, to staff who may facilitate it (the /facilitate group's
// requireRole). The figures come from report.BuildWorkshop, so they are
// the report page's, counted as the live tallies are.

// sessionExport is one workshop's figures.
type sessionExport struct {
	Cons      *agora.Consultation
	W         *agora.Workshop
	StartedAt *time.Time // first workshop.start in the audit log
	EndedAt   *time.Time // last workshop.end
	// Participants counts the devices that joined; Voters those that
	// answered at least one activity.
	Participants int
	Voters       int
	Activities   []exportActivity
}

// exportActivity is one activity with its tally: votes of both channels
// (Room and Online set), or the approved ideas ranked.
type exportActivity struct {
	ID       int64
	Position int // 0-based
	Kind     agora.ActivityKind
	Prompt   string
	Tally    agora.Tally
}

// sessionOf reads a workshop's figures.
func (s *Server) sessionOf(ctx context.Context, w *agora.Workshop) (*sessionExport, error) {
	cons, err := s.store.ConsultationByID(ctx, w.ConsultationID)
	if err != nil {
		return nil, err
	}
	rw, err := report.BuildWorkshop(ctx, s.store, w)
	if err != nil {
		return nil, err
	}
	ex := &sessionExport{Cons: cons, W: w, StartedAt: rw.StartedAt, EndedAt: rw.EndedAt,
		Participants: rw.Participants, Voters: rw.Voters}
	for _, a := range rw.Activities {
		ex.Activities = append(ex.Activities, exportActivity{ID: a.ID, Position: a.Position, Kind: a.Kind,
			Prompt: a.Prompt, Tally: a.Tally})
	}
	return ex, nil
}

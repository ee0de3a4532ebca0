package server

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
)

// roomState is what a live screen needs to draw a workshop from scratch:
// the first message on every socket, and again after a gap or a broker
// outage. Shared by every socket of one audience, so nothing personal.
type roomState struct {
	Workshop   workshopView   `json:"workshop"`
	Activities []activityView `json:"activities"` // facilitators: the whole run of show; others: the current one only
	Presence   int            `json:"presence"`
}

type workshopView struct {
	ID                int64  `json:"id"`
	Title             string `json:"title"`
	Place             string `json:"place,omitempty"`
	State             string `json:"state"`
	JoinCode          string `json:"join_code"`
	CurrentActivityID *int64 `json:"current_activity_id"`
}

type activityView struct {
	ID       int64                  `json:"id"`
	Position int                    `json:"position"`
	Kind     string                 `json:"kind"`
	Prompt   string                 `json:"prompt"`
	Options  []agora.Option         `json:"options,omitempty"`
	Settings agora.ActivitySettings `json:"settings"`
	State    string                 `json:"state"`
	Revealed bool                   `json:"revealed"`
	Round    int                    `json:"round"`
	ClosesAt *time.Time             `json:"closes_at,omitempty"`
}

type consultationState struct {
	ID     int64  `json:"id"`
	Slug   string `json:"slug"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// roomSnapshot returns the state of workshop w as audience a sees it. The
// live-workshop work extends it (tallies, ideas wall); keep it the one
// place that decides what each audience gets on (re)connect.
func (s *Server) roomSnapshot(ctx context.Context, w *agora.Workshop, a hub.Audience) (*roomState, error) {
	acts, err := s.store.ListActivities(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	presence, err := s.hub.Presence(ctx, w.ID)
	if err != nil {
		presence = -1 // unknown while the broker is down; screens keep the last figure
	}
	st := &roomState{
		Workshop: workshopView{
			ID: w.ID, Title: w.Title, Place: w.Place, State: string(w.State),
			JoinCode: w.JoinCode, CurrentActivityID: w.CurrentActivityID,
		},
		Activities: []activityView{},
		Presence:   presence,
	}
	for _, act := range acts {
		current := w.CurrentActivityID != nil && *w.CurrentActivityID == act.ID
		if a == hub.Facilitators || current {
			st.Activities = append(st.Activities, newActivityView(act))
		}
	}
	return st, nil
}

func newActivityView(a *agora.Activity) activityView {
	return activityView{
		ID: a.ID, Position: a.Position, Kind: string(a.Kind), Prompt: a.Prompt,
		Options: a.Options, Settings: a.Settings, State: string(a.State),
		Revealed: a.Revealed, Round: a.Round, ClosesAt: a.ClosesAt,
	}
}

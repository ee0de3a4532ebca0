package server

import (
	"bytes"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// activityRequest creates or edits an activity. For an edit, absent fields
// keep their value, and settings merge into the current ones.
type activityRequest struct {
	Kind     agora.ActivityKind `json:"kind"`
	Prompt   *string            `json:"prompt"`
	Options  *[]agora.Option    `json:"options"`
	Settings json.RawMessage    `json:"settings"`
}

// apply copies the request onto a.
func (r activityRequest) apply(a *agora.Activity) error {
	if r.Kind != "" {
		a.Kind = r.Kind
	}
	if r.Prompt != nil {
		a.Prompt = agora.NormalizeLine(*r.Prompt)
	}
	if r.Options != nil {
		a.Options = make([]agora.Option, len(*r.Options))
		for i, o := range *r.Options {
			o.Label = agora.NormalizeLine(o.Label)
			a.Options[i] = o
		}
	}
	if len(r.Settings) == 0 || string(r.Settings) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.Settings))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a.Settings); err != nil {
		return jsonError(err)
	}
	return nil
}

// activityJSON is an activity as the API returns it: the engine's view.
func activityJSON(a *agora.Activity) live.ActivityView {
	return live.ActivityView{ID: a.ID, Position: a.Position, Kind: a.Kind, Prompt: a.Prompt, Options: a.Options,
		Settings: a.Settings, State: a.State, Revealed: a.Revealed, ResultsVisible: a.ResultsVisible(),
		Round: a.Round, OpenedAt: a.OpenedAt, ClosesAt: a.ClosesAt, ClosedAt: a.ClosedAt}
}

// handleAPIAddActivity is POST /api/v1/workshops/{code}/activities
// {kind, prompt, options, settings}.
func (s *Server) handleAPIAddActivity(c *fiber.Ctx) error {
	var in activityRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	w, err := s.workshopByCode(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	a := &agora.Activity{WorkshopID: w.ID}
	if err := in.apply(a); err != nil {
		return err
	}
	if err := s.engine.AddActivity(c.UserContext(), s.mustUser(c), a); err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusCreated, fiber.Map{"activity": activityJSON(a)})
}

// handleAPIUpdateActivity is PATCH /api/v1/activities/{id}.
func (s *Server) handleAPIUpdateActivity(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.activity_not_found")
	if err != nil {
		return err
	}
	var in activityRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a, err := s.store.ActivityByID(c.UserContext(), id)
	if err != nil {
		return notFoundAs(err, "error.activity_not_found")
	}
	if err := in.apply(a); err != nil {
		return err
	}
	if err := s.engine.UpdateActivity(c.UserContext(), s.mustUser(c), a); err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"activity": activityJSON(a)})
}

// handleAPIDeleteActivity is DELETE /api/v1/activities/{id}.
func (s *Server) handleAPIDeleteActivity(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.activity_not_found")
	if err != nil {
		return err
	}
	if err := s.engine.DeleteActivity(c.UserContext(), s.mustUser(c), id); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStatus(fiber.StatusNoContent)
}

type moveRequest struct {
	Position *int `json:"position"`
}

// handleAPIMoveActivity is POST /api/v1/activities/{id}/move {position}
// (0-based, clamped to the run of show).
func (s *Server) handleAPIMoveActivity(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.activity_not_found")
	if err != nil {
		return err
	}
	var in moveRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Position == nil || *in.Position < 0 {
		return agora.Errorf(agora.EINVALID, "error.position_invalid")
	}
	if err := s.engine.MoveActivity(c.UserContext(), s.mustUser(c), id, *in.Position); err != nil {
		return err
	}
	a, err := s.store.ActivityByID(c.UserContext(), id)
	if err != nil {
		return notFoundAs(err, "error.activity_not_found")
	}
	return s.facilitatorState(c, a.WorkshopID)
}

// handleAPIResults is GET /api/v1/activities/{id}/results: the tally of
// any activity for staff; for a participant of its workshop or its
// projector, only once results are visible; for anyone, once they are
// public (pubResultsVisible).
func (s *Server) handleAPIResults(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.activity_not_found")
	if err != nil {
		return err
	}
	a, w, err := s.store.ActivityWithWorkshop(c.UserContext(), id)
	if err != nil {
		return notFoundAs(err, "error.activity_not_found")
	}
	if served, err := s.publicActivityResults(c, a, w); served || err != nil {
		return err // public results need no device nor account (api_public.go)
	}
	aud, _, err := s.resultsAudience(c, w)
	if err != nil {
		return err
	}
	if aud != live.Facilitators && !a.ResultsVisible() {
		return agora.Errorf(agora.EFORBIDDEN, "error.results_hidden")
	}
	t, err := s.tallyOf(c.UserContext(), a)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"activity": activityJSON(a), "tally": t})
}

// resultsAudience is stateAudience, with moderators counted as staff.
func (s *Server) resultsAudience(c *fiber.Ctx, w *agora.Workshop) (live.Audience, *agora.Participant, error) {
	u, err := s.currentUser(c)
	if err != nil {
		return "", nil, err
	}
	if u != nil && (u.Role.CanFacilitate() || u.Role.CanModerate()) {
		return live.Facilitators, nil, nil
	}
	return s.stateAudience(c, w)
}

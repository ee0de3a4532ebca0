package server

import (
	"crypto/subtle"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// The participants' JSON API: the same commands as the phone's forms
// (commands.go), for participant.js and for the load tool. A participant
// is a device cookie per workshop, set by join; see docs/api.md.

// handleAPICSRF is GET /api/v1/csrf: it sets the agora_csrf cookie when
// missing and returns the token to send back in X-CSRF-Token, so that a
// script with a cookie jar needs no HTML page.
func (s *Server) handleAPICSRF(c *fiber.Ctx) error {
	t, err := s.csrfToken(c)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"token": t, "header": csrfHeader, "cookie": csrfCookie})
}

type joinRequest struct {
	Nickname string `json:"nickname"`
}

type participantJSON struct {
	ID       string `json:"id"` // the public pseudonym, never the database ID
	Nickname string `json:"nickname"`
}

// handleAPIJoin is POST /api/v1/workshops/{code}/join {nickname}.
func (s *Server) handleAPIJoin(c *fiber.Ctx) error {
	var in joinRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	w, p, err := s.joinWorkshop(c, c.Params("code"), in.Nickname)
	if err != nil {
		return err
	}
	st, err := s.engine.State(c.UserContext(), w, live.Participants, p)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{
		"participant": participantJSON{ID: p.PublicID, Nickname: p.Nickname}, "state": st})
}

// handleAPIState is GET /api/v1/workshops/{code}/state: the snapshot for
// whoever asks, by identity (see stateAudience).
func (s *Server) handleAPIState(c *fiber.Ctx) error {
	w, err := s.workshopByCode(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	aud, p, err := s.stateAudience(c, w)
	if err != nil {
		return err
	}
	st, err := s.engine.State(c.UserContext(), w, aud, p)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, st)
}

// stateAudience decides whose view of w the request gets: the screen with
// ?screen={token}, a participant with the workshop's device cookie, the
// facilitators for signed-in staff. Anyone else must join first.
func (s *Server) stateAudience(c *fiber.Ctx, w *agora.Workshop) (live.Audience, *agora.Participant, error) {
	if token := c.Query("screen"); token != "" {
		if subtle.ConstantTimeCompare([]byte(token), []byte(w.ScreenToken)) != 1 {
			return "", nil, agora.Errorf(agora.EFORBIDDEN, "error.forbidden")
		}
		return live.Screen, nil, nil
	}
	p, err := s.workshopParticipant(c, w)
	if err == nil {
		return live.Participants, p, nil
	} else if !agora.IsCode(err, agora.ENOTFOUND) {
		return "", nil, err
	}
	u, err := s.currentUser(c)
	if err != nil {
		return "", nil, err
	}
	if u != nil && u.Role.CanFacilitate() {
		return live.Facilitators, nil, nil
	}
	return "", nil, agora.Errorf(agora.EUNAUTHORIZED, "error.join_required")
}

type voteJSON struct {
	ActivityID int64     `json:"activity_id"`
	Choices    []int     `json:"choices,omitempty"`
	Words      []string  `json:"words,omitempty"`
	Value      *int      `json:"value,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// handleAPIVote is POST /api/v1/activities/{id}/vote
// {choices|words|value, idempotency_key}.
func (s *Server) handleAPIVote(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.activity_not_found")
	if err != nil {
		return err
	}
	var in voteRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, a, w, cached, err := s.voteRoom(c, id, false)
	if err != nil {
		return err
	}
	if cached && s.engine.CheckVote(p, a, w, in.live()) != nil {
		// This node's copy may be stale: a vote is refused only on what
		// is stored now.
		if p, a, w, _, err = s.voteRoom(c, id, true); err != nil {
			return err
		}
	}
	v, err := s.castVote(c.UserContext(), p, a, w, in)
	if err != nil {
		return err
	}
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"vote": voteJSON{ActivityID: v.ActivityID,
		Choices: v.Choices, Words: v.Words, Value: v.Value, UpdatedAt: v.UpdatedAt}})
}

type ideaRequest struct {
	Body      string `json:"body"`
	ClientKey string `json:"client_key"`
}

// handleAPIIdea is POST /api/v1/activities/{id}/ideas {body, client_key}.
func (s *Server) handleAPIIdea(c *fiber.Ctx) error {
	id, err := pathID(c, "id", "error.activity_not_found")
	if err != nil {
		return err
	}
	var in ideaRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := s.activityParticipant(c, id)
	if err != nil {
		return err
	}
	idea, err := s.submitIdea(c.UserContext(), p, id, in.Body, in.ClientKey)
	if err != nil {
		return err
	}
	v := ideaJSON(idea)
	v.Supports, v.Mine = 0, true // counts reach participants with the tallies, once visible
	return noStoreJSON(c, fiber.StatusOK, fiber.Map{"idea": v})
}

// handleAPISupport is POST (add) and DELETE (withdraw)
// /api/v1/ideas/{id}/support.
func (s *Server) handleAPISupport(add bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id", "error.idea_not_found")
		if err != nil {
			return err
		}
		p, err := s.ideaParticipant(c, id)
		if err != nil {
			return err
		}
		if err := s.setSupport(c.UserContext(), p, id, add); err != nil {
			return err
		}
		return noStoreJSON(c, fiber.StatusOK, fiber.Map{"idea_id": id, "supported": add})
	}
}

// activityParticipant returns this device's participant in the workshop
// of an activity.
func (s *Server) activityParticipant(c *fiber.Ctx, activityID int64) (*agora.Participant, error) {
	_, w, _, err := s.room(c, activityID, false)
	if err != nil {
		return nil, err
	}
	return s.deviceParticipant(c, w)
}

// room returns an activity and its workshop: this node's copy when it is
// recent (cached true; see roomcache.go), unless fresh, or as read now.
func (s *Server) room(c *fiber.Ctx, activityID int64, fresh bool) (a *agora.Activity, w *agora.Workshop, cached bool, err error) {
	now := s.now()
	if !fresh {
		if a, w, cached = s.rooms.room(activityID, now); cached {
			return a, w, true, nil
		}
	}
	if a, w, err = s.store.ActivityWithWorkshop(c.UserContext(), activityID); err != nil {
		return nil, nil, false, notFoundAs(err, "error.activity_not_found")
	}
	s.rooms.putRoom(a, w, now)
	return a, w, false, nil
}

// voteRoom is what a vote needs: the device's participant (its ID and
// workshop only), the activity and its workshop, as room returns them.
func (s *Server) voteRoom(c *fiber.Ctx, activityID int64, fresh bool) (p *agora.Participant, a *agora.Activity, w *agora.Workshop, cached bool, err error) {
	if a, w, cached, err = s.room(c, activityID, fresh); err != nil {
		return nil, nil, nil, false, err
	}
	p, err = s.voter(c, w)
	return p, a, w, cached, err
}

// voter is the participant of this device in w, with its ID and workshop
// only, through this node's copy of the devices.
func (s *Server) voter(c *fiber.Ctx, w *agora.Workshop) (*agora.Participant, error) {
	token := c.Cookies(participantCookie(w.JoinCode))
	if token == "" {
		return nil, agora.Errorf(agora.EUNAUTHORIZED, "error.join_required")
	}
	hash, now := agora.HashToken(token), s.now()
	if d, ok := s.rooms.device(hash, now); ok && d.workshopID == w.ID {
		return &agora.Participant{ID: d.id, WorkshopID: d.workshopID}, nil
	}
	p, err := s.deviceParticipant(c, w)
	if err != nil {
		return nil, err
	}
	s.rooms.putDevice(hash, p, now)
	return p, nil
}

// ideaParticipant returns this device's participant in the workshop of
// an idea.
func (s *Server) ideaParticipant(c *fiber.Ctx, ideaID int64) (*agora.Participant, error) {
	idea, err := s.store.ProposalByID(c.UserContext(), ideaID)
	if err != nil {
		return nil, notFoundAs(err, "error.idea_not_found")
	}
	if idea.WorkshopID == nil || idea.DeletedAt != nil {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.idea_not_found")
	}
	w, err := s.store.WorkshopByID(c.UserContext(), *idea.WorkshopID)
	if err != nil {
		return nil, notFoundAs(err, "error.workshop_not_found")
	}
	return s.deviceParticipant(c, w)
}

// ideaJSON is an idea as the API returns it: the engine's IdeaView.
func ideaJSON(p *agora.Proposal) live.IdeaView {
	v := live.IdeaView{ID: p.ID, Body: p.Body, Status: p.Status, Highlighted: p.Highlighted,
		Supports: p.Supports(), CreatedAt: p.CreatedAt}
	if p.ActivityID != nil {
		v.ActivityID = *p.ActivityID
	}
	return v
}

package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// Cookie names. The session cookie identifies a signed-in user; each
// workshop has its own device cookie, so a participant token from one
// workshop means nothing in another.
const sessionCookie = "agora_session"

func participantCookie(joinCode string) string { return "agora_p_" + joinCode }

// sessionUser returns the signed-in user and session of the request, or
// ENOTFOUND when there is none (no cookie, unknown or expired session,
// deleted account).
func (s *Server) sessionUser(c *fiber.Ctx) (*agora.User, *agora.Session, error) {
	token := c.Cookies(sessionCookie)
	if token == "" {
		return nil, nil, agora.Errorf(agora.ENOTFOUND, "error.not_signed_in")
	}
	sess, err := s.store.SessionByHash(c.UserContext(), agora.HashToken(token), s.now())
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByID(c.UserContext(), sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.DeletedAt != nil {
		return nil, nil, agora.Errorf(agora.ENOTFOUND, "error.not_signed_in")
	}
	return u, sess, nil
}

// workshopParticipant returns the participant of this device in workshop w,
// or ENOTFOUND when the device has not joined it.
func (s *Server) workshopParticipant(c *fiber.Ctx, w *agora.Workshop) (*agora.Participant, error) {
	token := c.Cookies(participantCookie(w.JoinCode))
	if token == "" {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.not_joined")
	}
	return s.store.ParticipantByToken(c.UserContext(), w.ID, agora.HashToken(token))
}

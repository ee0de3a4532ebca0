package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// maxDeviceCookies caps how many workshop cookies of one request are
// looked up: a browser normally holds a handful.
const maxDeviceCookies = 20

// deviceParticipations returns this browser's workshop participants (one
// per agora_p_{CODE} cookie whose token the store knows) that keep accepts.
func (s *Server) deviceParticipations(c *fiber.Ctx, keep func(*agora.Participant) bool) ([]myParticipation, error) {
	ctx := c.UserContext()
	var out []myParticipation
	for _, code := range deviceJoinCodes(c) {
		w, err := s.store.WorkshopByCode(ctx, code)
		if agora.IsCode(err, agora.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		p, err := s.workshopParticipant(c, w)
		if agora.IsCode(err, agora.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if keep(p) {
			out = append(out, myParticipation{p, w})
		}
	}
	return out, nil
}

// deviceJoinCodes lists the join codes of the browser's workshop cookies.
func deviceJoinCodes(c *fiber.Ctx) []string {
	var codes []string
	c.Request().Header.VisitAllCookie(func(k, v []byte) {
		name := string(k)
		if len(codes) == maxDeviceCookies || !strings.HasPrefix(name, participantCookie("")) {
			return
		}
		code := strings.TrimPrefix(name, participantCookie(""))
		if agora.NormalizeJoinCode(code) == code && len(v) > 0 {
			codes = append(codes, code)
		}
	})
	return codes
}

// handleLinkDevice links this browser's workshop participations to the
// signed-in account, so their room ideas, votes and supports show under
// "my contributions". A participation already linked to another account
// stays theirs: the others are linked and the page says so.
func (s *Server) handleLinkDevice(c *fiber.Ctx) error {
	u := s.mustUser(c)
	ctx := c.UserContext()
	refused, linked := 0, 0
	err := s.store.WithTx(ctx, func(tx agora.Store) error {
		refused, linked = 0, 0
		ps, err := s.deviceParticipations(c, func(p *agora.Participant) bool { return p.UserID == nil || *p.UserID != u.ID })
		if err != nil {
			return err
		}
		for _, p := range ps {
			// Read again inside the transaction: another account may have
			// linked it in the meantime.
			cur, err := tx.ParticipantByID(ctx, p.ID)
			if err != nil {
				return err
			}
			if cur.UserID != nil {
				refused++
				continue
			}
			cur.UserID = &u.ID
			if err := tx.UpdateParticipant(ctx, cur); err != nil {
				return err
			}
			linked++
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case refused > 0:
		return s.renderMe(c, fiber.StatusConflict, form{Error: s.web.T(s.lang(c), "error.participant_linked_elsewhere", refused)})
	case linked == 0:
		return s.renderMe(c, fiber.StatusUnprocessableEntity, form{Error: s.web.T(s.lang(c), "error.nothing_to_link")})
	}
	return c.Redirect("/me?done=linked", fiber.StatusSeeOther)
}

package server

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// "My contributions" at /me: what a signed-in person wrote, supported and
// voted, online and in the room from the devices they linked, with the
// download of their data, the deletion of their account, and the offer to
// link this device's workshop participations.

func (s *Server) registerMeRoutes() {
	g := s.app.Group("/me", s.requireUser)
	g.Get("/", s.handleMe)
	g.Get("/data.json", s.handleMyData)
	g.Post("/link", s.handleLinkDevice)
	g.Post("/delete", s.handleDeleteAccount)
}

// meNotices are the confirmations ?done= may ask for.
var meNotices = map[string]string{
	"password_reset": "me.notice.password_reset",
	"linked":         "me.notice.linked",
}

// myProposal is a proposal with the consultation it belongs to.
type myProposal struct {
	*agora.Proposal
	Consultation *agora.Consultation
}

// myComment is a comment with its consultation.
type myComment struct {
	*agora.Comment
	Consultation *agora.Consultation
}

// myParticipation is a linked device's workshop.
type myParticipation struct {
	*agora.Participant
	Workshop *agora.Workshop
}

type meData struct {
	Notice         string
	Proposals      []myProposal
	Comments       []myComment
	Supports       int
	Votes          int
	Participations []myParticipation
	// Linkable are this device's workshop participations not yet linked.
	Linkable []myParticipation
}

// meListLimit caps each list on the page; the download has everything.
const meListLimit = 200

func (s *Server) handleMe(c *fiber.Ctx) error {
	return s.renderMe(c, fiber.StatusOK, form{})
}

func (s *Server) renderMe(c *fiber.Ctx, status int, f form) error {
	d, err := s.meData(c, s.mustUser(c))
	if err != nil {
		return err
	}
	if key, ok := meNotices[c.Query("done")]; ok {
		d.Notice = s.web.T(s.lang(c), key)
	}
	return s.render(c, status, "me", f, d)
}

func (s *Server) meData(c *fiber.Ctx, u *agora.User) (*meData, error) {
	ctx := c.UserContext()
	cons := consultationCache{st: s.store, m: map[int64]*agora.Consultation{}}
	d := &meData{}
	ps, _, err := s.store.ListProposals(ctx, agora.ProposalFilter{AuthorID: &u.ID, Limit: meListLimit})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		cn, err := cons.get(ctx, p.ConsultationID)
		if err != nil {
			return nil, err
		}
		d.Proposals = append(d.Proposals, myProposal{p, cn})
	}
	cs, err := s.store.ListComments(ctx, agora.CommentFilter{AuthorID: &u.ID})
	if err != nil {
		return nil, err
	}
	for _, cm := range cs {
		if cm.DeletedAt != nil || len(d.Comments) == meListLimit {
			continue
		}
		cn, err := cons.get(ctx, cm.ConsultationID)
		if err != nil {
			return nil, err
		}
		d.Comments = append(d.Comments, myComment{cm, cn})
	}
	if err := s.meCounts(ctx, u, d); err != nil {
		return nil, err
	}
	if d.Linkable, err = s.deviceParticipations(c, func(p *agora.Participant) bool { return p.UserID == nil }); err != nil {
		return nil, err
	}
	return d, nil
}

// meCounts fills the supports, votes and linked workshops.
func (s *Server) meCounts(ctx context.Context, u *agora.User, d *meData) error {
	xs, err := s.store.ListUserSupports(ctx, u.ID)
	if err != nil {
		return err
	}
	vs, err := s.store.ListUserVotes(ctx, u.ID)
	if err != nil {
		return err
	}
	d.Supports, d.Votes = len(xs), len(vs)
	parts, err := s.store.ListUserParticipants(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, p := range parts {
		w, err := s.store.WorkshopByID(ctx, p.WorkshopID)
		if err != nil {
			return err
		}
		d.Participations = append(d.Participations, myParticipation{p, w})
	}
	return nil
}

// consultationCache reads each consultation once per page.
type consultationCache struct {
	st agora.ConsultationStore
	m  map[int64]*agora.Consultation
}

func (cc consultationCache) get(ctx context.Context, id int64) (*agora.Consultation, error) {
	if c, ok := cc.m[id]; ok {
		return c, nil
	}
	c, err := cc.st.ConsultationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	cc.m[id] = c
	return c, nil
}

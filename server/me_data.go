package server

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// myData is the download of a person's data (GDPR article 20): their
// account without its password hash, and everything they contributed
// online or from a linked device. Field names are stable: people and
// tools read this file.
type myData struct {
	ExportedAt     time.Time           `json:"exported_at"`
	Account        myAccount           `json:"account"`
	Proposals      []myProposalJSON    `json:"proposals"`
	Comments       []myCommentJSON     `json:"comments"`
	Supports       []mySupportJSON     `json:"supports"`
	Votes          []myVoteJSON        `json:"votes"`
	Participations []myParticipantJSON `json:"workshop_participations"`
}

type myAccount struct {
	ID          int64      `json:"id"`
	Email       string     `json:"email"`
	DisplayName string     `json:"display_name"`
	Role        agora.Role `json:"role"`
	CreatedAt   time.Time  `json:"created_at"`
}

type myProposalJSON struct {
	ID             int64                `json:"id"`
	ConsultationID int64                `json:"consultation_id"`
	WorkshopID     *int64               `json:"workshop_id,omitempty"`
	ActivityID     *int64               `json:"activity_id,omitempty"`
	Channel        agora.Channel        `json:"channel"`
	Title          string               `json:"title,omitempty"`
	Body           string               `json:"body"`
	Category       string               `json:"category,omitempty"`
	Status         agora.ProposalStatus `json:"status"`
	Answer         agora.AnswerStatus   `json:"answer,omitempty"`
	AnswerText     string               `json:"answer_text,omitempty"`
	Supports       int                  `json:"supports"`
	CreatedAt      time.Time            `json:"created_at"`
	UpdatedAt      time.Time            `json:"updated_at"`
}

type myCommentJSON struct {
	ID             int64               `json:"id"`
	ConsultationID int64               `json:"consultation_id"`
	ProposalID     *int64              `json:"proposal_id,omitempty"`
	ActivityID     *int64              `json:"activity_id,omitempty"`
	ParentID       *int64              `json:"parent_id,omitempty"`
	Stance         agora.Stance        `json:"stance"`
	Body           string              `json:"body"`
	Status         agora.CommentStatus `json:"status"`
	CreatedAt      time.Time           `json:"created_at"`
	EditedAt       *time.Time          `json:"edited_at,omitempty"`
	DeletedAt      *time.Time          `json:"deleted_at,omitempty"`
}

type mySupportJSON struct {
	ProposalID int64         `json:"proposal_id"`
	Channel    agora.Channel `json:"channel"`
	CreatedAt  time.Time     `json:"created_at"`
}

type myVoteJSON struct {
	ActivityID int64         `json:"activity_id"`
	Channel    agora.Channel `json:"channel"`
	Choices    []int         `json:"choices,omitempty"`
	Words      []string      `json:"words,omitempty"`
	Value      *int          `json:"value,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

type myParticipantJSON struct {
	WorkshopID int64     `json:"workshop_id"`
	PublicID   string    `json:"public_id"`
	Nickname   string    `json:"nickname,omitempty"`
	JoinedAt   time.Time `json:"joined_at"`
}

// handleMyData sends the signed-in person's data as a JSON attachment.
func (s *Server) handleMyData(c *fiber.Ctx) error {
	d, err := s.collectMyData(c, s.mustUser(c))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return agora.WrapError(agora.EINTERNAL, "my data", err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="agora-mes-donnees.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

func (s *Server) collectMyData(c *fiber.Ctx, u *agora.User) (*myData, error) {
	ctx := c.UserContext()
	d := &myData{
		ExportedAt: s.now().UTC(),
		Account:    myAccount{u.ID, u.Email, u.DisplayName, u.Role, u.CreatedAt},
		// Empty lists, not null, for whoever reads the file.
		Proposals: []myProposalJSON{}, Comments: []myCommentJSON{}, Supports: []mySupportJSON{},
		Votes: []myVoteJSON{}, Participations: []myParticipantJSON{},
	}
	ps, _, err := s.store.ListProposals(ctx, agora.ProposalFilter{AuthorID: &u.ID})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		ch := agora.ChannelOnline
		if p.ParticipantID != nil {
			ch = agora.ChannelRoom
		}
		d.Proposals = append(d.Proposals, myProposalJSON{p.ID, p.ConsultationID, p.WorkshopID, p.ActivityID, ch,
			p.Title, p.Body, p.Category, p.Status, p.Answer, p.AnswerText, p.Supports(), p.CreatedAt, p.UpdatedAt})
	}
	cs, err := s.store.ListComments(ctx, agora.CommentFilter{AuthorID: &u.ID})
	if err != nil {
		return nil, err
	}
	for _, cm := range cs {
		d.Comments = append(d.Comments, myCommentJSON{cm.ID, cm.ConsultationID, cm.ProposalID, cm.ActivityID, cm.ParentID,
			cm.Stance, cm.Body, cm.Status, cm.CreatedAt, cm.EditedAt, cm.DeletedAt})
	}
	if err := s.collectMyActions(c, u, d); err != nil {
		return nil, err
	}
	return d, nil
}

// collectMyActions fills the supports, votes and linked devices.
func (s *Server) collectMyActions(c *fiber.Ctx, u *agora.User, d *myData) error {
	ctx := c.UserContext()
	xs, err := s.store.ListUserSupports(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, x := range xs {
		d.Supports = append(d.Supports, mySupportJSON{x.ProposalID, x.Channel, x.CreatedAt})
	}
	vs, err := s.store.ListUserVotes(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, v := range vs {
		d.Votes = append(d.Votes, myVoteJSON{v.ActivityID, v.Channel, v.Choices, v.Words, v.Value, v.CreatedAt, v.UpdatedAt})
	}
	parts, err := s.store.ListUserParticipants(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, p := range parts {
		d.Participations = append(d.Participations, myParticipantJSON{p.WorkshopID, p.PublicID, p.Nickname, p.CreatedAt})
	}
	return nil
}

package server

import (
	"context"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
)

// Events of a consultation's online pages (topic hub.ConsultationTopic),
// mirrored by EVENTS in web/static/js/live.js. Each is published after its
// change is committed; a page that misses one catches up on reload.
const (
	// EventComment carries CommentRef: a comment was added, edited,
	// deleted or restored. Pages fetch it as the reader sees it, so that
	// nothing the reader may not see travels on the topic.
	EventComment = "comment"
	// EventCommentVotes carries CommentVotes: a comment's new up and down
	// counts.
	EventCommentVotes = "comment_votes"
	// EventHidden carries ContentRef: a moderator hid a proposal or a
	// comment; every page drops it at once.
	EventHidden = "hidden"
	// EventRestored carries ContentRef: a moderator showed it again.
	EventRestored = "restored"
)

// CommentRef is the payload of EventComment.
type CommentRef struct {
	ID         int64        `json:"id"`
	ProposalID *int64       `json:"proposal_id,omitempty"`
	ActivityID *int64       `json:"activity_id,omitempty"`
	ParentID   *int64       `json:"parent_id,omitempty"`
	Stance     agora.Stance `json:"stance"`
}

// CommentVotes is the payload of EventCommentVotes.
type CommentVotes struct {
	ID   int64 `json:"id"`
	Up   int   `json:"up"`
	Down int   `json:"down"`
}

// ContentRef is the payload of EventHidden and EventRestored; Kind is
// "proposal" or "comment".
type ContentRef struct {
	Kind agora.TargetKind `json:"kind"`
	ID   int64            `json:"id"`
}

// publishOnline sends an event to a consultation's online pages. The
// change is committed already, so a failed publish is only logged: pages
// catch up on reload.
func (s *Server) publishOnline(ctx context.Context, consultationID int64, typ string, data any) {
	if s.hub == nil {
		return
	}
	if err := s.hub.Publish(context.WithoutCancel(ctx), hub.ConsultationTopic(consultationID), typ, data); err != nil {
		s.log.Warn("publish", "consultation", consultationID, "type", typ, "err", err)
	}
}

func commentRef(c *agora.Comment) CommentRef {
	return CommentRef{ID: c.ID, ProposalID: c.ProposalID, ActivityID: c.ActivityID, ParentID: c.ParentID, Stance: c.Stance}
}

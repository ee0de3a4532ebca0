package server

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// shownComment reads the comment of the :id parameter, with its
// consultation; a hidden or deleted comment is not found.
func (s *Server) shownComment(c *fiber.Ctx) (*agora.Comment, *agora.Consultation, error) {
	id, err := paramID(c, "error.comment_not_found")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.UserContext()
	cm, err := s.store.CommentByID(ctx, id)
	if err == nil && (cm.Status != agora.CommentVisible || cm.DeletedAt != nil) {
		err = agora.Errorf(agora.ENOTFOUND, "error.comment_not_found")
	}
	if err != nil {
		return nil, nil, notFoundAs(err, "error.comment_not_found")
	}
	cons, err := s.store.ConsultationByID(ctx, cm.ConsultationID)
	if err != nil {
		return nil, nil, err
	}
	return cm, cons, nil
}

// commentURL is the comment's place on its target's page.
func commentURL(cons *agora.Consultation, cm *agora.Comment) string {
	u := "/c/" + cons.Slug + "/a/" + strconv.FormatInt(ptrVal(cm.ActivityID), 10)
	if cm.ProposalID != nil {
		u = "/c/" + cons.Slug + "/p/" + strconv.FormatInt(*cm.ProposalID, 10)
	}
	return u + "#comment-" + strconv.FormatInt(cm.ID, 10)
}

func ptrVal(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// commentVoteValues maps the form's values to the store's.
var commentVoteValues = map[string]int{"up": 1, "down": -1, "none": 0}

// handleCommentVote records a citizen's up or down vote on a comment,
// replacing their earlier one ("none" withdraws it).
func (s *Server) handleCommentVote(c *fiber.Ctx) error {
	cm, cons, err := s.shownComment(c)
	if err != nil {
		return err
	}
	value, ok := commentVoteValues[c.FormValue("value")]
	if !ok {
		return agora.Errorf(agora.EINVALID, "error.comment_vote_value")
	}
	votes, err := s.voteComment(c.UserContext(), s.mustUser(c), cm, cons, value)
	if err != nil {
		return err
	}
	return s.debateDone(c, fiber.StatusOK, commentURL(cons, cm), votes)
}

func (s *Server) voteComment(ctx context.Context, u *agora.User, cm *agora.Comment, cons *agora.Consultation, value int) (CommentVotes, error) {
	if err := consultationOpenAt(cons, s.now()); err != nil {
		return CommentVotes{}, err
	}
	if cm.AuthorID == u.ID {
		return CommentVotes{}, agora.Errorf(agora.EFORBIDDEN, "error.vote_own_comment")
	}
	if err := s.limitPerMinute(ctx, map[string]int{"cvote:u:" + strconv.FormatInt(u.ID, 10): MaxCommentVotesPerMinute}); err != nil {
		return CommentVotes{}, err
	}
	if err := s.store.VoteComment(ctx, cm.ID, u.ID, value); err != nil {
		return CommentVotes{}, err
	}
	now, err := s.store.CommentByID(ctx, cm.ID)
	if err != nil {
		return CommentVotes{}, err
	}
	v := CommentVotes{ID: now.ID, Up: now.Up, Down: now.Down}
	s.publishOnline(ctx, cons.ID, EventCommentVotes, v)
	return v, nil
}

// handleCommentEdit lets the author rewrite a comment (and change its
// stance) within CommentEditWindow of posting it.
func (s *Server) handleCommentEdit(c *fiber.Ctx) error {
	cm, cons, err := s.shownComment(c)
	if err != nil {
		return err
	}
	u, now := s.mustUser(c), s.now()
	if cm.AuthorID != u.ID {
		return agora.Errorf(agora.EFORBIDDEN, "error.not_author")
	}
	if err := consultationOpenAt(cons, now); err != nil {
		return err
	}
	if now.Sub(cm.CreatedAt) > CommentEditWindow {
		return agora.Errorf(agora.ECONFLICT, "error.edit_window_over", int(CommentEditWindow.Minutes()))
	}
	if st := c.FormValue("stance"); st != "" {
		if !agora.Stance(st).Valid() {
			return agora.Errorf(agora.EINVALID, "error.stance_invalid")
		}
		cm.Stance = agora.Stance(st)
	}
	if cm.Body, err = cleanCommentBody(c.FormValue("body")); err != nil {
		return err
	}
	cm.EditedAt = &now
	if err := s.store.UpdateComment(c.UserContext(), cm); err != nil {
		return err
	}
	s.publishOnline(c.UserContext(), cons.ID, EventComment, commentRef(cm))
	return s.debateDone(c, fiber.StatusOK, commentURL(cons, cm), commentRef(cm))
}

// handleCommentDelete lets the author withdraw a comment, even once the
// consultation is closed: its text is erased, and its place is kept (as
// "deleted") only when it has replies.
func (s *Server) handleCommentDelete(c *fiber.Ctx) error {
	cm, cons, err := s.shownComment(c)
	if err != nil {
		return err
	}
	if cm.AuthorID != s.mustUser(c).ID {
		return agora.Errorf(agora.EFORBIDDEN, "error.not_author")
	}
	now := s.now()
	cm.DeletedAt, cm.Body = &now, ""
	if err := s.store.UpdateComment(c.UserContext(), cm); err != nil {
		return err
	}
	s.publishOnline(c.UserContext(), cons.ID, EventComment, commentRef(cm))
	return s.debateDone(c, fiber.StatusOK, commentURL(cons, cm), commentRef(cm))
}

// handleFlagComment reports a comment to the moderators.
func (s *Server) handleFlagComment(c *fiber.Ctx) error {
	cm, cons, err := s.shownComment(c)
	if err != nil {
		return err
	}
	if err := s.flag(c, cons, agora.TargetComment, cm.ID); err != nil {
		return err
	}
	back := "/c/" + cons.Slug + "/a/" + strconv.FormatInt(ptrVal(cm.ActivityID), 10)
	if cm.ProposalID != nil {
		back = "/c/" + cons.Slug + "/p/" + strconv.FormatInt(*cm.ProposalID, 10)
	}
	return s.debateDone(c, fiber.StatusCreated, back+"?flagged=1#comment-"+strconv.FormatInt(cm.ID, 10), fiber.Map{"flagged": true})
}

// handleFlagProposal reports a proposal to the moderators.
func (s *Server) handleFlagProposal(c *fiber.Ctx) error {
	t, err := s.proposalTargetOf(c)
	if err != nil {
		return err
	}
	if err := s.flag(c, t.Cons, agora.TargetProposal, t.id()); err != nil {
		return err
	}
	return s.debateDone(c, fiber.StatusCreated, t.url()+"?flagged=1", fiber.Map{"flagged": true})
}

// flag records the signed-in citizen's report with the form's reason.
// Reporting stays possible once a consultation is closed: its pages stay
// online, and so may content that breaks the law. A second report of the
// same content by the same person is refused with a message saying so.
func (s *Server) flag(c *fiber.Ctx, cons *agora.Consultation, kind agora.TargetKind, id int64) error {
	u, ctx := s.mustUser(c), c.UserContext()
	reason, err := cleanCommentBody(c.FormValue("reason"))
	if agora.ErrorMessage(err) == "error.comment_length" || err == nil && len([]rune(reason)) > agora.MaxFlagReasonLen {
		return agora.Errorf(agora.EINVALID, "error.flag_reason_length", agora.MaxFlagReasonLen)
	} else if err != nil {
		return err
	}
	if err := s.limitWindow(ctx, "flag:u:"+strconv.FormatInt(u.ID, 10), MaxFlagsPerWindow, "error.too_many_flags"); err != nil {
		return err
	}
	f := &agora.Flag{ConsultationID: cons.ID, TargetKind: kind, TargetID: id, ReporterID: u.ID, Reason: reason, CreatedAt: s.now()}
	err = s.store.CreateFlag(ctx, f)
	if agora.IsCode(err, agora.ECONFLICT) {
		return agora.WrapError(agora.ECONFLICT, "error.already_flagged", err)
	}
	return err
}

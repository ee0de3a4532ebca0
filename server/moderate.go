package server

import (
	"context"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// registerModerateRoutes registers the moderators' queue: reported
// content with its reports, hidden content, and the actions on both.
func (s *Server) registerModerateRoutes() {
	g := s.app.Group("/moderate", s.requireRole(agora.Role.CanModerate))
	g.Get("/", s.handleModerateQueue)
	g.Post("/:kind/:id/:action", s.handleModerateAction)
}

// Moderation actions on online content.
const (
	modHide    = "hide"    // withdraw from every page, with a reason
	modRestore = "restore" // show again, with a reason
	modDismiss = "dismiss" // close the reports, the content stays
)

// handleModerateAction hides, restores or dismisses the reports on a
// proposal or a comment, then goes back to the queue (or answers 204 to
// a script).
func (s *Server) handleModerateAction(c *fiber.Ctx) error {
	kind := agora.TargetKind(c.Params("kind"))
	if kind != agora.TargetProposal && kind != agora.TargetComment {
		return agora.Errorf(agora.ENOTFOUND, "error.page_not_found")
	}
	id, err := paramID(c, "error.not_found")
	if err != nil {
		return err
	}
	action := c.Params("action")
	if action != modHide && action != modRestore && action != modDismiss {
		return agora.Errorf(agora.ENOTFOUND, "error.page_not_found")
	}
	reason, err := cleanCommentBody(c.FormValue("reason"))
	if action != modDismiss && err != nil || len([]rune(reason)) > agora.MaxFlagReasonLen {
		return agora.Errorf(agora.EINVALID, "error.moderation_reason", agora.MaxFlagReasonLen)
	}
	if err := s.moderateContent(c.UserContext(), s.mustUser(c), kind, id, action, reason); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.SendStatus(fiber.StatusNoContent)
	}
	back := safeNext(c.FormValue("back"))
	if c.FormValue("back") == "" {
		back = "/moderate"
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// moderateContent applies action to the proposal or comment id: its
// status and reason, the reports on it resolved, an audit entry, all in
// one transaction; then every page of the consultation is told. A workshop
// idea goes through the engine, which also takes it off the projector and
// the phones.
func (s *Server) moderateContent(ctx context.Context, u *agora.User, kind agora.TargetKind, id int64, action, reason string) error {
	if kind == agora.TargetProposal {
		if err := s.moderateIdea(ctx, u, id, action); err != nil {
			return err
		}
	}
	var consID int64
	err := s.store.WithTx(ctx, func(tx agora.Store) error {
		var err error
		if consID, err = applyModeration(ctx, tx, kind, id, action, reason); err != nil {
			return err
		}
		if err := tx.ResolveFlags(ctx, kind, id, u.ID, s.now()); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]string{"reason": reason})
		return tx.AppendAudit(ctx, &agora.AuditEntry{At: s.now(), ActorID: &u.ID, Action: string(kind) + "." + action,
			TargetKind: kind, TargetID: id, ConsultationID: &consID, Detail: string(detail)})
	})
	if err != nil {
		return err
	}
	switch action {
	case modHide:
		s.publishOnline(ctx, consID, EventHidden, ContentRef{Kind: kind, ID: id})
	case modRestore:
		s.publishOnline(ctx, consID, EventRestored, ContentRef{Kind: kind, ID: id})
	}
	return nil
}

// moderateIdea hides or restores a workshop idea through the engine, which
// takes it off (or puts it back on) the projector and the phones, with its
// own audit entry. Other proposals are left to applyModeration.
func (s *Server) moderateIdea(ctx context.Context, u *agora.User, id int64, action string) error {
	p, err := s.store.ProposalByID(ctx, id)
	if err != nil {
		return notFoundAs(err, "error.proposal_not_found")
	}
	if p.WorkshopID == nil || p.ActivityID == nil {
		return nil
	}
	switch {
	case action == modHide && p.Status == agora.ProposalApproved:
		_, err = s.engine.Moderate(ctx, u, id, live.HideIdea)
	case action == modRestore && p.Status == agora.ProposalHidden:
		_, err = s.engine.Moderate(ctx, u, id, live.Approve)
	}
	return err
}

// applyModeration writes the new status and reason of the content, and
// returns its consultation.
func applyModeration(ctx context.Context, tx agora.Store, kind agora.TargetKind, id int64, action, reason string) (int64, error) {
	if kind == agora.TargetComment {
		cm, err := tx.CommentByID(ctx, id)
		if err != nil {
			return 0, notFoundAs(err, "error.comment_not_found")
		}
		switch action {
		case modHide:
			cm.Status, cm.HiddenReason = agora.CommentHidden, reason
		case modRestore:
			cm.Status, cm.HiddenReason = agora.CommentVisible, ""
		default:
			return cm.ConsultationID, nil
		}
		return cm.ConsultationID, tx.UpdateComment(ctx, cm)
	}
	p, err := tx.ProposalByID(ctx, id)
	if err != nil {
		return 0, notFoundAs(err, "error.proposal_not_found")
	}
	switch {
	case action == modHide && (p.Status == agora.ProposalApproved || p.Status == agora.ProposalHidden):
		p.Status, p.HiddenReason, p.Highlighted = agora.ProposalHidden, reason, false
	case action == modRestore && (p.Status == agora.ProposalHidden || p.Status == agora.ProposalApproved):
		p.Status, p.HiddenReason = agora.ProposalApproved, ""
	case action == modDismiss:
		return p.ConsultationID, nil
	default:
		return 0, agora.Errorf(agora.ECONFLICT, "error.moderation_conflict")
	}
	return p.ConsultationID, tx.UpdateProposal(ctx, p)
}

package server

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// Limits of the debate.
const (
	// CommentEditWindow is how long after posting an author may still
	// edit a comment: long enough to fix a typo, too short to rewrite an
	// argument others already answered.
	CommentEditWindow = 15 * time.Minute
	// CommentRateWindow and MaxCommentsPerWindow: comments (replies
	// included) one citizen may post per window.
	CommentRateWindow    = 10 * time.Minute
	MaxCommentsPerWindow = 10
	// MaxCommentVotesPerMinute is how many up or down votes one citizen may
	// cast (or change) per minute.
	MaxCommentVotesPerMinute = 60
	// MaxFlagsPerWindow is how many reports one citizen may send per
	// CommentRateWindow.
	MaxFlagsPerWindow = 20
)

// registerDebateRoutes registers the debate's commands. The comments
// themselves are shown by the pages of their target (proposal.go,
// online.go) through commentsView.
func (s *Server) registerDebateRoutes() {
	s.app.Post("/c/:slug/p/:id/comments", s.requireUser, s.handleProposalComment)
	s.app.Post("/c/:slug/a/:id/comments", s.requireUser, s.handleActivityComment)
	s.app.Post("/c/:slug/p/:id/flag", s.requireUser, s.handleFlagProposal)
	g := s.app.Group("/comments", s.requireUser)
	g.Post("/:id/vote", s.handleCommentVote)
	g.Post("/:id/edit", s.handleCommentEdit)
	g.Post("/:id/delete", s.handleCommentDelete)
	g.Post("/:id/flag", s.handleFlagComment)
}

// commentTarget is what a comment is about: a proposal or an activity of
// a consultation.
type commentTarget struct {
	Cons     *agora.Consultation
	Proposal *agora.Proposal // either this…
	Activity *agora.Activity // …or this
}

// proposalTarget and activityTarget build a commentTarget for the pages
// that show a debate (see commentsView).
func proposalTarget(cons *agora.Consultation, p *agora.Proposal) commentTarget {
	return commentTarget{Cons: cons, Proposal: p}
}

func activityTarget(cons *agora.Consultation, a *agora.Activity) commentTarget {
	return commentTarget{Cons: cons, Activity: a}
}

func (t commentTarget) kind() agora.TargetKind {
	if t.Proposal != nil {
		return agora.TargetProposal
	}
	return agora.TargetActivity
}

func (t commentTarget) id() int64 {
	if t.Proposal != nil {
		return t.Proposal.ID
	}
	return t.Activity.ID
}

// url is the page of the target.
func (t commentTarget) url() string {
	seg := "/a/"
	if t.Proposal != nil {
		seg = "/p/"
	}
	return "/c/" + t.Cons.Slug + seg + strconv.FormatInt(t.id(), 10)
}

func (t commentTarget) filter() agora.CommentFilter {
	if t.Proposal != nil {
		return agora.CommentFilter{ProposalID: &t.Proposal.ID}
	}
	return agora.CommentFilter{ActivityID: &t.Activity.ID}
}

// owns reports whether comment c is about this target.
func (t commentTarget) owns(c *agora.Comment) bool {
	if t.Proposal != nil {
		return c.ProposalID != nil && *c.ProposalID == t.Proposal.ID
	}
	return c.ActivityID != nil && *c.ActivityID == t.Activity.ID
}

// publicConsultation reads the consultation of the :slug parameter; a
// draft is not found.
func (s *Server) publicConsultation(c *fiber.Ctx) (*agora.Consultation, error) {
	cons, err := s.store.ConsultationBySlug(c.UserContext(), c.Params("slug"))
	if err == nil && cons.Status == agora.ConsultationDraft {
		err = agora.Errorf(agora.ENOTFOUND, "error.consultation_not_found")
	}
	return cons, notFoundAs(err, "error.consultation_not_found")
}

// paramID reads a positive :id parameter; anything else is not found.
func paramID(c *fiber.Ctx, key string) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, agora.Errorf(agora.ENOTFOUND, key)
	}
	return id, nil
}

// proposalTargetOf reads the visible proposal of /c/:slug/p/:id.
func (s *Server) proposalTargetOf(c *fiber.Ctx) (commentTarget, error) {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return commentTarget{}, err
	}
	id, err := paramID(c, "error.proposal_not_found")
	if err != nil {
		return commentTarget{}, err
	}
	p, err := s.store.ProposalByID(c.UserContext(), id)
	if err == nil && (p.ConsultationID != cons.ID || p.DeletedAt != nil || p.Status != agora.ProposalApproved) {
		err = agora.Errorf(agora.ENOTFOUND, "error.proposal_not_found")
	}
	if err != nil {
		return commentTarget{}, notFoundAs(err, "error.proposal_not_found")
	}
	return proposalTarget(cons, p), nil
}

// activityTargetOf reads the activity of /c/:slug/a/:id, which must belong
// to a workshop of the consultation.
func (s *Server) activityTargetOf(c *fiber.Ctx) (commentTarget, *agora.Workshop, error) {
	cons, err := s.publicConsultation(c)
	if err != nil {
		return commentTarget{}, nil, err
	}
	id, err := paramID(c, "error.activity_not_found")
	if err != nil {
		return commentTarget{}, nil, err
	}
	ctx := c.UserContext()
	a, err := s.store.ActivityByID(ctx, id)
	var w *agora.Workshop
	if err == nil {
		w, err = s.store.WorkshopByID(ctx, a.WorkshopID)
	}
	if err == nil && w.ConsultationID != cons.ID {
		err = agora.Errorf(agora.ENOTFOUND, "error.activity_not_found")
	}
	if err != nil {
		return commentTarget{}, nil, notFoundAs(err, "error.activity_not_found")
	}
	return activityTarget(cons, a), w, nil
}

// consultationOpenAt says whether citizens may still take part in cons at
// now: it is open and its closing date, if any, has not passed.
func consultationOpenAt(cons *agora.Consultation, now time.Time) error {
	if cons.Status != agora.ConsultationOpen || cons.ClosesAt != nil && !now.Before(*cons.ClosesAt) {
		return agora.Errorf(agora.ECONFLICT, "error.consultation_closed")
	}
	return nil
}

func (s *Server) handleProposalComment(c *fiber.Ctx) error {
	t, err := s.proposalTargetOf(c)
	if err != nil {
		return err
	}
	return s.postComment(c, t)
}

func (s *Server) handleActivityComment(c *fiber.Ctx) error {
	t, _, err := s.activityTargetOf(c)
	if err != nil {
		return err
	}
	return s.postComment(c, t)
}

// postComment is the form (and fetch) handler of a new comment or reply.
func (s *Server) postComment(c *fiber.Ctx, t commentTarget) error {
	in := commentInput{Stance: c.FormValue("stance"), Body: c.FormValue("body"), ParentID: c.FormValue("parent_id"),
		ClientKey: c.FormValue("client_key")}
	cm, err := s.createComment(c.UserContext(), s.mustUser(c), t, in)
	if err != nil {
		return err
	}
	return s.debateDone(c, fiber.StatusCreated, t.url()+"#comment-"+strconv.FormatInt(cm.ID, 10), commentRef(cm))
}

// commentInput is a comment as submitted.
type commentInput struct {
	Stance    string
	Body      string
	ParentID  string // empty for a top-level comment
	ClientKey string // makes a retried submission return the first comment; "" (an older page's form) does not
}

// createComment checks and stores a comment by u on t, then tells the
// consultation's pages. A reply to a reply joins the thread of its parent:
// there is one level of replies only. A submission whose client key u
// already used returns the comment stored the first time, without
// counting against the rate limit or telling the pages again, even once
// the consultation has closed: it was accepted while open.
func (s *Server) createComment(ctx context.Context, u *agora.User, t commentTarget, in commentInput) (*agora.Comment, error) {
	stance := agora.Stance(in.Stance)
	if !stance.Valid() {
		return nil, agora.Errorf(agora.EINVALID, "error.stance_invalid")
	}
	body, err := cleanCommentBody(in.Body)
	if err != nil {
		return nil, err
	}
	if err := checkClientKey(in.ClientKey); err != nil {
		return nil, err
	}
	cm := &agora.Comment{ConsultationID: t.Cons.ID, ProposalID: t.filter().ProposalID, ActivityID: t.filter().ActivityID,
		AuthorID: u.ID, ClientKey: in.ClientKey, Stance: stance, Body: body, Status: agora.CommentVisible, CreatedAt: s.now()}
	if prev, err := s.previousComment(ctx, t, cm, in); prev != nil || err != nil {
		return prev, err // a retry, even after the closing: the first submission counts
	}
	if err := consultationOpenAt(t.Cons, s.now()); err != nil {
		return nil, err
	}
	if in.ParentID != "" {
		if cm.ParentID, err = s.replyParent(ctx, t, in.ParentID); err != nil {
			return nil, err
		}
	}
	if err := s.limitWindow(ctx, "comment:u:"+strconv.FormatInt(u.ID, 10), MaxCommentsPerWindow, "error.too_many_comments"); err != nil {
		return nil, err
	}
	if err := s.store.CreateComment(ctx, cm); err != nil {
		if agora.IsCode(err, agora.ECONFLICT) && cm.ClientKey != "" { // the same key, concurrently: it won
			if prev, perr := s.previousComment(ctx, t, cm, in); prev != nil || perr != nil {
				return prev, perr
			}
		}
		return nil, err
	}
	s.publishOnline(ctx, t.Cons.ID, EventComment, commentRef(cm))
	return cm, nil
}

// previousComment returns the comment the author of cm already stored
// with cm's client key, or nil when there is none (or no key). A key
// reused for something else — another target, a reply instead of a
// comment, other words — is refused with ECONFLICT rather than answered
// with a comment the author did not mean: a page restored by the Back
// button keeps its key, and a second, edited submission from it must not
// vanish silently. Once the author edited or deleted the first comment,
// only its place is compared.
func (s *Server) previousComment(ctx context.Context, t commentTarget, cm *agora.Comment, in commentInput) (*agora.Comment, error) {
	prev, err := s.store.CommentByClientKey(ctx, cm.AuthorID, cm.ClientKey)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	same := t.owns(prev) && (prev.ParentID != nil) == (in.ParentID != "")
	if prev.EditedAt == nil && prev.DeletedAt == nil {
		same = same && prev.Stance == cm.Stance && prev.Body == cm.Body
	}
	if !same {
		return nil, agora.Errorf(agora.ECONFLICT, "error.client_key_reused")
	}
	return prev, nil
}

// replyParent returns the comment a reply attaches to: the one answered,
// or its own parent when that one is a reply already. The comment
// answered must be on the same target and shown.
func (s *Server) replyParent(ctx context.Context, t commentTarget, raw string) (*int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, agora.Errorf(agora.EINVALID, "error.parent_invalid")
	}
	p, err := s.store.CommentByID(ctx, id)
	if agora.IsCode(err, agora.ENOTFOUND) || err == nil && (!t.owns(p) || p.Status != agora.CommentVisible) {
		return nil, agora.Errorf(agora.EINVALID, "error.parent_invalid")
	} else if err != nil {
		return nil, err
	}
	if p.DeletedAt != nil {
		return nil, agora.Errorf(agora.ECONFLICT, "error.comment_deleted")
	}
	if p.ParentID != nil {
		return p.ParentID, nil
	}
	return &p.ID, nil
}

// limitWindow counts one action under key in CommentRateWindow and
// refuses it past limit, saying in how many minutes to come back.
func (s *Server) limitWindow(ctx context.Context, key string, limit int, msg string) error {
	now := s.now()
	n, err := s.store.Hit(ctx, key, CommentRateWindow, now)
	if err != nil {
		return err
	}
	if n > limit {
		wait := windowLeft(now, CommentRateWindow)
		return tooMany(msg, wait, int((wait+time.Minute-1)/time.Minute))
	}
	return nil
}

// cleanCommentBody returns the text of a comment as stored: plain text,
// newlines kept (blank lines make paragraphs), trimmed, 1 to
// MaxCommentLen characters. Control characters other than newlines and
// tabs, and bidirectional overrides, are refused.
func cleanCommentBody(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", agora.Errorf(agora.EINVALID, "error.text_invalid")
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return "", agora.Errorf(agora.EINVALID, "error.text_invalid")
		}
	}
	if n := utf8.RuneCountInString(s); n == 0 || n > agora.MaxCommentLen {
		return "", agora.Errorf(agora.EINVALID, "error.comment_length", agora.MaxCommentLen)
	}
	return s, nil
}

// debateDone answers a successful debate command: JSON to a script, 303 to
// the page otherwise.
func (s *Server) debateDone(c *fiber.Ctx, status int, url string, data any) error {
	if wantsJSON(c) {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(status).JSON(data)
	}
	return c.Redirect(url, fiber.StatusSeeOther)
}

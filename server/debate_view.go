package server

import (
	"context"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// commentsView is what the "comments" partial (web/templates/comments.html)
// shows: the debate of one proposal or activity, its arguments for and
// against side by side, neutral ones below, each with its replies.
type commentsView struct {
	Kind     agora.TargetKind // proposal or activity
	TargetID int64
	Slug     string
	Action   string // where a new comment is posted
	PageURL  string // the target's page, for sort links
	Sort     agora.CommentSort
	For      []*commentItem
	Against  []*commentItem
	Neutral  []*commentItem
	Total    int    // comments shown, replies included
	Open     bool   // the consultation takes comments
	Key      string // the new comment form's idempotency key, fresh on every render
	Flagged  bool   // the reader just reported something: say thanks
	User     *agora.User
	Moderate bool // the reader may hide comments
	CSRF     string
	MaxLen   int
	FlagMax  int
	EditMins int
}

// commentItem is one comment as a reader sees it. Gone is "deleted" or
// "hidden" for a comment kept only as the placeholder of its replies.
type commentItem struct {
	*agora.Comment
	Author   string
	Replies  []*commentItem
	Gone     string
	Mine     bool
	CanEdit  bool
	MyVote   int    // +1, -1 or 0
	ReplyKey string // the reply form's idempotency key, when the reader may reply
}

// commentsView gathers the debate of t for the reader of c. Sorting comes
// from ?sort=newest|best (best by default); replies are always in the
// order they were written. Hidden and deleted comments are left out, or
// shown as a placeholder when visible replies hang from them.
func (s *Server) commentsView(c *fiber.Ctx, t commentTarget) (commentsView, error) {
	ctx := c.UserContext()
	u, err := s.currentUser(c)
	if err != nil {
		return commentsView{}, err
	}
	token, err := s.csrfToken(c)
	if err != nil {
		return commentsView{}, err
	}
	v := commentsView{Kind: t.kind(), TargetID: t.id(), Slug: t.Cons.Slug, PageURL: t.url(), Action: t.url() + "/comments",
		Sort: agora.CommentsBest, Open: consultationOpenAt(t.Cons, s.now()) == nil, Flagged: c.Query("flagged") == "1",
		User: u, Moderate: u != nil && u.Role.CanModerate(), CSRF: token,
		MaxLen: agora.MaxCommentLen, FlagMax: agora.MaxFlagReasonLen, EditMins: int(CommentEditWindow.Minutes())}
	if v.Open && u != nil {
		// Each form of the page gets its own key, random per render (the
		// reply forms': this one and the comment's ID): resending a form (a
		// double click, a reload that posts again, a retry) sends the same
		// key and gets the first comment back, never a second one.
		v.Key = agora.NewSecret()
	}
	if c.Query("sort") == string(agora.CommentsNewest) {
		v.Sort = agora.CommentsNewest
	}
	f := t.filter()
	f.Sort = v.Sort
	all, err := s.store.ListComments(ctx, f)
	if err != nil {
		return commentsView{}, err
	}
	items, err := s.commentItems(ctx, all, u, v.Open, v.Key)
	if err != nil {
		return commentsView{}, err
	}
	v.place(all, items)
	return v, nil
}

// commentItems wraps each comment with its author's name and what the
// reader may do with it; keyBase, set when the reader may comment, makes
// the reply forms' keys.
func (s *Server) commentItems(ctx context.Context, all []*agora.Comment, u *agora.User, open bool, keyBase string) (map[int64]*commentItem, error) {
	names := map[int64]string{}
	var myVotes map[int64]int
	if u != nil && len(all) > 0 {
		ids := make([]int64, len(all))
		for i, cm := range all {
			ids[i] = cm.ID
		}
		var err error
		if myVotes, err = s.store.CommentVotesByUser(ctx, u.ID, ids); err != nil {
			return nil, err
		}
	}
	now := s.now()
	items := make(map[int64]*commentItem, len(all))
	for _, cm := range all {
		name, ok := names[cm.AuthorID]
		if !ok {
			author, err := s.store.UserByID(ctx, cm.AuthorID)
			if err != nil && !agora.IsCode(err, agora.ENOTFOUND) {
				return nil, err
			}
			if err == nil && author.DeletedAt == nil {
				name = author.DisplayName
			}
			names[cm.AuthorID] = name
		}
		it := &commentItem{Comment: cm, Author: name, MyVote: myVotes[cm.ID]}
		switch {
		case cm.DeletedAt != nil:
			it.Gone = "deleted"
		case cm.Status != agora.CommentVisible:
			it.Gone = "hidden"
		}
		it.Mine = u != nil && u.ID == cm.AuthorID
		it.CanEdit = it.Mine && it.Gone == "" && open && now.Sub(cm.CreatedAt) <= CommentEditWindow
		if keyBase != "" && cm.ParentID == nil && it.Gone == "" {
			it.ReplyKey = keyBase + "-r" + strconv.FormatInt(cm.ID, 10) // at most 26+2+19 characters
		}
		items[cm.ID] = it
	}
	return items, nil
}

// place puts the shown comments in their columns, in the store's order,
// and the replies under their parents, oldest first.
func (v *commentsView) place(all []*agora.Comment, items map[int64]*commentItem) {
	for i := len(all) - 1; i >= 0; i-- { // the store lists newest first
		cm := all[i]
		if cm.ParentID == nil || items[cm.ID].Gone != "" {
			continue
		}
		if p, ok := items[*cm.ParentID]; ok {
			p.Replies = append(p.Replies, items[cm.ID])
			v.Total++
		}
	}
	for _, it := range items {
		slices.SortFunc(it.Replies, func(a, b *commentItem) int { return a.CreatedAt.Compare(b.CreatedAt) })
	}
	for _, cm := range all {
		it := items[cm.ID]
		if cm.ParentID != nil || it.Gone != "" && len(it.Replies) == 0 {
			continue
		}
		if it.Gone != "" {
			it.Body = "" // a placeholder shows nothing of what was said
		} else {
			v.Total++
		}
		switch cm.Stance {
		case agora.StanceFor:
			v.For = append(v.For, it)
		case agora.StanceAgainst:
			v.Against = append(v.Against, it)
		default:
			v.Neutral = append(v.Neutral, it)
		}
	}
}

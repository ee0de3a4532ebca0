package live

import (
	"context"
	"time"

	"github.com/agora-civic/agora"
)

// RoomState is a snapshot of a workshop for one audience, ready for JSON:
// sent on connect, after a sequence gap, and as EventState. What an
// audience may not see is left out, not hidden by the client: the screen
// token is for facilitators only, unmoderated ideas too, and hidden results
// reach participants and the screen only once revealed.
type RoomState struct {
	Now      time.Time    `json:"now"` // lets clients count a timer down despite their clock
	Audience Audience     `json:"audience"`
	Workshop WorkshopView `json:"workshop"`
	// Activities is the run of show, for facilitators only.
	Activities []ActivityView `json:"activities,omitempty"`
	// Current is the current activity, null before the first.
	Current *ActivityView `json:"current"`
	// Tally is the current activity's results, when the audience may see them.
	Tally        *agora.Tally `json:"tally,omitempty"`
	Participants int          `json:"participants"`
	// Ideas are the current ideas activity's, newest first: all of them with
	// their status for facilitators, the approved ones (and a participant's
	// own) for the others.
	Ideas       []IdeaView `json:"ideas,omitempty"`
	Highlighted *IdeaView  `json:"highlighted,omitempty"`
	// Me is what the participant asking did in the current activity.
	Me *Me `json:"me,omitempty"`
}

// WorkshopView is a workshop as its audiences see it.
type WorkshopView struct {
	ID                int64               `json:"id"`
	ConsultationID    int64               `json:"consultation_id"`
	Title             string              `json:"title"`
	Place             string              `json:"place,omitempty"`
	State             agora.WorkshopState `json:"state"`
	JoinCode          string              `json:"join_code"`
	ScreenToken       string              `json:"screen_token,omitempty"` // facilitators only
	CurrentActivityID *int64              `json:"current_activity_id"`
	StartsAt          *time.Time          `json:"starts_at,omitempty"`
}

// ActivityView is an activity as its audiences see it.
type ActivityView struct {
	ID             int64                  `json:"id"`
	Position       int                    `json:"position"`
	Kind           agora.ActivityKind     `json:"kind"`
	Prompt         string                 `json:"prompt"`
	Options        []agora.Option         `json:"options,omitempty"`
	Settings       agora.ActivitySettings `json:"settings"`
	State          agora.ActivityState    `json:"state"`
	Revealed       bool                   `json:"revealed"`
	ResultsVisible bool                   `json:"results_visible"` // to participants and the screen
	Round          int                    `json:"round"`
	OpenedAt       *time.Time             `json:"opened_at,omitempty"`
	ClosesAt       *time.Time             `json:"closes_at,omitempty"`
	ClosedAt       *time.Time             `json:"closed_at,omitempty"`
}

// IdeaView is a workshop idea as its audiences see it; Supports is zero for
// participants and the screen while results are hidden.
type IdeaView struct {
	ID          int64                `json:"id"`
	ActivityID  int64                `json:"activity_id"`
	Body        string               `json:"body"`
	Status      agora.ProposalStatus `json:"status"`
	Highlighted bool                 `json:"highlighted"`
	Supports    int                  `json:"supports"`
	Mine        bool                 `json:"mine,omitempty"`
	CreatedAt   time.Time            `json:"created_at"`
}

// Me is a participant's own part in the current activity.
type Me struct {
	ID       int64      `json:"id"`
	Nickname string     `json:"nickname,omitempty"`
	Vote     *VoteView  `json:"vote,omitempty"`
	Supports []int64    `json:"supports,omitempty"` // ideas supported
	Ideas    []IdeaView `json:"ideas,omitempty"`    // own ideas, whatever their status
}

// VoteView is a participant's current answer.
type VoteView struct {
	ActivityID int64     `json:"activity_id"`
	Choices    []int     `json:"choices,omitempty"`
	Words      []string  `json:"words,omitempty"`
	Value      *int      `json:"value,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// State returns the snapshot of workshop w for an audience; p is the
// participant asking, for Participants (nil in what is broadcast). The
// caller has checked that the viewer belongs to the audience: a signed-in
// facilitator, the holder of the screen token, or a participant of w.
func (e *Engine) State(ctx context.Context, w *agora.Workshop, aud Audience, p *agora.Participant) (*RoomState, error) {
	return e.state(ctx, w, aud, p, -1)
}

// state is State with the workshop's participant count already read when
// participants is not negative: publishState counts once for all the
// audiences, and at 10,000 participants one count took 3 ms of the time
// before a command reaches the room.
func (e *Engine) state(ctx context.Context, w *agora.Workshop, aud Audience, p *agora.Participant, participants int) (*RoomState, error) {
	if !aud.Valid() {
		return nil, agora.Errorf(agora.EINVALID, "error.audience_invalid")
	}
	if p != nil && (aud != Participants || p.WorkshopID != w.ID) {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	}
	s := &RoomState{Now: e.now(), Audience: aud, Workshop: workshopView(w, aud)}
	cur, err := e.runOfShow(ctx, w, s)
	if err != nil {
		return nil, err
	}
	if s.Participants = participants; participants < 0 {
		if s.Participants, err = e.st.CountParticipants(ctx, w.ID); err != nil {
			return nil, err
		}
	}
	if cur == nil {
		return s, nil
	}
	v := activityView(cur)
	s.Current = &v
	if aud == Facilitators || cur.ResultsVisible() {
		if s.Tally, err = e.current(ctx, cur); err != nil {
			return nil, err
		}
	}
	if p != nil {
		s.Me = &Me{ID: p.ID, Nickname: p.Nickname}
	}
	if cur.Kind == agora.KindIdeas {
		return s, e.ideasState(ctx, cur, s, p)
	}
	if p != nil {
		return s, e.myVote(ctx, cur, s.Me, p)
	}
	return s, nil
}

// runOfShow fills the facilitators' run of show and returns the current
// activity, nil when there is none.
func (e *Engine) runOfShow(ctx context.Context, w *agora.Workshop, s *RoomState) (*agora.Activity, error) {
	if s.Audience != Facilitators {
		if w.CurrentActivityID == nil {
			return nil, nil
		}
		a, err := e.st.ActivityByID(ctx, *w.CurrentActivityID)
		if agora.IsCode(err, agora.ENOTFOUND) {
			return nil, nil // deleted meanwhile
		}
		return a, err
	}
	run, err := e.st.ListActivities(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	var cur *agora.Activity
	s.Activities = make([]ActivityView, len(run))
	for i, a := range run {
		s.Activities[i] = activityView(a)
		if w.CurrentActivityID != nil && a.ID == *w.CurrentActivityID {
			cur = a
		}
	}
	return cur, nil
}

// ideasState fills the ideas of the current ideas activity.
func (e *Engine) ideasState(ctx context.Context, a *agora.Activity, s *RoomState, p *agora.Participant) error {
	id := a.ID
	ps, _, err := e.st.ListProposals(ctx, agora.ProposalFilter{ActivityID: &id, Sort: agora.SortNewest})
	if err != nil {
		return err
	}
	staffView, counts := s.Audience == Facilitators, s.Audience == Facilitators || a.ResultsVisible()
	for _, idea := range ps {
		v := ideaView(idea)
		if !counts {
			v.Supports = 0
		}
		mine := p != nil && idea.ParticipantID != nil && *idea.ParticipantID == p.ID
		approved := idea.Status == agora.ProposalApproved
		if mine {
			v.Mine = true
			s.Me.Ideas = append(s.Me.Ideas, v)
		}
		if approved && idea.Highlighted {
			h := v
			s.Highlighted = &h
		}
		if staffView || approved {
			s.Ideas = append(s.Ideas, v)
		}
		if p != nil && approved {
			if err := e.mySupport(ctx, idea, s.Me, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// mySupport notes whether p supports idea.
// TODO(store): one query per idea; a SupportsOf(activityID, participantID)
// store method would make it one per snapshot.
func (e *Engine) mySupport(ctx context.Context, idea *agora.Proposal, me *Me, p *agora.Participant) error {
	ok, err := e.st.HasSupport(ctx, &agora.Support{ProposalID: idea.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom})
	if ok {
		me.Supports = append(me.Supports, idea.ID)
	}
	return err
}

// myVote fills the participant's vote in the current activity.
func (e *Engine) myVote(ctx context.Context, a *agora.Activity, me *Me, p *agora.Participant) error {
	if !a.Kind.Votable() {
		return nil
	}
	v, err := e.st.VoteByParticipant(ctx, a.ID, p.ID)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	me.Vote = &VoteView{ActivityID: v.ActivityID, Choices: v.Choices, Words: v.Words, Value: v.Value, UpdatedAt: v.UpdatedAt}
	return nil
}

func workshopView(w *agora.Workshop, aud Audience) WorkshopView {
	v := WorkshopView{ID: w.ID, ConsultationID: w.ConsultationID, Title: w.Title, Place: w.Place,
		State: w.State, JoinCode: w.JoinCode, CurrentActivityID: w.CurrentActivityID, StartsAt: w.StartsAt}
	if aud == Facilitators {
		v.ScreenToken = w.ScreenToken
	}
	return v
}

func activityView(a *agora.Activity) ActivityView {
	return ActivityView{ID: a.ID, Position: a.Position, Kind: a.Kind, Prompt: a.Prompt, Options: a.Options,
		Settings: a.Settings, State: a.State, Revealed: a.Revealed, ResultsVisible: a.ResultsVisible(),
		Round: a.Round, OpenedAt: a.OpenedAt, ClosesAt: a.ClosesAt, ClosedAt: a.ClosedAt}
}

func ideaView(p *agora.Proposal) IdeaView {
	v := IdeaView{ID: p.ID, Body: p.Body, Status: p.Status, Highlighted: p.Highlighted,
		Supports: p.Supports(), CreatedAt: p.CreatedAt}
	if p.ActivityID != nil {
		v.ActivityID = *p.ActivityID
	}
	return v
}

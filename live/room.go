package live

import (
	"context"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agora-civic/agora"
)

// Limits on participants' requests.
const (
	// MaxIdeasPerMinute is how many ideas one participant may submit per
	// minute; a retry with the same client key does not count.
	MaxIdeasPerMinute = 5
	// MaxClientKeyLen bounds the idempotency key of a submission.
	MaxClientKeyLen = 64
	// maxDeviceTokenLen bounds a device token; the server issues
	// agora.NewSecret tokens, far shorter.
	maxDeviceTokenLen = 256
	// voterStripes is the number of locks ordering voters' own votes.
	voterStripes = 1024
)

// Join admits a device to the workshop of a join code (as typed: it is
// normalised) and returns the workshop and its participant. The same device
// token always gets the same participant; a non-empty nickname replaces the
// one it had. Only a hash of the token is stored.
func (e *Engine) Join(ctx context.Context, code, deviceToken, nickname string) (*agora.Workshop, *agora.Participant, error) {
	c := agora.NormalizeJoinCode(code)
	if c == "" {
		return nil, nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	}
	if deviceToken == "" || len(deviceToken) > maxDeviceTokenLen {
		return nil, nil, agora.Errorf(agora.EINVALID, "error.device_token_invalid")
	}
	nick, err := agora.NormalizeNickname(nickname)
	if err != nil {
		return nil, nil, err
	}
	w, err := e.st.WorkshopByCode(ctx, c)
	if err != nil {
		return nil, nil, notFound(err, "error.workshop_not_found")
	}
	if w.State == agora.WorkshopEnded {
		return nil, nil, agora.Errorf(agora.ECONFLICT, "error.workshop_ended")
	}
	p, created, err := e.participant(ctx, w, agora.HashToken(deviceToken), nick)
	if err != nil {
		return nil, nil, err
	}
	if created {
		e.publishPresence(ctx, w.ID)
	}
	return w, p, nil
}

// participant finds or creates the participant of a device in w.
func (e *Engine) participant(ctx context.Context, w *agora.Workshop, hash, nick string) (*agora.Participant, bool, error) {
	for attempt := 0; ; attempt++ {
		p, err := e.st.ParticipantByToken(ctx, w.ID, hash)
		if err == nil {
			if nick != "" && nick != p.Nickname {
				p.Nickname = nick
				err = e.st.UpdateParticipant(ctx, p)
			}
			return p, false, err
		}
		if !agora.IsCode(err, agora.ENOTFOUND) {
			return nil, false, err
		}
		p = &agora.Participant{WorkshopID: w.ID, TokenHash: hash, PublicID: agora.NewSecret(), Nickname: nick}
		err = e.st.CreateParticipant(ctx, p)
		if !agora.IsCode(err, agora.ECONFLICT) || attempt > 0 {
			return p, err == nil, err
		}
		// The same device joined twice at once: read the winner's participant.
	}
}

// publishPresence sends the workshop's participant count to this node's
// sockets and to the peers, which send it to theirs.
func (e *Engine) publishPresence(ctx context.Context, workshopID int64) {
	n, err := e.st.CountParticipants(ctx, workshopID)
	if err != nil {
		e.log.Warn("live: count participants", "workshop", workshopID, "err", err)
		return
	}
	e.publishPresenceEvent(workshopID, n)
	e.tell(workshopID, peerMessage{Presence: &PresenceEvent{WorkshopID: workshopID, Participants: n}})
}

// VoteInput is a participant's answer; only the field of the activity's kind
// is read.
type VoteInput struct {
	Choices []int    `json:"choices,omitempty"` // poll: option IDs
	Words   []string `json:"words,omitempty"`   // word cloud
	Value   *int     `json:"value,omitempty"`   // scale
}

// Vote records a participant's answer to a poll, word cloud or scale of
// their workshop, replacing their earlier one: a retry or a change never
// counts twice. It returns the stored vote.
func (e *Engine) Vote(ctx context.Context, p *agora.Participant, activityID int64, in VoteInput) (*agora.Vote, error) {
	if err := joined(p); err != nil {
		return nil, err
	}
	a, w, err := e.answerable(ctx, p, activityID)
	if err != nil {
		return nil, err
	}
	return e.VoteOn(ctx, p, a, w, in)
}

// VoteOn is Vote for a caller that has read the activity and the
// participant's workshop (the vote API does, to find the device's
// participant, or takes its node's recent copy of them): reading them
// again for every vote would double its reads. The vote is checked again
// against the stored activity just before it is written (CheckVotes), so
// a copy that is a little stale does not let it into an activity closed
// before it was cast.
func (e *Engine) VoteOn(ctx context.Context, p *agora.Participant, a *agora.Activity, w *agora.Workshop, in VoteInput) (*agora.Vote, error) {
	v, err := e.roomVote(p, a, w, in)
	if err != nil {
		return nil, err
	}
	if !e.checkedAtCommit {
		if err := e.CheckVotes(ctx, []*agora.Vote{v})[0]; err != nil {
			return nil, err
		}
	}
	lt, err := e.tally(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := e.commitVote(ctx, lt, p.ID, w.ID, v); err != nil {
		return nil, err
	}
	return v, nil
}

// commitVote stores v, counts it in lt (when nil, in the tally held once v
// is committed: one not held reads the store when it loads) and tells the
// peers. One voter's votes commit and apply in order, so the tally ends on
// the vote the store kept; other voters are not held up. voter numbers the
// voter: a participant, or a user negated (they are numbered apart).
func (e *Engine) commitVote(ctx context.Context, lt *liveTally, voter, workshopID int64, v *agora.Vote) error {
	mu := e.voterLock(v.ActivityID, voter)
	mu.Lock()
	if _, err := e.st.PutVote(ctx, v); err != nil {
		mu.Unlock()
		return err
	}
	if lt == nil {
		lt = e.tallies.get(v.ActivityID)
	}
	if lt != nil {
		e.applyVote(lt, cloneVote(v))
	}
	mu.Unlock()
	// The peers order one voter's votes by UpdatedAt, so they need not
	// arrive in order, and the voter's next vote need not wait for this.
	e.tell(workshopID, peerMessage{Vote: v})
	return nil
}

// CheckVote says whether VoteOn would take this vote on a and w as given,
// without storing anything.
func (e *Engine) CheckVote(p *agora.Participant, a *agora.Activity, w *agora.Workshop, in VoteInput) error {
	_, err := e.roomVote(p, a, w, in)
	return err
}

// roomVote is the vote of p on a in w, or why the rules refuse it.
func (e *Engine) roomVote(p *agora.Participant, a *agora.Activity, w *agora.Workshop, in VoteInput) (*agora.Vote, error) {
	if err := joined(p); err != nil {
		return nil, err
	}
	if a.WorkshopID != p.WorkshopID || w.ID != p.WorkshopID {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.activity_not_found")
	}
	now := e.now()
	if err := agora.CanVote(w, a, now); err != nil {
		return nil, err
	}
	v := &agora.Vote{ActivityID: a.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom, CastAt: now}
	switch a.Kind {
	case agora.KindPoll:
		v.Choices = in.Choices
	case agora.KindWordCloud:
		v.Words = trimWords(in.Words)
	case agora.KindScale:
		v.Value = in.Value
	}
	if err := agora.ValidateVote(a, v); err != nil {
		return nil, err
	}
	return v, nil
}

// answerable reads an activity and the participant's workshop; an activity
// of another workshop is not found.
func (e *Engine) answerable(ctx context.Context, p *agora.Participant, activityID int64) (*agora.Activity, *agora.Workshop, error) {
	a, err := e.st.ActivityByID(ctx, activityID)
	if err != nil {
		return nil, nil, notFound(err, "error.activity_not_found")
	}
	if a.WorkshopID != p.WorkshopID {
		return nil, nil, agora.Errorf(agora.ENOTFOUND, "error.activity_not_found")
	}
	w, err := e.st.WorkshopByID(ctx, p.WorkshopID)
	if err != nil {
		return nil, nil, notFound(err, "error.workshop_not_found")
	}
	return a, w, nil
}

func trimWords(words []string) []string {
	var out []string
	for _, w := range words {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

var voterSeed = maphash.MakeSeed()

func (e *Engine) voterLock(activityID, participantID int64) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(voterSeed)
	h.WriteString(strconv.FormatInt(activityID, 36) + ":" + strconv.FormatInt(participantID, 36))
	return &e.voters[h.Sum64()%voterStripes]
}

// SubmitIdea records a participant's idea in an ideas activity of their
// workshop. A retry with the same client key returns the first idea. With
// premoderation the idea waits, pending, and only the facilitators see it.
func (e *Engine) SubmitIdea(ctx context.Context, p *agora.Participant, activityID int64, body, clientKey string) (*agora.Proposal, error) {
	if err := joined(p); err != nil {
		return nil, err
	}
	if len(clientKey) > MaxClientKeyLen {
		return nil, agora.Errorf(agora.EINVALID, "error.client_key_invalid", MaxClientKeyLen)
	}
	if prev, err := e.previousIdea(ctx, p, activityID, clientKey); prev != nil || err != nil {
		return prev, err
	}
	a, w, err := e.answerable(ctx, p, activityID)
	if err != nil {
		return nil, err
	}
	if err := agora.CanSubmitIdea(w, a, e.now()); err != nil {
		return nil, err
	}
	text, err := agora.ValidateIdea(body)
	if err != nil {
		return nil, err
	}
	if err := e.limitIdeas(ctx, p); err != nil {
		return nil, err
	}
	idea := &agora.Proposal{ConsultationID: w.ConsultationID, WorkshopID: &w.ID, ActivityID: &a.ID,
		ParticipantID: &p.ID, ClientKey: clientKey, Body: text, Status: agora.ProposalApproved}
	if idea.ClientKey == "" {
		idea.ClientKey = agora.NewSecret() // keys are unique per author: never store ""
	}
	if a.Settings.Premoderation {
		idea.Status = agora.ProposalPending
	}
	if err := e.st.CreateProposal(ctx, idea); err != nil {
		if agora.IsCode(err, agora.ECONFLICT) && clientKey != "" { // a concurrent retry won
			return e.previousIdea(ctx, p, activityID, clientKey)
		}
		return nil, err
	}
	e.ideaChanged(ctx, idea)
	e.publish(context.WithoutCancel(ctx), FacilitatorsTopic(w.ID), EventIdea, ideaView(idea))
	e.publishIdea(ctx, idea, false)
	return idea, nil
}

// previousIdea returns the idea a participant already submitted with key,
// or nil, nil.
func (e *Engine) previousIdea(ctx context.Context, p *agora.Participant, activityID int64, key string) (*agora.Proposal, error) {
	if key == "" {
		return nil, nil
	}
	prev, err := e.st.ProposalByClientKey(ctx, &p.ID, nil, key)
	switch {
	case agora.IsCode(err, agora.ENOTFOUND):
		return nil, nil
	case err != nil:
		return nil, err
	case prev.ActivityID == nil || *prev.ActivityID != activityID:
		return nil, agora.Errorf(agora.ECONFLICT, "error.client_key_reused")
	}
	return prev, nil
}

// limitIdeas counts a submission against the participant's minute.
func (e *Engine) limitIdeas(ctx context.Context, p *agora.Participant) error {
	n, err := e.st.Hit(ctx, "ideas:p:"+strconv.FormatInt(p.ID, 10), time.Minute, e.now())
	if err != nil {
		return err
	}
	if n > MaxIdeasPerMinute {
		return agora.Errorf(agora.ETOOMANY, "error.too_many_ideas", MaxIdeasPerMinute)
	}
	return nil
}

// ideaChanged feeds a new or moderated idea into its activity's tally,
// here and on the peers.
func (e *Engine) ideaChanged(ctx context.Context, idea *agora.Proposal) {
	if idea.ActivityID == nil || idea.WorkshopID == nil {
		return
	}
	if lt := e.tallies.get(*idea.ActivityID); lt != nil {
		e.applyIdea(lt, idea)
	}
	e.tell(*idea.WorkshopID, peerMessage{Idea: idea})
}

// publishIdea sends an idea to participants and the screen when it is
// approved, or tells them to drop it when it no longer is.
func (e *Engine) publishIdea(ctx context.Context, idea *agora.Proposal, wasVisible bool) {
	ctx = context.WithoutCancel(ctx)
	wid := *idea.WorkshopID
	v := ideaView(idea)
	visible := idea.Status == agora.ProposalApproved
	for _, aud := range []Audience{Participants, Screen} {
		switch {
		case visible:
			e.publish(ctx, Topic(wid, aud), EventIdea, v)
		case wasVisible:
			e.publish(ctx, Topic(wid, aud), EventIdeaRemoved, IdeaRef{ID: idea.ID, ActivityID: *idea.ActivityID})
		}
	}
}

// Support records a participant's support of an approved idea of their
// workshop, once: supporting twice does nothing.
func (e *Engine) Support(ctx context.Context, p *agora.Participant, ideaID int64) error {
	return e.support(ctx, p, ideaID, true)
}

// Unsupport withdraws a participant's support; withdrawing twice does nothing.
func (e *Engine) Unsupport(ctx context.Context, p *agora.Participant, ideaID int64) error {
	return e.support(ctx, p, ideaID, false)
}

func (e *Engine) support(ctx context.Context, p *agora.Participant, ideaID int64, add bool) error {
	if err := joined(p); err != nil {
		return err
	}
	idea, err := e.st.ProposalByID(ctx, ideaID)
	if err != nil {
		return notFound(err, "error.idea_not_found")
	}
	if idea.WorkshopID == nil || *idea.WorkshopID != p.WorkshopID || idea.ActivityID == nil ||
		idea.DeletedAt != nil || idea.Status != agora.ProposalApproved {
		return agora.Errorf(agora.ENOTFOUND, "error.idea_not_found")
	}
	a, w, err := e.answerable(ctx, p, *idea.ActivityID)
	if err != nil {
		return err
	}
	if err := agora.CanSupport(w, a, e.now()); err != nil {
		return err
	}
	lt, err := e.tally(ctx, a)
	if err != nil {
		return err
	}
	s := &agora.Support{ProposalID: idea.ID, ParticipantID: &p.ID, Channel: agora.ChannelRoom}
	var changed bool
	if add {
		changed, err = e.st.AddSupport(ctx, s)
	} else {
		changed, err = e.st.RemoveSupport(ctx, s)
	}
	if err != nil || !changed {
		return err
	}
	e.applySupport(lt, idea.ID, s.Channel, add)
	e.tell(w.ID, peerMessage{Support: &supportChange{ActivityID: a.ID, Support: s, Added: add}})
	return nil
}

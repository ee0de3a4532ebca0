package report

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// The seed's secrets: text that must appear nowhere in an export.
var secrets = []string{
	"SECRET-REJECTED-IDEA", "SECRET-HIDDEN-IDEA", "SECRET-PENDING-IDEA", "SECRET-HIDDEN-PROPOSAL",
	"SECRET-DELETED-PROPOSAL", "SECRET-HIDDEN-COMMENT", "SECRET-DELETED-COMMENT", "SECRET-ORPHAN-REPLY",
	"SECRET-COMMENT-ON-HIDDEN", "SECRET-RESET-ROUND",
	"@example.org", "Alice Martin", "Bob Durand", "Carol Petit", "Dave Leroy", "Eve Moreau", "Frank Hidden", "Grace Commente",
	"public-id-", "token-hash-",
}

// seeded is a consultation with known numbers, and the IDs the tests need.
type seeded struct {
	st   agora.Store
	cons *agora.Consultation
	w1   *agora.Workshop
	w2   *agora.Workshop

	users    map[string]int64           // by first name
	parts    map[string]int64           // p1…p7
	acts     map[string]*agora.Activity // poll, scale, cloud, ideas, reset, empty
	props    map[string]int64           // i1…i5 ideas, P1…P4 proposals
	cmts     map[string]int64           // c1…c9
	votesOn  map[time.Time]int          // votes by the day the store stamped them
	lastVote time.Time                  // the last write the store stamped: the report's LastChange
}

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC)
}

func ptr[T any](v T) *T { return &v }

// seed writes the consultation "Plan vélo":
//
//   - workshop 1 (ended; started 10 March 18:05, ended 20:00), 5 devices
//     (p1 chose the nickname "Zoé"): a poll (room 3/2/0, reopened online
//     where it got 1/4/0), a 0–10 scale (8, 6, 10), a word cloud with case
//     and accent variants, an ideas wall with pre-moderation (2 approved, 1
//     rejected, 1 hidden, 1 pending; room and online supports), and a poll
//     reset once (its first round discarded, one vote since);
//   - workshop 2 (draft, planned 20 March), 2 devices (p7 "=Marc"), one
//     poll nobody answered;
//   - online: proposals P1 (3 supports, accepted), P2 (1 support), P3
//     hidden, P4 deleted; comments for/against/neutral on P1, a reply, a
//     hidden comment and its reply, a deleted one, one on hidden P3, one
//     on the poll.
func seed(t *testing.T, st agora.Store) *seeded {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s := &seeded{st: st, users: map[string]int64{}, parts: map[string]int64{}, acts: map[string]*agora.Activity{},
		props: map[string]int64{}, cmts: map[string]int64{}}

	for _, name := range []string{"Alice Martin", "Bob Durand", "Carol Petit", "Dave Leroy", "Eve Moreau", "Frank Hidden", "Grace Commente"} {
		first := strings.Fields(name)[0]
		u := &agora.User{Email: first + "@example.org", DisplayName: name, Role: agora.RoleCitizen, CreatedAt: at(1, 8, 0)}
		must(st.CreateUser(ctx, u))
		s.users[first] = u.ID
	}
	s.cons = &agora.Consultation{Slug: "plan-velo", Title: "Plan vélo", Description: "Un **plan** pour le vélo.",
		Status: agora.ConsultationOpen, OpensAt: ptr(at(1, 8, 0)), ClosesAt: ptr(time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC)),
		SupportThreshold: 3, CreatedAt: at(1, 7, 0)}
	must(st.CreateConsultation(ctx, s.cons))
	cid := s.cons.ID

	s.w1 = &agora.Workshop{ConsultationID: cid, Title: "Atelier mairie", Place: "Salle des fêtes", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopEnded, StartsAt: ptr(at(10, 18, 0)), CreatedAt: at(2, 9, 0)}
	must(st.CreateWorkshop(ctx, s.w1))
	s.w2 = &agora.Workshop{ConsultationID: cid, Title: "Atelier quartier", Place: "École Jaurès", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopDraft, StartsAt: ptr(at(20, 18, 0)), CreatedAt: at(2, 9, 5)}
	must(st.CreateWorkshop(ctx, s.w2))

	for i, nick := range []string{"Zoé", "", "", "", "", "", "=Marc"} {
		w, when := s.w1, at(10, 18, i)
		if i >= 5 {
			w, when = s.w2, at(20, 18, i)
		}
		name := "p" + strconv.Itoa(i+1)
		p := &agora.Participant{WorkshopID: w.ID, TokenHash: "token-hash-" + name, PublicID: "public-id-" + name,
			Nickname: nick, CreatedAt: when}
		if i == 0 {
			p.UserID = ptr(s.users["Alice"]) // a linked device stays "r-" in the open data
		}
		must(st.CreateParticipant(ctx, p))
		s.parts[name] = p.ID
	}

	activity := func(key string, w *agora.Workshop, a *agora.Activity) *agora.Activity {
		a.WorkshopID, a.State, a.CreatedAt = w.ID, agora.ActivityClosed, at(2, 10, len(s.acts))
		must(st.CreateActivity(ctx, a))
		a.OpenedAt, a.ClosedAt = ptr(at(10, 18, 10+len(s.acts))), ptr(at(10, 18, 20+len(s.acts)))
		must(st.UpdateActivity(ctx, a))
		s.acts[key] = a
		return a
	}
	poll := activity("poll", s.w1, &agora.Activity{Kind: agora.KindPoll, Prompt: "Quel aménagement d'abord ?",
		Options:  []agora.Option{{ID: 1, Label: "Pistes cyclables"}, {ID: 2, Label: "Stationnement"}, {ID: 3, Label: "-Zones 30"}},
		Settings: agora.ActivitySettings{MaxChoices: 1}})
	scale := activity("scale", s.w1, &agora.Activity{Kind: agora.KindScale, Prompt: "Votre envie de pédaler",
		Settings: agora.ActivitySettings{ScaleMin: 0, ScaleMax: 10}})
	cloud := activity("cloud", s.w1, &agora.Activity{Kind: agora.KindWordCloud, Prompt: "Un mot ?",
		Settings: agora.ActivitySettings{MaxWords: 3}})
	ideas := activity("ideas", s.w1, &agora.Activity{Kind: agora.KindIdeas, Prompt: "Vos idées",
		Settings: agora.ActivitySettings{Premoderation: true}})
	reset := activity("reset", s.w1, &agora.Activity{Kind: agora.KindPoll, Prompt: "On garde ?",
		Options: []agora.Option{{ID: 1, Label: "Oui"}, {ID: 2, Label: "Non"}}, Settings: agora.ActivitySettings{MaxChoices: 1}})
	activity("empty", s.w2, &agora.Activity{Kind: agora.KindPoll, Prompt: "Quel jour ?",
		Options: []agora.Option{{ID: 1, Label: "Samedi"}, {ID: 2, Label: "Dimanche"}}, Settings: agora.ActivitySettings{MaxChoices: 1}})
	// The poll was reopened online until 15 April.
	poll.OnlineUntil = ptr(time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC))
	must(st.UpdateActivity(ctx, poll))

	room := func(a *agora.Activity, p string, v agora.Vote) agora.Vote {
		v.ActivityID, v.ParticipantID, v.Channel = a.ID, ptr(s.parts[p]), agora.ChannelRoom
		_, err := st.PutVote(ctx, &v)
		must(err)
		s.voteDay(v)
		return v
	}
	online := func(a *agora.Activity, u string, v agora.Vote) {
		v.ActivityID, v.UserID, v.Channel = a.ID, ptr(s.users[u]), agora.ChannelOnline
		_, err := st.PutVote(ctx, &v)
		must(err)
		s.voteDay(v)
	}
	for p, c := range map[string]int{"p1": 1, "p2": 1, "p3": 1, "p4": 2, "p5": 2} {
		room(poll, p, agora.Vote{Choices: []int{c}})
	}
	for u, c := range map[string]int{"Alice": 1, "Bob": 2, "Carol": 2, "Dave": 2, "Eve": 2} {
		online(poll, u, agora.Vote{Choices: []int{c}})
	}
	room(scale, "p1", agora.Vote{Value: ptr(8)})
	room(scale, "p2", agora.Vote{Value: ptr(6)})
	room(scale, "p3", agora.Vote{Value: ptr(10)})
	room(cloud, "p1", agora.Vote{Words: []string{"Vélo", "École"}})
	room(cloud, "p2", agora.Vote{Words: []string{"vélo"}})
	room(cloud, "p3", agora.Vote{Words: []string{"VELO", "arbres"}})
	// The first round of the reset poll is discarded.
	for _, p := range []string{"p1", "p2"} {
		v := room(reset, p, agora.Vote{Choices: []int{1}})
		s.votesOn[day(v.CreatedAt)]-- // the discarded round does not count
	}
	var err error
	s.acts["reset"], err = st.ResetActivity(ctx, reset.ID, &agora.AuditEntry{At: at(10, 19, 0), Action: "activity.reset",
		ConsultationID: &cid, Detail: `{"note":"SECRET-RESET-ROUND"}`})
	must(err)
	reset = s.acts["reset"]
	room(reset, "p1", agora.Vote{Choices: []int{2}})

	prop := func(key string, p *agora.Proposal) {
		p.ConsultationID, p.ClientKey = cid, key
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = p.CreatedAt
		}
		must(st.CreateProposal(ctx, p))
		s.props[key] = p.ID
	}
	idea := func(key, author, body string, status agora.ProposalStatus, minute int) {
		prop(key, &agora.Proposal{WorkshopID: &s.w1.ID, ActivityID: &ideas.ID, ParticipantID: ptr(s.parts[author]),
			Body: body, Status: status, CreatedAt: at(10, 18, 30+minute)})
	}
	idea("i1", "p1", "Des arceaux devant l'école", agora.ProposalApproved, 0)
	idea("i2", "p2", "Une rue scolaire", agora.ProposalApproved, 1)
	idea("i3", "p3", "SECRET-REJECTED-IDEA", agora.ProposalRejected, 2)
	idea("i4", "p4", "SECRET-HIDDEN-IDEA", agora.ProposalHidden, 3)
	idea("i5", "p5", "SECRET-PENDING-IDEA", agora.ProposalPending, 4)
	// The hidden idea's reason.
	i4, err := st.ProposalByID(ctx, s.props["i4"])
	must(err)
	i4.HiddenReason = "hors sujet"
	must(st.UpdateProposal(ctx, i4))

	online1 := func(key, author, title string, status agora.ProposalStatus, d int) *agora.Proposal {
		p := &agora.Proposal{AuthorID: ptr(s.users[author]), Title: title, Body: "Corps de " + title,
			Category: "Pistes", Status: status, CreatedAt: at(d, 12, 0)}
		prop(key, p)
		return p
	}
	p1 := online1("P1", "Alice", "Piste rue Victor Hugo", agora.ProposalApproved, 12)
	p1.Answer, p1.AnswerText, p1.AnsweredAt = agora.AnswerAccepted, "Sera réalisé en 2027", ptr(at(25, 10, 0))
	p1.UpdatedAt = at(25, 10, 0)
	must(st.UpdateProposal(ctx, p1))
	online1("P2", "Bob", "+Parking vélos gare", agora.ProposalApproved, 13)
	p3 := online1("P3", "Frank", "SECRET-HIDDEN-PROPOSAL", agora.ProposalHidden, 13)
	p3.HiddenReason = "hors sujet"
	must(st.UpdateProposal(ctx, p3))
	p4 := online1("P4", "Frank", "SECRET-DELETED-PROPOSAL", agora.ProposalApproved, 13)
	p4.DeletedAt = ptr(at(14, 8, 0))
	must(st.UpdateProposal(ctx, p4))

	support := func(prop string, who string, when time.Time) {
		sp := &agora.Support{ProposalID: s.props[prop], CreatedAt: when}
		if id, ok := s.parts[who]; ok {
			sp.ParticipantID, sp.Channel = &id, agora.ChannelRoom
		} else {
			sp.UserID, sp.Channel = ptr(s.users[who]), agora.ChannelOnline
		}
		_, err := st.AddSupport(ctx, sp)
		must(err)
	}
	support("i1", "p2", at(10, 18, 40))
	support("i1", "p3", at(10, 18, 41))
	support("i2", "p1", at(10, 18, 42))
	support("i4", "p5", at(10, 18, 43)) // on a hidden idea: left out
	for i, u := range []string{"Bob", "Carol", "Dave"} {
		support("P1", u, at(14, 9, i))
	}
	support("P2", "Alice", at(14, 10, 0))
	support("i1", "Alice", at(14, 11, 0))
	support("P3", "Alice", at(14, 12, 0)) // on a hidden proposal: left out

	comment := func(key string, c *agora.Comment) {
		c.ConsultationID = cid
		if c.Status == "" {
			c.Status = agora.CommentVisible
		}
		must(st.CreateComment(ctx, c))
		s.cmts[key] = c.ID
	}
	onP1 := ptr(s.props["P1"])
	comment("c1", &agora.Comment{ProposalID: onP1, AuthorID: s.users["Bob"], Stance: agora.StanceFor, Body: "Oui !", CreatedAt: at(15, 9, 0)})
	comment("c2", &agora.Comment{ProposalID: onP1, AuthorID: s.users["Carol"], Stance: agora.StanceAgainst, Body: "Trop cher", CreatedAt: at(15, 9, 1)})
	comment("c3", &agora.Comment{ProposalID: onP1, AuthorID: s.users["Dave"], Stance: agora.StanceNeutral, Body: "À voir", CreatedAt: at(15, 9, 2)})
	comment("c4", &agora.Comment{ProposalID: onP1, AuthorID: s.users["Frank"], Stance: agora.StanceAgainst, Body: "SECRET-HIDDEN-COMMENT",
		Status: agora.CommentHidden, HiddenReason: "propos injurieux", CreatedAt: at(15, 9, 3)})
	comment("c5", &agora.Comment{ProposalID: onP1, AuthorID: s.users["Eve"], Stance: agora.StanceFor, Body: "SECRET-DELETED-COMMENT",
		CreatedAt: at(15, 9, 4), DeletedAt: ptr(at(15, 10, 0))})
	comment("c6", &agora.Comment{ProposalID: onP1, ParentID: ptr(s.cmts["c1"]), AuthorID: s.users["Alice"], Stance: agora.StanceFor,
		Body: "Merci", CreatedAt: at(16, 9, 0), EditedAt: ptr(at(16, 9, 30))})
	comment("c7", &agora.Comment{ProposalID: onP1, ParentID: ptr(s.cmts["c4"]), AuthorID: s.users["Frank"], Stance: agora.StanceAgainst,
		Body: "SECRET-ORPHAN-REPLY", CreatedAt: at(16, 9, 1)})
	comment("c8", &agora.Comment{ProposalID: ptr(s.props["P3"]), AuthorID: s.users["Frank"], Stance: agora.StanceFor,
		Body: "SECRET-COMMENT-ON-HIDDEN", CreatedAt: at(16, 9, 2)})
	comment("c9", &agora.Comment{ActivityID: &poll.ID, AuthorID: s.users["Grace"], Stance: agora.StanceNeutral,
		Body: "Bonne question", CreatedAt: at(16, 9, 3)})
	// A deleted comment keeps its row: mark it the way the server does.
	c5, err := st.CommentByID(ctx, s.cmts["c5"])
	must(err)
	if c5.DeletedAt == nil {
		c5.DeletedAt = ptr(at(15, 10, 0))
		must(st.UpdateComment(ctx, c5))
	}

	audit := func(action string, kind agora.TargetKind, target int64, w *agora.Workshop, when time.Time, detail string) {
		must(st.AppendAudit(ctx, &agora.AuditEntry{At: when, Action: action, TargetKind: kind, TargetID: target,
			ConsultationID: &cid, WorkshopID: &w.ID, Detail: detail}))
	}
	audit("workshop.start", agora.TargetWorkshop, s.w1.ID, s.w1, at(10, 18, 5), "")
	audit("workshop.end", agora.TargetWorkshop, s.w1.ID, s.w1, at(10, 20, 0), "")
	audit("activity.online", agora.TargetActivity, poll.ID, s.w1, at(11, 9, 0), `{"online_until":"2026-04-15T00:00:00Z"}`)
	return s
}

// voteDay counts a vote on the day the store stamped it, and remembers it
// as the last write.
func (s *seeded) voteDay(v agora.Vote) {
	if s.votesOn == nil {
		s.votesOn = map[time.Time]int{}
	}
	s.votesOn[day(v.CreatedAt)]++
	s.lastVote = v.UpdatedAt.UTC()
}

package server

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// maxWordBars is how many words of a word cloud a phone lists.
const maxWordBars = 20

// participantPage is what participant.html draws: the engine's state for
// one participant, arranged for the template.
type participantPage struct {
	Code     string
	Workshop live.WorkshopView
	Nickname string
	Current  *live.ActivityView
	// Signature changes whenever the phone must redraw the activity (a new
	// question, opened, closed, revealed, reset); participant.js compares it.
	Signature string
	Open      bool // the current activity takes answers
	Voted     bool // the participant answered the current activity

	InputType string // poll: "radio" or "checkbox"
	Options   []choiceInput
	Scale     []choiceInput
	Words     []wordInput // word cloud: one per input, the participant's own words first

	Ideas     []ideaItem // approved ideas, newest first
	MyPending []ideaItem // own ideas awaiting moderation
	IdeaBody  string
	// FmtSupports are the one and other forms of "{0} supports", for
	// participant.js to count in the page's language.
	FmtSupports []string
	MaxIdeaLen  int

	Results *resultsView // nil while hidden

	VoteKey string // fresh idempotency keys for the no-JavaScript forms
	IdeaKey string
	Done    string
}

type choiceInput struct {
	Value   int
	Label   string
	Checked bool
}

type ideaItem struct {
	ID        int64
	Body      string
	Supports  int
	Supported bool
	Mine      bool
}

// resultsView is a tally as bars: each with its number and percentage as
// text, so that the result never rests on colour or length alone.
type resultsView struct {
	Voters int
	Bars   []bar
	Mean   string // scale only
	// FmtVoters and FmtBar are the plural forms participant.js fills.
	FmtVoters []string
	FmtBar    []string
}

type wordInput struct {
	N     int // 1-based, for the label
	Value string
}

type bar struct {
	Key     string
	Label   string
	Count   int
	Percent int
}

// participantView arranges a participant's state for the template.
func (s *Server) participantView(lang string, st *live.RoomState, f participantForm) *participantPage {
	pg := &participantPage{Code: st.Workshop.JoinCode, Workshop: st.Workshop, Current: st.Current,
		MaxIdeaLen: agora.MaxIdeaLen, IdeaBody: f.Idea, Done: f.Done,
		FmtSupports: s.web.Catalog().Forms(lang, "participant.supports"),
		VoteKey:     agora.NewSecret(), IdeaKey: agora.NewSecret()}
	if st.Me != nil {
		pg.Nickname = st.Me.Nickname
	}
	a := st.Current
	if a == nil {
		pg.Signature = string(st.Workshop.State)
		return pg
	}
	pg.Signature = fmt.Sprintf("%s:%d:%s:%t:%d", st.Workshop.State, a.ID, a.State, a.ResultsVisible, a.Round)
	pg.Open = a.State == agora.ActivityOpen && (a.ClosesAt == nil || st.Now.Before(*a.ClosesAt))
	var vote *live.VoteView
	if st.Me != nil && st.Me.Vote != nil && st.Me.Vote.ActivityID == a.ID {
		vote, pg.Voted = st.Me.Vote, true
	}
	switch a.Kind {
	case agora.KindPoll:
		pg.pollInputs(a, vote)
	case agora.KindScale:
		pg.scaleInputs(a, vote)
	case agora.KindWordCloud:
		for i := range max(a.Settings.MaxWords, 1) {
			w := wordInput{N: i + 1}
			if vote != nil && i < len(vote.Words) {
				w.Value = vote.Words[i]
			}
			pg.Words = append(pg.Words, w)
		}
	case agora.KindIdeas:
		pg.ideas(st)
	}
	if st.Tally != nil && a.ResultsVisible {
		pg.Results = s.resultsOf(lang, a, st.Tally)
	}
	return pg
}

func (pg *participantPage) pollInputs(a *live.ActivityView, vote *live.VoteView) {
	pg.InputType = "radio"
	if a.Settings.MaxChoices > 1 {
		pg.InputType = "checkbox"
	}
	for _, o := range a.Options {
		pg.Options = append(pg.Options, choiceInput{Value: o.ID, Label: o.Label,
			Checked: vote != nil && slices.Contains(vote.Choices, o.ID)})
	}
}

func (pg *participantPage) scaleInputs(a *live.ActivityView, vote *live.VoteView) {
	for v := a.Settings.ScaleMin; v <= a.Settings.ScaleMax; v++ {
		pg.Scale = append(pg.Scale, choiceInput{Value: v, Label: fmt.Sprint(v),
			Checked: vote != nil && vote.Value != nil && *vote.Value == v})
	}
}

func (pg *participantPage) ideas(st *live.RoomState) {
	var supported []int64
	if st.Me != nil {
		supported = st.Me.Supports
		for _, i := range st.Me.Ideas {
			if i.Status == agora.ProposalPending {
				pg.MyPending = append(pg.MyPending, ideaItem{ID: i.ID, Body: i.Body, Mine: true})
			}
		}
	}
	for _, i := range st.Ideas {
		if i.Status != agora.ProposalApproved {
			continue
		}
		pg.Ideas = append(pg.Ideas, ideaItem{ID: i.ID, Body: i.Body, Supports: i.Supports,
			Supported: slices.Contains(supported, i.ID), Mine: i.Mine})
	}
}

// resultsOf turns a tally into bars; ideas show their supports in the
// list of ideas instead.
func (s *Server) resultsOf(lang string, a *live.ActivityView, t *agora.Tally) *resultsView {
	cat := s.web.Catalog()
	r := &resultsView{Voters: t.Voters, FmtVoters: cat.Forms(lang, "participant.voters"), FmtBar: cat.Forms(lang, "participant.bar")}
	switch {
	case t.Options != nil || a.Kind == agora.KindPoll:
		for _, o := range t.Options {
			r.Bars = append(r.Bars, bar{Key: fmt.Sprint(o.ID), Label: o.Label, Count: o.Count, Percent: percent(o.Count, t.Voters)})
		}
	case t.Scale != nil:
		for i, n := range t.Scale.Distribution {
			v := fmt.Sprint(t.Scale.Min + i)
			r.Bars = append(r.Bars, bar{Key: v, Label: v, Count: n, Percent: percent(n, t.Scale.Count)})
		}
		if t.Scale.Count > 0 {
			mean := fmt.Sprintf("%.1f", t.Scale.Mean)
			if lang == "fr" {
				mean = strings.Replace(mean, ".", ",", 1)
			}
			r.Mean = s.web.T(lang, "participant.mean", mean)
		}
	case a.Kind == agora.KindWordCloud:
		for i, w := range t.Words {
			if i == maxWordBars {
				break
			}
			r.Bars = append(r.Bars, bar{Key: w.Key, Label: w.Label, Count: w.Count, Percent: percent(w.Count, t.Voters)})
		}
	default:
		return nil
	}
	return r
}

// percent is n of total, rounded to a whole number (0 of nobody).
func percent(n, total int) int {
	if total <= 0 {
		return 0
	}
	return int(math.Round(float64(n) * 100 / float64(total)))
}

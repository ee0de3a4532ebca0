package server

import (
	"math"
	"strconv"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// roomResults is a tally ready for the dashboard and the projector: bars
// for a poll or a scale, sized words for a cloud, ranked ideas.
type roomResults struct {
	Kind     agora.ActivityKind
	Round    int
	Total    int // voters; approved ideas for an ideas activity
	Visible  bool
	Bars     []resultBar
	Words    []cloudWord
	Mean     string // scale
	ScaleMin int
	ScaleMax int
	Ideas    []agora.IdeaCount
}

// resultBar is one poll option or one value of a scale. Percent is of the
// voters, rounded; the bar's width is the same figure.
type resultBar struct {
	ID      int
	Label   string
	Count   int
	Percent int
}

// cloudWord is one word of a cloud; Size goes from 1 (rare) to 6 (most
// frequent), for CSS classes.
type cloudWord struct {
	Label string
	Count int
	Size  int
}

// newRoomResults shapes tally t of activity a; a nil tally (hidden from this
// audience) gives nil.
func newRoomResults(a *live.ActivityView, t *agora.Tally) *roomResults {
	if t == nil {
		return nil
	}
	r := &roomResults{Kind: a.Kind, Round: t.Round, Total: t.Voters, Visible: a.ResultsVisible, Ideas: t.Ideas}
	switch a.Kind {
	case agora.KindPoll:
		for _, o := range t.Options {
			r.Bars = append(r.Bars, resultBar{ID: o.ID, Label: o.Label, Count: o.Count, Percent: int(math.Round(o.Percent))})
		}
	case agora.KindWordCloud:
		r.Words = sizedWords(t.Words)
	case agora.KindScale:
		r.scale(a, t.Scale)
	case agora.KindIdeas:
		r.Total = len(t.Ideas)
	}
	return r
}

func (r *roomResults) scale(a *live.ActivityView, sc *agora.ScaleResult) {
	r.ScaleMin, r.ScaleMax = a.Settings.ScaleMin, a.Settings.ScaleMax
	if sc == nil {
		return
	}
	r.ScaleMin, r.ScaleMax = sc.Min, sc.Max
	for i, n := range sc.Distribution {
		r.Bars = append(r.Bars, resultBar{ID: sc.Min + i, Label: strconv.Itoa(sc.Min + i), Count: n, Percent: percentOf(n, sc.Count)})
	}
	if sc.Count > 0 {
		r.Mean = strconv.FormatFloat(sc.Mean, 'f', 1, 64)
	}
}

func percentOf(n, total int) int {
	if total == 0 {
		return 0
	}
	return int(math.Round(float64(n) * 100 / float64(total)))
}

// maxCloudWords caps the words drawn: beyond, a cloud is unreadable.
const maxCloudWords = 40

// sizedWords gives each word a size class by its frequency relative to the
// most frequent word.
func sizedWords(ws []agora.WordCount) []cloudWord {
	if len(ws) > maxCloudWords {
		ws = ws[:maxCloudWords]
	}
	top := 1
	for _, w := range ws {
		top = max(top, w.Count)
	}
	out := make([]cloudWord, len(ws))
	for i, w := range ws {
		out[i] = cloudWord{Label: w.Label, Count: w.Count, Size: 1 + int(math.Round(5*float64(w.Count)/float64(top)))}
		out[i].Size = min(max(out[i].Size, 1), 6)
	}
	return out
}

package server

import (
	"context"
	"strconv"

	"github.com/agora-civic/agora"
)

// resultTable is an activity's results in three columns: the room, online
// and both together. Each row is an option, a value of a scale, a word or
// an idea.
type resultTable struct {
	Kind   agora.ActivityKind
	Room   int // voters (supports for ideas) in each column
	Online int
	All    int
	Rows   []resultRow
	Mean   [3]string // a scale's mean: room, online, together ("" without votes)
}

// resultRow is one line of a resultTable; percentages are of the voters
// of their column.
type resultRow struct {
	Label                      string
	Room, Online, All          int
	RoomPct, OnlinePct, AllPct int
}

// activityResults is an activity's results as its page lists them.
func (s *Server) activityResults(ctx context.Context, a *agora.Activity) (*resultTable, error) {
	t, err := s.tallyOf(ctx, a)
	if err != nil {
		return nil, err
	}
	if a.Kind == agora.KindIdeas {
		return ideasTable(t), nil
	}
	return votesTable(t), nil
}

func ideasTable(t agora.Tally) *resultTable {
	r := &resultTable{Kind: t.Kind}
	for _, i := range t.Ideas {
		r.Rows = append(r.Rows, resultRow{Label: i.Body, Room: i.SupportsRoom, Online: i.SupportsOnline, All: i.Supports})
	}
	return r
}

// votesTable lines up the total with its room and online parts.
func votesTable(t agora.Tally) *resultTable {
	room, online := t.Room, t.Online
	if room == nil {
		room = &agora.Tally{}
	}
	if online == nil {
		online = &agora.Tally{}
	}
	r := &resultTable{Kind: t.Kind, Room: room.Voters, Online: online.Voters, All: t.Voters}
	row := func(label string, nr, no, na int) {
		r.Rows = append(r.Rows, resultRow{Label: label, Room: nr, Online: no, All: na,
			RoomPct: percent(nr, r.Room), OnlinePct: percent(no, r.Online), AllPct: percent(na, r.All)})
	}
	switch {
	case t.Kind == agora.KindPoll:
		for i, o := range t.Options {
			row(o.Label, optionCount(room, i), optionCount(online, i), o.Count)
		}
	case t.Kind == agora.KindScale && t.Scale != nil:
		for i, n := range t.Scale.Distribution {
			row(strconv.Itoa(t.Scale.Min+i), distCount(room.Scale, i), distCount(online.Scale, i), n)
		}
		r.Mean = [3]string{scaleMean(room.Scale), scaleMean(online.Scale), scaleMean(t.Scale)}
	case t.Kind == agora.KindWordCloud:
		for i, w := range t.Words {
			if i == maxCloudWords {
				break
			}
			row(w.Label, wordCount(room, w.Key), wordCount(online, w.Key), w.Count)
		}
	}
	return r
}

func optionCount(t *agora.Tally, i int) int {
	if i < len(t.Options) {
		return t.Options[i].Count
	}
	return 0
}

func distCount(sc *agora.ScaleResult, i int) int {
	if sc == nil || i >= len(sc.Distribution) {
		return 0
	}
	return sc.Distribution[i]
}

func scaleMean(sc *agora.ScaleResult) string {
	if sc == nil || sc.Count == 0 {
		return ""
	}
	return strconv.FormatFloat(sc.Mean, 'f', 1, 64)
}

func wordCount(t *agora.Tally, key string) int {
	for _, w := range t.Words {
		if w.Key == key {
			return w.Count
		}
	}
	return 0
}

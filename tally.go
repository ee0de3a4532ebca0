package agora

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Tally is the result of an activity, ready to be sent as JSON to the
// screen, the phones and the facilitator, and written into the report.
//
// Only the field of the activity's kind is set: Options for a poll, Words for
// a word cloud, Scale for a scale, Ideas for an ideas activity. Voters counts
// the votes taken into account (zero for ideas, which have supports instead).
//
// Room and Online split the same votes by Channel, each a Tally of its own
// (with no further split); the total is the whole Tally. They are set for
// the kinds people vote on; ideas carry the split on each idea instead.
// A vote of an unknown channel counts in the total only.
type Tally struct {
	ActivityID int64         `json:"activity_id"`
	Kind       ActivityKind  `json:"kind"`
	Round      int           `json:"round"` // lets clients drop a tally that predates a reset
	Voters     int           `json:"voters"`
	Options    []OptionCount `json:"options,omitempty"`
	Words      []WordCount   `json:"words,omitempty"`
	Scale      *ScaleResult  `json:"scale,omitempty"`
	Ideas      []IdeaCount   `json:"ideas,omitempty"`
	Room       *Tally        `json:"room,omitempty"`
	Online     *Tally        `json:"online,omitempty"`
}

// OptionCount is how many voters chose one option of a poll. Percent is of
// voters, to one decimal, so a multiple-choice poll may add up to over 100.
type OptionCount struct {
	ID      int     `json:"id"`
	Label   string  `json:"label"`
	Count   int     `json:"count"`
	Percent float64 `json:"percent"`
}

// WordCount is one group of a word cloud: the voters whose entries share a
// key (see NormalizeWord), shown under the spelling typed most often; a tie
// goes to the spelling that sorts first. Tally.Words lists the most frequent
// groups first, and groups of equal count in alphabetical order of key.
type WordCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ScaleResult is the distribution of a scale's answers. Distribution[i]
// counts the answers Min+i; Mean is rounded to two decimals.
type ScaleResult struct {
	Min          int     `json:"min"`
	Max          int     `json:"max"`
	Distribution []int   `json:"distribution"`
	Mean         float64 `json:"mean"`
	Count        int     `json:"count"`
}

// IdeaCount is one approved idea with its supports.
type IdeaCount struct {
	ID             int64  `json:"id"`
	Body           string `json:"body"`
	Supports       int    `json:"supports"`
	SupportsRoom   int    `json:"supports_room"`
	SupportsOnline int    `json:"supports_online"`
	Highlighted    bool   `json:"highlighted"`
}

// TallyVotes counts votes of a poll, word cloud or scale. It runs the live
// Counter over the votes, so a snapshot and the live updates before it can
// never disagree. Nil votes are skipped.
func TallyVotes(a *Activity, votes []*Vote) Tally {
	c := NewCounter(a)
	for _, v := range votes {
		if v != nil {
			c.Apply(nil, v)
		}
	}
	return c.Tally()
}

// TallyIdeas ranks an ideas activity's proposals: most supported first, then
// oldest first, so an early idea is not overtaken by a later one with the
// same support. Only approved, undeleted ideas are listed: the others must
// never reach the screen or the phones.
func TallyIdeas(a *Activity, ideas []*Proposal) Tally {
	t := Tally{ActivityID: a.ID, Kind: a.Kind, Round: a.Round}
	var shown []*Proposal
	for _, p := range ideas {
		if p != nil && p.Status == ProposalApproved && p.DeletedAt == nil {
			shown = append(shown, p)
		}
	}
	slices.SortStableFunc(shown, func(x, y *Proposal) int {
		return cmp.Or(cmp.Compare(y.Supports(), x.Supports()),
			x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	for _, p := range shown {
		t.Ideas = append(t.Ideas, IdeaCount{ID: p.ID, Body: p.Body, Supports: p.Supports(),
			SupportsRoom: p.SupportsRoom, SupportsOnline: p.SupportsOnline, Highlighted: p.Highlighted})
	}
	return t
}

// bestLabel picks the spelling typed most often. Ties go to the spelling
// that sorts first, not to the first one seen: which was seen first depends
// on the order votes were cast and changed, so it would make the live tally
// and a snapshot of the same votes disagree, and labels flicker on screen.
func bestLabel(labels map[string]int) string {
	best, n := "", 0
	for l, c := range labels {
		if c > n || c == n && l < best {
			best, n = l, c
		}
	}
	return best
}

// sortWords puts the most frequent words first, and words of equal count in
// alphabetical order of their keys, so that "école" sorts with the e's and
// "Zoo" after "arbre" whatever the case and accents typed.
func sortWords(ws []WordCount) {
	slices.SortFunc(ws, func(x, y WordCount) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Key, y.Key))
	})
}

// percent is count out of total, in percent to one decimal.
func percent(count, total int) float64 {
	if total == 0 {
		return 0
	}
	return math.Round(float64(count)*1000/float64(total)) / 10
}

// mean is sum/count to two decimals.
func mean(sum, count int) float64 {
	if count == 0 {
		return 0
	}
	return math.Round(float64(sum)*100/float64(count)) / 100
}

// Counter is the live tally of one poll, word cloud or scale. The hub keeps
// one per open activity and applies each vote as it is stored, instead of
// re-reading every vote per vote; Tally then returns exactly what TallyVotes
// returns over the same votes.
//
// Apply costs the same whatever the number of votes, and allocates only when
// a word group or spelling appears for the first time. A Counter is not safe
// for concurrent use.
type Counter struct {
	id      int64
	kind    ActivityKind
	round   int
	options []Option
	min     int
	max     int

	all, room, online counts

	keyBuf []byte   // scratch: the keys of the vote being applied
	keyEnd []int    // scratch: where each key ends in keyBuf
	seen   []uint64 // scratch: options already counted for this vote
}

// counts is the state behind one Tally: all votes, or one channel's.
type counts struct {
	voters  int
	options []int                 // poll: per option, in the activity's order
	words   map[string]*wordGroup // word cloud: by key
	scale   []int                 // scale: per value from min
	sum     int                   // scale: sum of the values
}

type wordGroup struct {
	count  int
	labels map[string]int // spelling → voters who typed it
}

// NewCounter returns an empty Counter for the activity. It copies what it
// needs, so later edits of a do not change it.
func NewCounter(a *Activity) *Counter {
	c := &Counter{id: a.ID, kind: a.Kind, round: a.Round}
	switch a.Kind {
	case KindPoll:
		c.options = slices.Clone(a.Options)
		c.seen = make([]uint64, (len(a.Options)+63)/64)
	case KindScale:
		c.min, c.max = a.Settings.ScaleMin, max(a.Settings.ScaleMin, a.Settings.ScaleMax)
	}
	for _, s := range c.states() {
		s.init(c)
	}
	return c
}

// CountsAs reports whether c counts a's votes as a counter made from a
// would: the same activity, round, options and scale. A change of anything
// else (visibility, prompt, state) keeps the counts.
func (c *Counter) CountsAs(a *Activity) bool {
	if c.id != a.ID || c.kind != a.Kind || c.round != a.Round {
		return false
	}
	switch c.kind {
	case KindPoll:
		return slices.Equal(c.options, a.Options)
	case KindScale:
		return c.min == a.Settings.ScaleMin && c.max == max(a.Settings.ScaleMin, a.Settings.ScaleMax)
	}
	return true
}

func (c *Counter) states() [3]*counts { return [3]*counts{&c.all, &c.room, &c.online} }

func (s *counts) init(c *Counter) {
	switch c.kind {
	case KindPoll:
		s.options = make([]int, len(c.options))
	case KindWordCloud:
		s.words = make(map[string]*wordGroup)
	case KindScale:
		s.scale = make([]int, c.max-c.min+1)
	}
}

// Apply takes a vote into account: old is the participant's previous vote
// as it was applied (nil on a first vote), next the new one (nil when a vote
// is withdrawn). Never change a Vote after applying it: old must match.
func (c *Counter) Apply(old, next *Vote) {
	if old != nil {
		c.add(old, -1)
	}
	if next != nil {
		c.add(next, +1)
	}
}

// add adds (d = 1) or removes (d = -1) one vote.
func (c *Counter) add(v *Vote, d int) {
	targets := [2]*counts{&c.all, c.channel(v.Channel)}
	for _, s := range targets {
		if s != nil {
			s.voters += d
		}
	}
	switch c.kind {
	case KindPoll:
		c.addChoices(targets, v.Choices, d)
	case KindWordCloud:
		c.addWords(targets, v.Words, d)
	case KindScale:
		c.addValue(targets, v.Value, d)
	}
}

func (c *Counter) channel(ch Channel) *counts {
	switch ch {
	case ChannelRoom:
		return &c.room
	case ChannelOnline:
		return &c.online
	}
	return nil
}

// addChoices counts each known option once per vote; unknown options (since
// deleted) are ignored.
func (c *Counter) addChoices(targets [2]*counts, choices []int, d int) {
	clear(c.seen)
	for _, id := range choices {
		i := slices.IndexFunc(c.options, func(o Option) bool { return o.ID == id })
		if i < 0 || c.seen[i/64]&(1<<(i%64)) != 0 {
			continue
		}
		c.seen[i/64] |= 1 << (i % 64)
		for _, s := range targets {
			if s != nil {
				s.options[i] += d
			}
		}
	}
}

func (c *Counter) addValue(targets [2]*counts, v *int, d int) {
	if v == nil || *v < c.min || *v > c.max {
		return
	}
	for _, s := range targets {
		if s != nil {
			s.scale[*v-c.min] += d
			s.sum += d * *v
		}
	}
}

// addWords counts each key once per vote, under the first spelling the
// voter typed for it.
func (c *Counter) addWords(targets [2]*counts, words []string, d int) {
	c.keyBuf, c.keyEnd = c.keyBuf[:0], c.keyEnd[:0]
	for _, w := range words {
		start := len(c.keyBuf)
		buf, ok := appendKey(c.keyBuf, w)
		if !ok || c.hasKey(buf[start:]) {
			c.keyBuf = buf[:start]
			continue
		}
		c.keyBuf = buf
		c.keyEnd = append(c.keyEnd, len(buf))
		for _, s := range targets {
			if s != nil {
				s.addWord(buf[start:], strings.TrimSpace(w), d)
			}
		}
	}
}

// hasKey reports whether the vote being applied already had key.
func (c *Counter) hasKey(key []byte) bool {
	start := 0
	for _, end := range c.keyEnd {
		if string(c.keyBuf[start:end]) == string(key) {
			return true
		}
		start = end
	}
	return false
}

func (s *counts) addWord(key []byte, label string, d int) {
	g := s.words[string(key)]
	if g == nil {
		if d < 0 {
			return // never counted: nothing to take back
		}
		g = &wordGroup{labels: make(map[string]int, 1)}
		s.words[string(key)] = g
	}
	g.count += d
	if g.labels[label] += d; g.labels[label] <= 0 {
		delete(g.labels, label)
	}
	if g.count <= 0 {
		delete(s.words, string(key))
	}
}

// Tally returns the current result, with its Room and Online split.
func (c *Counter) Tally() Tally {
	t := c.all.tally(c)
	if c.kind.Votable() {
		room, online := c.room.tally(c), c.online.tally(c)
		t.Room, t.Online = &room, &online
	}
	return t
}

// tally builds one Tally from the counts.
func (s *counts) tally(c *Counter) Tally {
	t := Tally{ActivityID: c.id, Kind: c.kind, Round: c.round, Voters: s.voters}
	switch c.kind {
	case KindPoll:
		t.Options = s.optionCounts(c.options)
	case KindWordCloud:
		t.Words = s.wordCounts()
	case KindScale:
		t.Scale = s.scaleResult(c.min, c.max)
	}
	return t
}

func (s *counts) optionCounts(options []Option) []OptionCount {
	out := make([]OptionCount, len(options))
	for i, o := range options {
		out[i] = OptionCount{ID: o.ID, Label: o.Label, Count: s.options[i], Percent: percent(s.options[i], s.voters)}
	}
	return out
}

func (s *counts) wordCounts() []WordCount {
	out := make([]WordCount, 0, len(s.words))
	for k, g := range s.words {
		out = append(out, WordCount{Key: k, Label: bestLabel(g.labels), Count: g.count})
	}
	sortWords(out)
	return out
}

func (s *counts) scaleResult(lo, hi int) *ScaleResult {
	n := 0
	for _, x := range s.scale {
		n += x
	}
	return &ScaleResult{Min: lo, Max: hi, Distribution: slices.Clone(s.scale), Mean: mean(s.sum, n), Count: n}
}

package agora

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Fixtures shared by the tally tests.

func pollActivity(maxChoices int) *Activity {
	return &Activity{ID: 7, WorkshopID: 1, Kind: KindPoll, Prompt: "Transport ?", Round: 2,
		Options:  []Option{{ID: 1, Label: "Oui"}, {ID: 2, Label: "Non"}, {ID: 3, Label: "Ne sait pas"}},
		Settings: ActivitySettings{MaxChoices: maxChoices}}
}

func wordActivity() *Activity {
	return &Activity{ID: 8, Kind: KindWordCloud, Prompt: "Un mot ?", Settings: ActivitySettings{MaxWords: 3}}
}

func scaleActivity(lo, hi int) *Activity {
	return &Activity{ID: 9, Kind: KindScale, Prompt: "D'accord ?", Settings: ActivitySettings{ScaleMin: lo, ScaleMax: hi}}
}

func roomVote(pid int64) *Vote {
	return &Vote{ParticipantID: &pid, Channel: ChannelRoom}
}

func onlineVote(uid int64) *Vote {
	return &Vote{UserID: &uid, Channel: ChannelOnline}
}

func choose(v *Vote, ids ...int) *Vote      { v.Choices = ids; return v }
func say(v *Vote, words ...string) *Vote    { v.Words = words; return v }
func rate(v *Vote, value int) *Vote         { v.Value = &value; return v }
func withChannel(v *Vote, ch Channel) *Vote { v.Channel = ch; return v }
func ptr[T any](x T) *T                     { return &x }
func at(minutes int) time.Time              { return time.Date(2026, 3, 14, 18, minutes, 0, 0, time.UTC) }

var tallyOpts = cmp.Options{cmpopts.EquateEmpty()}

func TestTallyVotes_Poll(t *testing.T) {
	tests := []struct {
		name  string
		a     *Activity
		votes []*Vote
		want  Tally
	}{{
		name:  "no votes",
		a:     pollActivity(1),
		votes: nil,
		want: Tally{ActivityID: 7, Kind: KindPoll, Round: 2,
			Options: []OptionCount{{1, "Oui", 0, 0}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}},
			Room:    &Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Options: []OptionCount{{1, "Oui", 0, 0}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}}},
			Online:  &Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Options: []OptionCount{{1, "Oui", 0, 0}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}}},
		},
	}, {
		name:  "single choice, room and online",
		a:     pollActivity(1),
		votes: []*Vote{choose(roomVote(1), 1), choose(roomVote(2), 1), choose(roomVote(3), 2), choose(onlineVote(4), 1)},
		want: Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 4,
			Options: []OptionCount{{1, "Oui", 3, 75}, {2, "Non", 1, 25}, {3, "Ne sait pas", 0, 0}},
			Room: &Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 3,
				Options: []OptionCount{{1, "Oui", 2, 66.7}, {2, "Non", 1, 33.3}, {3, "Ne sait pas", 0, 0}}},
			Online: &Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 1,
				Options: []OptionCount{{1, "Oui", 1, 100}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}}},
		},
	}, {
		name:  "multiple choice: percent of voters, over 100 in all",
		a:     pollActivity(2),
		votes: []*Vote{choose(roomVote(1), 1, 2), choose(roomVote(2), 2, 3), choose(roomVote(3), 2)},
		want: Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 3,
			Options: []OptionCount{{1, "Oui", 1, 33.3}, {2, "Non", 3, 100}, {3, "Ne sait pas", 1, 33.3}},
			Room: &Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 3,
				Options: []OptionCount{{1, "Oui", 1, 33.3}, {2, "Non", 3, 100}, {3, "Ne sait pas", 1, 33.3}}},
			Online: &Tally{ActivityID: 7, Kind: KindPoll, Round: 2,
				Options: []OptionCount{{1, "Oui", 0, 0}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}}},
		},
	}, {
		name:  "duplicate and deleted options count once and not at all",
		a:     pollActivity(2),
		votes: []*Vote{choose(roomVote(1), 1, 1, 99), choose(withChannel(roomVote(2), ""), 2)},
		want: Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 2,
			Options: []OptionCount{{1, "Oui", 1, 50}, {2, "Non", 1, 50}, {3, "Ne sait pas", 0, 0}},
			Room: &Tally{ActivityID: 7, Kind: KindPoll, Round: 2, Voters: 1,
				Options: []OptionCount{{1, "Oui", 1, 100}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}}},
			Online: &Tally{ActivityID: 7, Kind: KindPoll, Round: 2,
				Options: []OptionCount{{1, "Oui", 0, 0}, {2, "Non", 0, 0}, {3, "Ne sait pas", 0, 0}}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, TallyVotes(tt.a, tt.votes), tallyOpts); diff != "" {
				t.Errorf("TallyVotes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTallyVotes_WordCloud(t *testing.T) {
	tests := []struct {
		name  string
		votes []*Vote
		want  []WordCount
	}{{
		name: "groups spellings under the most frequent one",
		votes: []*Vote{say(roomVote(1), "Vélo", "Bus"), say(roomVote(2), "vélo"), say(roomVote(3), "Vélo", "le vélo"),
			say(roomVote(4), "bus"), say(roomVote(5), "de")},
		want: []WordCount{{"velo", "Vélo", 3}, {"bus", "Bus", 2}},
	}, {
		name:  "a tie goes to the spelling that sorts first",
		votes: []*Vote{say(roomVote(1), "vélo"), say(roomVote(2), "Vélo"), say(roomVote(3), "VELO")},
		want:  []WordCount{{"velo", "VELO", 3}},
	}, {
		name:  "sorted by count then label",
		votes: []*Vote{say(roomVote(1), "tram", "bus"), say(roomVote(2), "arbres"), say(roomVote(3), "Tram")},
		want:  []WordCount{{"tram", "Tram", 2}, {"arbres", "arbres", 1}, {"bus", "bus", 1}},
	}, {
		name:  "phrases, elisions and accents",
		votes: []*Vote{say(roomVote(1), "Pistes cyclables", "l'École"), say(roomVote(2), "pistes  cyclables !", "école")},
		want:  []WordCount{{"ecole", "l'École", 2}, {"pistes cyclables", "Pistes cyclables", 2}}, // by key: as in a dictionary
	}, {
		name:  "only stop words and emoji: a voter with no word",
		votes: []*Vote{say(roomVote(1), "et", "🙂")},
		want:  nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TallyVotes(wordActivity(), tt.votes)
			if diff := cmp.Diff(tt.want, got.Words, tallyOpts); diff != "" {
				t.Errorf("Words mismatch (-want +got):\n%s", diff)
			}
			if got.Voters != len(tt.votes) {
				t.Errorf("Voters = %d, want %d", got.Voters, len(tt.votes))
			}
		})
	}
}

func TestTallyVotes_Scale(t *testing.T) {
	tests := []struct {
		name   string
		a      *Activity
		votes  []*Vote
		want   *ScaleResult
		voters int
	}{{
		name:   "1 to 5",
		a:      scaleActivity(1, 5),
		votes:  []*Vote{rate(roomVote(1), 1), rate(roomVote(2), 2), rate(roomVote(3), 2), rate(roomVote(4), 5), rate(onlineVote(5), 5)},
		want:   &ScaleResult{Min: 1, Max: 5, Distribution: []int{1, 2, 0, 0, 2}, Mean: 3, Count: 5},
		voters: 5,
	}, {
		name:   "0 to 10, mean rounded to two decimals",
		a:      scaleActivity(0, 10),
		votes:  []*Vote{rate(roomVote(1), 0), rate(roomVote(2), 10), rate(roomVote(3), 7)},
		want:   &ScaleResult{Min: 0, Max: 10, Distribution: []int{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1}, Mean: 5.67, Count: 3},
		voters: 3,
	}, {
		name:   "missing and out-of-range values are not counted",
		a:      scaleActivity(1, 5),
		votes:  []*Vote{roomVote(1), rate(roomVote(2), 9), rate(roomVote(3), 1), rate(roomVote(4), 2), rate(roomVote(5), 2)},
		want:   &ScaleResult{Min: 1, Max: 5, Distribution: []int{1, 2, 0, 0, 0}, Mean: 1.67, Count: 3},
		voters: 5,
	}, {
		name:   "no votes",
		a:      scaleActivity(0, 10),
		want:   &ScaleResult{Min: 0, Max: 10, Distribution: make([]int, 11)},
		voters: 0,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TallyVotes(tt.a, tt.votes)
			if diff := cmp.Diff(tt.want, got.Scale); diff != "" {
				t.Errorf("Scale mismatch (-want +got):\n%s", diff)
			}
			if got.Voters != tt.voters {
				t.Errorf("Voters = %d, want %d", got.Voters, tt.voters)
			}
		})
	}
}

func TestTallyVotes_ScaleRoomOnline(t *testing.T) {
	got := TallyVotes(scaleActivity(1, 5), []*Vote{rate(roomVote(1), 4), rate(roomVote(2), 5), rate(onlineVote(3), 1)})
	want := map[string]*ScaleResult{
		"all":    {Min: 1, Max: 5, Distribution: []int{1, 0, 0, 1, 1}, Mean: 3.33, Count: 3},
		"room":   {Min: 1, Max: 5, Distribution: []int{0, 0, 0, 1, 1}, Mean: 4.5, Count: 2},
		"online": {Min: 1, Max: 5, Distribution: []int{1, 0, 0, 0, 0}, Mean: 1, Count: 1},
	}
	gotMap := map[string]*ScaleResult{"all": got.Scale, "room": got.Room.Scale, "online": got.Online.Scale}
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("split mismatch (-want +got):\n%s", diff)
	}
}

func TestTallyIdeas_Ranking(t *testing.T) {
	idea := func(id int64, minute, room, online int, status ProposalStatus) *Proposal {
		return &Proposal{ID: id, Body: fmt.Sprint("idée ", id), Status: status, CreatedAt: at(minute),
			SupportsRoom: room, SupportsOnline: online}
	}
	highlighted := idea(6, 5, 0, 1, ProposalApproved)
	highlighted.Highlighted = true
	deleted := idea(7, 1, 50, 0, ProposalApproved)
	deleted.DeletedAt = ptr(at(9))
	ideas := []*Proposal{
		idea(1, 3, 2, 1, ProposalApproved),
		idea(2, 1, 1, 2, ProposalApproved), // same supports as 1, older: first
		idea(3, 0, 9, 9, ProposalPending),
		idea(4, 0, 9, 9, ProposalRejected),
		idea(5, 0, 9, 9, ProposalHidden),
		highlighted, deleted, nil,
		idea(8, 2, 4, 0, ProposalApproved),
		idea(9, 1, 1, 2, ProposalApproved), // same supports and time as 2: lower ID first
	}
	want := Tally{ActivityID: 3, Kind: KindIdeas, Round: 1, Ideas: []IdeaCount{
		{ID: 8, Body: "idée 8", Supports: 4, SupportsRoom: 4},
		{ID: 2, Body: "idée 2", Supports: 3, SupportsRoom: 1, SupportsOnline: 2},
		{ID: 9, Body: "idée 9", Supports: 3, SupportsRoom: 1, SupportsOnline: 2},
		{ID: 1, Body: "idée 1", Supports: 3, SupportsRoom: 2, SupportsOnline: 1},
		{ID: 6, Body: "idée 6", Supports: 1, SupportsOnline: 1, Highlighted: true},
	}}
	got := TallyIdeas(&Activity{ID: 3, Kind: KindIdeas, Round: 1}, ideas)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TallyIdeas mismatch (-want +got):\n%s", diff)
	}
}

// TestCounter_MatchesTallyVotes plays random votes, changes and withdrawals
// on a Counter and checks, all along, that it equals the batch tally of the
// votes standing at that moment, in any order.
func TestCounter_MatchesTallyVotes(t *testing.T) {
	activities := []*Activity{pollActivity(2), wordActivity(), scaleActivity(1, 5), scaleActivity(0, 10)}
	for _, a := range activities {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("%s/%d-%d/seed%d", a.Kind, a.Settings.ScaleMin, a.Settings.ScaleMax, seed), func(t *testing.T) {
				playRandomVotes(t, a, rand.New(rand.NewPCG(seed, 42)))
			})
		}
	}
}

func playRandomVotes(t *testing.T, a *Activity, rng *rand.Rand) {
	const people = 12
	c := NewCounter(a)
	standing := map[int]*Vote{}
	for step := range 400 {
		p := rng.IntN(people)
		next := randomVote(a, p, rng)
		if rng.IntN(10) == 0 {
			next = nil // withdrawn
		}
		c.Apply(standing[p], next)
		if next == nil {
			delete(standing, p)
		} else {
			standing[p] = next
		}
		if step%20 != 19 {
			continue
		}
		votes := make([]*Vote, 0, len(standing))
		for _, v := range standing {
			votes = append(votes, v) // map order: shuffled every time
		}
		if diff := cmp.Diff(TallyVotes(a, votes), c.Tally(), tallyOpts); diff != "" {
			t.Fatalf("step %d: Counter differs from TallyVotes (-batch +live):\n%s", step, diff)
		}
	}
}

var randomWords = []string{"Vélo", "velo", "VÉLO", "le vélo", "l'école", "École", "de", "pistes cyclables",
	"Pistes  cyclables", "bus", "Bus!", "🚲", "arbres", "Arbres", "œuvre", "oeuvre"}

// randomVote draws a vote for person p; even people vote in the room, odd
// ones online. Votes may hold duplicates and unknown options, as a
// defensive tally must survive them.
func randomVote(a *Activity, p int, rng *rand.Rand) *Vote {
	v := roomVote(int64(p))
	if p%2 == 1 {
		v = onlineVote(int64(p))
	}
	switch a.Kind {
	case KindPoll:
		for range 1 + rng.IntN(3) {
			v.Choices = append(v.Choices, rng.IntN(len(a.Options)+1)+1)
		}
	case KindWordCloud:
		for range 1 + rng.IntN(3) {
			v.Words = append(v.Words, randomWords[rng.IntN(len(randomWords))])
		}
	case KindScale:
		if rng.IntN(20) > 0 {
			v.Value = ptr(a.Settings.ScaleMin + rng.IntN(a.Settings.ScaleMax-a.Settings.ScaleMin+2))
		}
	}
	return v
}

func TestCounter_ApplyAllocations(t *testing.T) {
	tests := []struct {
		name string
		a    *Activity
		x, y *Vote
	}{
		{"poll", pollActivity(2), choose(roomVote(1), 1, 2), choose(roomVote(2), 3)},
		{"word cloud", wordActivity(), say(roomVote(1), "Vélo", "pistes cyclables"), say(roomVote(2), "l'école", "bus")},
		{"scale", scaleActivity(0, 10), rate(roomVote(1), 3), rate(roomVote(2), 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCounter(tt.a)
			c.Apply(nil, tt.x)
			c.Apply(nil, tt.y)
			c.Apply(nil, tt.x) // a third voter, who changes their mind below; others keep every word alive
			allocs := testing.AllocsPerRun(100, func() {
				c.Apply(tt.x, tt.y)
				c.Apply(tt.y, tt.x)
			})
			if allocs > 0 {
				t.Errorf("Apply allocates %.1f times, want 0", allocs)
			}
		})
	}
}

func BenchmarkCounter_Apply(b *testing.B) {
	for _, a := range []*Activity{pollActivity(2), wordActivity(), scaleActivity(0, 10)} {
		b.Run(string(a.Kind), func(b *testing.B) {
			const people = 2000
			rng := rand.New(rand.NewPCG(1, 2))
			pool := make([]*Vote, 500)
			for i := range pool {
				pool[i] = randomVote(a, i, rng)
			}
			c := NewCounter(a)
			standing := make([]*Vote, people)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p, next := i%people, pool[(i*7)%len(pool)]
				c.Apply(standing[p], next)
				standing[p] = next
				i++
			}
		})
	}
}

// A counter is kept across changes that do not alter how votes count
// (live/tallies.go rebuilds it otherwise).
func TestCounter_CountsAs(t *testing.T) {
	edit := func(a *Activity, f func(*Activity)) *Activity {
		b := *a
		b.Options = slices.Clone(a.Options)
		f(&b)
		return &b
	}
	poll, scale, words := pollActivity(3), scaleActivity(1, 5), wordActivity()
	tests := []struct {
		name string
		from *Activity
		to   *Activity
		want bool
	}{
		{"poll unchanged", poll, edit(poll, func(*Activity) {}), true},
		{"poll revealed, prompt edited", poll, edit(poll, func(b *Activity) { b.Revealed = !b.Revealed; b.Prompt += "?" }), true},
		{"poll label edited", poll, edit(poll, func(b *Activity) { b.Options[1].Label += " !" }), false},
		{"poll option added", poll, edit(poll, func(b *Activity) { b.Options = append(b.Options, Option{ID: 99, Label: "x"}) }), false},
		{"poll options reordered", poll, edit(poll, func(b *Activity) { slices.Reverse(b.Options) }), false},
		{"poll next round", poll, edit(poll, func(b *Activity) { b.Round++ }), false},
		{"scale bounds", scale, edit(scale, func(b *Activity) { b.Settings.ScaleMax = 7 }), false},
		{"scale prompt", scale, edit(scale, func(b *Activity) { b.Prompt += "?" }), true},
		{"words prompt", words, edit(words, func(b *Activity) { b.Prompt += "?" }), true},
		{"other activity", poll, edit(poll, func(b *Activity) { b.ID++ }), false},
	}
	for _, tt := range tests {
		if got := NewCounter(tt.from).CountsAs(tt.to); got != tt.want {
			t.Errorf("%s: CountsAs %v, want %v", tt.name, got, tt.want)
		}
	}
}

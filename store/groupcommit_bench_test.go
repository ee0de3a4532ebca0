package store_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// BenchmarkGroupCommit_Hall is a hall's vote burst on the database path
// alone, as the server runs it: every phone votes once at a random moment
// of the spread, through the group commit (the server's window and batch
// size), each batch checked first with one read of its activity and
// workshop, as the engine's check does. One op is one poll and its burst.
// It reports the votes committed a second and each vote's wait (p50, p99),
// which is what the load tool's ack latency is made of, less HTTP.
//
//	go test ./store -run '^$' -bench GroupCommit_Hall -benchtime 3x
func BenchmarkGroupCommit_Hall(b *testing.B) {
	const hall, spread = 3000, 900 * time.Millisecond // 10,000 phones in 3 s
	for _, backend := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.OpenSQLite}, {"postgres", storetest.OpenPostgres}} {
		b.Run(backend.name, func(b *testing.B) {
			ctx := context.Background()
			db := backend.open(b)
			a, parts := seedPoll(b, db, hall)
			g := store.NewGroupCommit(db, 2*time.Millisecond, 256)
			defer g.Stop()
			g.CheckVotesWith(func(ctx context.Context, vs []*agora.Vote) []error {
				_, _, err := db.ActivityWithWorkshop(ctx, vs[0].ActivityID)
				errs := make([]error, len(vs))
				for i := range errs {
					errs[i] = err
				}
				return errs
			})
			var waits []time.Duration
			var busy time.Duration
			for b.Loop() {
				b.StopTimer()
				poll := &agora.Activity{WorkshopID: a.WorkshopID, Kind: agora.KindPoll, Prompt: "?",
					State: agora.ActivityOpen, Options: a.Options}
				mustDo(b, db.CreateActivity(ctx, poll))
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				var mu sync.Mutex
				for i, p := range parts {
					at := time.Duration(rand.Int64N(int64(spread)))
					wg.Go(func() {
						time.Sleep(time.Until(start.Add(at)))
						sent := time.Now()
						_, err := g.PutVote(ctx, &agora.Vote{ActivityID: poll.ID, ParticipantID: &p.ID,
							Channel: agora.ChannelRoom, Choices: []int{1 + i%2}})
						wait := time.Since(sent)
						if err != nil {
							b.Error(err)
						}
						mu.Lock()
						waits = append(waits, wait)
						mu.Unlock()
					})
				}
				wg.Wait()
				busy += time.Since(start)
			}
			slices.Sort(waits)
			b.ReportMetric(float64(len(waits))/busy.Seconds(), "votes/s")
			b.ReportMetric(ms(waits[len(waits)/2]), "p50-ms")
			b.ReportMetric(ms(waits[len(waits)*99/100]), "p99-ms")
			st := g.Stats()
			b.ReportMetric(float64(st.Votes)/float64(max(st.Batches, 1)), "votes/batch")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

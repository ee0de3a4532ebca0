package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/store"
	"github.com/agora-civic/agora/store/storetest"
)

// buildCounter counts report builds: each reads a consultation's supports
// once.
type buildCounter struct {
	agora.Store
	builds atomic.Int64
}

func (s *buildCounter) ListSupports(ctx context.Context, consultationID int64) ([]*agora.Support, error) {
	s.builds.Add(1)
	return s.Store.ListSupports(ctx, consultationID)
}

// A crowd reading a published report at once costs one build, whose
// figures and files every reader gets; a vote cast meanwhile shows once
// reportTTL has passed. A draft is built for each request.
func TestReport_PublishedBuiltOnceAMoment(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, open func(t testing.TB) *store.DB) {
		db := open(t)
		st := &buildCounter{Store: db}
		s, _ := testServer(t, st, Config{})
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		s.now = func() time.Time { return time.Unix(0, clock.Load()) }
		r := seedReport(t, db)
		publishReport(t, db, r.cons)

		const readers = 12
		bodies := make([]string, readers)
		var wg sync.WaitGroup
		for i := range readers {
			wg.Go(func() {
				anon := newClient(t, s)
				path := []string{"", "/opendata.json", "/opendata.zip"}[i%3]
				resp := anon.get(r.path(path))
				if resp.StatusCode != http.StatusOK {
					t.Errorf("reader %d: status %d", i, resp.StatusCode)
				}
				bodies[i] = resp.Body
			})
		}
		wg.Wait()
		if n := st.builds.Load(); n != 1 {
			t.Fatalf("%d readers at once: %d builds, want 1", readers, n)
		}
		sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
		for i := range readers {
			switch i % 3 {
			case 0: // the page shows the fingerprints of the files the others got
				wantContains(t, bodies[i], sum(bodies[1]), sum(bodies[2]))
			default:
				if bodies[i] != bodies[i%3] {
					t.Errorf("reader %d got other bytes than reader %d", i, i%3)
				}
			}
		}

		// A vote cast now: the report of this moment does not have it yet,
		// the next one does.
		u := &agora.User{Email: fmt.Sprintf("late%d@example.org", uniqueSeq.Add(1)), DisplayName: "Late Voter", Role: agora.RoleCitizen, CreatedAt: time.Now()}
		must(t, db.CreateUser(context.Background(), u))
		_, err := db.PutVote(context.Background(), &agora.Vote{ActivityID: r.poll.ID, UserID: &u.ID, Channel: agora.ChannelOnline, Choices: []int{1}})
		must(t, err)
		anon := newClient(t, s)
		if got := anon.get(r.path("/opendata.json")).Body; got != bodies[1] {
			t.Error("a report changed within reportTTL")
		}
		clock.Add(int64(reportTTL))
		if got := anon.get(r.path("/opendata.json")).Body; got == bodies[1] {
			t.Error("the vote is not in the report once reportTTL has passed")
		}
		if n := st.builds.Load(); n != 2 {
			t.Fatalf("builds = %d, want 2", n)
		}

		// Unpublished, the report is a draft that staff read fresh.
		r.cons.ReportPublished = false
		must(t, db.UpdateConsultation(context.Background(), r.cons))
		staff, _ := signedIn(t, s, db, agora.RoleAdmin)
		for range 2 {
			wantStatus(t, staff.get(r.path("")), http.StatusOK)
		}
		if n := st.builds.Load(); n != 4 {
			t.Fatalf("builds = %d after two draft pages, want 4", n)
		}
	})
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// Fault tests: the real wiring against a database that goes away. They
// start their own Postgres cluster on a free port (never the shared one
// the other packages test against), so they can stop it at will.

// freePort returns a TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// skipOrFail skips t on a laptop without what it needs, and fails it in CI.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// pgCluster is a throwaway Postgres cluster run by pg_ctl.
type pgCluster struct {
	t    *testing.T
	bin  string // folder of initdb and pg_ctl
	data string
	port int
}

// newPGCluster initialises a cluster in a temporary folder (owned by the
// postgres user when the test runs as root: Postgres refuses root) and
// starts it on a free port. It is stopped and removed when t ends.
func newPGCluster(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		skipOrFail(t, "Postgres binaries (initdb, pg_ctl) not found under /usr/lib/postgresql")
	}
	c := &pgCluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	base, err := os.MkdirTemp("", "agora-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skipOrFail(t, "running as root without a postgres user: "+err.Error())
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.data = filepath.Join(base, "data")
	c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	c.start()
	t.Cleanup(func() { c.pgctl("stop", "-m", "immediate") })
	return c
}

// run runs a Postgres binary, as the postgres user when we are root.
func (c *pgCluster) run(name string, args ...string) {
	c.t.Helper()
	path := filepath.Join(c.bin, name)
	cmd := exec.Command(path, args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func (c *pgCluster) pgctl(args ...string) {
	c.t.Helper()
	c.run("pg_ctl", append([]string{"-D", c.data, "-w", "-t", "30"}, args...)...)
}

func (c *pgCluster) start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", c.port, filepath.Dir(c.data))
	c.pgctl("start", "-l", filepath.Join(filepath.Dir(c.data), "log"), "-o", opts)
}

// stop shuts the cluster down the way an operator restarting it does:
// connections are cut, open transactions roll back.
func (c *pgCluster) stop() { c.t.Helper(); c.pgctl("stop", "-m", "fast") }

func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// apiClient is a phone of the test: a cookie jar and the CSRF token.
type apiClient struct {
	base  string
	http  *http.Client
	token string
}

func newAPIClient(t *testing.T, base string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &apiClient{base: base, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	resp, err := c.http.Get(base + "/api/v1/csrf")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Token == "" {
		t.Fatalf("csrf: %d %v", resp.StatusCode, err)
	}
	c.token = v.Token
	return c
}

// post sends a JSON command; it returns the status, the error code of an
// error answer, and a transport error.
func (c *apiClient) post(path string, body any) (int, string, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(raw, &e)
	return resp.StatusCode, e.Error.Code, nil
}

// liveWorkshop stores a live workshop whose current activity is an open
// poll with options 1 and 2.
func liveWorkshop(t *testing.T, st agora.Store) (*agora.Workshop, *agora.Activity) {
	t.Helper()
	ctx := context.Background()
	cons := &agora.Consultation{Slug: "panne", Title: "Panne", Status: agora.ConsultationOpen}
	mustT(t, st.CreateConsultation(ctx, cons))
	w := &agora.Workshop{ConsultationID: cons.ID, Title: "Atelier", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopLive}
	mustT(t, st.CreateWorkshop(ctx, w))
	a := &agora.Activity{WorkshopID: w.ID, Kind: agora.KindPoll, Prompt: "Quel accès ?",
		Options:  []agora.Option{{ID: 1, Label: "Nord"}, {ID: 2, Label: "Sud"}},
		Settings: agora.ActivitySettings{MaxChoices: 1}, State: agora.ActivityOpen}
	mustT(t, st.CreateActivity(ctx, a))
	w.CurrentActivityID = &a.ID
	mustT(t, st.UpdateWorkshop(ctx, w))
	return w, a
}

func mustT(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// voterLog is what one phone knows: its last acknowledged choice.
type voterLog struct {
	acked  atomic.Int64 // last acknowledged choice; 0 before any
	acks   atomic.Int64
	phone  *apiClient
	pid    int64        // its participant
	failed atomic.Value // string: the first unexpected answer
}

// TestFault_PostgresRestartDuringVoteBurst: 50 phones vote in a loop while
// Postgres is stopped and started again. While it is down, every command
// fails with 503 and the typed error "unavailable", never a 2xx; each phone
// retries its unacknowledged vote with the same idempotency key until it
// is acknowledged. At the end the store holds exactly one vote per phone
// that got an acknowledgement, with its last acknowledged choice; no 5xx
// other than 503 was seen; the node is ready again.
func TestFault_PostgresRestartDuringVoteBurst(t *testing.T) {
	phones, down := 50, 1500*time.Millisecond
	if testing.Short() {
		phones, down = 20, 500*time.Millisecond
	}
	pg := newPGCluster(t)
	m, _ := startMain(t, map[string]string{"AGORA_DATABASE_URL": pg.url(), "AGORA_DATA_DIR": t.TempDir()})
	t.Cleanup(func() { m.Close() })
	base := "http://" + m.Addr().String()
	w, a := liveWorkshop(t, m.db)

	voters := make([]*voterLog, phones)
	for i := range voters {
		v := &voterLog{phone: newAPIClient(t, base)}
		if status, code, err := v.phone.post("/api/v1/workshops/"+w.JoinCode+"/join", nil); err != nil || status != 200 {
			t.Fatalf("join: %d %s %v", status, code, err)
		}
		v.pid = participantOf(t, m, v.phone, w)
		voters[i] = v
	}

	var (
		isDown   atomic.Bool // the cluster is stopped, from stop's return to start's call
		stopping atomic.Bool // the phones may stop once their current vote is acknowledged
		statuses sync.Map    // status → *atomic.Int64
	)
	count := func(status int) {
		n, _ := statuses.LoadOrStore(status, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	var wg sync.WaitGroup
	for i, v := range voters {
		wg.Go(func() {
			for round := 0; !stopping.Load() || v.acks.Load() == 0; round++ {
				choice := int64(1 + (i+round)%2)
				key := fmt.Sprintf("p%d-r%d", i, round)
				for attempt := 0; ; attempt++ {
					sentDown := isDown.Load()
					status, code, err := v.phone.post(fmt.Sprintf("/api/v1/activities/%d/vote", a.ID),
						map[string]any{"choices": []int64{choice}, "idempotency_key": key})
					count(status)
					switch {
					case err != nil:
						// The server never drops a request; only a test bug gets here.
						v.failed.CompareAndSwap(nil, "transport: "+err.Error())
						return
					case status == 200 && sentDown && isDown.Load():
						v.failed.CompareAndSwap(nil, "a vote acknowledged while the database was down")
						return
					case status == 200:
						v.acked.Store(choice)
						v.acks.Add(1)
					case status == 503 && code == agora.EUNAVAILABLE, status == 429 && code == agora.ETOOMANY:
						time.Sleep(50 * time.Millisecond)
						continue // the same vote, the same key
					default:
						v.failed.CompareAndSwap(nil, fmt.Sprintf("status %d code %q", status, code))
						return
					}
					break
				}
				time.Sleep(150 * time.Millisecond) // about 6 votes a second: under the 30 a minute
			}
		})
	}

	time.Sleep(500 * time.Millisecond) // a burst under way
	pg.stop()
	isDown.Store(true)
	// While it is down: readiness says so, commands answer 503.
	if status, body := get(t, base+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database down: %d %s", status, body)
	}
	time.Sleep(down)
	isDown.Store(false)
	pg.start()
	time.Sleep(500 * time.Millisecond)
	stopping.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("phones still voting a minute after the restart")
	}

	seen := map[int]int64{}
	statuses.Range(func(k, v any) bool { seen[k.(int)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("%d phones, database down %v: answers %v", phones, down, seen)
	for i, v := range voters {
		if f := v.failed.Load(); f != nil {
			t.Errorf("phone %d: %s", i, f)
		}
	}
	if seen[503] == 0 {
		t.Error("no 503 seen: the outage was not exercised")
	}
	for status := range seen {
		if status >= 500 && status != 503 {
			t.Errorf("%d answers with status %d", seen[status], status)
		}
	}
	// The ledger: exactly one stored vote per phone, its last acknowledged choice.
	votes, err := m.db.ListVotes(context.Background(), a.ID)
	mustT(t, err)
	stored := map[int64]int{} // participant ID → choice
	for _, v := range votes {
		if _, dup := stored[*v.ParticipantID]; dup {
			t.Errorf("participant %d has two votes", *v.ParticipantID)
		}
		stored[*v.ParticipantID] = v.Choices[0]
	}
	acked := 0
	for _, v := range voters {
		if v.acks.Load() > 0 {
			acked++
		}
	}
	if len(votes) != acked {
		t.Errorf("%d votes stored, %d phones acknowledged", len(votes), acked)
	}
	for i, v := range voters {
		if got, ok := stored[v.pid]; v.acks.Load() > 0 && (!ok || int64(got) != v.acked.Load()) {
			t.Errorf("phone %d: stored choice %d (%v), last acknowledged %d", i, got, ok, v.acked.Load())
		}
	}
	n, err := m.db.CountVotes(context.Background(), a.ID)
	mustT(t, err)
	if n != acked {
		t.Errorf("CountVotes %d, want %d", n, acked)
	}
	if status, body := get(t, base+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the restart: %d %s", status, body)
	}
}

// participantOf reads the participant of a phone's device cookie.
func participantOf(t *testing.T, m *Main, c *apiClient, w *agora.Workshop) int64 {
	t.Helper()
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "agora_p_"+w.JoinCode {
			p, err := m.db.ParticipantByToken(context.Background(), w.ID, agora.HashToken(ck.Value))
			mustT(t, err)
			return p.ID
		}
	}
	t.Fatal("no device cookie after joining")
	return 0
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"text/tabwriter"
	"time"
)

// Dist summarises latencies, in milliseconds.
type Dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func distOf(d []time.Duration) Dist {
	if len(d) == 0 {
		return Dist{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return ms(s[max(0, i)])
	}
	return Dist{N: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s)))}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// Check is a pass/fail line: checks must pass; targets are the speed goals.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is everything a run measured. Times are in milliseconds unless
// the name says otherwise.
type Report struct {
	Label        string    `json:"label,omitempty"`
	Started      time.Time `json:"started"`
	URLs         []string  `json:"urls"`
	Participants int       `json:"participants"`
	VoteSpreadMS float64   `json:"vote_spread_ms"`
	Broadcasts   int       `json:"broadcasts"`

	Joined      int     `json:"joined"`
	JoinWallS   float64 `json:"join_wall_s"`
	JoinsPerSec float64 `json:"joins_per_s"`
	Join        Dist    `json:"join"` // csrf + join + socket + snapshot, per phone

	VotesSent    int     `json:"votes_sent"`
	VotesAcked   int     `json:"votes_acked"`
	VotesCounted int     `json:"votes_counted"` // voters in the store's results
	VotesLost    int     `json:"votes_lost"`    // acked - counted
	CountsMatch  bool    `json:"counts_match"`  // every option's count equals the acked votes for it
	VoteWindowMS float64 `json:"vote_window_ms"`
	Ack          Dist    `json:"vote_ack"`
	AckConnWait  Dist    `json:"vote_ack_conn_wait"` // of which waiting for one of the tool's connections
	AckAnswer    Dist    `json:"vote_ack_answer"`    // of which from the request written to the answer's first byte
	FinalTallyMS float64 `json:"final_tally_ms"`     // last ack → projector shows the exact final tally; -1 never

	OpenDelivery Dist `json:"open_delivery"` // the poll opening, to every socket
	Delivery     Dist `json:"delivery"`      // reveal/hide toggles, to every socket
	// By node, in the order of -url, with several nodes: the sockets each serves.
	OpenDeliveryByNode []Dist  `json:"open_delivery_by_node,omitempty"`
	DeliveryByNode     []Dist  `json:"delivery_by_node,omitempty"`
	DeliveriesMissed   int     `json:"deliveries_missed"`
	ScreenDelivery     Dist    `json:"screen_delivery"` // every command's state, to the projector alone
	CommandAck         Dist    `json:"command_ack"`
	Readers            int     `json:"readers,omitempty"` // -readers: public results read during the burst
	ReadEveryMS        float64 `json:"read_every_ms,omitempty"`
	Reads              Dist    `json:"results_reads"`
	ReadErrors         int     `json:"results_read_errors"`
	BroadcastMessages  int64   `json:"broadcast_messages"` // every message received during the toggles
	BroadcastCPUS      float64 `json:"broadcast_cpu_s"`
	CPUPerMessageUS    float64 `json:"cpu_per_message_us"`
	// The load tool's own CPU per message meanwhile: the instrument's
	// share of the cores the servers run on.
	LoadCPUPerMessageUS float64 `json:"load_tool_cpu_per_message_us"`

	SocketErrors int            `json:"socket_errors"` // dial failures and sockets that ended on their own
	CloseCodes   map[string]int `json:"close_codes,omitempty"`
	SeqGaps      int            `json:"seq_gaps"`
	Failures     map[string]int `json:"failures,omitempty"` // failed requests by operation and status

	ServerPIDs              []int   `json:"server_pids,omitempty"`
	RSSBaselineMiB          float64 `json:"server_rss_baseline_mib"`
	RSSRestMiB              float64 `json:"server_rss_rest_mib"`
	RSSEndMiB               float64 `json:"server_rss_end_mib"`
	RSSPerParticipantKiB    float64 `json:"server_rss_per_participant_kib"`       // RSS at rest / participants: the whole process, an upper bound
	RSSDeltaPerPartKiB      float64 `json:"server_rss_delta_per_participant_kib"` // (RSS at rest - RSS idle) / participants
	ServerCPUJoinS          float64 `json:"server_cpu_join_s"`
	ServerCPUVoteS          float64 `json:"server_cpu_vote_s"`
	ServerCPUTotalS         float64 `json:"server_cpu_total_s"` // from the first join to the end
	LoadCPUS                float64 `json:"load_tool_cpu_s"`    // the vote process's included
	VoteProcess             bool    `json:"vote_process"`       // the votes left from a process of their own
	VoteProcessCPUS         float64 `json:"vote_process_cpu_s"`
	LoadRSSMiB              float64 `json:"load_tool_rss_mib"`
	Checks                  []Check `json:"checks"`
	Targets                 []Check `json:"targets"`
	DurationS               float64 `json:"duration_s"`
	Incomplete              string  `json:"incomplete,omitempty"` // why the run stopped early
	SourceAddressesPerRun   int     `json:"source_addresses"`
	HTTPConnectionsPerRun   int     `json:"http_conns"`
	ParticipantsHideResults bool    `json:"hide_results"`
}

// OK says whether every check passed (and every target, when strict).
func (r *Report) OK(strict bool) bool {
	if r.Incomplete != "" || len(r.Checks) == 0 {
		return false
	}
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	if strict {
		for _, c := range r.Targets {
			if !c.OK {
				return false
			}
		}
	}
	return true
}

// WriteJSONFile writes the report as indented JSON.
func (r *Report) WriteJSONFile(name string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	line := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	dist := func(k string, d Dist) {
		line(k, "p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms  (n=%d)", d.P50, d.P95, d.P99, d.Max, d.N)
	}
	if r.Label != "" {
		line("run", "%s", r.Label)
	}
	line("servers", "%v  pids %v", r.URLs, r.ServerPIDs)
	line("participants", "%d joined of %d in %.1f s (%.0f/s)", r.Joined, r.Participants, r.JoinWallS, r.JoinsPerSec)
	dist("join (csrf+join+socket)", r.Join)
	line("votes", "%d sent, %d acked, %d counted in the store, %d lost, counts match: %v", r.VotesSent, r.VotesAcked, r.VotesCounted, r.VotesLost, r.CountsMatch)
	line("vote window", "%.0f ms (first vote sent → last ack)", r.VoteWindowMS)
	dist("vote ack", r.Ack)
	dist("  of which, wait for a connection", r.AckConnWait)
	dist("  of which, request written → answer", r.AckAnswer)
	line("final tally on projector", "%.0f ms after the last ack", r.FinalTallyMS)
	dist("delivery: poll opens", r.OpenDelivery)
	dist(fmt.Sprintf("delivery: %d toggles", r.Broadcasts), r.Delivery)
	for k := range r.OpenDeliveryByNode {
		dist(fmt.Sprintf("  poll opens, node %d", k+1), r.OpenDeliveryByNode[k])
	}
	for k := range r.DeliveryByNode {
		dist(fmt.Sprintf("  toggles, node %d", k+1), r.DeliveryByNode[k])
	}
	dist("delivery: to the projector", r.ScreenDelivery)
	dist("staff command ack", r.CommandAck)
	line("deliveries missed", "%d", r.DeliveriesMissed)
	if r.Readers > 0 {
		dist(fmt.Sprintf("public results reads (%d readers, every %.0f ms)", r.Readers, r.ReadEveryMS), r.Reads)
		line("public results read errors", "%d", r.ReadErrors)
	}
	line("server CPU per message", "%.2f µs (%.2f s for %d messages); load tool %.2f µs", r.CPUPerMessageUS, r.BroadcastCPUS, r.BroadcastMessages, r.LoadCPUPerMessageUS)
	line("socket errors", "%d  close codes %v  seq gaps %d", r.SocketErrors, r.CloseCodes, r.SeqGaps)
	line("server RSS", "%.1f MiB idle → %.1f MiB at rest → %.1f MiB end", r.RSSBaselineMiB, r.RSSRestMiB, r.RSSEndMiB)
	line("server RSS per participant", "%.1f KiB (whole RSS at rest / joined); %.1f KiB (growth over idle / joined)", r.RSSPerParticipantKiB, r.RSSDeltaPerPartKiB)
	line("server CPU", "join %.2f s, vote %.2f s, total %.2f s", r.ServerCPUJoinS, r.ServerCPUVoteS, r.ServerCPUTotalS)
	line("load tool", "CPU %.2f s (of which the vote process %.2f s), RSS %.1f MiB", r.LoadCPUS, r.VoteProcessCPUS, r.LoadRSSMiB)
	keys := make([]string, 0, len(r.Failures))
	for k := range r.Failures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("failed", "%s × %d", k, r.Failures[k])
	}
	for _, c := range r.Checks {
		line("check", "%s  %s (%s)", okMark(c.OK), c.Name, c.Detail)
	}
	for _, c := range r.Targets {
		line("target", "%s  %s (%s)", okMark(c.OK, "met", "MISSED"), c.Name, c.Detail)
	}
	if r.Incomplete != "" {
		line("INCOMPLETE", "%s", r.Incomplete)
	}
	tw.Flush()
}

func okMark(ok bool, words ...string) string {
	if len(words) < 2 {
		words = []string{"ok", "FAIL"}
	}
	if ok {
		return words[0]
	}
	return words[1]
}

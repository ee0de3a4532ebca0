package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// MaxParticipants is the most sockets one process holds: each is a file,
// and a process here may open at most 20,000. Beyond it, run several
// processes against several nodes.
const MaxParticipants = 19000

// maxConns bounds the connections of one process, sockets, participants'
// HTTP and readers together, under the 20,000 open files.
const maxConns = 19800

// Config is one load test.
type Config struct {
	Bases         []string // base URLs of the nodes; participants go round-robin
	Origins       []string // Origin header per node (default: its base URL)
	AdminEmail    string
	AdminPassword string
	Consultation  int64 // existing consultation ID; 0 creates one

	Participants    int           // sockets that join and vote
	JoinConcurrency int           // joins in flight at once
	VoteSpread      time.Duration // each phone votes at a random moment within this after the poll opens
	Rest            time.Duration // quiet time after the joins, before measuring memory
	Broadcasts      int           // reveal/hide toggles in the broadcast window
	Options         int           // options of the poll
	HideResults     bool          // the poll's hide_results: no live tallies to phones
	Readers         int           // anonymous readers of the poll's public results during the burst
	ReadEvery       time.Duration // each reader's period
	HTTPConns       int           // keep-alive connections to each node for participants' HTTP, shared
	SocketsPerIP    int           // sockets per loopback source address
	SourceNet       string        // first three octets of the source addresses, e.g. "127.0.0"
	SourceFirst     int           // last octet of the first source address
	VoteProcess     bool          // votes leave from a process of their own (see voter.go)

	ServerPIDs []int         // servers whose RSS and CPU are read from /proc
	Duration   time.Duration // hard cap on the whole run
	JSONFile   string
	AckLog     string // file for each vote's send time and ack latency
	CPUProfile string // file for the tool's own CPU profile
	Label      string // names the run in the report, e.g. "postgres, 1 node"
	Strict     bool   // fail (exit 1) when a target is missed, not only a check
	Quiet      bool
}

// DefaultConfig returns the defaults of every flag.
func DefaultConfig() *Config {
	return &Config{
		AdminEmail:      "admin@agora.test",
		Participants:    500,
		JoinConcurrency: 64,
		VoteSpread:      3 * time.Second,
		Rest:            5 * time.Second,
		Broadcasts:      10,
		Options:         4,
		ReadEvery:       time.Second,
		HTTPConns:       256,
		SocketsPerIP:    5000,
		SourceNet:       "127.0.0",
		SourceFirst:     10,
		VoteProcess:     true,
		Duration:        2 * time.Minute,
	}
}

func parseFlags(args []string, stderr io.Writer) (*Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("agora-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var bases, origins, pids string
	fs.StringVar(&bases, "url", "http://127.0.0.1:8080", "base URL of the server; comma-separated for several nodes (participants round-robin)")
	fs.StringVar(&origins, "origin", "", "Origin header per node, comma-separated (default: each node's URL; must be its AGORA_PUBLIC_URL)")
	fs.StringVar(&c.AdminEmail, "admin-email", c.AdminEmail, "admin account (signs in; creates the consultation, workshop and poll)")
	fs.StringVar(&c.AdminPassword, "admin-password", "", "its password (default $AGORA_ADMIN_PASSWORD)")
	fs.Int64Var(&c.Consultation, "consultation", 0, "use this consultation ID instead of creating one (then a facilitator account is enough)")
	fs.IntVar(&c.Participants, "participants", c.Participants, fmt.Sprintf("participants (sockets) to join, at most %d per process", MaxParticipants))
	fs.IntVar(&c.JoinConcurrency, "join-concurrency", c.JoinConcurrency, "joins in flight at once")
	fs.DurationVar(&c.VoteSpread, "vote-spread", c.VoteSpread, "every participant votes at a random moment within this after seeing the poll open")
	fs.DurationVar(&c.Rest, "rest", c.Rest, "quiet time after joining, before reading the server's memory")
	fs.IntVar(&c.Broadcasts, "broadcasts", c.Broadcasts, "reveal/hide toggles in the broadcast window (delivery latency, CPU per message)")
	fs.IntVar(&c.Options, "options", c.Options, "options of the poll (2 to 12)")
	fs.BoolVar(&c.HideResults, "hide-results", false, "create the poll with hidden results (phones and projector get no live tally until revealed)")
	fs.IntVar(&c.Readers, "readers", 0, "anonymous readers of the poll's public results (its API) from the poll's opening to the last vote's answer")
	fs.DurationVar(&c.ReadEvery, "read-every", c.ReadEvery, "each reader reads the results this often")
	fs.IntVar(&c.HTTPConns, "http-conns", c.HTTPConns, "keep-alive connections to each node, shared by its participants' HTTP requests")
	fs.IntVar(&c.SocketsPerIP, "sockets-per-ip", c.SocketsPerIP, "WebSockets per loopback source address")
	fs.StringVar(&c.SourceNet, "source-net", c.SourceNet, "source addresses are NET.FIRST, NET.FIRST+1, … (empty: let the kernel choose)")
	fs.IntVar(&c.SourceFirst, "source-first", c.SourceFirst, "last octet of the first source address")
	fs.BoolVar(&c.VoteProcess, "vote-process", c.VoteProcess, "send the votes from a second process, whose Go scheduler does not queue their answers behind the sockets' readers (false: from this one)")
	fs.StringVar(&pids, "server-pid", "", "server process IDs, comma-separated, to read RSS and CPU from /proc (e.g. $(pgrep -f /tmp/agora))")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "hard cap on the whole run")
	fs.StringVar(&c.JSONFile, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the load tool's own CPU profile to this file")
	fs.StringVar(&c.AckLog, "ack-log", "", "also write each vote's send time and ack latency (ms) to this file")
	fs.StringVar(&c.Label, "label", "", "name of the run in the report (backend, nodes…)")
	fs.BoolVar(&c.Strict, "strict", false, "exit 1 when a speed target is missed, not only when a check fails")
	fs.BoolVar(&c.Quiet, "q", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.Bases = splitList(bases)
	c.Origins = splitList(origins)
	if c.AdminPassword == "" {
		c.AdminPassword = os.Getenv("AGORA_ADMIN_PASSWORD")
	}
	for _, p := range splitList(pids) {
		n, err := strconv.Atoi(p)
		if err != nil {
			fmt.Fprintf(stderr, "-server-pid: %q is not a number\n", p)
			return nil, err
		}
		c.ServerPIDs = append(c.ServerPIDs, n)
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return nil, err
	}
	return c, nil
}

func (c *Config) validate() error {
	switch {
	case len(c.Bases) == 0:
		return errors.New("-url: at least one base URL")
	case len(c.Origins) != 0 && len(c.Origins) != len(c.Bases):
		return errors.New("-origin: one per -url")
	case c.Participants < 1 || c.Participants > MaxParticipants:
		return fmt.Errorf("-participants: 1 to %d per process (open files); run several processes beyond", MaxParticipants)
	case c.Options < 2 || c.Options > 12:
		return errors.New("-options: 2 to 12")
	case c.JoinConcurrency < 1 || c.HTTPConns < 1 || c.SocketsPerIP < 1:
		return errors.New("-join-concurrency, -http-conns and -sockets-per-ip must be positive")
	case c.Readers < 0 || c.Readers > 1000 || c.Readers > 0 && c.ReadEvery < time.Millisecond:
		return errors.New("-readers: 0 to 1000, with -read-every of at least 1ms")
	case c.Participants+2+c.HTTPConns*len(c.Bases)+c.Readers > maxConns:
		return fmt.Errorf("-participants, -http-conns and -readers: %d connections in all at most per process (open files)", maxConns)
	case c.Readers > 0 && c.HideResults:
		return errors.New("-readers: the results of a poll with -hide-results are not public")
	case c.AdminPassword == "":
		return errors.New("-admin-password (or $AGORA_ADMIN_PASSWORD) is required")
	}
	for i, b := range c.Bases {
		c.Bases[i] = strings.TrimRight(b, "/")
	}
	return nil
}

// origin is the Origin header for node i.
func (c *Config) origin(i int) string {
	if len(c.Origins) > 0 {
		return c.Origins[i]
	}
	return c.Bases[i]
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

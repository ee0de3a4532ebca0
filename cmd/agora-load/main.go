// Command agora-load drives a running Agora through its real HTTP API and
// WebSocket, like the phones of a hall: participants join a workshop, keep a
// socket open and vote in a burst when a poll opens, with a projector and a
// facilitator watching. It measures join time, vote acknowledgement, event
// delivery to every socket, how long the projector takes to show the exact
// final tally, and checks that every acknowledged vote is in the store.
//
// See BENCHMARKS.md for the figures and the commands that produced them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	if os.Getenv(voteProcessEnv) != "" { // started by a run to send its votes
		os.Exit(runVoteProcess(os.Stdin, os.Stdout, os.Stderr))
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	os.Exit(run(cfg, os.Stdout, os.Stderr))
}

// run runs one load test and prints its report; it returns the exit code:
// 0 when every check passed (and every target, with -strict), 1 otherwise.
func run(cfg *Config, stdout, stderr io.Writer) int {
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "agora-load: open files: %v\n", err)
	}
	if cfg.CPUProfile != "" { // the tool's own cost, which the server shares the machine with
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintf(stderr, "agora-load: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "agora-load: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	rep, err := Run(ctx, cfg, stderr)
	if rep != nil {
		rep.WriteTable(stdout)
		if cfg.JSONFile != "" {
			if werr := rep.WriteJSONFile(cfg.JSONFile); werr != nil {
				fmt.Fprintf(stderr, "agora-load: %v\n", werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "agora-load: %v\n", err)
		return 1
	}
	if !rep.OK(cfg.Strict) {
		return 1
	}
	return 0
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// socket is a file.
func raiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur >= l.Max {
		return nil
	}
	l.Cur = l.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

// Command agora runs Agora: `agora serve` (the default) starts the web
// server; `agora migrate`, `agora admin create` and `agora version` are the
// operator's tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "agora:", err)
		os.Exit(1)
	}
}

// run dispatches a subcommand. Without one it serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, args, getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "agora", version)
		return nil
	case "help":
		printCommands(stdout)
		return nil
	}
	printCommands(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func printCommands(w io.Writer) {
	fmt.Fprint(w, `Usage: agora [command] [flags]

Commands:
  serve                 run the web server (the default)
  migrate up|down|status  apply, roll back one, or list database migrations
  admin create          create an account: -email, -name, -role, password from $AGORA_PASSWORD or stdin
  demo                  serve with a French demo consultation and workshop, and print its links
  version               print the version

Run "agora serve -h" for every setting.
`)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := ParseConfig("agora serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	tuneGC(ctx, getenv)
	m := NewMain(cfg, stdout)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	return m.Close()
}

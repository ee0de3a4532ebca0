// Package redistest gives tests a Redis: the shared one of the machine, or
// a redis-server of their own that they may stop and start (fault tests
// must not stop the one other packages use in parallel).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is the shared test Redis when AGORA_TEST_REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the shared test Redis. It skips t when Redis does not answer,
// or fails it when CI is set: in CI a missing service is a failure.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("AGORA_TEST_REDIS_URL")
	if url == "" {
		url = DefaultURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := ping(opts); err != nil {
		skipOrFail(t, fmt.Sprintf("no redis at %s (set AGORA_TEST_REDIS_URL): %v", url, err))
	}
	return url
}

// Server is a redis-server of one test on a free port, killed when the
// test ends. It keeps nothing on disk.
type Server struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

// Start runs a new redis-server, or skips t (fails it in CI) when the
// binary is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		skipOrFail(t, "no redis-server in PATH: "+err.Error())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, port: ln.Addr().(*net.TCPAddr).Port}
	ln.Close()
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's address.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Start (re)starts the server on its port and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	opts := &redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(s.port)}
	deadline := time.Now().Add(10 * time.Second)
	for ping(opts) != nil {
		if time.Now().After(deadline) {
			s.t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash or a pulled cable would.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func ping(opts *redis.Options) error {
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

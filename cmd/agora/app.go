package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/server"
	"github.com/agora-civic/agora/store"
)

// Main is the running program: config in, wired services out. Tests run
// the real wiring on :0 with a temporary database.
type Main struct {
	Config *Config
	Logger *slog.Logger

	out    io.Writer
	db     *store.DB
	hub    *hub.Hub
	engine *live.Engine
	server *server.Server
	ln     net.Listener
	served chan error
	pprof  *http.Server       // -pprof-addr
	votes  *store.GroupCommit // the engine's votes, committed in batches (-vote-batch)

	sweepEvery   time.Duration // how often expired sessions go (defaultSweepEvery)
	stopSweep    context.CancelFunc
	sweepStopped chan struct{}
}

// NewMain returns a Main for cfg that prints its links to out.
func NewMain(cfg *Config, out io.Writer) *Main {
	return &Main{Config: cfg, Logger: newLogger(cfg, out), out: out}
}

func newLogger(cfg *Config, out io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}

// Run opens the store, migrates it, starts the hub and the HTTP server, and
// returns once the server listens. Close stops everything.
func (m *Main) Run(ctx context.Context) error {
	db, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	m.db = db
	if m.hub, err = m.newHub(ctx); err != nil {
		return err
	}
	var votes agora.Store = db
	if m.Config.VoteBatch > 0 {
		m.votes = store.NewGroupCommit(db, m.Config.VoteBatch, maxVoteBatch)
		votes = m.votes
	}
	m.engine = server.NewEngine(votes, m.hub, live.Options{TallyInterval: m.Config.TallyInterval, Logger: m.Logger})
	// Re-arm the countdowns of open activities; close the ones that expired
	// while the server was down.
	if err := m.engine.Resume(ctx); err != nil {
		return fmt.Errorf("resume workshops: %w", err)
	}
	m.server, err = server.New(m.serverConfig(), server.Deps{Store: db, Hub: m.hub, Engine: m.engine, Logger: m.Logger})
	if err != nil {
		return err
	}
	if err := m.ensureAdmin(ctx); err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return err
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(m.ln) }()
	m.startSweep()
	if err := m.startPprof(); err != nil {
		return fmt.Errorf("profiler: %w", err)
	}
	m.Logger.Info("agora is listening", "url", m.Config.PublicURL, "addr", m.ln.Addr().String(), "database", db.Dialect(), "version", version)
	fmt.Fprintf(m.out, "\nAgora is running: %s\n\n", m.Config.PublicURL)
	return nil
}

// maxVoteBatch caps a group commit: a hall's burst commits in a few
// transactions, none so long that its first vote waits for its last.
const maxVoteBatch = 256

// Addr is the address the server listens on (useful with -addr :0).
func (m *Main) Addr() net.Addr { return m.ln.Addr() }

func (m *Main) openStore(ctx context.Context) (*store.DB, error) {
	db, err := m.openStoreNoMigrate(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "up", io.Discard); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// ensureDataDir creates the data folder that holds the SQLite file.
func (m *Main) ensureDataDir() error {
	if !m.Config.IsSQLite() {
		return nil
	}
	if err := os.MkdirAll(m.Config.DataDir, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	return nil
}

func (m *Main) serverConfig() server.Config {
	var proxies []string
	for _, p := range strings.Split(m.Config.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			proxies = append(proxies, p)
		}
	}
	return server.Config{
		PublicURL:      m.Config.PublicURL,
		TrustedProxies: proxies,
		Dev:            m.Config.Dev,
		SessionTTL:     m.Config.SessionTTL,
		SMTPAddr:       m.Config.SMTPAddr,
		SMTPUser:       m.Config.SMTPUser,
		SMTPPassword:   m.Config.SMTPPassword,
		SMTPFrom:       m.Config.SMTPFrom,
		FloodRate:      float64(m.Config.FloodRate),
		FloodBurst:     m.Config.FloodBurst,
	}
}

// ensureAdmin creates the first admin from the configuration, or prints a
// one-time setup link, when no admin exists yet.
func (m *Main) ensureAdmin(ctx context.Context) error {
	n, err := m.db.CountUsers(ctx, agora.RoleAdmin)
	if err != nil || n > 0 {
		return err
	}
	if m.Config.AdminEmail != "" {
		_, err := server.CreateAccount(ctx, m.db, m.Config.AdminEmail, "Admin", m.Config.AdminPassword, agora.RoleAdmin)
		if err != nil && !agora.IsCode(err, agora.ECONFLICT) {
			return fmt.Errorf("create admin: %w", err)
		}
		m.Logger.Info("admin account ready") // no email: logs hold no personal data
		return nil
	}
	link, err := m.server.SetupLink(ctx)
	if err != nil {
		return fmt.Errorf("setup link: %w", err)
	}
	fmt.Fprintf(m.out, "\nNo admin yet. Open this one-time link to choose the admin's password:\n  %s\n", link)
	return nil
}

// Close drains the server, closes every socket with "going away" and
// closes the store. It is safe to call on a partly started Main.
//
// The order matters with several nodes: the sockets go first (clients
// reconnect to another node at once), then the requests in flight and the
// queued votes finish, and only then does the broker close, so that the
// other nodes still hear of every vote this node acknowledged.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.hub != nil {
		// Hijacked sockets are not closed by the HTTP server: the hub closes
		// them with 1001 so that clients reconnect at once.
		errs = append(errs, wrapErr("close sockets", m.hub.CloseSockets(ctx)))
	}
	if m.server != nil && m.ln != nil {
		errs = append(errs, wrapErr("drain requests", m.server.Shutdown(ctx)))
		errs = append(errs, wrapErr("send mails", m.server.WaitMail(ctx))) // reset links being sent
		// Shutdown misses a listener that Serve had not registered yet
		// (a Close right after Run); closing it ourselves ends Serve.
		m.ln.Close()
		if err := <-m.served; err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if m.pprof != nil {
		m.pprof.Close()
	}
	if m.stopSweep != nil {
		m.stopSweep()
		<-m.sweepStopped
	}
	if m.votes != nil {
		m.votes.Stop() // commits the votes still queued, before the engine stops
	}
	if m.engine != nil {
		m.engine.Close()
	}
	if m.hub != nil {
		// Last: until here the engine tells its peers what it committed.
		errs = append(errs, wrapErr("close broker", m.hub.Close(ctx)))
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	m.Logger.Info("agora stopped")
	return errors.Join(errs...)
}

// newHub starts the realtime hub: in process by default, across nodes
// through Redis when REDIS_URL is set.
func (m *Main) newHub(ctx context.Context) (*hub.Hub, error) {
	cfg := hub.Config{CoalesceInterval: m.Config.TallyInterval, PhoneInterval: m.Config.PhoneInterval, Logger: m.Logger}
	if m.Config.RedisURL != "" {
		b, err := hub.NewRedisBroker(ctx, hub.RedisConfig{URL: m.Config.RedisURL, Logger: m.Logger})
		if err != nil {
			return nil, err
		}
		cfg.Broker = b
	}
	return hub.New(cfg)
}

// wrapErr prefixes a non-nil error with the step that failed.
func wrapErr(step string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", step, err)
}

// Package server is Agora's HTTP side: the fiber app, its pages and JSON
// handlers, authentication, middleware and the WebSocket endpoint.
package server

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
	"github.com/agora-civic/agora/web"
)

// Config is what the HTTP side needs to know. cmd/agora fills it from flags
// and AGORA_* variables.
type Config struct {
	// PublicURL is the address people type or scan, e.g. https://agora.example.fr.
	// It is encoded in QR codes and checked against WebSocket Origin headers.
	// Cookies are Secure when it starts with https.
	PublicURL string
	// TrustedProxies are the addresses (IPs or CIDRs) whose X-Forwarded-For is
	// believed. Empty: the peer address is the client.
	TrustedProxies []string
	// Dev reads templates and static files from disk on each request.
	Dev bool
	// WebDir is the folder read in Dev mode (default "web").
	WebDir string
	// SessionTTL is how long a sign-in lasts (default 30 days).
	SessionTTL time.Duration
	// BodyLimit caps request bodies in bytes (default 256 KiB).
	BodyLimit int
	// ReadTimeout is how long a client has to send a whole request, and
	// IdleTimeout how long a keep-alive connection may wait unused
	// (defaults 2 min both): half-sent requests (slowloris) cannot hold
	// connections forever. Upgraded WebSockets are exempt. The read
	// timeout is long because fasthttp arms it when a connection opens,
	// not when its first request starts: a client that dials ahead and
	// sends later (browsers preconnect, HTTP pools) must not be cut
	// mid-request (a 30 s timeout answered 408 to 8 votes of 10,000).
	ReadTimeout time.Duration
	IdleTimeout time.Duration
	// SigninWindow is the period over which sign-in attempts are counted
	// (default 15 minutes).
	SigninWindow time.Duration
	// SigninPerEmail caps sign-in attempts on one account per window
	// (default 10).
	SigninPerEmail int
	// SigninPerIP caps sign-in attempts from one client address per window
	// (default 300: a flood guard only, since a whole venue may share one
	// public address).
	SigninPerIP int
	// AllowedOrigins are origins (scheme://host) the WebSocket accepts
	// besides PublicURL's, e.g. a second domain (none).
	AllowedOrigins []string
	// FloodRate and FloodBurst are the per-address flood guard: requests
	// per second sustained and at once, per node (defaults 50 and 20,000;
	// see flood.go for why so generous). Joins per address per minute are
	// limited to FloodBurst/4. A negative FloodRate turns both off (load
	// tests from one machine).
	FloodRate  float64
	FloodBurst int
	// SMTPAddr is the mail relay (host:port) that sends password reset
	// links; empty writes the links to the log for the admin instead.
	SMTPAddr string
	// SMTPUser and SMTPPassword authenticate to the relay (PLAIN, over TLS
	// or to localhost only); no user: no authentication.
	SMTPUser     string
	SMTPPassword string
	// SMTPFrom is the sender address (default noreply@ the public host).
	SMTPFrom string
}

// Defaults of Config.
const (
	DefaultSessionTTL     = 30 * 24 * time.Hour
	DefaultBodyLimit      = 256 << 10
	DefaultReadTimeout    = 2 * time.Minute
	DefaultIdleTimeout    = 2 * time.Minute
	DefaultSigninWindow   = 15 * time.Minute
	DefaultSigninPerEmail = 10
	DefaultSigninPerIP    = 300
)

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.WebDir == "" {
		c.WebDir = "web"
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.SigninWindow <= 0 {
		c.SigninWindow = DefaultSigninWindow
	}
	if c.SigninPerEmail <= 0 {
		c.SigninPerEmail = DefaultSigninPerEmail
	}
	if c.SigninPerIP <= 0 {
		c.SigninPerIP = DefaultSigninPerIP
	}
	if c.FloodRate == 0 {
		c.FloodRate = DefaultFloodRate
	}
	if c.FloodBurst <= 0 {
		c.FloodBurst = DefaultFloodBurst
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Deps are the services the server calls.
type Deps struct {
	Store agora.Store
	Hub   *hub.Hub
	// Engine runs workshop commands; when nil, New makes one on Store that
	// publishes through Hub (see NewEngine).
	Engine *live.Engine
	Logger *slog.Logger
	Now    func() time.Time // injectable clock; time.Now when nil
}

// Server serves Agora over HTTP.
type Server struct {
	cfg    Config
	store  agora.Store
	hub    *hub.Hub
	engine *live.Engine
	log    *slog.Logger
	now    func() time.Time
	app    *fiber.App

	web     *web.Web       // templates, static files, translations
	secure  bool           // PublicURL is https: cookies are Secure
	csp     string         // the Content-Security-Policy header
	proxies *trustedNets   // peers whose X-Forwarded-For is believed
	csrf    csrfKeyHolder  // the instance-wide key signing CSRF tokens
	pseudo  pseudoKeyCache // the key pseudonymising the open data
	flood   *floodGuard    // per-address token buckets of this node
	local   *localCounters // per-participant limits of this node
	conns   *connTracker   // HTTP connections, bounded at shutdown
	chunked chunkedHeaders // headers of chunked requests, for their errors
	rooms   roomCache      // what a vote reads, kept for a second (roomcache.go)
	reports reportCache    // published reports, built once a moment (reportcache.go)
	results resultCache    // activities' results counted from the store (resultcache.go)
	mail    mailer         // sends password reset links
	bg      sync.WaitGroup // mails being sent after their request answered

	wsOrigins []string // origins the WebSocket accepts, from PublicURL and AllowedOrigins
}

// New builds the fiber app with every route.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, store: deps.Store, hub: deps.Hub, engine: deps.Engine, log: deps.Logger, now: deps.Now}
	if s.engine == nil {
		s.engine = NewEngine(deps.Store, deps.Hub, live.Options{Logger: deps.Logger})
	}
	s.engine.OnResultsChange(s.results.forget)
	var err error
	if s.web, err = web.New(web.Options{Dev: cfg.Dev, Dir: cfg.WebDir}); err != nil {
		return nil, err
	}
	if s.proxies, err = parseTrustedNets(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	s.secure = strings.HasPrefix(cfg.PublicURL, "https://")
	s.csp = contentSecurityPolicy(cfg.PublicURL)
	if cfg.FloodRate > 0 {
		s.flood = newFloodGuard(cfg.FloodRate, cfg.FloodBurst)
	}
	s.local = newLocalCounters()
	s.mail = newMailer(cfg, deps.Logger, deps.Now)
	s.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           cfg.ReadTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ErrorHandler:          s.handleError,
		// Agora takes no multipart body. Pre-parsed by fasthttp, a broken
		// one reset the request before the error handler: a French HTML
		// 400 and a new CSRF cookie for any caller. Read as bytes, it gets
		// the usual answers (415 JSON on the API, the CSRF check on forms).
		DisablePreParseMultipartForm: true,
		// Protocol() believes X-Forwarded-Proto only from these peers.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
	})
	s.conns = newConnTracker()
	s.app.Server().ConnState = s.conns.state
	// A WebSocket's connection is the hub's once hijacked (see hijack).
	s.app.Server().KeepHijackedConns = true
	s.chunked.install(s.app.Server())
	s.middleware()
	s.routes()
	return s, nil
}

// App returns the fiber app, for tests that call app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting requests and waits for running ones until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.shutdown(ctx) }

func (s *Server) routes() {
	s.registerHealthRoutes()
	s.registerStaticRoutes()
	s.registerLangRoutes()
	s.registerAccountRoutes()
	s.registerPasswordResetRoutes()
	s.registerMeRoutes()
	s.registerSetupRoutes()
	s.registerHomeRoutes()
	s.registerAccessibilityRoutes()
	s.registerConsultationRoutes()
	s.registerReportRoutes()
	s.registerProposalRoutes()
	s.registerAdminRoutes()
	s.registerFacilitateRoutes()
	s.registerScreenRoutes()
	s.registerJoinRoutes()
	s.registerParticipantRoutes()
	s.registerAPIRoutes()
	s.registerWorkshopAPIRoutes()
	s.registerPublicAPIRoutes()
	s.registerDebateRoutes()
	s.registerOnlineRoutes()
	s.registerModerateRoutes()
	s.registerWSRoutes()
}

// Package server is Agora's HTTP side: the fiber app, its pages and JSON
// handlers, authentication, middleware and the WebSocket endpoint.
package server

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
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
}

// Deps are the services the server calls.
type Deps struct {
	Store  agora.Store
	Hub    *hub.Hub
	Logger *slog.Logger
	Now    func() time.Time // injectable clock; time.Now when nil
}

// Server serves Agora over HTTP.
type Server struct {
	cfg   Config
	store agora.Store
	hub   *hub.Hub
	log   *slog.Logger
	now   func() time.Time
	app   *fiber.App
}

// New builds the fiber app with every route.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, store: deps.Store, hub: deps.Hub, log: deps.Logger, now: deps.Now}
	s.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             cfg.BodyLimit,
	})
	s.routes()
	return s, nil
}

// App returns the fiber app, for tests that call app.Test.
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting requests and waits for running ones until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

func (s *Server) routes() {
	s.registerHealthRoutes()
}

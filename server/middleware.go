package server

import (
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// middleware installs what runs before every route: panic recovery,
// security headers, the per-address flood guard and the CSRF check of
// state-changing requests.
func (s *Server) middleware() {
	s.app.Use(recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			s.log.Error("panic", "method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
		},
	}))
	s.app.Use(helmet.New(helmet.Config{
		// helmet's default no-referrer makes browsers omit the Referer that
		// CSRF checks on https rely on; same-origin keeps it in-site only.
		ReferrerPolicy:        "same-origin",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: s.csp,
		HSTSMaxAge:            31536000,
		HSTSExcludeSubdomains: true,
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), payment=()",
	}))
	s.app.Use(s.guardFlood)
	s.app.Use(s.checkCSRF)
}

// contentSecurityPolicy allows only our own scripts, styles and images,
// and WebSockets to our own host. Inline scripts and styles are refused:
// no template has any.
func contentSecurityPolicy(publicURL string) string {
	connect := "'self' ws: wss:"
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		scheme := "ws"
		if u.Scheme == "https" {
			scheme = "wss"
		}
		connect = "'self' " + scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src " + connect,
		"font-src 'self'",
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"object-src 'none'",
	}, "; ")
}

// logInternal records an unexpected error with what a maintainer needs.
func (s *Server) logInternal(c *fiber.Ctx, err error) {
	s.log.Error("request failed", slog.String("method", c.Method()), slog.String("path", c.Path()), slog.Any("err", err))
}

package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
)

// The audiences a client may ask for with ?aud=.
var wsAudiences = map[string]hub.Audience{
	"participant": hub.Participants,
	"screen":      hub.Screen,
	"facilitator": hub.Facilitators,
}

func (s *Server) registerWSRoutes() {
	if s.hub == nil {
		return // no hub wired: pages work, without live updates
	}
	s.wsOrigins = allowedOrigins(s.cfg.PublicURL, s.cfg.AllowedOrigins)
	s.hub.SetSnapshotter(s.topicSnapshot)
	s.app.Get("/ws", s.handleWS)
}

// handleWS upgrades GET /ws?w={code}&aud={audience}[&screen={token}][&since={seq}]
// or /ws?c={slug}[&since={seq}] to a WebSocket on the topic the client is
// entitled to. Refusals happen before the upgrade, as plain HTTP errors.
func (s *Server) handleWS(c *fiber.Ctx) error {
	if !isUpgrade(c) {
		c.Set(fiber.HeaderUpgrade, "websocket")
		return fiber.NewError(fiber.StatusUpgradeRequired)
	}
	if !s.wsOriginAllowed(c.Get(fiber.HeaderOrigin)) {
		return agora.Errorf(agora.EFORBIDDEN, "error.forbidden")
	}
	sub, ws, err := s.wsSubscription(c)
	if err != nil {
		return err
	}
	return hijack(c, func(w http.ResponseWriter, r *http.Request) {
		if err := s.hub.Serve(w, r, sub); err != nil {
			s.log.Debug("websocket not opened", "topic", sub.Topic, "err", err)
			return
		}
		if ws != nil {
			s.watchWorkshop(ws)
		}
	})
}

// isUpgrade reports whether c asks for a WebSocket. Other requests are
// refused as usual HTTP errors, before the connection is hijacked.
func isUpgrade(c *fiber.Ctx) bool {
	return c.Request().Header.ConnectionUpgrade() && headerHasToken(c.Get(fiber.HeaderUpgrade), "websocket")
}

// headerHasToken reports whether a comma-separated header lists token.
func headerHasToken(v, token string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// wsSubscription decides the topic from who the client is; w is the
// workshop of a workshop topic.
func (s *Server) wsSubscription(c *fiber.Ctx) (sub hub.Subscription, w *agora.Workshop, err error) {
	if v := c.Query("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return sub, nil, agora.Errorf(agora.EINVALID, "error.http", fiber.StatusBadRequest)
		}
		sub.Resume, sub.Since = true, n
	}
	if slug := c.Query("c"); slug != "" {
		cons, err := s.store.ConsultationBySlug(c.UserContext(), slug)
		if err != nil || cons.Status == agora.ConsultationDraft {
			return sub, nil, agora.Errorf(agora.ENOTFOUND, "error.not_found")
		}
		sub.Topic = hub.ConsultationTopic(cons.ID)
		return sub, nil, nil
	}
	code := agora.NormalizeJoinCode(c.Query("w"))
	if code == "" {
		return sub, nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	}
	w, err = s.store.WorkshopByCode(c.UserContext(), code)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return sub, nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	} else if err != nil {
		return sub, nil, err
	}
	aud, ok := wsAudiences[c.Query("aud")]
	if !ok {
		return sub, nil, agora.Errorf(agora.EINVALID, "error.http", fiber.StatusBadRequest)
	}
	member, err := s.wsEntitled(c, w, aud)
	if err != nil {
		return sub, nil, err
	}
	sub.Topic, sub.Member = hub.WorkshopTopic(w.ID, aud), member
	return sub, w, nil
}

// watchWorkshop tells the engine that a socket of w connected here, once
// it is attached: the engine then follows w's other nodes and republishes
// the live values (tally, presence), which are not in the topic's history
// that a resuming socket was given instead of a snapshot.
func (s *Server) watchWorkshop(w *agora.Workshop) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.engine.Watch(ctx, w); err != nil {
		s.log.Warn("live values for a new socket", "workshop", w.ID, "err", err)
	}
}

// wsEntitled checks that the client may see audience a of workshop w, and
// returns its presence member (participants only).
func (s *Server) wsEntitled(c *fiber.Ctx, w *agora.Workshop, a hub.Audience) (member string, err error) {
	forbidden := agora.Errorf(agora.EFORBIDDEN, "error.forbidden")
	switch a {
	case hub.Participants:
		p, err := s.workshopParticipant(c, w)
		if err != nil {
			return "", forbidden
		}
		return strconv.FormatInt(p.ID, 10), nil
	case hub.Screen:
		token := c.Query("screen")
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(w.ScreenToken)) != 1 {
			return "", forbidden
		}
		return "", nil
	case hub.Facilitators:
		u, _, err := s.sessionUser(c)
		if err != nil || !u.Role.CanFacilitate() {
			return "", forbidden
		}
		return "", nil
	}
	return "", forbidden
}

// allowedOrigins returns the scheme://host origins of the public URL and
// the extra ones, lower-cased.
func allowedOrigins(publicURL string, extra []string) []string {
	var out []string
	for _, raw := range append([]string{publicURL}, extra...) {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Scheme == "" || u.Host == "" {
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}

// wsOriginAllowed guards against cross-site WebSocket hijacking: a page on
// another site could otherwise open a socket with our visitors' cookies.
// Browsers always send Origin on WebSocket requests; a request without one
// is not from a browser, so it carries no one else's cookies.
func (s *Server) wsOriginAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	origin = strings.ToLower(origin)
	for _, o := range s.wsOrigins {
		if origin == o {
			return true
		}
	}
	return false
}

// topicSnapshot is the hub's Snapshotter: the whole state of a topic, read
// from the store.
func (s *Server) topicSnapshot(ctx context.Context, topic string) (any, error) {
	if id, a, ok := hub.ParseWorkshopTopic(topic); ok {
		w, err := s.store.WorkshopByID(ctx, id)
		if err != nil {
			return nil, err
		}
		return s.roomSnapshot(ctx, w, a)
	}
	if id, ok := hub.ParseConsultationTopic(topic); ok {
		cons, err := s.store.ConsultationByID(ctx, id)
		if err != nil {
			return nil, err
		}
		return consultationState{ID: cons.ID, Slug: cons.Slug, Title: cons.Title, Status: string(cons.Status)}, nil
	}
	return nil, agora.Errorf(agora.ENOTFOUND, "error.not_found")
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/live"
)

// wsEnv is a real server listening on 127.0.0.1 with a workshop, a
// participant device and a facilitator.
type wsEnv struct {
	t        *testing.T
	s        *Server
	st       agora.Store
	hub      *hub.Hub
	base     string // http://127.0.0.1:port
	ws       *agora.Workshop
	act      *agora.Activity
	device   string // participant cookie value
	staff    string // session cookie of a facilitator
	citizen  string // session cookie of a citizen
	serveErr chan error
}

func newWSEnv(t *testing.T) *wsEnv {
	t.Helper()
	return newWSEnvWith(t, Config{})
}

// newWSEnvWith is newWSEnv with settings; PublicURL is set to the listener.
func newWSEnvWith(t *testing.T, cfg Config) *wsEnv {
	t.Helper()
	ctx := context.Background()
	st := openSQLite(t)
	h, err := hub.New(hub.Config{MaxMessageSize: 1024, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &wsEnv{t: t, st: st, hub: h, base: "http://" + ln.Addr().String(), serveErr: make(chan error, 1)}
	cfg.PublicURL = e.base
	e.s, _ = testServerWithHub(t, st, h, cfg)
	go func() { e.serveErr <- e.s.Serve(ln) }()
	t.Cleanup(e.shutdown)

	cons := &agora.Consultation{Slug: "velo", Title: "Le vélo en ville", Status: agora.ConsultationOpen}
	must(t, st.CreateConsultation(ctx, cons))
	e.ws = &agora.Workshop{ConsultationID: cons.ID, Title: "Atelier du jeudi", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopLive}
	must(t, st.CreateWorkshop(ctx, e.ws))
	e.act = &agora.Activity{WorkshopID: e.ws.ID, Kind: agora.KindPoll, Prompt: "Quelle piste ?",
		Options: []agora.Option{{ID: 1, Label: "Nord"}, {ID: 2, Label: "Sud"}}, State: agora.ActivityOpen}
	must(t, st.CreateActivity(ctx, e.act))
	must(t, st.CreateActivity(ctx, &agora.Activity{WorkshopID: e.ws.ID, Kind: agora.KindWordCloud,
		Prompt: "Secret de la suite", State: agora.ActivityPending}))
	e.ws.CurrentActivityID = &e.act.ID
	must(t, st.UpdateWorkshop(ctx, e.ws))
	e.device = agora.NewSecret()
	must(t, st.CreateParticipant(ctx, &agora.Participant{WorkshopID: e.ws.ID,
		TokenHash: agora.HashToken(e.device), PublicID: agora.NewSecret()}))
	fc, _ := signedIn(t, e.s, st, agora.RoleFacilitator)
	e.staff = fc.jar[sessionCookie].Value
	cc, _ := signedIn(t, e.s, st, agora.RoleCitizen)
	e.citizen = cc.jar[sessionCookie].Value
	return e
}

func (e *wsEnv) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.hub.Close(ctx) // the hub closes the hijacked sockets; fiber does not
	if err := e.s.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
}

// testServerWithHub is testServer with a hub.
func testServerWithHub(t *testing.T, st agora.Store, h *hub.Hub, cfg Config) (*Server, error) {
	t.Helper()
	s, err := New(cfg, Deps{Store: st, Hub: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, nil
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type wsDial struct {
	query   string
	origin  string // default: the public URL
	cookies map[string]string
}

// dial opens a socket through the real fiber app; it returns the HTTP
// status when the upgrade is refused.
func (e *wsEnv) dial(d wsDial) (*websocket.Conn, int, error) {
	h := http.Header{}
	if d.origin == "" {
		d.origin = e.base
	}
	h.Set("Origin", d.origin)
	var cookies []string
	for k, v := range d.cookies {
		cookies = append(cookies, k+"="+v)
	}
	if len(cookies) > 0 {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.base, "http")+"/ws?"+d.query, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, status, err
	}
	e.t.Cleanup(func() { ws.CloseNow() })
	return ws, http.StatusSwitchingProtocols, nil
}

func (e *wsEnv) mustDial(d wsDial) *websocket.Conn {
	e.t.Helper()
	ws, status, err := e.dial(d)
	if err != nil {
		e.t.Fatalf("dial %q: status %d: %v", d.query, status, err)
	}
	return ws
}

func (e *wsEnv) participant() wsDial {
	return wsDial{query: "w=" + e.ws.JoinCode + "&aud=participant",
		cookies: map[string]string{participantCookie(e.ws.JoinCode): e.device}}
}

func wsRead(t *testing.T, ws *websocket.Conn) hub.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m hub.Envelope
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	return m
}

// wsReadEvent is wsRead without the live values ("latest": tallies,
// presence) that the engine republishes when a socket connects: they come
// when the coalescer lets them, so they may follow an event published
// after the connection.
func wsReadEvent(t *testing.T, ws *websocket.Conn) hub.Envelope {
	t.Helper()
	for {
		if m := wsRead(t, ws); !m.Latest {
			return m
		}
	}
}

func wsCloseCode(t *testing.T, ws *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, _, err := ws.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestWS_HandshakeSnapshotEvents(t *testing.T) {
	e := newWSEnv(t)
	ws := e.mustDial(e.participant())
	m := wsRead(t, ws)
	if m.Type != hub.TypeSnapshot || m.Topic != hub.WorkshopTopic(e.ws.ID, hub.Participants) || m.Seq != 0 {
		t.Fatalf("first message %+v", m)
	}
	var st roomState
	must(t, json.Unmarshal(m.Data, &st))
	if st.Workshop.Title != "Atelier du jeudi" || st.Workshop.JoinCode != e.ws.JoinCode || st.Workshop.State != "live" {
		t.Errorf("workshop in snapshot: %+v", st.Workshop)
	}
	if len(st.Activities) != 1 || st.Activities[0].ID != e.act.ID {
		t.Errorf("participants see %+v, want the current activity only", st.Activities)
	}
	if st.Presence != 1 {
		t.Errorf("presence = %d, want 1", st.Presence)
	}
	if strings.Contains(string(m.Data), e.ws.ScreenToken) {
		t.Error("snapshot leaks the screen token")
	}

	topic := hub.WorkshopTopic(e.ws.ID, hub.Participants)
	for i := 1; i <= 3; i++ {
		must(t, e.hub.Publish(context.Background(), topic, live.EventState, map[string]int{"i": i}))
	}
	for want := uint64(1); want <= 3; want++ {
		if m := wsReadEvent(t, ws); m.Type != live.EventState || m.Seq != want {
			t.Fatalf("got %+v, want activity event %d", m, want)
		}
	}
	ws.Close(websocket.StatusNormalClosure, "")

	// Reconnecting with since= gets what was missed, not a snapshot.
	must(t, e.hub.Publish(context.Background(), topic, live.EventState, map[string]int{"i": 4}))
	d := e.participant()
	d.query += "&since=3"
	ws = e.mustDial(d)
	if m := wsReadEvent(t, ws); m.Type != live.EventState || m.Seq != 4 {
		t.Fatalf("resume got %+v, want event 4", m)
	}
}

func TestWS_Refused(t *testing.T) {
	e := newWSEnv(t)
	code := e.ws.JoinCode
	device := map[string]string{participantCookie(code): e.device}
	tests := []struct {
		name string
		d    wsDial
		want int
	}{
		{"wrong origin", wsDial{query: "w=" + code + "&aud=participant", cookies: device, origin: "https://evil.example"}, 403},
		{"origin with other port", wsDial{query: "w=" + code + "&aud=participant", cookies: device, origin: "http://127.0.0.1:1"}, 403},
		{"unknown workshop", wsDial{query: "w=ABCDEF&aud=participant", cookies: device}, 404},
		{"malformed code", wsDial{query: "w=0&aud=participant", cookies: device}, 404},
		{"unknown audience", wsDial{query: "w=" + code + "&aud=everyone", cookies: device}, 422},
		{"participant without device", wsDial{query: "w=" + code + "&aud=participant"}, 403},
		{"participant asks facilitators", wsDial{query: "w=" + code + "&aud=facilitator", cookies: device}, 403},
		{"citizen asks facilitators", wsDial{query: "w=" + code + "&aud=facilitator",
			cookies: map[string]string{sessionCookie: e.citizen}}, 403},
		{"screen without token", wsDial{query: "w=" + code + "&aud=screen"}, 403},
		{"screen with wrong token", wsDial{query: "w=" + code + "&aud=screen&screen=" + agora.NewSecret()}, 403},
		{"bad since", wsDial{query: "w=" + code + "&aud=participant&since=x", cookies: device}, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, status, err := e.dial(tt.d)
			if err == nil || status != tt.want {
				t.Fatalf("status %d (%v), want %d", status, err, tt.want)
			}
		})
	}
}

func TestWS_Audiences(t *testing.T) {
	e := newWSEnv(t)
	staff := e.mustDial(wsDial{query: "w=" + e.ws.JoinCode + "&aud=facilitator",
		cookies: map[string]string{sessionCookie: e.staff}})
	m := wsRead(t, staff)
	var st roomState
	must(t, json.Unmarshal(m.Data, &st))
	if m.Topic != hub.WorkshopTopic(e.ws.ID, hub.Facilitators) || len(st.Activities) != 2 {
		t.Fatalf("facilitator snapshot %s: %+v", m.Topic, st)
	}
	screen := e.mustDial(wsDial{query: "w=" + strings.ToLower(e.ws.JoinCode) + "&aud=screen&screen=" + e.ws.ScreenToken})
	if m := wsRead(t, screen); m.Topic != hub.WorkshopTopic(e.ws.ID, hub.Screen) {
		t.Fatalf("screen topic %s", m.Topic)
	}
	// What goes to facilitators reaches neither the screen nor participants.
	part := e.mustDial(e.participant())
	wsRead(t, part)
	ctx := context.Background()
	must(t, e.hub.Publish(ctx, hub.WorkshopTopic(e.ws.ID, hub.Facilitators), live.EventIdea, "unmoderated"))
	must(t, e.hub.Publish(ctx, hub.WorkshopTopic(e.ws.ID, hub.Screen), live.EventTally, "screen"))
	must(t, e.hub.Publish(ctx, hub.WorkshopTopic(e.ws.ID, hub.Participants), live.EventTally, "participants"))
	for ws, want := range map[*websocket.Conn]string{staff: `"unmoderated"`, screen: `"screen"`, part: `"participants"`} {
		if m := wsReadEvent(t, ws); string(m.Data) != want {
			t.Errorf("got %s, want %s", m.Data, want)
		}
	}
	online := e.mustDial(wsDial{query: "c=velo"})
	if m := wsRead(t, online); m.Type != hub.TypeSnapshot || !strings.Contains(string(m.Data), "Le vélo en ville") {
		t.Fatalf("consultation snapshot %+v", m)
	}
}

func TestWS_InboundLimits(t *testing.T) {
	e := newWSEnv(t)
	tests := []struct {
		name string
		msg  string
		want websocket.StatusCode
	}{
		{"too big", `{"type":"ping","x":"` + strings.Repeat("x", 4096) + `"}`, hub.CloseTooBig},
		{"malformed", `{"type":"ping"`, hub.CloseMalformed},
		{"not allowed", `{"type":"vote","data":{"option":1}}`, hub.ClosePolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := e.mustDial(e.participant())
			wsRead(t, ws)
			err := ws.Write(context.Background(), websocket.MessageText, []byte(tt.msg))
			// The server may close on an oversized frame's header while the
			// rest is still being written; its close frame is still readable.
			if err != nil && tt.want != hub.CloseTooBig {
				t.Fatal(err)
			}
			if got := wsCloseCode(t, ws); got != tt.want {
				t.Fatalf("close code %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("keepalive", func(t *testing.T) {
		ws := e.mustDial(e.participant())
		wsRead(t, ws)
		must(t, ws.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)))
		if m := wsReadEvent(t, ws); m.Type != hub.TypePong {
			t.Fatalf("got %+v, want pong", m)
		}
	})
}

func TestWS_ShutdownGoingAway(t *testing.T) {
	e := newWSEnv(t)
	ws := e.mustDial(e.participant())
	wsRead(t, ws)
	got := make(chan websocket.StatusCode, 1)
	go func() { got <- wsCloseCode(t, ws) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	must(t, e.hub.Close(ctx))
	if code := <-got; code != hub.CloseGoingAway {
		t.Fatalf("close code %v, want 1001", code)
	}
	must(t, e.s.Shutdown(ctx))
	if err := <-e.serveErr; err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("serve: %v", err)
	}
}

func TestWS_Readyz(t *testing.T) {
	e := newWSEnv(t)
	resp, err := http.Get(e.base + "/readyz")
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"broker":"ok"`) {
		t.Fatalf("readyz %d %s", resp.StatusCode, body)
	}
}

// TestWS_EventsMirroredInJS keeps live.js's EVENTS in step with the Go
// constants.
func TestWS_EventsMirroredInJS(t *testing.T) {
	src, err := os.ReadFile("../web/static/js/live.js")
	must(t, err)
	for _, name := range []string{live.EventState, live.EventTally, live.EventIdea, live.EventIdeaRemoved,
		live.EventIdeaModerated, live.EventHighlight, live.EventPresence, live.EventAnswers,
		EventComment, EventCommentVotes, EventHidden, EventRestored,
		hub.TypeSnapshot, hub.TypePong, hub.TypePing, hub.TypeResume} {
		if !regexp.MustCompile(`\b\w+: '` + regexp.QuoteMeta(name) + `'`).Match(src) {
			t.Errorf("live.js does not mirror %q", name)
		}
	}
}

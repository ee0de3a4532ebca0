package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/hub"
	"github.com/agora-civic/agora/store"
)

// wsFuzzMaxMessage is the hub's inbound limit in FuzzWSInbound.
const wsFuzzMaxMessage = 1024

// wsFuzzServer is a real server on 127.0.0.1 with a live workshop and one
// joined device, built once per fuzz run.
type wsFuzzServer struct {
	url    string // ws://127.0.0.1:port/ws?…
	origin string
	cookie string
}

func newWSFuzzServer(f *testing.F) *wsFuzzServer {
	ctx := context.Background()
	u := "sqlite:" + filepath.Join(f.TempDir(), "agora.db")
	st, err := store.Open(ctx, u, nil)
	if err != nil {
		f.Fatal(err)
	}
	if err := st.Migrate(ctx, "up", io.Discard); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.New(hub.Config{MaxMessageSize: wsFuzzMaxMessage, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s, err := New(Config{PublicURL: base}, Deps{Store: st, Hub: h, Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	go s.Serve(ln)
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
		s.Shutdown(ctx)
	})
	cons := &agora.Consultation{Slug: "fuzz", Title: "Fuzz", Status: agora.ConsultationOpen}
	mustF(f, st.CreateConsultation(ctx, cons))
	w := &agora.Workshop{ConsultationID: cons.ID, Title: "Atelier", JoinCode: agora.NewJoinCode(),
		ScreenToken: agora.NewSecret(), State: agora.WorkshopLive}
	mustF(f, st.CreateWorkshop(ctx, w))
	device := agora.NewSecret()
	mustF(f, st.CreateParticipant(ctx, &agora.Participant{WorkshopID: w.ID,
		TokenHash: agora.HashToken(device), PublicID: agora.NewSecret()}))
	return &wsFuzzServer{
		url:    "ws" + strings.TrimPrefix(base, "http") + "/ws?aud=participant&w=" + w.JoinCode,
		origin: base,
		cookie: participantCookie(w.JoinCode) + "=" + device,
	}
}

func mustF(f *testing.F, err error) {
	f.Helper()
	if err != nil {
		f.Fatal(err)
	}
}

// wsInboundVerdict is what the server must do with one inbound message:
// close with a code, or 0 when it accepts it and keeps the socket.
func wsInboundVerdict(binary bool, msg []byte) websocket.StatusCode {
	switch {
	case len(msg) > wsFuzzMaxMessage:
		return hub.CloseTooBig
	case binary:
		return hub.ClosePolicy
	}
	var m hub.Envelope
	if err := json.Unmarshal(msg, &m); err != nil {
		return hub.CloseMalformed
	}
	if m.Type != hub.TypePing && m.Type != hub.TypeResume {
		return hub.ClosePolicy
	}
	return 0
}

// FuzzWSInbound sends one arbitrary message on a participant's socket of
// the real server. The server never crashes and never ignores it: a ping
// or resume is answered and the socket stays open (a ping sent after it
// gets its pong); anything else closes the socket with the code of
// docs/protocol.md (1007 not JSON, 1008 binary or a type clients may not
// send, 1009 too big).
func FuzzWSInbound(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping"}`,
		`{"type":"resume","seq":0}`,
		`{"type":"resume","seq":18446744073709551615}`,
		`{"type":"resume","seq":-1}`,
		`{"type":"vote","data":{"option":1}}`,
		`{"type":"ping"`,
		`null`,
		`[]`,
		`{"type":"ping","data":` + strings.Repeat("[", 2000) + `}`,
		"{\"type\":\"p\xffing\"}",
	} {
		f.Add(false, []byte(s))
	}
	f.Add(true, []byte(`{"type":"ping"}`))
	srv := newWSFuzzServer(f)
	f.Fuzz(func(t *testing.T, binary bool, msg []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h := http.Header{"Origin": {srv.origin}, "Cookie": {srv.cookie}}
		ws, _, err := websocket.Dial(ctx, srv.url, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer ws.CloseNow()
		if _, _, err := ws.Read(ctx); err != nil { // the snapshot
			t.Fatalf("snapshot: %v", err)
		}
		typ := websocket.MessageText
		if binary {
			typ = websocket.MessageBinary
		}
		want := wsInboundVerdict(binary, msg)
		// The server may close on an oversized frame's header while the
		// rest is still being written; its close frame stays readable.
		if err := ws.Write(ctx, typ, msg); err != nil && want != hub.CloseTooBig {
			t.Fatalf("write: %v", err)
		}
		if want == 0 {
			if err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
				t.Fatalf("write ping after %q: %v", msg, err)
			}
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				if got := websocket.CloseStatus(err); got != want || want == 0 {
					t.Fatalf("message %q (binary %v): closed with %v (%v), want %v", msg, binary, got, err, want)
				}
				return
			}
			if want == 0 && string(data) == `{"type":"pong","seq":0}` {
				return
			}
		}
	})
}

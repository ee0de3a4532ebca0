package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agora-civic/agora/store"
)

// TestSIGTERM_DrainsAndSaysGoingAway builds the agora binary, serves a
// workshop from SQLite on a free port with WebSockets open and a request
// half sent, and sends it SIGTERM: every socket gets 1001 "going away",
// the request in flight completes, the process exits 0 within the
// shutdown timeout and logs that it stopped. (A slow socket dropped
// without slowing the room: hub.TestHub_SlowSocketDropped.)
func TestSIGTERM_DrainsAndSaysGoingAway(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "agora")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	mustT(t, os.MkdirAll(data, 0o750))
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(data, "agora.db"), nil)
	mustT(t, err)
	mustT(t, st.Migrate(context.Background(), "up", io.Discard))
	w, _ := liveWorkshop(t, st)
	st.Close()

	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	base := "http://" + addr
	const shutdownTimeout = 5 * time.Second
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "AGORA_ADDR="+addr, "AGORA_PUBLIC_URL="+base, "AGORA_DATA_DIR="+data,
		"AGORA_SHUTDOWN_TIMEOUT="+shutdownTimeout.String(), "AGORA_DATABASE_URL=", "DATABASE_URL=", "AGORA_REDIS_URL=", "REDIS_URL=")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	mustT(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitReady(t, base, exited, logs)

	// Sockets: three projectors and one phone.
	phone := newAPIClient(t, base)
	if status, code, err := phone.post("/api/v1/workshops/"+w.JoinCode+"/join", nil); err != nil || status != 200 {
		t.Fatalf("join: %d %s %v", status, code, err)
	}
	var sockets []*websocket.Conn
	dial := func(query string, cookie string) {
		h := http.Header{"Origin": {base}}
		if cookie != "" {
			h.Set("Cookie", cookie)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws?"+query, &websocket.DialOptions{HTTPHeader: h})
		mustT(t, err)
		if _, _, err := ws.Read(ctx); err != nil { // the snapshot
			t.Fatal(err)
		}
		sockets = append(sockets, ws)
	}
	for range 3 {
		dial("aud=screen&w="+w.JoinCode+"&screen="+w.ScreenToken, "")
	}
	u, _ := url.Parse(base)
	var device string
	for _, ck := range phone.http.Jar.Cookies(u) {
		device += ck.Name + "=" + ck.Value + "; "
	}
	dial("aud=participant&w="+w.JoinCode, device)

	// A join whose body is still on its way when SIGTERM arrives, on a
	// keep-alive connection: the request completes, and the connection
	// left waiting for a next request does not hold the drain until the
	// timeout (server/drain.go cuts its reads).
	conn, err := net.Dial("tcp", addr)
	mustT(t, err)
	defer conn.Close()
	body := `{"nickname":"En retard"}`
	fmt.Fprintf(conn, "POST /api/v1/workshops/%s/join HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"X-CSRF-Token: %s\r\nCookie: %sContent-Length: %d\r\n\r\n%s", w.JoinCode, addr, phone.token,
		strings.TrimSuffix(device, " ")+" ", len(body), body[:10])

	closes := make(chan websocket.StatusCode, len(sockets))
	for _, ws := range sockets {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*shutdownTimeout)
			defer cancel()
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					closes <- websocket.CloseStatus(err)
					return
				}
			}
		}()
	}
	sent := time.Now()
	mustT(t, cmd.Process.Signal(syscall.SIGTERM))
	for range sockets {
		if code := <-closes; code != websocket.StatusGoingAway {
			t.Errorf("socket closed with %v, want 1001 going away", code)
		}
	}
	t.Logf("sockets closed %v after SIGTERM", time.Since(sent))
	// The rest of the body arrives after the signal: the request completes.
	time.Sleep(100 * time.Millisecond)
	_, err = io.WriteString(conn, body[10:])
	mustT(t, err)
	conn.SetReadDeadline(time.Now().Add(shutdownTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("in-flight request: status %d", resp.StatusCode)
	}
	t.Logf("in-flight answered %v after SIGTERM, Connection: %q", time.Since(sent), resp.Header.Get("Connection"))
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs)
		}
	case <-time.After(shutdownTimeout + 2*time.Second):
		t.Fatalf("still running %v after SIGTERM\n%s", time.Since(sent), logs)
	}
	t.Logf("exited %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(logs.String(), "agora stopped") {
		t.Errorf("the log does not say it stopped:\n%s", logs)
	}
	// No personal data nor secret in the log: cookies, tokens, nicknames.
	for _, ck := range phone.http.Jar.Cookies(u) {
		if strings.Contains(logs.String(), ck.Value) {
			t.Errorf("the log holds the %s cookie", ck.Name)
		}
	}
	for _, secret := range []string{phone.token, w.ScreenToken, "En retard"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// waitReady polls /readyz until the server answers 200.
func waitReady(t *testing.T, base string, exited chan error, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("agora exited at start: %v\n%s", err, logs)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("agora not ready after 30s\n%s", logs)
}

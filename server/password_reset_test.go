package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-civic/agora"
)

// sentMail is one message a mailer was asked to send.
type sentMail struct{ to, subject, body string }

// mailRecorder is a mailer that keeps what it is given.
type mailRecorder struct {
	mu   sync.Mutex
	sent []sentMail
}

func (m *mailRecorder) Send(_ context.Context, to, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sentMail{to, subject, body})
	return nil
}

func (m *mailRecorder) all() []sentMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sentMail(nil), m.sent...)
}

// clock is a settable time for the server.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func clockServer(t *testing.T, st agora.Store, cfg Config, clk *clock) (*Server, *bytes.Buffer) {
	t.Helper()
	cfg.PublicURL = "http://agora.test"
	var logs bytes.Buffer
	s, err := New(cfg, Deps{Store: st, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

var resetLinkRE = regexp.MustCompile(`http://agora\.test/password/reset/([A-Za-z0-9]+)`)

// forgot asks for a reset link and waits until any mail is handed over.
func forgot(t *testing.T, s *Server, c *client, email string) *response {
	t.Helper()
	if c.token == "" {
		c.get("/password/forgot")
	}
	r := c.post("/password/forgot", url.Values{"email": {email}})
	must(t, s.WaitMail(context.Background()))
	return r
}

func TestPasswordReset_SameAnswerForUnknownEmail(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		mail := &mailRecorder{}
		s.mail = mail
		mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
		deleted := mustAccount(t, st, "gone@example.fr", "Gone", agora.RoleCitizen)
		now := time.Now()
		deleted.DeletedAt = &now
		must(t, st.UpdateUser(context.Background(), deleted))

		c := newClient(t, s)
		wantStatus(t, c.get("/password/forgot"), http.StatusOK)
		var bodies []string
		for _, email := range []string{"alex@example.fr", "nobody@example.fr", "gone@example.fr"} {
			r := forgot(t, s, c, email)
			wantStatus(t, r, http.StatusOK)
			wantContains(t, r.Body, "Si un compte existe avec cette adresse")
			bodies = append(bodies, r.Body)
		}
		if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
			t.Fatal("the answers differ between an account, no account and a deleted account")
		}
		sent := mail.all()
		if len(sent) != 1 || sent[0].to != "alex@example.fr" || !resetLinkRE.MatchString(sent[0].body) {
			t.Fatalf("mails %+v, want one link to alex", sent)
		}
		wantStatus(t, c.post("/password/forgot", url.Values{"email": {"not an email"}}), http.StatusUnprocessableEntity)
	})
}

func TestPasswordReset_LinkSetsPasswordOnceAndSignsOutEverywhere(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		s, _ := testServer(t, st, Config{})
		mail := &mailRecorder{}
		s.mail = mail
		other, u := signedIn(t, s, st, agora.RoleCitizen)
		wantStatus(t, other.get("/me"), http.StatusOK)

		c := newClient(t, s)
		forgot(t, s, c, strings.ToUpper(u.Email))
		sent := mail.all()
		if len(sent) != 1 {
			t.Fatalf("sent %d mails", len(sent))
		}
		m := resetLinkRE.FindStringSubmatch(sent[0].body)
		if m == nil {
			t.Fatalf("no link in %q", sent[0].body)
		}
		path := "/password/reset/" + m[1]
		// Only the hash is stored, and opening the page does not use it.
		wantStatus(t, c.get(path), http.StatusOK)
		wantStatus(t, c.get(path), http.StatusOK)
		r := c.post(path, url.Values{"password": {"short"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r.Body, "au moins 10 caractères")

		wantRedirect(t, c.post(path, url.Values{"password": {"a brand new passphrase"}}), "/me?done=password_reset")
		wantContains(t, c.get("/me?done=password_reset").Body, "Votre mot de passe a été changé")
		// The session opened before the reset is gone.
		wantRedirect(t, other.get("/me"), "/signin?next=%2Fme")
		// Single use.
		r = newClient(t, s).post(path, url.Values{"password": {"yet another passphrase"}})
		wantStatus(t, r, http.StatusNotFound)
		wantContains(t, r.Body, "a expiré ou a déjà servi")

		wantStatus(t, newClient(t, s).signin(u.Email, "correct horse battery"), http.StatusUnauthorized)
		wantRedirect(t, newClient(t, s).signin(u.Email, "a brand new passphrase"), "/")
	})
}

func TestPasswordReset_LinkExpiresAfterAnHour(t *testing.T) {
	st := openSQLite(t)
	clk := newClock()
	s, _ := clockServer(t, st, Config{}, clk)
	mail := &mailRecorder{}
	s.mail = mail
	u := mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
	c := newClient(t, s)
	forgot(t, s, c, u.Email)
	forgot(t, s, c, u.Email)
	sent := mail.all()
	if len(sent) != 2 {
		t.Fatalf("sent %d mails", len(sent))
	}
	first := resetLinkRE.FindStringSubmatch(sent[0].body)[1]
	second := resetLinkRE.FindStringSubmatch(sent[1].body)[1]
	clk.advance(59 * time.Minute)
	wantRedirect(t, c.post("/password/reset/"+first, url.Values{"password": {"a brand new passphrase"}}), "/me?done=password_reset")
	clk.advance(2 * time.Minute)
	wantStatus(t, c.post("/password/reset/"+second, url.Values{"password": {"another passphrase!"}}), http.StatusNotFound)
	wantStatus(t, c.post("/password/reset/unknown-token", url.Values{"password": {"another passphrase!"}}), http.StatusNotFound)
}

func TestPasswordReset_MailsPerEmailAreCapped(t *testing.T) {
	st := openSQLite(t)
	s, _ := testServer(t, st, Config{})
	mail := &mailRecorder{}
	s.mail = mail
	u := mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
	c := newClient(t, s)
	for range resetMailsPerEmail + 2 {
		wantStatus(t, forgot(t, s, c, u.Email), http.StatusOK)
	}
	if n := len(mail.all()); n != resetMailsPerEmail {
		t.Fatalf("sent %d mails, want %d", n, resetMailsPerEmail)
	}
}

func TestPasswordReset_ThrottledPerAddress(t *testing.T) {
	s, _ := testServer(t, openSQLite(t), Config{SigninPerIP: 2})
	s.mail = &mailRecorder{}
	c := newClient(t, s)
	c.header.Set("Accept-Language", "en")
	for i := range 2 {
		wantStatus(t, forgot(t, s, c, "a"+itoa(int64(i))+"@example.fr"), http.StatusOK)
	}
	r := forgot(t, s, c, "b@example.fr")
	wantStatus(t, r, http.StatusTooManyRequests)
	wantContains(t, r.Body, "Too many requests from this address")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// Without SMTP the link goes to the log at WARN, with no address.
func TestPasswordReset_LogFallback(t *testing.T) {
	st := openSQLite(t)
	s, logs := testServer(t, st, Config{})
	if _, ok := s.mail.(logMailer); !ok {
		t.Fatalf("mailer %T without SMTP", s.mail)
	}
	mustAccount(t, st, "alex@example.fr", "Alex Martin", agora.RoleCitizen)
	forgot(t, s, newClient(t, s), "alex@example.fr")
	var warn string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") {
			warn = line
		}
	}
	if !resetLinkRE.MatchString(warn) {
		t.Fatalf("no WARN line with the link in:\n%s", logs)
	}
	if strings.Contains(logs.String(), "alex@example.fr") || strings.Contains(logs.String(), "Alex Martin") {
		t.Fatalf("the log holds personal data:\n%s", logs)
	}
}

// fakeSMTP is just enough of an SMTP server to receive one message per
// connection: greeting, EHLO, MAIL, RCPT, DATA, QUIT.
type fakeSMTP struct {
	addr string
	msgs chan smtpMessage
}

type smtpMessage struct {
	from, to string
	data     string
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{addr: ln.Addr().String(), msgs: make(chan smtpMessage, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	say := func(s string) { io.WriteString(conn, s+"\r\n") }
	say("220 fake.test ESMTP")
	var m smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-fake.test")
			say("250 HELP")
		case strings.HasPrefix(cmd, "HELO"):
			say("250 fake.test")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m.from = strings.TrimSpace(line[len("MAIL FROM:"):])
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.to = strings.TrimSpace(line[len("RCPT TO:"):])
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = b.String()
			f.msgs <- m
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestPasswordReset_SentBySMTP(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) agora.Store) {
		st := open(t)
		smtpd := startFakeSMTP(t)
		s, logs := testServer(t, st, Config{SMTPAddr: smtpd.addr, SMTPFrom: "agora@mairie.example.fr"})
		mustAccount(t, st, "alex@example.fr", "Alex", agora.RoleCitizen)
		c := newClient(t, s)
		c.header.Set("Accept-Language", "en")
		wantStatus(t, forgot(t, s, c, "alex@example.fr"), http.StatusOK)
		var m smtpMessage
		select {
		case m = <-smtpd.msgs:
		default:
			t.Fatalf("no message reached the SMTP server; logs:\n%s", logs)
		}
		if m.from != "<agora@mairie.example.fr>" || m.to != "<alex@example.fr>" {
			t.Fatalf("envelope from %q to %q", m.from, m.to)
		}
		head, body, _ := strings.Cut(m.data, "\r\n\r\n")
		wantContains(t, head, "To: alex@example.fr", "Subject: Resetting your Agora password",
			"Content-Transfer-Encoding: quoted-printable")
		text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		link := resetLinkRE.FindStringSubmatch(string(text))
		if link == nil {
			t.Fatalf("no link in the mail:\n%s", text)
		}
		wantRedirect(t, c.post("/password/reset/"+link[1], url.Values{"password": {"a brand new passphrase"}}), "/me?done=password_reset")
	})
}

func TestSMTPMailer_RefusesHeaderInjection(t *testing.T) {
	m := &smtpMailer{from: "a@example.fr", helo: "agora.test", now: time.Now}
	if _, err := m.message("x@example.fr\r\nBcc: y@example.fr", "s", "b"); err == nil {
		t.Fatal("a line break in the recipient was accepted")
	}
	if _, err := m.message("x@example.fr", "Sujet\nBcc: y", "b"); err == nil {
		t.Fatal("a line break in the subject was accepted")
	}
}

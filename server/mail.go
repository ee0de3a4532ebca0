package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/agora-civic/agora"
)

// mailer sends one plain-text message. Password reset is its only user.
type mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// smtpTimeout bounds a whole delivery: dial, greeting, STARTTLS, DATA.
const smtpTimeout = 30 * time.Second

// smtpMailer delivers through an SMTP relay with net/smtp, upgrading to
// TLS when the server offers STARTTLS. It authenticates (PLAIN) only when
// a user is set; net/smtp refuses PLAIN over plain text except to localhost.
type smtpMailer struct {
	addr     string // host:port
	user     string
	password string
	from     string
	helo     string // our name in EHLO: the public URL's host
	now      func() time.Time
}

var _ mailer = (*smtpMailer)(nil)

// Send delivers the message, giving up after smtpTimeout.
func (m *smtpMailer) Send(ctx context.Context, to, subject, body string) error {
	msg, err := m.message(to, subject, body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(m.addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if err := m.deliver(c, host, to, msg); err != nil {
		return err
	}
	return c.Quit()
}

func (m *smtpMailer) deliver(c *smtp.Client, host, to string, msg []byte) error {
	if err := c.Hello(m.helo); err != nil {
		return fmt.Errorf("smtp hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if m.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.user, m.password, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	return nil
}

// message builds a UTF-8 text message, quoted-printable encoded. A CR or
// LF in an address or the subject is refused: no header injection.
func (m *smtpMailer) message(to, subject, body string) ([]byte, error) {
	for _, v := range []string{m.from, to, subject} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("mail header holds a line break")
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		m.from, to, mime.QEncoding.Encode("utf-8", subject), m.now().Format(time.RFC1123Z), agora.NewSecret(), m.helo)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes(), nil
}

// logMailer stands in when no SMTP relay is configured: it writes the
// message body (the link) to the log at WARN for the admin to pass on,
// without the recipient's address or any other personal detail.
type logMailer struct{ log *slog.Logger }

var _ mailer = logMailer{}

// Send logs the message instead of sending it.
func (m logMailer) Send(ctx context.Context, to, subject, body string) error {
	m.log.WarnContext(ctx, "no SMTP relay configured (AGORA_SMTP_ADDR): pass this message on by hand",
		"subject", subject, "body", body)
	return nil
}

// newMailer returns the SMTP mailer when a relay is configured, the log
// fallback otherwise.
func newMailer(cfg Config, log *slog.Logger, now func() time.Time) mailer {
	if cfg.SMTPAddr == "" {
		return logMailer{log: log}
	}
	host := "localhost"
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	from := cfg.SMTPFrom
	if from == "" {
		from = "noreply@" + host
	}
	return &smtpMailer{addr: cfg.SMTPAddr, user: cfg.SMTPUser, password: cfg.SMTPPassword,
		from: from, helo: host, now: now}
}

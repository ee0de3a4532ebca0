package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// participant is one phone: its cookies (kept as strings, set by hand: a
// cookie jar per phone is heavy at 10,000), its socket and its vote.
type participant struct {
	i        int
	node     int    // index of the base URL it uses
	csrfSeed string // agora_csrf cookie
	token    string // X-CSRF-Token
	device   string // agora_p_{CODE} cookie
	sock     *socket

	joinTime time.Duration
	claimed  atomic.Bool // its vote was scheduled, or given up
	choice   int         // option ID voted for
	acked    bool
	ackLat   time.Duration
	sentAt   time.Time
	ackAt    time.Time
	ackParts ackParts // of the acknowledged attempt
}

// ackParts splits a vote's acknowledgement: the wait for one of the tool's
// pooled connections, which is the tool's own queue, and the time from the
// request written to the first byte of the answer, which is the server's
// (and the machine's: a process that waits for a core waits here too).
type ackParts struct {
	ConnWait time.Duration `json:"conn_wait"`
	Answer   time.Duration `json:"answer"`
}

// trace records p's parts on the request it returns.
func (p *ackParts) trace(req *http.Request) *http.Request {
	start := time.Now()
	// The transport writes the request and reads the answer on goroutines
	// of its own, which nothing orders for the race detector.
	var wrote atomic.Int64 // ns after start
	return req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { p.ConnWait = time.Since(start) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { wrote.Store(int64(time.Since(start))) },
		GotFirstResponseByte: func() { p.Answer = time.Since(start) - time.Duration(wrote.Load()) },
	}))
}

// cookie is the Cookie header the phone sends.
func (p *participant) cookie(code string) string {
	c := "agora_csrf=" + p.csrfSeed
	if p.device != "" {
		c += "; agora_p_" + code + "=" + p.device
	}
	return c
}

// request sends one of the phone's requests and reads the whole answer,
// so that the keep-alive connection goes back to the pool.
// parts, when not nil, gets the request's ackParts.
func (r *runner) request(ctx context.Context, p *participant, method, path, body string, parts *ackParts) (int, []byte, http.Header, error) {
	var cookie string
	if p.csrfSeed != "" {
		cookie = p.cookie(r.ws.JoinCode)
	}
	return doRequest(ctx, r.pool.httpClient(p.i), method, r.cfg.Bases[p.node]+path, body, cookie, p.token, parts)
}

// doRequest sends a phone's request through client, with its cookies and
// CSRF token when it has them, and reads the whole answer.
func doRequest(ctx context.Context, client *http.Client, method, url, body, cookie, token string, parts *ackParts) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-CSRF-Token", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if parts != nil {
		req = parts.trace(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// cookieValue finds a Set-Cookie's value in h.
func cookieValue(h http.Header, name string) string {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// join does what a phone does after scanning the QR code: get a CSRF
// token, join with a nickname, open the participants' socket and wait for
// its snapshot.
func (r *runner) join(ctx context.Context, p *participant) error {
	t0 := time.Now()
	status, b, h, err := r.request(ctx, p, http.MethodGet, "/api/v1/csrf", "", nil)
	if err = r.check("csrf", status, err); err != nil {
		return err
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(b, &tok); err != nil {
		return fmt.Errorf("csrf: %w", err)
	}
	p.csrfSeed, p.token = cookieValue(h, "agora_csrf"), tok.Token
	status, _, h, err = r.request(ctx, p, http.MethodPost, "/api/v1/workshops/"+r.ws.JoinCode+"/join",
		fmt.Sprintf(`{"nickname":"Téléphone %d"}`, p.i+1), nil)
	if err = r.check("join", status, err); err != nil {
		return err
	}
	if p.device = cookieValue(h, "agora_p_"+r.ws.JoinCode); p.device == "" {
		return r.check("join", 0, fmt.Errorf("no device cookie"))
	}
	cookie := "agora_p_" + r.ws.JoinCode + "=" + p.device
	s, err := dialSocket(ctx, r.pool.wsClient(p.i), r.wsURL(p.node, "participant", ""), r.cfg.origin(p.node), cookie, p.i, r.onParticipantEvent(p))
	if err != nil {
		r.stats.fail("ws-dial", err)
		return err
	}
	p.sock = s
	p.joinTime = time.Since(t0)
	return nil
}

// wsURL is the socket address of node for an audience.
func (r *runner) wsURL(node int, aud, screen string) string {
	base := r.cfg.Bases[node]
	base = "ws" + strings.TrimPrefix(base, "http")
	q := url.Values{"w": {r.ws.JoinCode}, "aud": {aud}}
	if screen != "" {
		q.Set("screen", screen)
	}
	return base + "/ws?" + q.Encode()
}

// check records a failed request under its operation and status.
func (r *runner) check(op string, status int, err error) error {
	if err != nil {
		r.stats.fail(op, err)
		return fmt.Errorf("%s: %w", op, err)
	}
	if status/100 != 2 {
		err := &statusError{op: op, status: status}
		r.stats.fail(op, err)
		return err
	}
	return nil
}

// onParticipantEvent counts deliveries and, when the poll's opening
// arrives, schedules the phone's vote a moment later. The vote is claimed
// before the delivery counts, or voteBurst could see the round complete
// and give the phone up as one that never saw the poll open.
func (r *runner) onParticipantEvent(p *participant) func(*socket, event) {
	claim := func(rd *round) {
		if rd.name == "open" && p.claimed.CompareAndSwap(false, true) {
			delay := time.Duration(mrand.Int64N(int64(r.cfg.VoteSpread) + 1))
			time.AfterFunc(delay, func() { r.vote(r.ctx, p) })
		}
	}
	return func(s *socket, ev event) { r.deliver(s, ev, claim) }
}

// vote casts the phone's vote: from the vote process when there is one,
// from this one otherwise.
func (r *runner) vote(ctx context.Context, p *participant) {
	p.choice = r.poll.Options[p.i%len(r.poll.Options)].ID
	body := fmt.Sprintf(`{"choices":[%d],"idempotency_key":%q}`, p.choice, newKey())
	path := fmt.Sprintf("/api/v1/activities/%d/vote", r.poll.ID)
	if r.voter != nil {
		url := r.cfg.Bases[p.node] + path
		err := r.voter.send(voteOrder{I: p.i, URL: url, Body: body, Cookie: p.cookie(r.ws.JoinCode), Token: p.token})
		if err != nil {
			r.check("vote", 0, err)
			r.votes.Done()
		}
		return
	}
	defer r.votes.Done()
	out := castVote(ctx, func(parts *ackParts) (int, error) {
		status, _, _, err := r.request(ctx, p, http.MethodPost, path, body, parts)
		return status, err
	}, func(op string, status int, err error) { r.check(op, status, err) })
	p.voted(out)
}

// voted records the outcome of p's vote.
func (p *participant) voted(o voteOutcome) {
	p.sentAt = o.SentAt
	if o.Acked {
		p.ackAt, p.ackLat, p.acked = o.AckAt, o.AckAt.Sub(o.SentAt), true
		p.ackParts = o.Parts
	}
}

// votedAway records a vote the vote process sent: its outcome and its
// failed attempts.
func (r *runner) votedAway(o voteOutcome) {
	defer r.votes.Done()
	for _, f := range o.Fails {
		var err error
		if f.Err != "" {
			err = errors.New(f.Err)
		}
		r.check(f.Op, f.Status, err)
	}
	if p := r.parts[o.I]; p != nil {
		p.voted(o)
	}
}

func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

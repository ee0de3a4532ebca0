package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// staff is the admin or facilitator who sets the workshop up and runs it,
// through the same API as the dashboard.
type staff struct {
	base  string
	c     *http.Client
	token string // CSRF token of the jar's agora_csrf cookie
}

// statusError is an answer with an unexpected HTTP status.
type statusError struct {
	op     string
	status int
	body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.op, e.status, strings.TrimSpace(e.body))
}

// signIn fetches a CSRF token and signs in with the form, as a browser.
func signIn(ctx context.Context, base, email, password string) (*staff, error) {
	jar, _ := cookiejar.New(nil)
	s := &staff{base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: noRedirect}}
	var tok struct{ Token string }
	if err := s.do(ctx, "csrf", http.MethodGet, "/api/v1/csrf", nil, &tok); err != nil {
		return nil, err
	}
	s.token = tok.Token
	form := url.Values{"email": {email}, "password": {password}, "csrf": {s.token}}
	resp, err := s.send(ctx, http.MethodPost, "/signin", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, &statusError{op: "sign in as " + email, status: resp.StatusCode, body: "(wrong email or password?)"}
	}
	return s, nil
}

func (s *staff) send(ctx context.Context, method, path, ctype string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if s.token != "" {
		req.Header.Set("X-CSRF-Token", s.token)
	}
	return s.c.Do(req)
}

// do sends a JSON request and decodes a 2xx JSON answer into out.
func (s *staff) do(ctx context.Context, op, method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	resp, err := s.send(ctx, method, path, ctype, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{op: op, status: resp.StatusCode, body: string(b)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// consultationHeading finds a consultation's ID on the facilitators' page.
var consultationHeading = regexp.MustCompile(`<h2 id="c-(\d+)">([^<]*)</h2>`)

// createConsultation creates an open consultation through the admin form
// (there is no JSON endpoint for it) and finds its ID on /facilitate.
func (s *staff) createConsultation(ctx context.Context) (int64, error) {
	title := fmt.Sprintf("Load test %s", time.Now().Format("2006-01-02 15:04:05.000"))
	slug := fmt.Sprintf("load-%d", time.Now().UnixNano())
	form := url.Values{"slug": {slug}, "title": {title}, "status": {"open"}, "csrf": {s.token},
		"description": {"Created by agora-load."}}
	resp, err := s.send(ctx, http.MethodPost, "/admin/consultations", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return 0, &statusError{op: "create consultation (needs an admin, or pass -consultation)", status: resp.StatusCode}
	}
	resp, err = s.send(ctx, http.MethodGet, "/facilitate", "", nil)
	if err != nil {
		return 0, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	for _, m := range consultationHeading.FindAllSubmatch(page, -1) {
		if string(m[2]) == title {
			return strconv.ParseInt(string(m[1]), 10, 64)
		}
	}
	return 0, fmt.Errorf("consultation %q not found on /facilitate", title)
}

// workshop is what the load test needs of a created workshop.
type workshop struct {
	ID          int64  `json:"id"`
	JoinCode    string `json:"join_code"`
	ScreenToken string `json:"screen_token"`
}

func (s *staff) createWorkshop(ctx context.Context, consultation int64) (*workshop, error) {
	var out struct{ Workshop workshop }
	in := map[string]any{"title": "Atelier de charge", "place": "Salle des fêtes"}
	err := s.do(ctx, "create workshop", http.MethodPost, fmt.Sprintf("/api/v1/consultations/%d/workshops", consultation), in, &out)
	return &out.Workshop, err
}

// poll is the created activity: its ID and option IDs.
type poll struct {
	ID      int64 `json:"id"`
	Options []struct {
		ID int `json:"id"`
	} `json:"options"`
}

func (s *staff) addPoll(ctx context.Context, code string, options int, hide bool) (*poll, error) {
	opts := make([]map[string]string, options)
	for i := range opts {
		opts[i] = map[string]string{"label": fmt.Sprintf("Option %c", 'A'+i)}
	}
	in := map[string]any{"kind": "poll", "prompt": "Quel accès au parc ?", "options": opts,
		"settings": map[string]any{"hide_results": hide}}
	var out struct{ Activity poll }
	err := s.do(ctx, "add poll", http.MethodPost, "/api/v1/workshops/"+url.PathEscape(code)+"/activities", in, &out)
	return &out.Activity, err
}

// command posts a staff command (start, open, reveal…) and returns how
// long the server took to acknowledge it.
func (s *staff) command(ctx context.Context, path string) (time.Duration, error) {
	t0 := time.Now()
	err := s.do(ctx, path, http.MethodPost, "/api/v1"+path, nil, nil)
	return time.Since(t0), err
}

// tally is the part of agora.Tally the load test checks.
type tally struct {
	ActivityID int64 `json:"activity_id"`
	Voters     int   `json:"voters"`
	Options    []struct {
		ID    int `json:"id"`
		Count int `json:"count"`
	} `json:"options"`
}

// counts returns the count of each option ID.
func (t *tally) counts() map[int]int {
	m := make(map[int]int, len(t.Options))
	for _, o := range t.Options {
		m[o.ID] = o.Count
	}
	return m
}

// results reads the activity's tally as counted from the store.
func (s *staff) results(ctx context.Context, activity int64) (*tally, error) {
	var out struct{ Tally tally }
	err := s.do(ctx, "results", http.MethodGet, fmt.Sprintf("/api/v1/activities/%d/results", activity), nil, &out)
	return &out.Tally, err
}

// cookieHeader is the Cookie header of the staff's jar for base.
func (s *staff) cookieHeader() string {
	u, _ := url.Parse(s.base)
	var parts []string
	for _, c := range s.c.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

package server

import (
	"context"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

// The participants' commands, each one function that both the HTML form
// handler and its JSON twin call: the handlers only parse and respond.

// Limits on participants' votes. The engine limits ideas itself.
const (
	// MaxVotesPerMinute is how many votes (and changes of vote) one
	// participant may send per minute; a retry with the same idempotency
	// key does not count again. Generous: a person changing their mind
	// taps far less often.
	MaxVotesPerMinute = 30
	// maxIdempotencyKeyLen bounds a client's idempotency key.
	maxIdempotencyKeyLen = live.MaxClientKeyLen
	// deviceCookieTTL is how long a phone stays a participant of a workshop.
	deviceCookieTTL = 30 * 24 * time.Hour
	// idempotencyWindow is how long a vote's key is remembered.
	idempotencyWindow = 10 * time.Minute
	// MaxSupportsPerMinute is how many supports and withdrawals one
	// participant may send per minute.
	MaxSupportsPerMinute = 60
	// MaxJoinsPerDevicePerMinute is how many times one device (its
	// cookie) may join a workshop per minute: a nickname change is a join.
	MaxJoinsPerDevicePerMinute = 30
	// MaxStaffCommandsPerMinute is how many state-changing requests one
	// signed-in account may send per minute: far above any facilitator.
	MaxStaffCommandsPerMinute = 300
)

// voteRequest is a vote from a form or a JSON body; only the field of the
// activity's kind is read.
type voteRequest struct {
	Choices        []int    `json:"choices"`
	Words          []string `json:"words"`
	Value          *int     `json:"value"`
	IdempotencyKey string   `json:"idempotency_key"`
}

func (in voteRequest) live() live.VoteInput {
	return live.VoteInput{Choices: in.Choices, Words: in.Words, Value: in.Value}
}

// joinWorkshop admits this device to the workshop of code: the device
// keeps its token (reload = same participant), or gets a new random one
// in its per-workshop cookie. The store keeps only the token's hash.
func (s *Server) joinWorkshop(c *fiber.Ctx, code, nickname string) (*agora.Workshop, *agora.Participant, error) {
	norm := agora.NormalizeJoinCode(code)
	if norm == "" {
		return nil, nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	}
	token := c.Cookies(participantCookie(norm))
	if err := s.limitJoins(c, token); err != nil {
		return nil, nil, err
	}
	if !validSecret(token) {
		token = agora.NewSecret()
	}
	w, p, err := s.engine.Join(c.UserContext(), norm, token, nickname)
	if err != nil {
		return nil, nil, err
	}
	s.setCookie(c, participantCookie(w.JoinCode), token, deviceCookieTTL)
	s.rooms.putDevice(agora.HashToken(token), p, s.now()) // its votes will not read it again
	return w, p, nil
}

// limitJoins counts a join against its device (when it has a cookie
// already) and its client address, within the minute. The address limit,
// a quarter of the flood guard's burst (5,000 by default), is shared by
// every node: a whole venue shares one address, so it only stops a script
// creating participants by the thousand.
func (s *Server) limitJoins(c *fiber.Ctx, token string) error {
	limits := map[string]int{}
	if s.flood != nil {
		limits["join:ip:"+s.clientIP(c)] = max(s.cfg.FloodBurst/4, 1)
	}
	if validSecret(token) {
		limits["join:d:"+agora.HashToken(token)[:32]] = MaxJoinsPerDevicePerMinute
	}
	return s.limitPerMinute(c.UserContext(), limits)
}

// limitPerMinute counts one request under each key in the store's shared
// counters, and returns ETOOMANY with the wait until the minute ends once
// a key passes its limit.
func (s *Server) limitPerMinute(ctx context.Context, limits map[string]int) error {
	now := s.now()
	for key, limit := range limits {
		n, err := s.store.Hit(ctx, key, time.Minute, now)
		if err != nil {
			return err
		}
		if n > limit {
			return tooMany("error.too_many", windowLeft(now, time.Minute))
		}
	}
	return nil
}

// castVote records p's vote in an activity, after the rate limit. A retry
// of a vote that succeeded (same idempotency key) does not count again; a
// refused one does, so resending a 429 with its key gains nothing.
func (s *Server) castVote(ctx context.Context, p *agora.Participant, a *agora.Activity, w *agora.Workshop, in voteRequest) (*agora.Vote, error) {
	if len(in.IdempotencyKey) > maxIdempotencyKeyLen {
		return nil, agora.Errorf(agora.EINVALID, "error.idempotency_key_invalid", maxIdempotencyKeyLen)
	}
	now := s.now()
	pid := strconv.FormatInt(p.ID, 10)
	keyID := ""
	if in.IdempotencyKey != "" {
		keyID = "vote-key:" + pid + ":" + agora.HashToken(in.IdempotencyKey)[:32]
	}
	if keyID == "" || !s.local.seen(keyID, idempotencyWindow, now) {
		if n := s.local.hit("votes:p:"+pid, time.Minute, now); n > MaxVotesPerMinute {
			return nil, tooMany("error.too_many_votes", windowLeft(now, time.Minute), MaxVotesPerMinute)
		}
	}
	v, err := s.engine.VoteOn(ctx, p, a, w, in.live())
	if err == nil && keyID != "" {
		s.local.hit(keyID, idempotencyWindow, now)
	}
	return v, err
}

// submitIdea records p's idea; a retry with the same client key returns
// the first one.
func (s *Server) submitIdea(ctx context.Context, p *agora.Participant, activityID int64, body, clientKey string) (*agora.Proposal, error) {
	if !printableKey(clientKey) { // the key is stored: no NUL nor invalid UTF-8
		return nil, agora.Errorf(agora.EINVALID, "error.client_key_invalid", maxIdempotencyKeyLen)
	}
	return s.engine.SubmitIdea(ctx, p, activityID, body, clientKey)
}

// setSupport adds or withdraws p's support of an idea; doing it twice
// does nothing.
func (s *Server) setSupport(ctx context.Context, p *agora.Participant, ideaID int64, add bool) error {
	now := s.now()
	if n := s.local.hit("supports:p:"+strconv.FormatInt(p.ID, 10), time.Minute, now); n > MaxSupportsPerMinute {
		return tooMany("error.too_many", windowLeft(now, time.Minute))
	}
	if add {
		return s.engine.Support(ctx, p, ideaID)
	}
	return s.engine.Unsupport(ctx, p, ideaID)
}

// deviceParticipant returns the participant this device is in workshop
// w, or EUNAUTHORIZED when it has not joined it.
func (s *Server) deviceParticipant(c *fiber.Ctx, w *agora.Workshop) (*agora.Participant, error) {
	p, err := s.workshopParticipant(c, w)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return nil, agora.Errorf(agora.EUNAUTHORIZED, "error.join_required")
	}
	return p, err
}

// workshopByCode reads the workshop of a join code as typed.
func (s *Server) workshopByCode(ctx context.Context, code string) (*agora.Workshop, error) {
	norm := agora.NormalizeJoinCode(code)
	if norm == "" {
		return nil, agora.Errorf(agora.ENOTFOUND, "error.workshop_not_found")
	}
	w, err := s.store.WorkshopByCode(ctx, norm)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return nil, agora.WrapError(agora.ENOTFOUND, "error.workshop_not_found", err)
	}
	return w, err
}

// checkClientKey refuses an idempotency key that is too long or holds
// what the store cannot keep (control characters, invalid UTF-8). The
// empty key is valid: it asks for no deduplication.
func checkClientKey(k string) error {
	if len(k) > maxIdempotencyKeyLen || !printableKey(k) {
		return agora.Errorf(agora.EINVALID, "error.client_key_invalid", maxIdempotencyKeyLen)
	}
	return nil
}

// printableKey reports whether a client's key is valid UTF-8 without
// control characters.
func printableKey(k string) bool {
	if !utf8.ValidString(k) {
		return false
	}
	for _, r := range k {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

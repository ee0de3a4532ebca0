package server

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/agora-civic/agora"
)

// Fuzz targets for every decoder of what participants send over HTTP: the
// strict JSON decoder with the vote, idea and join payloads, and the vote
// form. FuzzWSInbound (ws_fuzz_test.go) covers the WebSocket. `make fuzz`
// runs each for a while; `go test` runs the seeds and testdata/fuzz.

// fuzzActivities are one votable activity of each kind, to validate what
// a decoder let through.
var fuzzActivities = []*agora.Activity{
	{ID: 1, Kind: agora.KindPoll, Options: []agora.Option{{ID: 1, Label: "Nord"}, {ID: 2, Label: "Sud"}},
		Settings: agora.ActivitySettings{MaxChoices: 2}},
	{ID: 2, Kind: agora.KindScale, Settings: agora.ActivitySettings{ScaleMin: 1, ScaleMax: 5}},
	{ID: 3, Kind: agora.KindWordCloud, Settings: agora.ActivitySettings{MaxWords: 3}},
}

// fuzzCtx returns a fiber context holding a request with body and content
// type, as a handler would see it; release it with app.ReleaseCtx.
func fuzzCtx(app *fiber.App, contentType string, body []byte) *fiber.Ctx {
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodPost)
	fctx.Request.Header.SetContentType(contentType)
	fctx.Request.SetBody(body)
	return app.AcquireCtx(fctx)
}

// wantTypedInvalid fails unless err is an *agora.Error with code
// EINVALID, a message key, and a 4xx status.
func wantTypedInvalid(t *testing.T, what string, err error) {
	t.Helper()
	var ae *agora.Error
	if !errors.As(err, &ae) || ae.Code != agora.EINVALID || ae.Message == "" {
		t.Fatalf("%s: error %#v is not a typed invalid error", what, err)
	}
	status := statusOf[ae.Code]
	var hs httpStatus
	if errors.As(err, &hs) {
		status = int(hs)
	}
	if status < 400 || status > 499 {
		t.Fatalf("%s: error %v answers %d, want 4xx", what, err, status)
	}
}

// checkVote validates a decoded vote against each kind: refusals are
// typed; what passes encodes and decodes to itself.
func checkVote(t *testing.T, app *fiber.App, in voteRequest) {
	t.Helper()
	for _, a := range fuzzActivities {
		v := &agora.Vote{ActivityID: a.ID, Choices: in.Choices, Words: in.Words, Value: in.Value}
		err := agora.ValidateVote(a, v)
		if err != nil {
			wantTypedInvalid(t, "ValidateVote "+string(a.Kind), err)
		} else if a.Kind == agora.KindWordCloud && !wordsPrintable(in.Words) {
			// Postgres refuses such text (NUL, invalid UTF-8): a 500 later.
			t.Fatalf("ValidateVote accepts words %q", in.Words)
		}
	}
	for _, w := range in.Words {
		if !utf8.ValidString(w) {
			// Only a form carries such bytes (JSON cannot); ValidateVote
			// refused them above, for the word cloud.
			return
		}
	}
	if !utf8.ValidString(in.IdempotencyKey) {
		return // a form's key is only hashed; JSON could not carry it
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("re-encode %+v: %v", in, err)
	}
	var again voteRequest
	c := fuzzCtx(app, fiber.MIMEApplicationJSON, b)
	defer app.ReleaseCtx(c)
	if err := decodeJSON(c, &again); err != nil {
		t.Fatalf("re-decode %s: %v", b, err)
	}
	if !reflect.DeepEqual(normVote(in), normVote(again)) {
		t.Fatalf("round trip %+v → %s → %+v", in, b, again)
	}
}

// normVote makes empty and nil slices equal.
func normVote(v voteRequest) voteRequest {
	if len(v.Choices) == 0 {
		v.Choices = nil
	}
	if len(v.Words) == 0 {
		v.Words = nil
	}
	return v
}

// checkText validates a decoded idea or nickname: refusals are typed, and
// what is accepted is accepted again unchanged.
func checkText(t *testing.T, what, s string, validate func(string) (string, error)) {
	t.Helper()
	out, err := validate(s)
	if err != nil {
		wantTypedInvalid(t, what, err)
		return
	}
	if out == "" { // an empty nickname is allowed; an empty idea is not
		return
	}
	again, err := validate(out)
	if err != nil || again != out {
		t.Fatalf("%s(%q) = %q, then %q, %v", what, s, out, again, err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	seeds := []struct {
		kind uint8
		ct   string
		body string
	}{
		{0, "application/json", `{"choices":[1],"idempotency_key":"5b0e6c9e-8f1d-4c6a-9a53-0d1f0f7e2a11"}`},
		{0, "application/json; charset=utf-8", `{"words":["vélo","  arbres "]}`},
		{0, "application/json", `{"value":3}`},
		{0, "application/json", `{"value":"3"}`},
		{0, "application/json", `{"choices":[1e400]}`},
		{0, "application/json", `{"choices":[1]}{"choices":[2]}`},
		{0, "text/plain", `{"choices":[1]}`},
		{1, "application/json", `{"body":"Plus d’ombre près des jeux","client_key":"k1"}`},
		{1, "application/json", `{"body":"a\u202eb"}`},
		{1, "application/json", `{"body":"x","extra":1}`},
		{2, "application/json", `{"nickname":"Léa"}`},
		{2, "application/json", `{"nickname":null}`},
		{2, "application/json", `[`},
		{2, "", ``},
	}
	for _, s := range seeds {
		f.Add(s.kind, s.ct, []byte(s.body))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, kind uint8, contentType string, body []byte) {
		c := fuzzCtx(app, contentType, body)
		defer app.ReleaseCtx(c)
		switch kind % 3 {
		case 0:
			var in voteRequest
			if err := decodeJSON(c, &in); err != nil {
				wantTypedInvalid(t, "decode vote", err)
				return
			}
			checkVote(t, app, in)
		case 1:
			var in ideaRequest
			if err := decodeJSON(c, &in); err != nil {
				wantTypedInvalid(t, "decode idea", err)
				return
			}
			checkText(t, "ValidateIdea", in.Body, agora.ValidateIdea)
		case 2:
			var in joinRequest
			if err := decodeJSON(c, &in); err != nil {
				wantTypedInvalid(t, "decode join", err)
				return
			}
			checkText(t, "NormalizeNickname", in.Nickname, agora.NormalizeNickname)
		}
	})
}

func FuzzVoteForm(f *testing.F) {
	for _, s := range []string{
		"activity_id=12&choice=1&choice=2&idempotency_key=abc",
		"word=v%C3%A9lo&word=+arbres+&word=",
		"value=3",
		"value=3.5",
		"choice=x",
		"choice=99999999999999999999",
		"value=%ff&&&=&choice",
		"",
	} {
		f.Add([]byte(s))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzCtx(app, fiber.MIMEApplicationForm, body)
		defer app.ReleaseCtx(c)
		in, err := voteFromForm(c)
		if err != nil {
			wantTypedInvalid(t, "voteFromForm", err)
			return
		}
		checkVote(t, app, in)
		// What was read is what a browser would send again.
		form := url.Values{"idempotency_key": {in.IdempotencyKey}}
		for _, n := range in.Choices {
			form.Add("choice", itoa(int64(n)))
		}
		form["word"] = in.Words
		if in.Value != nil {
			form.Set("value", itoa(int64(*in.Value)))
		}
		c2 := fuzzCtx(app, fiber.MIMEApplicationForm, []byte(form.Encode()))
		defer app.ReleaseCtx(c2)
		again, err := voteFromForm(c2)
		if err != nil || !reflect.DeepEqual(normVote(in), normVote(again)) {
			t.Fatalf("form round trip %+v → %s → %+v, %v", in, form.Encode(), again, err)
		}
	})
}

// wordsPrintable reports whether every word is valid UTF-8 without
// control characters.
func wordsPrintable(words []string) bool {
	for _, w := range words {
		if !utf8.ValidString(w) || strings.IndexFunc(w, isControlNotSpace) >= 0 {
			return false
		}
	}
	return true
}

func isControlNotSpace(r rune) bool { return unicode.IsControl(r) && !unicode.IsSpace(r) }

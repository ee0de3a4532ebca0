package agora

import (
	"strings"
	"testing"
	"time"
)

func TestActivity_Validate(t *testing.T) {
	poll := func(m func(*Activity)) *Activity {
		a := pollActivity(1)
		m(a)
		return a
	}
	options := func(n int) []Option {
		var os []Option
		for i := 1; i <= n; i++ {
			os = append(os, Option{ID: i, Label: "choix"})
		}
		return os
	}
	tests := []struct {
		name      string
		a         *Activity
		code, key string
	}{
		{"poll", pollActivity(1), "", ""},
		{"multiple-choice poll", pollActivity(3), "", ""},
		{"word cloud", wordActivity(), "", ""},
		{"scale 1–5", scaleActivity(1, 5), "", ""},
		{"scale 0–10", scaleActivity(0, 10), "", ""},
		{"ideas", &Activity{Kind: KindIdeas, Prompt: "Vos idées ?"}, "", ""},
		{"unknown kind", &Activity{Kind: "quiz", Prompt: "?"}, EINVALID, "error.kind_invalid"},
		{"empty prompt", poll(func(a *Activity) { a.Prompt = "" }), EINVALID, "error.prompt_length"},
		{"blank prompt", poll(func(a *Activity) { a.Prompt = " \n " }), EINVALID, "error.prompt_length"},
		{"longest prompt", poll(func(a *Activity) { a.Prompt = strings.Repeat("é", MaxPromptLen) }), "", ""},
		{"prompt too long", poll(func(a *Activity) { a.Prompt = strings.Repeat("é", MaxPromptLen+1) }), EINVALID, "error.prompt_length"},
		{"negative timer", poll(func(a *Activity) { a.Settings.TimerSeconds = -1 }), EINVALID, "error.timer_invalid"},
		{"longest timer", poll(func(a *Activity) { a.Settings.TimerSeconds = MaxTimerSeconds }), "", ""},
		{"timer too long", poll(func(a *Activity) { a.Settings.TimerSeconds = MaxTimerSeconds + 1 }), EINVALID, "error.timer_invalid"},
		{"one option", poll(func(a *Activity) { a.Options = options(1) }), EINVALID, "error.options_count"},
		{"most options", poll(func(a *Activity) { a.Options = options(MaxPollOptions) }), "", ""},
		{"too many options", poll(func(a *Activity) { a.Options = options(MaxPollOptions + 1) }), EINVALID, "error.options_count"},
		{"blank option", poll(func(a *Activity) { a.Options[1].Label = "  " }), EINVALID, "error.option_length"},
		{"option too long", poll(func(a *Activity) { a.Options[1].Label = strings.Repeat("x", MaxOptionLabelLen+1) }), EINVALID, "error.option_length"},
		{"option without id", poll(func(a *Activity) { a.Options[0].ID = 0 }), EINVALID, "error.option_ids"},
		{"duplicate option ids", poll(func(a *Activity) { a.Options[2].ID = 1 }), EINVALID, "error.option_ids"},
		{"no choice allowed", poll(func(a *Activity) { a.Settings.MaxChoices = 0 }), EINVALID, "error.max_choices_invalid"},
		{"more choices than options", poll(func(a *Activity) { a.Settings.MaxChoices = 4 }), EINVALID, "error.max_choices_invalid"},
		{"word cloud without words", &Activity{Kind: KindWordCloud, Prompt: "?"}, EINVALID, "error.max_words_invalid"},
		{"word cloud with too many words", &Activity{Kind: KindWordCloud, Prompt: "?", Settings: ActivitySettings{MaxWords: 4}}, EINVALID, "error.max_words_invalid"},
		{"scale 1–10", scaleActivity(1, 10), EINVALID, "error.scale_invalid"},
		{"scale 0–5", scaleActivity(0, 5), EINVALID, "error.scale_invalid"},
		{"options on a scale", &Activity{Kind: KindScale, Prompt: "?", Options: options(2), Settings: ActivitySettings{ScaleMin: 1, ScaleMax: 5}},
			EINVALID, "error.options_not_allowed"},
		{"options on ideas", &Activity{Kind: KindIdeas, Prompt: "?", Options: options(2)}, EINVALID, "error.options_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.a.Validate(), tt.code, tt.key)
		})
	}
}

func TestValidateVote_Answers(t *testing.T) {
	tests := []struct {
		name      string
		a         *Activity
		v         *Vote
		code, key string
	}{
		{"single choice", pollActivity(1), choose(roomVote(1), 2), "", ""},
		{"multiple choice", pollActivity(2), choose(roomVote(1), 1, 3), "", ""},
		{"no choice", pollActivity(1), choose(roomVote(1)), EINVALID, "error.choose_one"},
		{"too many choices", pollActivity(1), choose(roomVote(1), 1, 2), EINVALID, "error.too_many_choices"},
		{"unknown option", pollActivity(1), choose(roomVote(1), 99), EINVALID, "error.unknown_option"},
		{"same option twice", pollActivity(2), choose(roomVote(1), 1, 1), EINVALID, "error.unknown_option"},
		{"words", wordActivity(), say(roomVote(1), "vélo", "pistes cyclables"), "", ""},
		{"blank entries ignored", wordActivity(), say(roomVote(1), "", " ", "a", "b", "c"), "", ""},
		{"no word", wordActivity(), say(roomVote(1), " ", ""), EINVALID, "error.word_required"},
		{"too many words", wordActivity(), say(roomVote(1), "a", "b", "c", "d"), EINVALID, "error.too_many_words"},
		{"longest word", wordActivity(), say(roomVote(1), strings.Repeat("é", MaxWordLen)), "", ""},
		{"word too long", wordActivity(), say(roomVote(1), strings.Repeat("é", MaxWordLen+1)), EINVALID, "error.word_length"},
		{"scale value", scaleActivity(1, 5), rate(roomVote(1), 5), "", ""},
		{"scale zero", scaleActivity(0, 10), rate(roomVote(1), 0), "", ""},
		{"scale below", scaleActivity(1, 5), rate(roomVote(1), 0), EINVALID, "error.scale_value"},
		{"scale above", scaleActivity(0, 10), rate(roomVote(1), 11), EINVALID, "error.scale_value"},
		{"scale without value", scaleActivity(1, 5), roomVote(1), EINVALID, "error.scale_value"},
		{"ideas take no votes", &Activity{Kind: KindIdeas}, roomVote(1), EINVALID, "error.not_votable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ValidateVote(tt.a, tt.v), tt.code, tt.key)
		})
	}
}

func TestValidateSignup_Fields(t *testing.T) {
	const pw = "correct horse"
	tests := []struct {
		name, email, displayName, password string
		code, key                          string
	}{
		{"valid", "camille@example.fr", "Camille", pw, "", ""},
		{"empty email", "", "Camille", pw, EINVALID, "error.email_invalid"},
		{"no domain", "camille", "Camille", pw, EINVALID, "error.email_invalid"},
		{"display name form", "Camille <camille@example.fr>", "Camille", pw, EINVALID, "error.email_invalid"},
		{"surrounding space", " camille@example.fr", "Camille", pw, EINVALID, "error.email_invalid"},
		{"email too long", strings.Repeat("a", MaxEmailLen) + "@example.fr", "Camille", pw, EINVALID, "error.email_invalid"},
		{"blank display name", "camille@example.fr", "  ", pw, EINVALID, "error.display_name_length"},
		{"display name too long", "camille@example.fr", strings.Repeat("é", MaxDisplayNameLen+1), pw, EINVALID, "error.display_name_length"},
		{"short password", "camille@example.fr", "Camille", "court", EINVALID, "error.password_length"},
		{"password counted in characters", "camille@example.fr", "Camille", strings.Repeat("é", MinPasswordLen), "", ""},
		{"password too long", "camille@example.fr", "Camille", strings.Repeat("a", MaxPasswordLen+1), EINVALID, "error.password_length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ValidateSignup(tt.email, tt.displayName, tt.password), tt.code, tt.key)
		})
	}
}

func TestNormalizeJoinCode_Typed(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"as shown", "ABC234", "ABC234"},
		{"lower case", "abc234", "ABC234"},
		{"spaces and dashes", " abc-234 ", "ABC234"},
		{"inner spaces", "AB C2 34", "ABC234"},
		{"too short", "ABC23", ""},
		{"too long", "ABC2345", ""},
		{"zero look-alike", "ABC230", ""},
		{"letter O look-alike", "ABCO23", ""},
		{"one look-alike", "ABC231", ""},
		{"letter I look-alike", "ABCI23", ""},
		{"letter L look-alike", "ABCL23", ""},
		{"accented letter", "ABCÉ23", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeJoinCode(tt.in); got != tt.want {
				t.Errorf("NormalizeJoinCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewJoinCode_Alphabet(t *testing.T) {
	for _, c := range "0O1IL" {
		if strings.ContainsRune(JoinCodeAlphabet, c) {
			t.Errorf("alphabet has look-alike %q", c)
		}
	}
	for i, c := range JoinCodeAlphabet {
		if strings.IndexRune(JoinCodeAlphabet, c) != i {
			t.Errorf("alphabet repeats %q, which would bias codes", c)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		code := NewJoinCode()
		if len(code) != JoinCodeLen || NormalizeJoinCode(code) != code {
			t.Fatalf("NewJoinCode() = %q: not a well-formed code", code)
		}
		seen[code] = true
	}
	if len(seen) < 990 { // 1,000 draws among 31⁶ codes collide about once in 2,000 runs
		t.Errorf("only %d distinct codes in 1,000", len(seen))
	}
}

func FuzzNormalizeJoinCode(f *testing.F) {
	for _, s := range []string{"abc-234", " AB C2 34 ", "ABC230", "ſſſſſſ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code := NormalizeJoinCode(s)
		if code == "" {
			return
		}
		if len(code) != JoinCodeLen || strings.Trim(code, JoinCodeAlphabet) != "" {
			t.Fatalf("NormalizeJoinCode(%q) = %q: not a well-formed code", s, code)
		}
		if again := NormalizeJoinCode(code); again != code {
			t.Fatalf("not idempotent: %q → %q → %q", s, code, again)
		}
	})
}

func TestConsultation_Validate(t *testing.T) {
	valid := func(m func(*Consultation)) *Consultation {
		c := &Consultation{Slug: "budget-2026", Title: "Budget participatif", Status: ConsultationOpen}
		m(c)
		return c
	}
	none := func(*Consultation) {}
	tests := []struct {
		name      string
		c         *Consultation
		code, key string
	}{
		{"valid", valid(none), "", ""},
		{"with dates", valid(func(c *Consultation) { c.OpensAt, c.ClosesAt = ptr(at(0)), ptr(at(0).Add(30*24*time.Hour)) }), "", ""},
		{"same open and close", valid(func(c *Consultation) { c.OpensAt, c.ClosesAt = ptr(at(0)), ptr(at(0)) }), "", ""},
		{"closes before it opens", valid(func(c *Consultation) { c.OpensAt, c.ClosesAt = ptr(at(1)), ptr(at(0)) }), EINVALID, "error.dates_order"},
		{"empty slug", valid(func(c *Consultation) { c.Slug = "" }), EINVALID, "error.slug_invalid"},
		{"upper-case slug", valid(func(c *Consultation) { c.Slug = "Budget" }), EINVALID, "error.slug_invalid"},
		{"accented slug", valid(func(c *Consultation) { c.Slug = "écoles" }), EINVALID, "error.slug_invalid"},
		{"slug with double dash", valid(func(c *Consultation) { c.Slug = "a--b" }), EINVALID, "error.slug_invalid"},
		{"slug ending with dash", valid(func(c *Consultation) { c.Slug = "budget-" }), EINVALID, "error.slug_invalid"},
		{"longest slug", valid(func(c *Consultation) { c.Slug = strings.Repeat("a", MaxSlugLen) }), "", ""},
		{"slug too long", valid(func(c *Consultation) { c.Slug = strings.Repeat("a", MaxSlugLen+1) }), EINVALID, "error.slug_invalid"},
		{"blank title", valid(func(c *Consultation) { c.Title = " " }), EINVALID, "error.title_length"},
		{"title too long", valid(func(c *Consultation) { c.Title = strings.Repeat("é", MaxTitleLen+1) }), EINVALID, "error.title_length"},
		{"longest description", valid(func(c *Consultation) { c.Description = strings.Repeat("é", MaxDescriptionLen) }), "", ""},
		{"description too long", valid(func(c *Consultation) { c.Description = strings.Repeat("é", MaxDescriptionLen+1) }), EINVALID, "error.description_length"},
		{"unknown status", valid(func(c *Consultation) { c.Status = "archived" }), EINVALID, "error.status_invalid"},
		{"negative threshold", valid(func(c *Consultation) { c.SupportThreshold = -1 }), EINVALID, "error.threshold_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.c.Validate(), tt.code, tt.key)
		})
	}
}

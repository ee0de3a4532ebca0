package server

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
)

// activityKinds is the order the add forms come in.
var activityKinds = []agora.ActivityKind{agora.KindPoll, agora.KindIdeas, agora.KindWordCloud, agora.KindScale}

type prepareData struct {
	Workshop *agora.Workshop
	Edits    []activityForm // the run of show, in order
	Adds     []activityForm // one per kind
}

// activityForm is the form of one activity, or of a new one of Kind. Form
// holds its values, and its errors when it was the one refused (then Open).
type activityForm struct {
	ID          string // "add-poll", "edit-12": the prefix of its fields' ids
	Kind        agora.ActivityKind
	Activity    *agora.Activity // nil for a new one
	Form        form
	Open        bool
	First, Last bool
}

// activityFields says which field of an activity form each message
// belongs to.
var activityFields = map[string]string{
	"error.prompt_length":       "prompt",
	"error.prompt_invalid":      "prompt",
	"error.option_invalid":      "options",
	"error.options_count":       "options",
	"error.option_length":       "options",
	"error.option_ids":          "options",
	"error.option_has_votes":    "options",
	"error.options_not_allowed": "options",
	"error.max_choices_invalid": "max_choices",
	"error.max_words_invalid":   "max_words",
	"error.scale_invalid":       "scale",
	"error.timer_invalid":       "timer",
}

// handlePrepare shows the run of show with a form per activity and one
// per kind to add.
func (s *Server) handlePrepare(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	return s.renderPrepare(c, fiber.StatusOK, w, "", form{})
}

func (s *Server) renderPrepare(c *fiber.Ctx, status int, w *agora.Workshop, formID string, f form) error {
	run, err := s.store.ListActivities(c.UserContext(), w.ID)
	if err != nil {
		return err
	}
	d := prepareData{Workshop: w}
	pick := func(af activityForm) activityForm {
		if af.ID == formID {
			af.Form, af.Open = f, true
		}
		return af
	}
	for i, a := range run {
		id := "edit-" + strconv.FormatInt(a.ID, 10)
		d.Edits = append(d.Edits, pick(activityForm{ID: id, Kind: a.Kind, Activity: a,
			Form: form{Values: activityValues(a)}, First: i == 0, Last: i == len(run)-1}))
	}
	for _, k := range activityKinds {
		blank := &agora.Activity{Kind: k, Settings: agora.ActivitySettings{MaxChoices: 1, MaxWords: agora.MaxWordsPerEntry, ScaleMin: 1, ScaleMax: 5}}
		v := activityValues(blank)
		v["prompt"], v["timer"] = "", ""
		d.Adds = append(d.Adds, pick(activityForm{ID: "add-" + string(k), Kind: k, Form: form{Values: v}}))
	}
	page := form{}
	if formID == "" {
		page = f // an error of the page itself, not of one form
	}
	return s.render(c, status, "facilitate_prepare", page, d)
}

// handleAddActivity appends an activity of the form's kind.
func (s *Server) handleAddActivity(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	values, a, err := parseActivityForm(c, nil)
	if err == nil {
		a.WorkshopID = w.ID
		err = s.engine.AddActivity(c.UserContext(), s.mustUser(c), a)
	}
	if err != nil {
		return s.activityFormError(c, w, "add-"+values["kind"], values, err)
	}
	return s.done(c, w)
}

// handleUpdateActivity writes an activity's prompt, options and settings.
func (s *Server) handleUpdateActivity(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	cur, err := s.workshopActivity(c, w)
	if err != nil {
		return err
	}
	values, a, err := parseActivityForm(c, cur)
	if err == nil {
		err = s.engine.UpdateActivity(c.UserContext(), s.mustUser(c), a)
	}
	if err != nil {
		return s.activityFormError(c, w, "edit-"+strconv.FormatInt(cur.ID, 10), values, err)
	}
	return s.done(c, w)
}

// activityFormError shows a refused activity form again with its message
// next to the field, or passes on errors that are not the form's fault.
func (s *Server) activityFormError(c *fiber.Ctx, w *agora.Workshop, formID string, values map[string]string, err error) error {
	code := agora.ErrorCode(err)
	if wantsJSON(c) || (code != agora.EINVALID && code != agora.ECONFLICT) {
		return err
	}
	var f form
	if fe, ok := err.(fieldError); ok {
		f = form{Values: values, Errors: map[string]string{fe.field: s.message(c, fe.err)}}
	} else {
		f = s.formError(c, values, err, activityFields)
	}
	return s.renderPrepare(c, statusOf[code], w, formID, f)
}

// fieldError is an input that could not even be read, such as a number
// that is not one; it belongs to field.
type fieldError struct {
	field string
	err   error
}

func (e fieldError) Error() string { return e.err.Error() }
func (e fieldError) Unwrap() error { return e.err }

// parseActivityForm reads an activity form. For an edit, cur is the
// activity as stored: its kind stays, and its options keep their IDs.
func parseActivityForm(c *fiber.Ctx, cur *agora.Activity) (map[string]string, *agora.Activity, error) {
	values := map[string]string{}
	for _, k := range []string{"kind", "prompt", "options", "max_choices", "max_words", "scale", "timer", "premoderation", "hide_results"} {
		values[k] = strings.TrimSpace(c.FormValue(k))
	}
	a := &agora.Activity{Kind: agora.ActivityKind(values["kind"]), Prompt: agora.NormalizeLine(values["prompt"])}
	if cur != nil {
		a.ID, a.Kind = cur.ID, cur.Kind
		values["kind"] = string(cur.Kind)
	}
	if !a.Kind.Valid() {
		return values, a, agora.Errorf(agora.EINVALID, "error.kind_invalid")
	}
	st := &a.Settings
	st.HideResults = values["hide_results"] != ""
	var err error
	if st.TimerSeconds, err = formInt(values, "timer"); err != nil {
		return values, a, err
	}
	switch a.Kind {
	case agora.KindPoll:
		var old []agora.Option
		if cur != nil {
			old = cur.Options
		}
		a.Options = matchOptions(old, lines(values["options"]))
		st.MaxChoices, err = formInt(values, "max_choices")
	case agora.KindIdeas:
		st.Premoderation = values["premoderation"] != ""
	case agora.KindWordCloud:
		st.MaxWords, err = formInt(values, "max_words")
	case agora.KindScale:
		st.ScaleMin, st.ScaleMax = 1, 5
		if values["scale"] == "0-10" {
			st.ScaleMin, st.ScaleMax = 0, 10
		} else if values["scale"] != "1-5" && values["scale"] != "" {
			err = agora.Errorf(agora.EINVALID, "error.scale_invalid")
		}
	}
	return values, a, err
}

// activityValues are the form values showing activity a.
func activityValues(a *agora.Activity) map[string]string {
	st := a.Settings
	v := map[string]string{"kind": string(a.Kind), "prompt": a.Prompt,
		"max_choices": strconv.Itoa(st.MaxChoices), "max_words": strconv.Itoa(st.MaxWords),
		"scale": strconv.Itoa(st.ScaleMin) + "-" + strconv.Itoa(st.ScaleMax)}
	if st.TimerSeconds > 0 {
		v["timer"] = strconv.Itoa(st.TimerSeconds)
	}
	if st.Premoderation {
		v["premoderation"] = "on"
	}
	if st.HideResults {
		v["hide_results"] = "on"
	}
	labels := make([]string, len(a.Options))
	for i, o := range a.Options {
		labels[i] = o.Label
	}
	v["options"] = strings.Join(labels, "\n")
	return v
}

// formInt reads an optional whole number: empty is zero.
func formInt(values map[string]string, name string) (int, error) {
	v := values[name]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fieldError{name, agora.Errorf(agora.EINVALID, "error.number_invalid")}
	}
	return n, nil
}

// lines splits a textarea into its non-blank lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = agora.NormalizeLine(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// matchOptions turns the lines of an edited poll back into options: a line
// keeps the ID of the option with the same label; the other lines take, in
// order, the IDs of the options whose label no line kept (corrected
// typos), and any lines left are new options (ID zero). Votes thus follow
// their option through a correction or a reordering.
func matchOptions(old []agora.Option, labels []string) []agora.Option {
	out := make([]agora.Option, len(labels))
	kept := map[int]bool{}
	for i, l := range labels {
		out[i].Label = l
		for _, o := range old {
			if o.Label == l && !kept[o.ID] {
				out[i].ID, kept[o.ID] = o.ID, true
				break
			}
		}
	}
	var free []int
	for _, o := range old {
		if !kept[o.ID] {
			free = append(free, o.ID)
		}
	}
	for i := range out {
		if out[i].ID == 0 && len(free) > 0 {
			out[i].ID, free = free[0], free[1:]
		}
	}
	return out
}

// handleMoveActivity moves an activity one place up or down, or to the
// position given; it works during the session too.
func (s *Server) handleMoveActivity(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	a, err := s.workshopActivity(c, w)
	if err != nil {
		return err
	}
	pos := a.Position
	switch c.FormValue("dir") {
	case "up":
		pos--
	case "down":
		pos++
	default:
		if pos, err = strconv.Atoi(c.FormValue("position")); err != nil {
			return agora.Errorf(agora.EINVALID, "error.number_invalid")
		}
	}
	if pos < 0 {
		return s.done(c, w) // the first stays first
	}
	if err := s.engine.MoveActivity(c.UserContext(), s.mustUser(c), a.ID, pos); err != nil {
		return s.commandError(c, w, err)
	}
	return s.done(c, w)
}

// handleDeleteActivity removes an activity that is not open.
func (s *Server) handleDeleteActivity(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	a, err := s.workshopActivity(c, w)
	if err != nil {
		return err
	}
	if err := s.engine.DeleteActivity(c.UserContext(), s.mustUser(c), a.ID); err != nil {
		return s.commandError(c, w, err)
	}
	return s.done(c, w)
}

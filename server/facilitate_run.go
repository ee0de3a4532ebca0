package server

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

type dashboardData struct {
	Workshop  *agora.Workshop
	State     *live.RoomState
	Run       []runItem
	Results   *roomResults // the current activity's, always shown to staff
	Queue     []live.IdeaView
	Pending   int
	ScreenURL string
	JoinURL   string
	// Confirm asks a second time before a reset ("reset", of ConfirmID)
	// or the end of the workshop ("end").
	Confirm   string
	ConfirmID int64
	// Countdown is the current activity's time left ("4:05"), empty
	// without a running timer.
	Countdown string
}

// runItem is one line of the run of show.
type runItem struct {
	live.ActivityView
	Current, First, Last bool
}

// handleDashboard is the facilitator's control room.
func (s *Server) handleDashboard(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	return s.renderDashboard(c, fiber.StatusOK, w, form{})
}

func (s *Server) renderDashboard(c *fiber.Ctx, status int, w *agora.Workshop, f form) error {
	st, err := s.engine.State(c.UserContext(), w, live.Facilitators, nil)
	if err != nil {
		return err
	}
	d := dashboardData{Workshop: w, State: st,
		ScreenURL: screenURL(s.cfg.PublicURL, w), JoinURL: s.cfg.PublicURL + "/j/" + w.JoinCode}
	for i, a := range st.Activities {
		cur := st.Current != nil && a.ID == st.Current.ID
		d.Run = append(d.Run, runItem{ActivityView: a, Current: cur, First: i == 0, Last: i == len(st.Activities)-1})
	}
	if st.Current != nil {
		d.Results = newRoomResults(st.Current, st.Tally)
		d.Countdown = countdown(st.Current, st.Now)
	}
	d.Queue = slices.Clone(st.Ideas)
	slices.SortStableFunc(d.Queue, func(x, y live.IdeaView) int { return pendingRank(x) - pendingRank(y) })
	for _, i := range d.Queue {
		if i.Status == agora.ProposalPending {
			d.Pending++
		}
	}
	switch c.Query("confirm") {
	case "end":
		d.Confirm = "end"
	case "reset":
		if id, err := strconv.ParseInt(c.Query("activity"), 10, 64); err == nil {
			d.Confirm, d.ConfirmID = "reset", id
		}
	}
	return s.render(c, status, "facilitate_dashboard", f, d)
}

// countdown is the time an open activity has left, as m:ss.
func countdown(a *live.ActivityView, now time.Time) string {
	if a.State != agora.ActivityOpen || a.ClosesAt == nil {
		return ""
	}
	secs := max(0, int(math.Ceil(a.ClosesAt.Sub(now).Seconds())))
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// pendingRank puts pending ideas first in the moderation queue.
func pendingRank(i live.IdeaView) int {
	if i.Status == agora.ProposalPending {
		return 0
	}
	return 1
}

// screenURL is the projector's link, with its secret token.
func screenURL(publicURL string, w *agora.Workshop) string {
	return publicURL + "/screen/" + w.JoinCode + "?t=" + url.QueryEscape(w.ScreenToken)
}

// handleActivityCommand opens, closes, reveals, hides or resets an
// activity. A reset asks for confirmation first: without confirm=yes it
// goes back to the dashboard with the question.
func (s *Server) handleActivityCommand(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	a, err := s.workshopActivity(c, w)
	if err != nil {
		return err
	}
	name := c.Params("command")
	command, ok := activityCommands[name]
	if !ok {
		return agora.Errorf(agora.ENOTFOUND, "error.page_not_found")
	}
	if name == "reset" && c.FormValue("confirm") != "yes" {
		return c.Redirect("/facilitate/"+w.JoinCode+"?confirm=reset&activity="+strconv.FormatInt(a.ID, 10)+"#confirm", fiber.StatusSeeOther)
	}
	if err := command(s.engine, c.UserContext(), s.mustUser(c), a.ID); err != nil {
		return s.commandError(c, w, err)
	}
	return s.done(c, w)
}

// handleWorkshopCommand moves through the run of show, or starts or ends
// the workshop; ending asks for confirmation first, like a reset.
func (s *Server) handleWorkshopCommand(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	name := c.Params("command")
	command, ok := workshopCommands[name]
	if !ok {
		return agora.Errorf(agora.ENOTFOUND, "error.page_not_found")
	}
	if name == "end" && c.FormValue("confirm") != "yes" {
		return c.Redirect("/facilitate/"+w.JoinCode+"?confirm=end#confirm", fiber.StatusSeeOther)
	}
	if err := command(s.engine, c.UserContext(), s.mustUser(c), w.ID); err != nil {
		return s.commandError(c, w, err)
	}
	return s.done(c, w)
}

// handleModerate approves, rejects, hides, highlights or unhighlights an
// idea of the workshop.
func (s *Server) handleModerate(c *fiber.Ctx) error {
	w, err := s.staffWorkshop(c)
	if err != nil {
		return err
	}
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return agora.Errorf(agora.ENOTFOUND, "error.idea_not_found")
	}
	p, err := s.store.ProposalByID(c.UserContext(), int64(id))
	if err != nil || p.WorkshopID == nil || *p.WorkshopID != w.ID {
		return agora.Errorf(agora.ENOTFOUND, "error.idea_not_found")
	}
	action := live.ModerationAction(c.Params("action"))
	if _, err := s.engine.Moderate(c.UserContext(), s.mustUser(c), p.ID, action); err != nil {
		return s.commandError(c, w, err)
	}
	return s.done(c, w)
}

// commandError shows a refused command (nothing next, an activity still
// open…) on the page it came from, in the page's language; other errors,
// and every error of a script, go to the error handler.
func (s *Server) commandError(c *fiber.Ctx, w *agora.Workshop, err error) error {
	code := agora.ErrorCode(err)
	if wantsJSON(c) || (code != agora.EINVALID && code != agora.ECONFLICT) {
		return err
	}
	f := form{Error: s.message(c, err)}
	if c.FormValue("back") == "prepare" {
		return s.renderPrepare(c, statusOf[code], w, "", f)
	}
	return s.renderDashboard(c, statusOf[code], w, f)
}

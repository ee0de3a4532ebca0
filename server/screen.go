package server

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/agora-civic/agora"
	"github.com/agora-civic/agora/live"
)

func (s *Server) registerScreenRoutes() {
	s.app.Get("/screen/:code", s.handleScreen)
}

type screenData struct {
	Workshop  *agora.Workshop
	State     *live.RoomState
	Token     string
	JoinShort string // host/j/CODE, to type
	Results   *roomResults
	// Answers counts the answers while the results are hidden from the room.
	Answers int
}

// handleScreen is the projector: no account, but the workshop's secret
// screen token in ?t=. It sees what the room sees, never pending ideas.
func (s *Server) handleScreen(c *fiber.Ctx) error {
	w, err := s.screenWorkshop(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	st, err := s.engine.State(ctx, w, live.Screen, nil)
	if err != nil {
		return err
	}
	host := s.cfg.PublicURL
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	d := screenData{Workshop: w, State: st, Token: w.ScreenToken, JoinShort: host + "/j/" + w.JoinCode}
	if cur := st.Current; cur != nil {
		d.Results = newRoomResults(cur, st.Tally)
		if !cur.ResultsVisible {
			if d.Answers, err = s.answerCount(c, w); err != nil {
				return err
			}
		}
	}
	return s.render(c, fiber.StatusOK, "screen", form{}, d)
}

// screenWorkshop reads the workshop of :code and checks the screen token in
// constant time. A wrong token and an unknown code look the same.
func (s *Server) screenWorkshop(c *fiber.Ctx) (*agora.Workshop, error) {
	forbidden := agora.Errorf(agora.EFORBIDDEN, "error.screen_token")
	code := agora.NormalizeJoinCode(c.Params("code"))
	token := c.Query("t")
	if code == "" || token == "" {
		return nil, forbidden
	}
	w, err := s.store.WorkshopByCode(c.UserContext(), code)
	if agora.IsCode(err, agora.ENOTFOUND) {
		return nil, forbidden
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(w.ScreenToken)) != 1 {
		return nil, forbidden
	}
	return w, nil
}

// answerCount is how many answered the current activity (votes, or ideas
// shown), for the projector to say while the results are hidden.
func (s *Server) answerCount(c *fiber.Ctx, w *agora.Workshop) (int, error) {
	st, err := s.engine.State(c.UserContext(), w, live.Facilitators, nil)
	if err != nil || st.Tally == nil {
		return 0, err
	}
	if st.Tally.Kind == agora.KindIdeas {
		return len(st.Tally.Ideas), nil
	}
	return st.Tally.Voters, nil
}

package live

import "strconv"

// Audience is who looks at a room: each has its own topic and its own view
// of the state, so that unmoderated ideas and hidden results reach only the
// people allowed to see them.
type Audience string

// Audiences.
const (
	Participants Audience = "participants" // phones in the room
	Screen       Audience = "screen"       // the projector
	Facilitators Audience = "facilitators" // the staff dashboard
)

// Valid reports whether a is a known audience.
func (a Audience) Valid() bool {
	return a == Participants || a == Screen || a == Facilitators
}

// audiences lists every audience, staff last.
var audiences = []Audience{Participants, Screen, Facilitators}

// Topic returns the topic of an audience of a workshop:
// "w:{workshopID}:{audience}".
func Topic(workshopID int64, a Audience) string {
	return "w:" + strconv.FormatInt(workshopID, 10) + ":" + string(a)
}

// ParticipantsTopic returns the topic of a workshop's phones.
func ParticipantsTopic(workshopID int64) string { return Topic(workshopID, Participants) }

// ScreenTopic returns the topic of a workshop's projector.
func ScreenTopic(workshopID int64) string { return Topic(workshopID, Screen) }

// FacilitatorsTopic returns the topic of a workshop's staff dashboards.
func FacilitatorsTopic(workshopID int64) string { return Topic(workshopID, Facilitators) }

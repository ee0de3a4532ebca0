package hub

import (
	"strconv"
	"strings"
)

// Audience is who may see a workshop topic. Each audience is its own topic,
// so what one audience must not see (unmoderated ideas, hidden results) is
// simply never published on its topic.
type Audience string

// Audiences of a workshop.
const (
	Participants Audience = "participants" // phones in the room
	Screen       Audience = "screen"       // the projector
	Facilitators Audience = "facilitators" // the dashboard, signed-in staff only
)

// Valid reports whether a is a known audience.
func (a Audience) Valid() bool {
	return a == Participants || a == Screen || a == Facilitators
}

// WorkshopTopic names the topic of one audience of a workshop:
// "w:{workshopID}:{audience}".
func WorkshopTopic(workshopID int64, a Audience) string {
	return "w:" + strconv.FormatInt(workshopID, 10) + ":" + string(a)
}

// ConsultationTopic names the topic of a consultation's online pages:
// "c:{consultationID}".
func ConsultationTopic(consultationID int64) string {
	return "c:" + strconv.FormatInt(consultationID, 10)
}

// ParseWorkshopTopic is the inverse of WorkshopTopic; ok is false for any
// other topic.
func ParseWorkshopTopic(topic string) (workshopID int64, a Audience, ok bool) {
	rest, found := strings.CutPrefix(topic, "w:")
	if !found {
		return 0, "", false
	}
	id, aud, found := strings.Cut(rest, ":")
	if !found {
		return 0, "", false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || !Audience(aud).Valid() {
		return 0, "", false
	}
	return n, Audience(aud), true
}

// ParseConsultationTopic is the inverse of ConsultationTopic.
func ParseConsultationTopic(topic string) (consultationID int64, ok bool) {
	id, found := strings.CutPrefix(topic, "c:")
	if !found {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// presenceTopic reports whether sockets on topic count as presence: only
// participants are counted, per workshop.
func presenceTopic(topic string) bool {
	_, a, ok := ParseWorkshopTopic(topic)
	return ok && a == Participants
}

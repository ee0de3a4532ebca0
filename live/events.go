package live

import "context"

// Notifier pushes events to the sockets of a topic. The engine calls it only
// after a change is committed; delivery is at most once, and clients that
// miss an event catch up with a snapshot (Engine.State).
type Notifier interface {
	// Publish sends an event to the sockets of a topic on every node.
	Publish(ctx context.Context, topic, typ string, data any) error
	// PublishTally sends the latest value of key (a tally, a count) to the
	// sockets of topic on this node only, coalesced: at most once per
	// interval, the last state always goes out. Every node computes the
	// whole value itself (see Peers), so it never crosses nodes.
	PublishTally(topic, key, typ string, data any)
}

// Event types, mirrored by the JavaScript. Each event goes to the topics
// named in its comment; payloads are JSON.
const (
	// EventState carries the whole RoomState of the audience of its topic,
	// after a facilitator changes the run of show or the workshop (open,
	// close, reveal, hide, reset, next, previous, start, end, edits). Sent
	// to every audience. The participants' copy has no "me": a phone keeps
	// what it did, or asks for its own snapshot.
	EventState = "state"
	// EventTally carries an agora.Tally: the live results of an activity,
	// coalesced (its Round lets a client drop a tally older than a reset).
	// Facilitators always get it; participants and the screen only while
	// the activity's results are visible.
	EventTally = "tally"
	// EventIdea carries IdeaView: a new idea, or an idea that became
	// visible. Pending ideas go to the facilitators only.
	EventIdea = "idea"
	// EventIdeaRemoved carries IdeaRef: an idea that participants and the
	// screen must no longer show (rejected or hidden).
	EventIdeaRemoved = "idea_removed"
	// EventIdeaModerated carries ModerationEvent, to the facilitators: an
	// idea's new status after a moderation action.
	EventIdeaModerated = "idea_moderated"
	// EventHighlight carries HighlightEvent, to every audience: the idea
	// shown large on the projector, or none.
	EventHighlight = "highlight"
	// EventPresence carries PresenceEvent, coalesced, to the screen and the
	// facilitators: how many devices joined.
	EventPresence = "presence"
	// EventAnswers carries AnswersEvent, coalesced, to participants and the
	// screen while an activity's results are hidden: only how many answered,
	// so the room sees answers coming in before the reveal.
	EventAnswers = "answers"
)

// IdeaRef is the payload of EventIdeaRemoved.
type IdeaRef struct {
	ID         int64 `json:"id"`
	ActivityID int64 `json:"activity_id"`
}

// ModerationEvent is the payload of EventIdeaModerated.
type ModerationEvent struct {
	Action ModerationAction `json:"action"`
	Idea   IdeaView         `json:"idea"`
}

// HighlightEvent is the payload of EventHighlight; Idea is null when no idea
// of the activity is highlighted any more.
type HighlightEvent struct {
	ActivityID int64     `json:"activity_id"`
	Idea       *IdeaView `json:"idea"`
}

// PresenceEvent is the payload of EventPresence.
type PresenceEvent struct {
	WorkshopID   int64 `json:"workshop_id"`
	Participants int   `json:"participants"`
}

// AnswersEvent is the count of answers of an activity whose results are
// hidden from the room.
type AnswersEvent struct {
	ActivityID int64 `json:"activity_id"`
	Round      int   `json:"round"`
	Answers    int   `json:"answers"`
}

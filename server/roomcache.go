package server

import (
	"time"

	"github.com/agora-civic/agora"
)

// roomCache keeps on this node what a vote reads before it is stored: the
// activity with its workshop, and the participant of each device token.
// A hall of phones votes on one activity within seconds, and one database
// read per vote was a quarter of a vote's server CPU, and most of the
// database's.
//
// Nothing here decides alone. An activity taken from the cache may have
// been closed or edited since, on this node or another: the engine checks
// the vote again against the stored activity just before the vote is
// written, once per batch (live.Engine.CheckVotes). And a vote the cached
// copy would refuse is checked again against a fresh read (see
// handleAPIVote), so a stale copy does not refuse a vote either. A
// participant never changes workshop and is never deleted; the retention
// sweep forgets the tokens of ended workshops only, which take no votes.
type roomCache struct {
	rooms   stampedMap[int64, cachedRoom]    // activity ID
	devices stampedMap[string, cachedDevice] // token hash
}

// cachedRoom is an activity and its workshop as read at some moment. They
// are shared by the votes that use them, which only read them.
type cachedRoom struct {
	a *agora.Activity
	w *agora.Workshop
}

// cachedDevice is a participant as a vote needs it: nothing personal.
type cachedDevice struct {
	id, workshopID int64
}

const (
	// roomTTL bounds how long a copy is used: a fresh read a second
	// costs nothing, and keeps what a refused vote is told current.
	roomTTL = time.Second
	// deviceTTL: a device is read again after a while, so that what the
	// store forgets (the retention sweep) does not stay here for good.
	deviceTTL = 30 * time.Minute
	// The maps start over past these sizes: the rooms of a few live
	// workshops, the phones of a stadium.
	roomsMax   = 4096
	devicesMax = 100_000
)

// room returns the cached activity and workshop, if read less than roomTTL
// before now.
func (r *roomCache) room(activityID int64, now time.Time) (*agora.Activity, *agora.Workshop, bool) {
	e, ok := r.rooms.get(activityID, now, roomTTL)
	return e.a, e.w, ok
}

func (r *roomCache) putRoom(a *agora.Activity, w *agora.Workshop, now time.Time) {
	r.rooms.put(a.ID, cachedRoom{a: a, w: w}, now, roomsMax)
}

// device returns the participant of a token hash, if read less than
// deviceTTL before now.
func (r *roomCache) device(tokenHash string, now time.Time) (cachedDevice, bool) {
	return r.devices.get(tokenHash, now, deviceTTL)
}

func (r *roomCache) putDevice(tokenHash string, p *agora.Participant, now time.Time) {
	r.devices.put(tokenHash, cachedDevice{id: p.ID, workshopID: p.WorkshopID}, now, devicesMax)
}

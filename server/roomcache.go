package server

import (
	"sync"
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
	mu      sync.RWMutex
	rooms   map[int64]cachedRoom    // activity ID
	devices map[string]cachedDevice // token hash
}

// cachedRoom is an activity and its workshop as read at some moment. They
// are shared by the votes that use them, which only read them.
type cachedRoom struct {
	a  *agora.Activity
	w  *agora.Workshop
	at time.Time
}

// cachedDevice is a participant as a vote needs it: nothing personal.
type cachedDevice struct {
	id, workshopID int64
	at             time.Time
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
	r.mu.RLock()
	e, ok := r.rooms[activityID]
	r.mu.RUnlock()
	if !ok || now.Sub(e.at) >= roomTTL || now.Before(e.at) {
		return nil, nil, false
	}
	return e.a, e.w, true
}

func (r *roomCache) putRoom(a *agora.Activity, w *agora.Workshop, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rooms == nil || len(r.rooms) >= roomsMax {
		r.rooms = make(map[int64]cachedRoom)
	}
	r.rooms[a.ID] = cachedRoom{a: a, w: w, at: now}
}

// device returns the participant of a token hash, if read less than
// deviceTTL before now.
func (r *roomCache) device(tokenHash string, now time.Time) (cachedDevice, bool) {
	r.mu.RLock()
	d, ok := r.devices[tokenHash]
	r.mu.RUnlock()
	if !ok || now.Sub(d.at) >= deviceTTL || now.Before(d.at) {
		return cachedDevice{}, false
	}
	return d, true
}

func (r *roomCache) putDevice(tokenHash string, p *agora.Participant, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.devices == nil || len(r.devices) >= devicesMax {
		r.devices = make(map[string]cachedDevice)
	}
	r.devices[tokenHash] = cachedDevice{id: p.ID, workshopID: p.WorkshopID, at: now}
}

package server

import "sync"

// joinCodes remembers the join code of each activity's workshop, which
// names the device cookie a vote must read. With it a vote takes one store
// read (store.ActivityRoom) instead of three. A code is only a hint: the
// read returns the workshop, and a stale code falls back to the long way.
type joinCodes struct {
	mu    sync.RWMutex
	codes map[int64]string // activity ID → join code
}

// joinCodesMax bounds the map; past it, it starts over (a few live
// workshops' activities are what matter).
const joinCodesMax = 4096

func (j *joinCodes) get(activityID int64) (string, bool) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	code, ok := j.codes[activityID]
	return code, ok
}

func (j *joinCodes) put(activityID int64, code string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.codes == nil || len(j.codes) >= joinCodesMax {
		j.codes = make(map[int64]string)
	}
	j.codes[activityID] = code
}

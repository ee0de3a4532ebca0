package report

import "time"

// Times leave the report in UTC, so that the JSON, the CSV files and the
// page say the same whatever the database's time zone.

func utcPtr(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

func utcPtrP(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return utcPtr(*t)
}

// day is the UTC date of t, at midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// latest keeps the newest of the times it is given.
type latest struct{ t time.Time }

func (l *latest) see(t time.Time) {
	if t.After(l.t) {
		l.t = t.UTC()
	}
}

func (l *latest) seeP(t *time.Time) {
	if t != nil {
		l.see(*t)
	}
}

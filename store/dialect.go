package store

import (
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/agora-civic/agora/migrations"
)

// dialect holds every real difference between the two databases. The SQL
// text of the queries is shared: both accept $1 placeholders, RETURNING and
// ON CONFLICT … DO UPDATE.
type dialect struct {
	name       string        // reported by (*DB).Dialect
	driver     string        // database/sql driver name
	goose      goose.Dialect // migration dialect
	migrations fs.FS         // the embedded migrations for this dialect
	ilike      string        // case-insensitive LIKE operator
	forUpdate  string        // row-lock suffix of a SELECT inside a transaction
	sqliteTime bool          // times are fixed-width UTC text, not timestamps
	arrays     bool          // binds a Go slice as an array parameter (unnest)
	maxConns   int           // pool size
}

var (
	postgresDialect = &dialect{
		name:       "postgres",
		driver:     "pgx",
		goose:      goose.DialectPostgres,
		migrations: migrations.Postgres,
		ilike:      "ILIKE",
		forUpdate:  " FOR UPDATE",
		arrays:     true,
		maxConns:   25,
	}
	// SQLite's LIKE ignores ASCII case only: "É" does not match "é".
	// SQLite has no row locks: _txlock=immediate makes every transaction
	// take the write lock at BEGIN, which serialises writers.
	sqliteDialect = &dialect{
		name:       "sqlite",
		driver:     "sqlite",
		goose:      goose.DialectSQLite3,
		migrations: migrations.SQLite,
		ilike:      "LIKE",
		forUpdate:  "",
		sqliteTime: true,
		maxConns:   8,
	}
)

// sqliteTimeLayout is fixed width so that text order is time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// time converts t to the argument the driver stores: UTC, to the
// microsecond (Postgres's precision, which SQLite copies so both round-trip
// the same value).
func (d *dialect) time(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.sqliteTime {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// nullTime is time for a nullable column.
func (d *dialect) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.time(*t)
}

// Package store keeps Agora's data in PostgreSQL or SQLite. It is written
// once on database/sql, in SQL both databases accept; the few differences
// live in one dialect table (dialect.go) and driver errors are mapped in
// one place (errors.go).
package store

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/agora-civic/agora"
)

var _ agora.Store = (*DB)(nil)

// DB is the agora.Store on a Postgres or SQLite database. The *DB returned
// by Open owns the pool; WithTx hands its callback a *DB bound to one
// transaction.
type DB struct {
	db    *sql.DB
	tx    *sql.Tx // set on the Store a WithTx callback receives
	d     *dialect
	log   *slog.Logger
	sweep *sweeper // shared by every *DB of one pool
}

// Open connects to url: postgres://… or postgresql://… for Postgres,
// sqlite:PATH (or a bare path ending in .db) for SQLite. It configures the
// pool and checks that the database answers; it does not migrate.
func Open(ctx context.Context, url string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, dsn, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, dbError("open", err)
	}
	db.SetMaxOpenConns(d.maxConns)
	db.SetMaxIdleConns(d.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, dbError("open", err)
	}
	return &DB{db: db, d: d, log: log, sweep: &sweeper{}}, nil
}

// parseURL picks the dialect of a database URL and returns the driver's DSN.
func parseURL(u string) (*dialect, string, error) {
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return postgresDialect, u, nil
	case strings.HasPrefix(u, "sqlite:"):
		return sqliteDialect, sqliteDSN(strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")), nil
	case strings.HasSuffix(u, ".db"):
		return sqliteDialect, sqliteDSN(u), nil
	}
	return nil, "", agora.Errorf(agora.EINVALID, "error.database_url")
}

// sqliteDSN adds the connection settings every SQLite connection needs:
// WAL so readers never block the writer, a busy timeout so writers queue
// instead of failing, foreign keys (off by default in SQLite), and
// BEGIN IMMEDIATE so a transaction that reads then writes cannot deadlock
// against another one doing the same.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode()
}

// Dialect returns "postgres" or "sqlite".
func (s *DB) Dialect() string { return s.d.name }

// Ping checks that the database answers.
func (s *DB) Ping(ctx context.Context) error {
	return dbError("ping", s.db.PingContext(ctx))
}

// Close releases the connections. On the Store of a WithTx callback it
// does nothing: the pool belongs to the outer *DB.
func (s *DB) Close() error {
	if s.tx != nil {
		return nil
	}
	return s.db.Close()
}

// WithTx runs fn with a Store bound to one transaction, committed if fn
// returns nil and rolled back otherwise. Nested calls reuse the transaction.
func (s *DB) WithTx(ctx context.Context, fn func(tx agora.Store) error) error {
	return s.inTx(ctx, "transaction", func(t *DB) error { return fn(t) })
}

// inTx runs fn in the current transaction, or in a new one.
func (s *DB) inTx(ctx context.Context, op string, fn func(t *DB) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbError(op, err)
	}
	defer tx.Rollback() // no-op after Commit; covers a panic in fn
	t := &DB{db: s.db, tx: tx, d: s.d, log: s.log, sweep: s.sweep}
	if err := fn(t); err != nil {
		return err
	}
	return dbError(op, tx.Commit())
}

// q returns the transaction, if any, or the pool.
func (s *DB) q() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.db
}

// exec runs a statement and maps its error.
func (s *DB) exec(ctx context.Context, op, query string, a ...any) (sql.Result, error) {
	res, err := s.q().ExecContext(ctx, query, a...)
	return res, dbError(op, err)
}

// execOne runs a statement that must change one row; ENOTFOUND otherwise.
func (s *DB) execOne(ctx context.Context, op, query string, a ...any) error {
	res, err := s.exec(ctx, op, query, a...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}

// count runs a query returning one integer.
func (s *DB) count(ctx context.Context, op, query string, a ...any) (int, error) {
	var n int
	err := s.q().QueryRowContext(ctx, query, a...).Scan(&n)
	return n, dbError(op, err)
}

// sweeper remembers when counters were last swept, across the *DB values
// that share a pool.
type sweeper struct {
	mu   sync.Mutex
	last time.Time
}

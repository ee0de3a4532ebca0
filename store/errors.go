package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/agora-civic/agora"
)

// dbError turns a driver error into an *agora.Error; it is the one place
// where driver errors are mapped. op is a short lower-case operation name.
// An error that already is an *agora.Error passes through unchanged.
func dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *agora.Error
	if errors.As(err, &ae) {
		return err
	}
	code := classify(err)
	key := map[string]string{
		agora.ENOTFOUND:    "error.not_found",
		agora.ECONFLICT:    "error.conflict",
		agora.EUNAVAILABLE: "error.unavailable",
		agora.EINVALID:     "error.text_invalid",
	}[code]
	if key == "" {
		return agora.WrapError(agora.EINTERNAL, op, err)
	}
	return agora.WrapError(code, key, fmt.Errorf("%s: %w", op, err))
}

// classify returns the agora error code of a driver error.
func classify(err error) string {
	if errors.Is(err, sql.ErrNoRows) {
		return agora.ENOTFOUND
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return classifyPostgres(pe.Code)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return classifySQLite(se.Code())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return agora.EINTERNAL
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return agora.EUNAVAILABLE
	}
	return agora.EINTERNAL
}

// classifyPostgres maps SQLSTATE codes.
func classifyPostgres(code string) string {
	switch {
	case code == "23505": // unique_violation
		return agora.ECONFLICT
	case code == "22021", code == "22P05": // NUL or invalid UTF-8 in text: the input, not us
		return agora.EINVALID
	case strings.HasPrefix(code, "08"), // connection exceptions
		strings.HasPrefix(code, "57P"), // admin/crash shutdown, cannot connect now
		code == "53300":                // too many connections
		return agora.EUNAVAILABLE
	}
	return agora.EINTERNAL
}

// classifySQLite maps extended result codes.
func classifySQLite(code int) string {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return agora.ECONFLICT
	}
	switch code & 0xff { // primary code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		// The busy timeout ran out: the database is overloaded, retry later.
		return agora.EUNAVAILABLE
	}
	return agora.EINTERNAL
}

// notFound is the ENOTFOUND error of a read that matched nothing.
func notFound(op string) error {
	return dbError(op, sql.ErrNoRows)
}

// invalid is the EINVALID error of a call the store cannot serve.
func invalid(key string) error {
	return agora.Errorf(agora.EINVALID, key)
}

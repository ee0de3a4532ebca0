package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// querier is what *sql.DB and *sql.Tx both offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// destinations collects the targets a scan function would fill, so that
// one row of a join fills several records: scanX(&d) returns the record,
// and row.Scan(d...) fills it.
type destinations []any

// Scan implements rowScanner by keeping dest for later.
func (d *destinations) Scan(dest ...any) error {
	*d = append(*d, dest...)
	return nil
}

// qualified prefixes each column of a column list with a table alias:
// qualified("a", "id, kind") is "a.id, a.kind".
func qualified(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// timeCol scans a timestamp from either driver (time.Time from pgx, text
// from SQLite) into a UTC time.Time.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*c.t = v.UTC()
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a time", src)
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// nullTimeCol scans a nullable timestamp.
type nullTimeCol struct{ t **time.Time }

// Scan implements sql.Scanner.
func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// jsonCol scans a JSON text column into v.
type jsonCol struct{ v any }

// Scan implements sql.Scanner.
func (c jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		return nil
	default:
		return fmt.Errorf("store: cannot scan %T as JSON", src)
	}
	return json.Unmarshal(b, c.v)
}

// jsonText encodes v for a JSON text column; an empty slice is "[]", never
// "null", so the column reads well in exports.
func jsonText[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: " + err.Error()) // slices of ints, strings and options always encode
	}
	return string(b)
}

// args accumulates query arguments and hands out their placeholders.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// in appends each value and returns the placeholders of an IN list.
func in[T ~string](a *args, vs []T) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = a.add(string(v))
	}
	return strings.Join(ps, ", ")
}

// where joins conditions with AND; none gives an empty string.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// page returns the LIMIT/OFFSET clause; a zero limit means no limit. SQLite
// accepts OFFSET only after a LIMIT, hence the largest limit.
func page(a *args, limit, offset int) string {
	if limit <= 0 && offset <= 0 {
		return ""
	}
	if limit <= 0 {
		limit = math.MaxInt64
	}
	s := " LIMIT " + a.add(int64(limit))
	if offset > 0 {
		s += " OFFSET " + a.add(int64(offset))
	}
	return s
}

// now is the time a store method stamps, to the microsecond both databases keep.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// stamp returns t, or now when t is zero: callers with their own clock may
// set timestamps; the others get the store's.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// one runs a query expected to return one row and scans it; no row is
// ENOTFOUND.
func one[T any](ctx context.Context, s *DB, op string, scan func(rowScanner) (*T, error), query string, a ...any) (*T, error) {
	v, err := scan(s.q().QueryRowContext(ctx, query, a...))
	if err != nil {
		return nil, dbError(op, err)
	}
	return v, nil
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s *DB, op string, scan func(rowScanner) (*T, error), query string, a ...any) ([]*T, error) {
	rows, err := s.q().QueryContext(ctx, query, a...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbError(op, err)
		}
		out = append(out, v)
	}
	return out, dbError(op, rows.Err())
}

// affected reports whether a statement changed at least one row.
func affected(res sql.Result, err error, op string) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(op, err)
	}
	return n > 0, nil
}

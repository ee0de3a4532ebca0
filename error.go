// Package agora holds the domain vocabulary of Agora: the types of a public
// consultation (consultations, workshops, activities, participants, votes,
// proposals, comments), the rules that decide what is valid, the error type
// shared by every layer, and the store contract both databases implement.
//
// It imports no infrastructure: no HTTP, database or socket package.
package agora

import (
	"errors"
	"fmt"
)

// Error codes. Each layer speaks in these; the HTTP layer turns them into a
// status and a translated message in one place.
const (
	EINVALID      = "invalid"      // the input breaks a rule
	ENOTFOUND     = "not_found"    // no such thing, or not visible to the caller
	ECONFLICT     = "conflict"     // the thing exists already, or changed meanwhile
	EUNAUTHORIZED = "unauthorized" // the caller is not signed in
	EFORBIDDEN    = "forbidden"    // the caller may not do this
	ETOOMANY      = "too_many"     // rate limited
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retrying later is safe
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is the one error type of Agora. Message is a catalog key (or plain
// English for internal errors) so that the HTTP layer can translate it;
// Args fill the placeholders of the translated message.
type Error struct {
	Code    string
	Message string
	Args    []any
	Err     error // the cause, for logs; never shown to users
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and catalog key.
func Errorf(code, key string, args ...any) *Error {
	return &Error{Code: code, Message: key, Args: args}
}

// WrapError returns an *Error with the given code that keeps err as its cause.
func WrapError(code, key string, err error) *Error {
	return &Error{Code: code, Message: key, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the catalog key of the first *Error in err's chain,
// or "error.internal" for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "error.internal"
}

// ErrorArgs returns the message arguments of the first *Error in err's chain.
func ErrorArgs(err error) []any {
	var e *Error
	if errors.As(err, &e) {
		return e.Args
	}
	return nil
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }

// Package kiosk holds what every domain shares: application error codes. The
// HTTP adapter maps each code to one status in one table.
package kiosk

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Application error codes (wtf-style): stable strings clients can switch on.
const (
	EINVALID      = "invalid_argument"
	EUNAUTHORIZED = "unauthenticated"
	EFORBIDDEN    = "permission_denied"
	ENOTFOUND     = "not_found"
	EMETHOD       = "method_not_allowed"
	ECONFLICT     = "conflict"
	// EREUSED: an Idempotency-Key another client already used; nothing
	// of theirs is revealed.
	EREUSED      = "idempotency_key_reused"
	ETOOLARGE    = "payload_too_large"
	EUNSUPPORTED = "unsupported_media_type"
	ERATELIMITED = "rate_limited"
	EUNAVAILABLE = "unavailable"
	ETIMEOUT     = "timeout"
	EINTERNAL    = "internal"
)

// Error is an application error: a code and a message safe to show a client.
type Error struct {
	Code    string
	Message string
	// Details are per-item reasons, e.g. one per refused event of a batch.
	Details []string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an application error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first application error in err's chain,
// EINTERNAL for any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message: the application error's, or a
// generic one for internal errors, which must never leak.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}

// Details returns the per-item reasons of the application error in err's chain.
func Details(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// Truncate cuts s to at most n bytes without splitting a character and drops
// invalid UTF-8: for echoing a client's value, or a dependency's error, in a
// message of bounded size.
func Truncate(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.ToValidUTF8(s, "")
}

// Codes maps a store's sentinel errors to application codes; a domain keeps
// one such table and translates its store's errors with it, in one place.
type Codes map[error]string

// Translate returns err as an application error when it is (or wraps) one of
// the sentinels: the sentinel's code, and err's message, which a store
// writes for clients ("article not found"). Application errors and any other
// error (an internal failure, never shown) pass unchanged.
func (c Codes) Translate(err error) error {
	if err == nil {
		return nil
	}
	var app *Error
	if errors.As(err, &app) {
		return err
	}
	for sentinel, code := range c {
		if errors.Is(err, sentinel) {
			return &Error{Code: code, Message: err.Error()}
		}
	}
	return err
}

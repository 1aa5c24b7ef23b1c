// Package page is the one list primitive every paginated route uses: Limit
// parses the limit parameter and Cursor/Decode make opaque, versioned
// cursors bound to the list that gave them out. A cursor is base64url of a
// small JSON envelope — version, a digest of the list's name, position — so
// a client cannot carry it to another list (another category, another user's
// inbox, another filter) and the list's name (a user id in it) does not show:
// such a cursor is refused with a 400, as is a malformed one, one too long or
// of an older version. Cursors are not signed: a well-formed edit of the
// position moves within the same list, which paging reaches anyway, and the
// caller still validates the position's values.
package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Version is the cursor format's version; a cursor of another version is
// refused ("start again from the first page").
const Version = 1

// MaxCursor bounds a cursor's length before anything decodes it.
const MaxCursor = 2048

// ErrCursor is the answer to any cursor this list did not give out.
var ErrCursor = kiosk.Errorf(kiosk.EINVALID, "cursor is not one this list gave out")

// Limit parses a limit parameter: def when empty, else a whole number from 1
// to max. A larger one is refused, as the spec's maximum says, not served as
// the largest page (a client asking for 500 would take 50 for the end).
func Limit(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max || len(s) > 12 {
		return 0, kiosk.Errorf(kiosk.EINVALID, "limit must be a whole number from 1 to %d", max)
	}
	return n, nil
}

type envelope struct {
	V int             `json:"v"`
	L string          `json:"l"`
	P json.RawMessage `json:"p"`
}

// Cursor encodes position (any JSON value: a key, an offset, a struct) as a
// cursor of list, which names the list and everything that selects it
// ("articles|tech", "inbox|<user>").
func Cursor(list string, position any) string {
	p, err := json.Marshal(position)
	if err != nil {
		panic("page: position is not JSON: " + err.Error()) // a programming error: positions are plain data
	}
	b, _ := json.Marshal(envelope{V: Version, L: digest(list), P: p})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor of list into position (strictly: unknown fields are
// refused). An empty cursor is the first page: Decode returns false and
// leaves position alone. Any cursor list did not give out is ErrCursor; the
// caller still validates the position's values.
func Decode(cursor, list string, position any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	if len(cursor) > MaxCursor {
		return false, ErrCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false, ErrCursor
	}
	var env envelope
	if strict(raw, &env) != nil || env.V != Version || env.L != digest(list) || len(env.P) == 0 {
		return false, ErrCursor
	}
	if strict(env.P, position) != nil {
		return false, ErrCursor
	}
	return true, nil
}

// digest names a list in a cursor without showing it: 96 bits of its SHA-256.
func digest(list string) string {
	sum := sha256.Sum256([]byte(list))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return ErrCursor
	}
	return nil
}

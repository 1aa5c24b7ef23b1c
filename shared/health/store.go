package health

import (
	"context"
	"errors"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Store keeps the last heartbeat.
type Store interface {
	// Record stores hb unless a heartbeat as new or newer is already
	// stored; recording the same heartbeat twice changes nothing. It
	// expires Retention after hb.At.
	Record(ctx context.Context, hb Heartbeat) error
	// Last returns the last unexpired heartbeat as of now, or ErrNone.
	Last(ctx context.Context, now time.Time) (Heartbeat, error)
}

// ErrNone means no heartbeat has been recorded (or the last one expired).
var ErrNone = errors.New("no heartbeat recorded")

// ErrUnreachable is what a client reads when the store fails: /v1/health
// answers it as unavailable (the store's own error goes to the log).
var ErrUnreachable = errors.New("the health table is unreachable")

// codes is how the store's errors reach a client.
var codes = kiosk.Codes{ErrUnreachable: kiosk.EUNAVAILABLE}

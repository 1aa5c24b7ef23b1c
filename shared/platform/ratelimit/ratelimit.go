// Package ratelimit limits requests per client with a fixed-window counter in
// DynamoDB: one conditional UpdateItem per request (add one unless the window
// is full), an item per route, client and window that expires with it. The
// client is hashed, so the table never holds an address. dynalite has no TTL
// and DynamoDB deletes late: an old window is simply never read again, since
// its start is part of the key.
//
// A fixed window lets a client send up to twice the limit around a window's
// edge; that is the price of one write per request. A write whose response
// was lost and retried by the SDK counts twice: the limit errs on the strict
// side, never the lax one.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/clock"
)

// Limiter counts requests in Table.
type Limiter struct {
	Table dynamo.Table
	Now   func() time.Time // default clock.Now (the local cloud's virtual clock)
}

// Decision is the outcome of one Allow.
type Decision struct {
	Allowed bool
	// RetryAfter is how long until the client's window ends (when refused).
	RetryAfter time.Duration
}

// Allow counts one request of client on route against requests per window
// and reports whether it may go on. An error means the counter could not be
// read or written; the caller decides (Kiosk lets the request through and
// logs it: a broken limiter must not take the API down).
func (l *Limiter) Allow(ctx context.Context, route, client string, requests int, window time.Duration) (Decision, error) {
	now := clock.Now()
	if l.Now != nil {
		now = l.Now()
	}
	start := now.Truncate(window)
	end := start.Add(window)
	sum := sha256.Sum256([]byte(client))
	key := route + "#" + hex.EncodeToString(sum[:12]) + "#" + start.UTC().Format("20060102T150405")
	err := l.Table.Update("pk", key).
		Add("n", 1).
		Set("expires_at", end.Add(time.Minute).Unix()).
		If("attribute_not_exists(n) OR n < ?", requests).
		Run(ctx)
	switch {
	case err == nil:
		return Decision{Allowed: true}, nil
	case dynamo.IsCondCheckFailed(err):
		return Decision{RetryAfter: end.Sub(now)}, nil
	default:
		return Decision{Allowed: true}, errors.Join(errors.New("ratelimit: count a request"), err)
	}
}

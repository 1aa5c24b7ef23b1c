// Package health is the platform canary: the heartbeat batch publishes an event,
// a consumer records it, and /v1/health reports whether the store is reachable
// and how fresh the last heartbeat is — proof that schedules, the bus and the
// rules deliver end to end.
package health

import (
	"context"
	"errors"
	"time"
)

// Heartbeat is the last heartbeat that went schedule → bus → consumer.
type Heartbeat struct {
	Run     string    `json:"run"`
	EventID string    `json:"event_id"`
	At      time.Time `json:"at"`
}

// Store keeps the last heartbeat.
type Store interface {
	// Record stores hb unless a newer heartbeat is already stored; recording the
	// same heartbeat twice changes nothing.
	Record(ctx context.Context, hb Heartbeat) error
	// Last returns the last unexpired heartbeat, or ErrNone.
	Last(ctx context.Context, now time.Time) (Heartbeat, error)
}

// ErrNone means no heartbeat has been recorded (or the last one expired).
var ErrNone = errors.New("no heartbeat recorded")

// Retention is how long a heartbeat counts; the store expires it after that.
const Retention = 24 * time.Hour

// StaleAfter is how old a heartbeat may get before the report calls it stale:
// two missed runs of a five-minute schedule.
const StaleAfter = 11 * time.Minute

// Report is the body of GET /v1/health.
type Report struct {
	Status        string     `json:"status"`
	Store         string     `json:"store"`
	Heartbeat     string     `json:"heartbeat"` // fresh, stale or none
	LastHeartbeat *Heartbeat `json:"last_heartbeat"`
	Time          time.Time  `json:"time"`
}

// Check builds the report; it fails only when the store is unreachable.
func Check(ctx context.Context, s Store, now time.Time) (Report, error) {
	r := Report{Status: "ok", Store: "ok", Heartbeat: "none", Time: now.UTC()}
	hb, err := s.Last(ctx, now)
	switch {
	case errors.Is(err, ErrNone):
	case err != nil:
		return r, err
	default:
		r.LastHeartbeat = &hb
		r.Heartbeat = "fresh"
		if now.Sub(hb.At) > StaleAfter {
			r.Heartbeat = "stale"
		}
	}
	return r, nil
}

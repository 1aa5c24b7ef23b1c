// Package health is the platform canary: the heartbeat batch publishes an event,
// a consumer records it, and /v1/health reports whether the store is reachable
// and how fresh the last heartbeat is — proof that schedules, the bus and the
// rules deliver end to end.
package health

import (
	"time"
)

// Heartbeat is the last heartbeat that went schedule → bus → consumer.
type Heartbeat struct {
	Run     string    `json:"run"`
	EventID string    `json:"event_id"`
	At      time.Time `json:"at"`
}

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

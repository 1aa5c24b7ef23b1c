package topology

import (
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// Kiosk is the one description of Kiosk's cloud. Read it to learn the system:
// every Lambda, what triggers it, which tables it may touch and what it publishes.
func Kiosk() Cloud {
	return Cloud{
		Name: "kiosk",
		Tables: []Table{
			{
				Name:         "health",
				Description:  "Platform canary: the last heartbeat that went schedule → bus → consumer.",
				PartitionKey: Key{"id", String},
				TTL:          "expires_at",
			},
		},
		Functions: []Function{
			{
				Name:        "health-api",
				Description: "GET /v1/health: checks its table is reachable and reports the last heartbeat.",
				Routes:      []Route{{"GET", "/v1/health", Public}},
				Grants:      []Grant{{"health", Read}},
				MemoryMB:    128,
				Timeout:     5 * time.Second,
			},
			{
				Name:        "heartbeat",
				Description: "Scheduled canary: publishes platform.heartbeat on every run.",
				Schedules:   []Schedule{{"rate(5 minutes)", "prove schedules and the bus deliver"}},
				Publishes:   []string{events.HeartbeatType},
				MemoryMB:    128,
				Timeout:     10 * time.Second,
			},
			{
				Name:        "record-heartbeat",
				Description: "Stores each platform.heartbeat (idempotent by event id) for /v1/health.",
				Rules: []Rule{{
					Name:    "on-heartbeat",
					Pattern: `{"source":["kiosk.platform"],"detail-type":["platform.heartbeat"]}`,
				}},
				Grants:   []Grant{{"health", Write}},
				MemoryMB: 128,
				Timeout:  10 * time.Second,
			},
		},
	}
}

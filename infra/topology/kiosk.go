package topology

import (
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// Kiosk is the one description of Kiosk's cloud. Read it to learn the system:
// every Lambda, what triggers it, which tables and secrets it may touch and what
// it publishes. The CDK stack (infra/stack) and the local cloud (infra/local)
// are both built from it.
func Kiosk() Cloud {
	return Cloud{
		Name:     "kiosk",
		Throttle: Throttle{Rate: 200, Burst: 400},
		Tables: []Table{
			{
				Name:         "health",
				Description:  "Platform canary: the last heartbeat that went schedule → bus → consumer.",
				PartitionKey: Key{"id", String},
				TTL:          "expires_at",
			},
		},
		Secrets: []Secret{
			{Name: "token-signing", Description: "HMAC key that signs app-user tokens (read by the users API and the authorizer)."},
		},
		Functions: []Function{
			{
				Name:        "health-api",
				Description: "GET /v1/health: checks its table is reachable and reports the last heartbeat.",
				Routes:      []Route{{Method: "GET", Path: "/v1/health", Auth: Public}},
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

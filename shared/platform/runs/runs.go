// Package runs keeps one record per batch run in the platform's runs table:
// when it started, what started it, how it ended and what it counted. The
// trigger package writes them for every scheduled or manual run of a function
// granted the table; the admin console reads them.
package runs

import (
	"context"
	"time"

	"github.com/guregu/dynamo/v2"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Table is the logical name of the runs table.
const Table = contract.RunsTable

// Retention is how long a run record is kept.
const Retention = 30 * 24 * time.Hour

// Run is one batch run.
type Run struct {
	Function   string         `dynamo:"function" json:"function"`
	Trigger    string         `dynamo:"trigger" json:"trigger"` // schedule, manual
	EventID    string         `dynamo:"event_id" json:"event_id"`
	Started    time.Time      `dynamo:"started" json:"started"`
	DurationMS float64        `dynamo:"duration_ms" json:"duration_ms"`
	Status     string         `dynamo:"status" json:"status"` // ok, error
	Error      string         `dynamo:"error,omitempty" json:"error,omitempty"`
	Counts     map[string]int `dynamo:"counts,omitempty" json:"counts,omitempty"`
}

type item struct {
	PK        string `dynamo:"pk,hash"`
	SK        string `dynamo:"sk,range"`
	ExpiresAt int64  `dynamo:"expires_at"`
	Run
}

// startLayout writes the start in the sort key at a fixed width, so that keys
// sort as times do: RFC 3339 with the fraction's zeros trimmed (as records of
// before it were keyed) sorts "12:00:00Z" after "12:00:00.5Z". Those older
// keys still sort right against these across seconds, and are gone after
// Retention.
const startLayout = "2006-01-02T15:04:05.000000000Z"

// Put records a run (keyed by function, start and event id: a redelivered
// event's run is a second record, as it is a second run).
func Put(ctx context.Context, t dynamo.Table, r Run) error {
	if len(r.Error) > 500 {
		r.Error = r.Error[:500]
	}
	return t.Put(item{PK: "run#" + r.Function, SK: r.Started.UTC().Format(startLayout) + "#" + r.EventID,
		ExpiresAt: r.Started.Add(Retention).Unix(), Run: r}).Run(ctx)
}

// Recent returns a function's last n runs, newest first (expired ones left
// out: TTL deletes late).
func Recent(ctx context.Context, t dynamo.Table, function string, n int, now time.Time) ([]Run, error) {
	var items []item
	if err := t.Get("pk", "run#"+function).Order(dynamo.Descending).Limit(n).All(ctx, &items); err != nil {
		return nil, err
	}
	out := []Run{}
	for _, it := range items {
		if it.ExpiresAt > now.Unix() {
			out = append(out, it.Run)
		}
	}
	return out, nil
}

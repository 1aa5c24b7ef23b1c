package trigger

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/runs"
)

// Sources of run events: EventBridge Scheduler rules, and the admin
// console's "run now" (an asynchronous invoke with a scheduled-event body).
const (
	ScheduledType = "Scheduled Event"
	ManualSource  = "kiosk.admin"
)

type recorder struct {
	table    dynamo.Table
	function string
}

// newRecorder returns a recorder when the function is granted the runs
// table, else nil (which records nothing).
func newRecorder(env *boot.Env) *recorder {
	t, ok := env.RunsTable()
	if !ok {
		return nil
	}
	return &recorder{table: t, function: env.Function}
}

func (r *recorder) record(ctx context.Context, env Event[json.RawMessage], start time.Time, status string, err error, c *counts) {
	if r == nil || env.DetailType != ScheduledType {
		return
	}
	trigger := "schedule"
	if env.Source == ManualSource {
		trigger = "manual"
	}
	run := runs.Run{Function: r.function, Trigger: trigger, EventID: env.ID, Started: start.UTC(),
		DurationMS: float64(time.Since(start).Microseconds()) / 1000, Status: status, Counts: c.snapshot()}
	if err != nil {
		run.Error = err.Error()
	}
	if werr := runs.Put(context.WithoutCancel(ctx), r.table, run); werr != nil {
		slog.ErrorContext(ctx, "record run", "error", werr)
	}
}

type counts struct {
	mu sync.Mutex
	m  map[string]int
}

type countsKey struct{}

func withCounts(ctx context.Context) (context.Context, *counts) {
	c := &counts{}
	return context.WithValue(ctx, countsKey{}, c), c
}

func (c *counts) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) == 0 {
		return nil
	}
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// Count adds n to a named count of the current run (shown with the run in
// the admin console), e.g. trigger.Count(ctx, "articles", 12).
func Count(ctx context.Context, name string, n int) {
	if c, ok := ctx.Value(countsKey{}).(*counts); ok {
		c.mu.Lock()
		if c.m == nil {
			c.m = map[string]int{}
		}
		c.m[name] += n
		c.mu.Unlock()
	}
}

// Package trigger adapts typed Go handlers to the events EventBridge delivers:
// scheduled events and bus events. The detail is decoded strictly into the
// handler's type; a handler error is returned to Lambda, so the delivery is
// retried and finally dead-lettered. Handlers must be idempotent: delivery is
// at least once.
package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// Event is an EventBridge event with a typed detail.
type Event[T any] struct {
	Version    string    `json:"version"`
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       time.Time `json:"time"`
	Region     string    `json:"region"`
	Resources  []string  `json:"resources"`
	Detail     T         `json:"detail"`
}

// Scheduled is the (empty) detail of a scheduled event.
type Scheduled struct{}

// Handler handles one event.
type Handler[T any] func(ctx context.Context, e Event[T]) error

// Start runs the handler as the Lambda entry point. A function granted the
// runs table records each scheduled or manual run in it.
func Start[T any](env *boot.Env, h Handler[T]) {
	lambda.Start(wrap(h, newRecorder(env)))
}

// Wrap decodes the raw event, calls the handler and logs one line per event.
func Wrap[T any](h Handler[T]) func(ctx context.Context, raw json.RawMessage) error {
	return wrap(h, nil)
}

func wrap[T any](h Handler[T], rec *recorder) func(ctx context.Context, raw json.RawMessage) error {
	return func(ctx context.Context, raw json.RawMessage) error {
		start := time.Now()
		ctx, calls := awsenv.WithCounter(ctx)
		ctx, counts := withCounts(ctx)
		ctx, set := metrics.Start(ctx)
		defer metrics.Flush(set)
		var env Event[json.RawMessage]
		err := json.Unmarshal(raw, &env)
		if err == nil {
			err = h.call(ctx, env)
		} else {
			err = fmt.Errorf("decode event: %w", err)
		}
		level, status := slog.LevelInfo, "ok"
		if err != nil {
			level, status = slog.LevelError, "error"
		}
		rec.record(ctx, env, start, status, err, counts)
		if err == nil && env.DetailType == ScheduledType {
			metrics.Add(ctx, metrics.BatchSucceeded, 1)
		}
		slog.Log(ctx, level, "event",
			"trigger", env.DetailType, "source", env.Source, "event_id", env.ID, "status", status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"dynamodb_calls", calls.Count("DynamoDB"), "eventbridge_calls", calls.Count("EventBridge"),
			"error", errString(err))
		return err
	}
}

// call decodes the detail strictly into T and runs the handler.
func (h Handler[T]) call(ctx context.Context, env Event[json.RawMessage]) error {
	var d T
	if len(bytes.TrimSpace(env.Detail)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(env.Detail))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return fmt.Errorf("decode %s detail: %w", env.DetailType, err)
		}
	}
	return h(ctx, Event[T]{
		Version: env.Version, ID: env.ID, DetailType: env.DetailType, Source: env.Source,
		Account: env.Account, Time: env.Time, Region: env.Region, Resources: env.Resources, Detail: d,
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Routes dispatches a function's events by detail type to typed handlers,
// for a function that consumes several (build each with On). An event of a
// type it has no route for is an error: its rule matched what the function
// does not handle.
type Routes map[string]func(ctx context.Context, e Event[json.RawMessage]) error

// On adapts a typed handler for Routes; the detail is decoded strictly.
func On[T any](h Handler[T]) func(ctx context.Context, e Event[json.RawMessage]) error {
	return h.call
}

// StartRoutes runs the routes as the Lambda entry point.
func StartRoutes(env *boot.Env, r Routes) { Start(env, r.Handle) }

// Handle dispatches one event.
func (r Routes) Handle(ctx context.Context, e Event[json.RawMessage]) error {
	h, ok := r[e.DetailType]
	if !ok {
		return fmt.Errorf("no route for detail type %q", e.DetailType)
	}
	return h(ctx, e)
}

// Package bus publishes domain events to the EventBridge bus: batches of at most
// ten entries, the entries PutEvents rejects are retried with backoff, and an
// error is returned if any entry is finally rejected, so nothing is dropped
// silently.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/logs"
)

// API is the part of the EventBridge client the publisher uses.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Event is one event to publish; Detail is marshalled to JSON.
type Event struct {
	DetailType string
	Detail     any
	Resources  []string
	Time       time.Time
}

// Publisher puts events from one source on one bus.
type Publisher struct {
	api      API
	bus      string
	source   string
	attempts int
	backoff  time.Duration
}

const (
	maxEntries    = 10
	maxEntryBytes = 256 * 1024
)

// Client builds the EventBridge client once, honouring AWS_ENDPOINT_URL_EVENTBRIDGE.
func Client(cfg aws.Config) *eventbridge.Client {
	return eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = awsenv.Endpoint("EVENTBRIDGE") })
}

// New returns a publisher for source (kiosk.<domain>) on the bus of the given
// name (boot.Env.Publisher reads it from contract.BusEnv).
func New(api API, bus, source string) *Publisher {
	return &Publisher{api: api, bus: bus, source: source, attempts: 4, backoff: 100 * time.Millisecond}
}

// Open returns a publisher for source (events.Source*) on the bus the
// topology names for the function, or stops its init.
func Open(env *boot.Env, source string) *Publisher {
	name := env.Var(contract.BusEnv)
	if name == "" {
		boot.Fail("bus", fmt.Errorf("%s is not set; does the function declare what it publishes?", contract.BusEnv))
	}
	return New(Client(env.AWS), name, source)
}

// Publish puts every event on the bus or returns an error naming what was not
// accepted after the retries.
func (p *Publisher) Publish(ctx context.Context, evs ...Event) error {
	entries := make([]types.PutEventsRequestEntry, 0, len(evs))
	for _, e := range evs {
		detail, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("bus: marshal %s: %w", e.DetailType, err)
		}
		if len(detail) > maxEntryBytes {
			return fmt.Errorf("bus: %s detail is %d bytes, over EventBridge's 256 KiB", e.DetailType, len(detail))
		}
		entry := types.PutEventsRequestEntry{
			EventBusName: aws.String(p.bus),
			Source:       aws.String(p.source),
			DetailType:   aws.String(e.DetailType),
			Detail:       aws.String(string(detail)),
			Resources:    e.Resources,
		}
		if !e.Time.IsZero() {
			entry.Time = aws.Time(e.Time)
		}
		// The trace flows on: EventBridge hands it to every target.
		if h := logs.TraceHeader(ctx); h != "" {
			entry.TraceHeader = aws.String(h)
		}
		entries = append(entries, entry)
	}
	var errs []error
	for start := 0; start < len(entries); start += maxEntries {
		batch := entries[start:min(start+maxEntries, len(entries))]
		if err := p.putBatch(ctx, batch); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PublishDetails publishes one event per detail, all of one detail type: a
// domain's announcer (e.g. tracking.Events) takes it as its Publish.
func (p *Publisher) PublishDetails(ctx context.Context, detailType string, details ...any) error {
	evs := make([]Event, len(details))
	for i, d := range details {
		evs[i] = Event{DetailType: detailType, Detail: d}
	}
	return p.Publish(ctx, evs...)
}

func (p *Publisher) putBatch(ctx context.Context, pending []types.PutEventsRequestEntry) error {
	var lastErr error
	wait := p.backoff
	for attempt := 1; attempt <= p.attempts; attempt++ {
		out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: pending})
		switch {
		case err != nil:
			lastErr = err // the whole call failed: retry every entry
		case out.FailedEntryCount == 0:
			return nil
		default:
			var retry []types.PutEventsRequestEntry
			var reasons []string
			for i, r := range out.Entries {
				if r.ErrorCode != nil && i < len(pending) {
					retry = append(retry, pending[i])
					reasons = append(reasons, fmt.Sprintf("%s: %s %s", aws.ToString(pending[i].DetailType), aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage)))
				}
			}
			pending = retry
			lastErr = errors.New(strings.Join(reasons, "; "))
		}
		if attempt == p.attempts {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bus: %d entries not published: %w", len(pending), ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return fmt.Errorf("bus: %d entries rejected after %d attempts: %w", len(pending), p.attempts, lastErr)
}

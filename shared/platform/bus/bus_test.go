package bus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// flaky rejects the entries whose detail-type is in reject, for the first
// `times` calls that see them.
type flaky struct {
	calls  [][]string
	reject map[string]int
}

func (f *flaky) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	var seen []string
	for _, e := range in.Entries {
		dt := aws.ToString(e.DetailType)
		seen = append(seen, dt)
		if f.reject[dt] > 0 {
			f.reject[dt]--
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("try again")})
			continue
		}
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String("id-" + dt)})
	}
	f.calls = append(f.calls, seen)
	return out, nil
}

func publisher(api API) *Publisher {
	return &Publisher{api: api, bus: "b", source: "kiosk.test", attempts: 3, backoff: time.Millisecond}
}

func events(n int) []Event {
	var evs []Event
	for i := range n {
		evs = append(evs, Event{DetailType: "t" + string(rune('a'+i)), Detail: map[string]int{"i": i}})
	}
	return evs
}

func TestPublishSplitsIntoBatchesOfTen(t *testing.T) {
	f := &flaky{reject: map[string]int{}}
	if err := publisher(f).Publish(context.Background(), events(23)...); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 3 || len(f.calls[0]) != 10 || len(f.calls[1]) != 10 || len(f.calls[2]) != 3 {
		t.Errorf("batches = %v, want 10+10+3", f.calls)
	}
}

func TestPublishRetriesOnlyTheFailedEntries(t *testing.T) {
	f := &flaky{reject: map[string]int{"tb": 2}}
	if err := publisher(f).Publish(context.Background(), events(3)...); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 3 || len(f.calls[1]) != 1 || f.calls[1][0] != "tb" {
		t.Errorf("calls = %v, want the full batch then tb twice", f.calls)
	}
}

func TestPublishFailsWhenAnEntryIsFinallyRejected(t *testing.T) {
	f := &flaky{reject: map[string]int{"tc": 99}}
	err := publisher(f).Publish(context.Background(), events(3)...)
	if err == nil || !strings.Contains(err.Error(), "1 entries rejected after 3 attempts") {
		t.Errorf("Publish() = %v, want a rejection error", err)
	}
}

func TestPublishRefusesOversizeDetail(t *testing.T) {
	f := &flaky{reject: map[string]int{}}
	err := publisher(f).Publish(context.Background(), Event{DetailType: "big", Detail: strings.Repeat("x", 300*1024)})
	if err == nil || len(f.calls) != 0 {
		t.Errorf("Publish() = %v after %d calls, want a size error and no call", err, len(f.calls))
	}
}

package ratelimit_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/ratelimit"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestAClientGetsItsLimitPerWindowAndNoMore(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 10, 0, time.UTC)
	l := &ratelimit.Limiter{Table: dynamotest.Table(t, contract.LimitsTable), Now: func() time.Time { return now }}
	ctx := context.Background()
	allow := func(client string) ratelimit.Decision {
		t.Helper()
		d, err := l.Allow(ctx, "POST /v1/users", client, 3, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for i := range 3 {
		if !allow("10.0.0.1").Allowed {
			t.Fatalf("request %d of 3 refused", i+1)
		}
	}
	d := allow("10.0.0.1")
	if d.Allowed || d.RetryAfter != 50*time.Second {
		t.Fatalf("the 4th request in the window: %+v, want refused with 50 s to wait", d)
	}
	if !allow("10.0.0.2").Allowed {
		t.Fatal("another client was refused")
	}
	if d, _ := l.Allow(ctx, "POST /v1/events", "10.0.0.1", 3, time.Minute); !d.Allowed {
		t.Fatal("the same client on another route was refused")
	}
	now = now.Add(50 * time.Second) // the next window
	if !allow("10.0.0.1").Allowed {
		t.Fatal("the next window still refuses")
	}
}

func TestConcurrentRequestsNeverPassTheLimit(t *testing.T) {
	l := &ratelimit.Limiter{Table: dynamotest.Table(t, contract.LimitsTable)}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := l.Allow(context.Background(), "r", "c", 10, time.Hour)
			if err != nil {
				t.Error(err)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 10 {
		t.Fatalf("%d of 40 concurrent requests allowed, want exactly 10", allowed.Load())
	}
}

// TestAWindowFollowsTheVirtualClock moves the clock (as the local cloud's
// POST /_local/clock does) an hour on: a limiter without its own Now counts
// the new hour's window, not the real one.
func TestAWindowFollowsTheVirtualClock(t *testing.T) {
	t.Cleanup(func() { clock.SetOffset(0) })
	l := &ratelimit.Limiter{Table: dynamotest.Table(t, contract.LimitsTable)}
	ctx := context.Background()
	if d, err := l.Allow(ctx, "r", "c", 1, time.Hour); err != nil || !d.Allowed {
		t.Fatalf("the first request: %+v, %v", d, err)
	}
	clock.SetOffset(time.Hour)
	d, err := l.Allow(ctx, "r", "c", 1, time.Hour)
	if err != nil || !d.Allowed {
		t.Fatalf("an hour later on the virtual clock: %+v, %v; want a new window", d, err)
	}
}

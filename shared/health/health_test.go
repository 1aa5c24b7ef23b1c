package health_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func hb(run string, at time.Time) health.Heartbeat {
	return health.Heartbeat{Run: run, EventID: "ev-" + run, At: at}
}

func TestDynamoStore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	t.Run("an empty table has no heartbeat", func(t *testing.T) {
		s := health.NewDynamoStore(dynamotest.Table(t, "health"))
		if _, err := s.Last(ctx, now); !errors.Is(err, health.ErrNone) {
			t.Errorf("Last() error = %v, want ErrNone", err)
		}
	})
	t.Run("the newest heartbeat wins whatever the delivery order", func(t *testing.T) {
		s := health.NewDynamoStore(dynamotest.Table(t, "health"))
		for _, h := range []health.Heartbeat{hb("b", now.Add(-time.Minute)), hb("a", now.Add(-5*time.Minute)), hb("b", now.Add(-time.Minute))} {
			if err := s.Record(ctx, h); err != nil {
				t.Fatalf("Record(%s): %v", h.Run, err)
			}
		}
		got, err := s.Last(ctx, now)
		if err != nil || got.Run != "b" || !got.At.Equal(now.Add(-time.Minute)) {
			t.Errorf("Last() = %+v, %v; want run b a minute ago", got, err)
		}
	})
	t.Run("an expired heartbeat is not reported even before DynamoDB deletes it", func(t *testing.T) {
		s := health.NewDynamoStore(dynamotest.Table(t, "health"))
		if err := s.Record(ctx, hb("old", now.Add(-health.Retention-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Last(ctx, now); !errors.Is(err, health.ErrNone) {
			t.Errorf("Last() error = %v, want ErrNone", err)
		}
	})
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := health.NewDynamoStore(dynamotest.Table(t, "health"))
	r, err := health.Check(ctx, s, now)
	if err != nil || r.Heartbeat != "none" || r.Status != "ok" {
		t.Fatalf("Check() on an empty table = %+v, %v", r, err)
	}
	if err := s.Record(ctx, hb("x", now.Add(-health.StaleAfter-time.Second))); err != nil {
		t.Fatal(err)
	}
	if r, _ := health.Check(ctx, s, now); r.Heartbeat != "stale" {
		t.Errorf("a heartbeat older than StaleAfter reads %q, want stale", r.Heartbeat)
	}
	if err := s.Record(ctx, hb("y", now.Add(-time.Minute))); err != nil {
		t.Fatal(err)
	}
	if r, _ := health.Check(ctx, s, now); r.Heartbeat != "fresh" || r.LastHeartbeat.Run != "y" {
		t.Errorf("after a recent heartbeat Check() = %+v, want fresh run y", r)
	}
}

type broken struct{}

func (broken) Record(context.Context, health.Heartbeat) error { return errors.New("down") }
func (broken) Last(context.Context, time.Time) (health.Heartbeat, error) {
	return health.Heartbeat{}, errors.New("down")
}

func TestCheckFailsWhenTheStoreIsDown(t *testing.T) {
	if _, err := health.Check(context.Background(), broken{}, time.Now()); err == nil {
		t.Error("Check() succeeded with an unreachable store")
	}
}

package health_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func hb(run string, at time.Time) health.Heartbeat {
	return health.Heartbeat{Run: run, EventID: "ev-" + run, At: at}
}

// storeSuite is what the service relies on from a Store, asserted the same
// against the in-memory store and the DynamoDB adapter.
func storeSuite(t *testing.T, newStore func(t *testing.T) health.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

	t.Run("an empty table has no heartbeat", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Last(ctx, now); !errors.Is(err, health.ErrNone) {
			t.Errorf("Last() error = %v, want ErrNone", err)
		}
	})
	t.Run("the newest heartbeat wins whatever the delivery order", func(t *testing.T) {
		s := newStore(t)
		for _, h := range []health.Heartbeat{hb("b", now.Add(-time.Minute)), hb("a", now.Add(-5*time.Minute)), hb("b", now.Add(-time.Minute))} {
			if err := s.Record(ctx, h); err != nil {
				t.Fatalf("Record(%s): %v", h.Run, err)
			}
		}
		got, err := s.Last(ctx, now)
		if err != nil || got.Run != "b" || got.EventID != "ev-b" || !got.At.Equal(now.Add(-time.Minute)) {
			t.Errorf("Last() = %+v, %v; want run b a minute ago", got, err)
		}
	})
	t.Run("an expired heartbeat is not reported even before DynamoDB deletes it", func(t *testing.T) {
		s := newStore(t)
		if err := s.Record(ctx, hb("old", now.Add(-health.Retention-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Last(ctx, now); !errors.Is(err, health.ErrNone) {
			t.Errorf("Last() error = %v, want ErrNone", err)
		}
		if got, err := s.Last(ctx, now.Add(-2*time.Minute)); err != nil || got.Run != "old" {
			t.Errorf("Last() before it expired = %+v, %v", got, err)
		}
	})
}

func TestMemoryStoreKeepsTheHeartbeatAsTheDynamoStoreDoes(t *testing.T) {
	storeSuite(t, func(*testing.T) health.Store { return health.NewMemoryStore() })
}

func TestDynamoStore(t *testing.T) {
	storeSuite(t, func(t *testing.T) health.Store {
		return health.NewDynamoStore(dynamotest.Table(t, contract.HealthTable))
	})
}

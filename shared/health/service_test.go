package health_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

func TestServiceReportsNoneStaleOrFresh(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := &health.Service{Store: health.NewMemoryStore(), Now: func() time.Time { return now }}
	r, err := s.Check(ctx)
	if err != nil || r.Heartbeat != "none" || r.Status != "ok" || r.LastHeartbeat != nil || !r.Time.Equal(now) {
		t.Fatalf("Check() on an empty store = %+v, %v", r, err)
	}
	if err := s.Record(ctx, hb("x", now.Add(-health.StaleAfter-time.Second))); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Check(ctx); r.Heartbeat != "stale" {
		t.Errorf("a heartbeat older than StaleAfter reads %q, want stale", r.Heartbeat)
	}
	if err := s.OnHeartbeat(ctx, "ev-y", events.Heartbeat{Run: "y", At: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Check(ctx); r.Heartbeat != "fresh" || r.LastHeartbeat.Run != "y" || r.LastHeartbeat.EventID != "ev-y" {
		t.Errorf("after a recent heartbeat Check() = %+v, want fresh run y", r)
	}
	if err := s.OnHeartbeat(ctx, "ev-late", events.Heartbeat{Run: "late", At: now.Add(-3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Check(ctx); r.LastHeartbeat.Run != "y" {
		t.Errorf("a late, older heartbeat replaced the newest: %+v", r.LastHeartbeat)
	}
}

type broken struct{}

func (broken) Record(context.Context, health.Heartbeat) error {
	return errors.New("down: secret cause")
}
func (broken) Last(context.Context, time.Time) (health.Heartbeat, error) {
	return health.Heartbeat{}, errors.New("down: secret cause")
}

func TestServiceSaysOnlyThatTheStoreIsUnreachableWhenItIsDown(t *testing.T) {
	_, err := (&health.Service{Store: broken{}}).Check(context.Background())
	if kiosk.ErrorCode(err) != kiosk.EUNAVAILABLE || kiosk.ErrorMessage(err) != "the health table is unreachable" {
		t.Errorf("Check() with an unreachable store = %v (%s: %q)", err, kiosk.ErrorCode(err), kiosk.ErrorMessage(err))
	}
	if !strings.Contains(err.Error(), "secret cause") {
		t.Errorf("the cause is lost for the log: %v", err)
	}
}

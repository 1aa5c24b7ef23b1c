package local

import (
	"context"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
)

func TestQuiesceWaitsForTheLastDeliveryAndPausesTheSchedules(t *testing.T) {
	cloud := topology.Cloud{Functions: []topology.Function{{Name: "every-minute", Schedules: []topology.Schedule{{Expression: "rate(1 minute)"}}}}}
	bus := newBus(cloud, "quiet", nil, 3, time.Millisecond, nil)
	clock := &virtualClock{}
	sched := startScheduler(cloud, bus, clock, false)

	bus.begin() // a delivery in flight (invoking, or waiting to retry)
	done := make(chan error, 1)
	go func() { done <- bus.quiesce(context.Background()) }()
	// Quiesce pauses at once, whatever it still waits for: a schedule that
	// falls due now is skipped, not delivered.
	for !func() bool { bus.mu.Lock(); defer bus.mu.Unlock(); return bus.paused }() {
		select {
		case err := <-done:
			t.Fatalf("quiesce returned (%v) with a delivery in flight", err)
		default:
			time.Sleep(time.Millisecond)
		}
	}
	if fired := sched.fire(clock.Now().Add(5*time.Minute), true); len(fired) != 0 {
		t.Errorf("paused schedules fired %v", fired)
	}
	select {
	case err := <-done:
		t.Fatalf("quiesce returned (%v) with a delivery in flight", err)
	default:
	}
	if bus.busy() != 1 {
		t.Fatalf("%d deliveries pending, want the one in flight", bus.busy())
	}
	bus.end() // the delivery finishes
	if err := <-done; err != nil {
		t.Fatalf("quiesce: %v", err)
	}
	if bus.deliverInBackground("every-minute", "startup", nil, Trace{}) {
		t.Error("background work was delivered after Quiesce")
	}

	ctx, cancel := context.WithCancel(context.Background())
	bus.begin()
	cancel()
	if err := bus.quiesce(ctx); err == nil {
		t.Error("quiesce with a delivery in flight and its context ended returned no error")
	}
	bus.end()

	bus.resume()
	if bus.paused {
		t.Error("Resume left the bus paused")
	}
}

func TestTwoInstancesStartingAtOnceNeverGetTheSamePort(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice within a minute", p)
		}
		seen[p] = true
	}
}

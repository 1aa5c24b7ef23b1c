package local

import (
	"context"
	"testing"
	"time"
)

// TestTheBackgroundSweepRunsAtItsIntervalOrNever: a sweeper sweeps again
// and again at its interval, and with a negative one (make scale's, whose
// million readers make a sweep cost seconds) never in the background.
func TestTheBackgroundSweepRunsAtItsIntervalOrNever(t *testing.T) {
	now := func() time.Time { return time.Now() }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &ttlSweeper{now: now} // no tables: a sweep is counted and finds nothing
	go s.run(ctx, time.Millisecond)
	for s.sweeps.Load() < 3 { // a condition, not a wait for time
		time.Sleep(time.Millisecond)
	}
	off := &ttlSweeper{now: now}
	done := make(chan struct{})
	go func() { off.run(ctx, -1); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("a sweeper with a negative interval still runs in the background")
	}
	if n := off.sweeps.Load(); n != 0 {
		t.Errorf("a sweeper with a negative interval swept %d times", n)
	}
}

package local

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// Lambda bills an invocation from the moment an environment takes it: an
// asynchronous event queued past the function's reserved concurrency waits
// unbilled. The host records that wait apart, so what the scale harness
// bills (GB-s from DurationMS) is not the queue.
func TestAnInvocationWaitingForAFreeInstanceIsNotBilledTheWait(t *testing.T) {
	cloud := topology.Cloud{Functions: []topology.Function{{Name: "one-at-a-time", Concurrency: 1, Timeout: time.Second}}}
	h := newHost(cloud, HostConfig{Dist: t.TempDir(), Env: func(topology.Function) []string { return nil }, MaxInstances: 4,
		IdleTimeout: time.Minute, Logs: &logSink{dir: t.TempDir(), out: io.Discard}})
	defer h.Close()
	h.wait = time.Minute // queued, never throttled, however loaded the machine
	p := h.pools["one-at-a-time"]
	p.slots <- struct{}{} // another invocation holds the only instance

	done := make(chan error, 1)
	var wall time.Duration
	go func() {
		// Its bootstrap is missing: once it has the instance it fails at
		// once (a crash, recorded like any invocation).
		start := time.Now()
		_, err := h.Invoke(context.Background(), "one-at-a-time", "test", []byte(`{}`))
		wall = time.Since(start)
		done <- err
	}()
	for p.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	const held = 300 * time.Millisecond
	time.Sleep(held) // the other invocation runs this long
	<-p.slots
	if err := <-done; err == nil {
		t.Fatal("an invocation of a missing bootstrap succeeded")
	}
	invs := h.Invocations()
	if len(invs) != 1 {
		t.Fatalf("%d invocations recorded, want 1", len(invs))
	}
	inv := invs[0]
	if inv.QueuedMS < ms(held) {
		t.Errorf("queued %.1f ms, want at least the %v the instance was held", inv.QueuedMS, held)
	}
	// Queue and duration are disjoint parts of the call (however slow the
	// machine): billed from the call, the duration would hold the queue too
	// and the two would add up to about twice the wall time.
	if inv.DurationMS+inv.QueuedMS > ms(wall)+1 {
		t.Errorf("duration %.1f ms + queued %.1f ms exceed the call's %v: the duration includes the wait for the instance",
			inv.DurationMS, inv.QueuedMS, wall)
	}
}

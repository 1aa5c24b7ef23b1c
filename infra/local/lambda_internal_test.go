package local

import (
	"context"
	"io"
	"slices"
	"strconv"
	"sync"
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

// TestAFunctionsCountOfInvocationsCanDropButItsNumbersOnlyGrow is what the
// end-to-end tests rely on to tell that a function ran again: the host keeps
// the last 5,000 invocations of all functions together, so at that cap a
// function's count drops while others run (a test that compared counts
// before and after could miss the invocation it waited for); the number of
// a new invocation is always past every earlier one's.
func TestAFunctionsCountOfInvocationsCanDropButItsNumbersOnlyGrow(t *testing.T) {
	h := &Host{logs: &logSink{dir: t.TempDir(), out: io.Discard}, stamps: newStampClock(time.Now)}
	record := func(fn string) string {
		h.mu.Lock()
		h.seq++
		id := strconv.Itoa(h.seq)
		h.mu.Unlock()
		now := h.Now()
		h.record(id, fn, "test", Trace{}, now, now, Result{}, nil)
		return id
	}
	count := func(fn string) int {
		n := 0
		for _, i := range h.Invocations() {
			if i.Function == fn {
				n++
			}
		}
		return n
	}
	for range 10 {
		record("watched")
	}
	for range 4990 {
		record("busy")
	}
	before, mark := count("watched"), h.seq
	for range 20 { // the watched function runs once among others
		record("busy")
	}
	id := record("watched")
	if after := count("watched"); after > before {
		t.Fatalf("at the cap the count went %d → %d: the premise no longer holds, and the tests' marks could be counts again", before, after)
	}
	n, _ := strconv.Atoi(id)
	newer := 0
	for _, i := range h.Invocations() {
		if k, _ := strconv.Atoi(i.ID); i.Function == "watched" && k > mark {
			newer++
		}
	}
	if n <= mark || newer != 1 {
		t.Errorf("the new invocation is number %d after mark %d; %d newer than the mark, want 1", n, mark, newer)
	}
}

// TestInvocationStampsKeepTheMonotonicClocksDifferences: time.Now reads
// the wall clock and the monotonic clock one after the other, so two
// readings' wall times can differ from their monotonic difference by far
// more than the time between them (here, within a few thousand pairs, one
// 50 ns apart on the wall clock and 4.9 ms apart on the monotonic). Stamps
// taken from each reading's own wall time let a queued invocation, handed
// its slot a µs after the one before answered, be recorded as beginning
// before that one ended (CI saw it: 2 overlaps in 800 hand-offs). The host
// stamps every reading from one: the differences of stamps are the
// monotonic differences, to the µs they are kept to.
func TestInvocationStampsKeepTheMonotonicClocksDifferences(t *testing.T) {
	c := newStampClock(time.Now)
	for i := range 200000 {
		a, b := time.Now(), time.Now()
		got, want := c.stamp(b).Sub(c.stamp(a)), b.Sub(a)
		if got < 0 || got-want >= time.Microsecond || want-got >= time.Microsecond {
			t.Fatalf("pair %d: stamps %v apart, the monotonic clock %v", i, got, want)
		}
	}
}

// TestStampsCatchUpWithTheWallClockAfterTheMachineSlept: the monotonic
// clock stops while the machine sleeps, the wall clock does not; stamps
// that counted on from the first reading would lag by the sleep. The first
// stamp after the sleep takes a new base (its reading, from before, keeps
// the old one); readings after it are stamped on the wall clock.
func TestStampsCatchUpWithTheWallClockAfterTheMachineSlept(t *testing.T) {
	var slept time.Duration // what the wall clock gained over the monotonic
	c := newStampClock(func() time.Time { return time.Now().Add(slept) })
	before := c.stamp(time.Now())
	slept = time.Hour
	c.stamp(time.Now())
	after := c.stamp(time.Now())
	if lag := time.Now().Add(slept).Sub(after); lag < 0 || lag > time.Second || !after.After(before) {
		t.Errorf("after an hour's sleep a stamp is %v behind the wall clock (before it: %s, after: %s)", lag, before, after)
	}
}

// TestStampsTakenAcrossACatchUpKeepTheirReadingsOrder: an invocation's
// readings are stamped when it ends, so a reading can be stamped after a
// later one, with a catch-up between: A answers, B takes the slot a µs
// later and is stamped first, then the machine sleeps. A's end must not be
// stamped after B's begin (two at once where one is allowed).
func TestStampsTakenAcrossACatchUpKeepTheirReadingsOrder(t *testing.T) {
	var slept time.Duration
	c := newStampClock(func() time.Time { return time.Now().Add(slept) })
	aEnds, bBegins := time.Now(), time.Now()
	b := c.stamp(bBegins)
	slept = 2 * time.Second
	if a := c.stamp(aEnds); a.After(b) {
		t.Errorf("a reading stamped after a catch-up is %s, past a later reading's %s", a, b)
	}
	if c.stamp(time.Now()).Before(b) {
		t.Error("a reading after the catch-up is stamped before one from before it")
	}
}

// TestAQueuedInvocationBeginsAfterTheOneBeforeItEnded: a function with
// reserved concurrency 1 hands its instance from one invocation to the
// next; the host used to take an invocation's end after handing the slot
// on, so the next one's recorded start could come first and the two
// overlap by microseconds. The scale harness counts invocations at once
// from these records and holds the fan-out batch (aggregate-kpi, reserved
// concurrency 1 on a 2-core machine) to at most its concurrency: an
// overlap read as 2. 800 hand-offs showed 2 to 7 overlaps a run before;
// an invocation now ends when its instance answers, before the slot is
// handed on.
func TestAQueuedInvocationBeginsAfterTheOneBeforeItEnded(t *testing.T) {
	cloud := topology.Cloud{Functions: []topology.Function{{Name: "one-at-a-time", Concurrency: 1, Timeout: time.Second}}}
	h := newHost(cloud, HostConfig{Dist: t.TempDir(), Env: func(topology.Function) []string { return nil }, MaxInstances: 4,
		IdleTimeout: time.Minute, Logs: &logSink{dir: t.TempDir(), out: io.Discard}})
	defer h.Close()
	h.wait = time.Minute // queued, never throttled
	var wg sync.WaitGroup
	for range 8 { // eight callers queue for the one instance; each call fails at once (no bootstrap)
		wg.Go(func() {
			for range 100 {
				_, _ = h.Invoke(context.Background(), "one-at-a-time", "test", []byte(`{}`))
			}
		})
	}
	wg.Wait()
	invs := h.Invocations()
	slices.SortFunc(invs, func(a, b Invocation) int { return a.At.Compare(b.At) })
	overlaps := 0
	for i := 1; i < len(invs); i++ {
		if end := invs[i-1].At.Add(time.Duration(invs[i-1].DurationMS * float64(time.Millisecond))); invs[i].At.Before(end) {
			overlaps++
		}
	}
	if len(invs) != 800 || overlaps > 0 {
		t.Errorf("%d invocations recorded, %d began before the one before them ended; want 800 taking turns", len(invs), overlaps)
	}
}

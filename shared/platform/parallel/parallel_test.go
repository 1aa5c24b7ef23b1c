package parallel

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestEachCallsEveryItemWithinTheLimit(t *testing.T) {
	items := make([]int, 50)
	for i := range items {
		items[i] = i * 2
	}
	got := make([]int, len(items))
	var running, peak atomic.Int32
	Each(items, 4, func(i, v int) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		got[i] = v
		running.Add(-1)
	})
	for i, v := range got {
		if v != i*2 {
			t.Fatalf("item %d = %d, want %d", i, v, i*2)
		}
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak concurrency %d, want 2-4 with a limit of 4", p)
	}
	calls := 0
	Each([]string{"a", "b"}, 0, func(int, string) { calls++ }) // a limit below 1 runs one at a time
	if calls != 2 {
		t.Errorf("%d calls, want 2", calls)
	}
}

package ingest

import (
	"slices"
	"sort"
	"time"
)

// Adaptive polling bounds: a source is polled at most every MinInterval and at
// least every MaxInterval (a source with a live WebSub subscription too, as a
// safety net for pushes a hub never sent).
const (
	MinInterval = 5 * time.Minute
	MaxInterval = 4 * time.Hour
)

// PollInterval is how long a source waits for its next poll, from its own
// update rate:
//   - a fetched feed (200): half the mean gap between its newest (up to 10)
//     items' publication times, so a feed updating every gap is seen on
//     average a quarter gap after each update; a feed gone quiet for longer
//     than that waits half its silence;
//   - not modified (304, published empty): the previous interval × 1.5;
//   - never below the publisher's Cache-Control max-age;
//   - between MinInterval and MaxInterval.
func PollInterval(now time.Time, published []time.Time, prev, maxAge time.Duration) time.Duration {
	var d time.Duration
	if len(published) == 0 {
		d = prev * 3 / 2
	} else {
		ts := slices.Clone(published)
		// Newest first. (sort.Slice: a generic sort of time.Time costs the
		// bootstrap ~8 KB.)
		sort.Slice(ts, func(i, j int) bool { return ts[i].After(ts[j]) })
		ts = slices.CompactFunc(ts, func(a, b time.Time) bool { return a.Equal(b) })
		ts = ts[:min(len(ts), 10)]
		if len(ts) >= 2 {
			d = ts[0].Sub(ts[len(ts)-1]) / time.Duration(len(ts)-1) / 2
		} else {
			d = MaxInterval
		}
		if quiet := now.Sub(ts[0]) / 2; quiet > d {
			d = quiet
		}
	}
	d = max(d, maxAge)
	return min(max(d, MinInterval), MaxInterval)
}

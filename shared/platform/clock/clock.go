// Package clock is the one place functions read the time. In AWS it is the
// system clock; the local cloud can run a virtual clock and hands each
// instance its offset in KIOSK_CLOCK_OFFSET, so batch tests (ranking decay,
// hourly KPIs, source backoff) are deterministic without sleeping.
package clock

import (
	"time"
)

// OffsetEnv carries the virtual clock's offset from real time, in nanoseconds.
const OffsetEnv = "KIOSK_CLOCK_OFFSET"

var offset time.Duration

// SetOffset sets the virtual clock's offset; boot.Init calls it once, from
// OffsetEnv, before anything reads the time.
func SetOffset(d time.Duration) { offset = d }

// Now is the current time, in UTC.
func Now() time.Time { return time.Now().Add(offset).UTC() }

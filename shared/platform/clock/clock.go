// Package clock is the one place functions read the time. In AWS it is the
// system clock; the local cloud can run a virtual clock and hands each
// instance its offset in KIOSK_CLOCK_OFFSET, so batch tests (ranking decay,
// hourly KPIs, source backoff) are deterministic without sleeping.
package clock

import (
	"os"
	"strconv"
	"time"
)

// OffsetEnv carries the virtual clock's offset from real time, in nanoseconds.
const OffsetEnv = "KIOSK_CLOCK_OFFSET"

var offset = func() time.Duration {
	n, err := strconv.ParseInt(os.Getenv(OffsetEnv), 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(n)
}()

// Now is the current time, in UTC.
func Now() time.Time { return time.Now().Add(offset).UTC() }

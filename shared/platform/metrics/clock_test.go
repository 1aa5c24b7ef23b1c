package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/clock"
)

// TestTheProcessLinesAreStampedWithTheVirtualClock moves the clock two days
// back, as the local cloud can, and reads _aws.Timestamp of a flushed line.
func TestTheProcessLinesAreStampedWithTheVirtualClock(t *testing.T) {
	var buf bytes.Buffer
	std.mu.Lock()
	w := std.w
	std.w = &buf
	std.mu.Unlock()
	clock.SetOffset(-48 * time.Hour)
	t.Cleanup(func() {
		clock.SetOffset(0)
		std.mu.Lock()
		std.w = w
		std.mu.Unlock()
	})

	ctx, s := Start(context.Background())
	Add(ctx, EventsAccepted, 1)
	Flush(s)
	want := clock.Now()
	var line struct {
		AWS struct{ Timestamp int64 } `json:"_aws"`
	}
	first, _, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	if err := json.Unmarshal(first, &line); err != nil {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	if got := time.UnixMilli(line.AWS.Timestamp); want.Sub(got) < 0 || want.Sub(got) > time.Minute {
		t.Fatalf("_aws.Timestamp %s, want the virtual clock's %s", got, want)
	}
}

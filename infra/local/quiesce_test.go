package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
)

func TestQuiesceReturnsOnlyWhenEverythingInFlightHasLanded(t *testing.T) {
	marker := "quiet-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	before := lastInvocation(t)
	consumed := func() int {
		n := 0
		for _, i := range invocationsAfter(t, "record-heartbeat", before) {
			if i.Trigger == "rule:on-heartbeat" && i.Status == "ok" {
				n++
			}
		}
		return n
	}
	// A scheduled run in flight (heartbeat publishes, record-heartbeat stores),
	// and an event whose every attempt fails: three attempts with backoff,
	// then a dead letter.
	cloud.Deliver("heartbeat", "schedule:test", local.ScheduledEvent("heartbeat", 0, time.Now()))
	bad := fmt.Sprintf(`{"version":"0","id":"%s","detail-type":"platform.heartbeat","source":"kiosk.platform","account":"%s",`+
		`"time":"2026-11-25T10:00:00Z","region":"%s","resources":[],"detail":{"run":"%s","at":"not a time"}}`, marker, local.Account, local.Region, marker)
	cloud.Deliver("record-heartbeat", "rule:on-heartbeat", []byte(bad))
	quiet(t)

	// No polling: when Quiesce returns, all of it has happened.
	var out struct {
		DeadLetters []struct {
			Event json.RawMessage `json:"event"`
		} `json:"dead_letters"`
	}
	get(t, "/_local/dead-letters", &out)
	dead := false
	for _, d := range out.DeadLetters {
		dead = dead || strings.Contains(string(d.Event), marker)
	}
	if !dead {
		t.Error("Quiesce returned before the failing delivery's retries ended in a dead letter")
	}
	if consumed() == 0 {
		t.Error("Quiesce returned before the scheduled run's event was consumed")
	}
	// Afterwards nothing writes until the test asks.
	tables := snapshot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cloud.Quiesce(ctx); err != nil {
		t.Fatal(err)
	}
	if changed := diff(tables, snapshot(t)); len(changed) > 0 {
		t.Errorf("the quiet cloud wrote: %v", changed[:min(len(changed), 10)])
	}
}

// Command heartbeat is the scheduled canary: each run publishes
// platform.heartbeat, which record-heartbeat stores for /v1/health.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	pub := bus.Open(env, events.SourcePlatform)
	trigger.Start(env, func(ctx context.Context, e trigger.Event[trigger.Scheduled]) error {
		// The scheduled event's id names the run, so a redelivered schedule
		// publishes the same heartbeat again, which the consumer ignores.
		return pub.Publish(ctx, bus.Event{
			DetailType: events.HeartbeatType,
			Detail:     events.Heartbeat{Run: e.ID, At: e.Time},
			Resources:  e.Resources,
		})
	})
}

// Command record-heartbeat consumes platform.heartbeat and records it in the
// health table; a redelivered or older heartbeat changes nothing.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	s := &health.Service{Store: health.NewDynamoStore(env.Table(contract.HealthTable)), Now: clock.Now}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.Heartbeat]) error {
		return s.OnHeartbeat(ctx, e.ID, e.Detail)
	})
}

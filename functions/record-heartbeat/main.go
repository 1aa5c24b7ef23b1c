// Command record-heartbeat consumes platform.heartbeat and records it in the
// health table; a redelivered or older heartbeat changes nothing.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.HealthTable)
	s := health.NewDynamoStore(table)
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.Heartbeat]) error {
		return s.Record(ctx, health.Heartbeat{Run: e.Detail.Run, EventID: e.ID, At: e.Detail.At})
	})
}

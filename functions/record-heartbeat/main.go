// Command record-heartbeat consumes platform.heartbeat and records it in the
// health table; a redelivered or older heartbeat changes nothing.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/health"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/store"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	ctx := context.Background()
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		slog.Error("load AWS config", "error", err)
		os.Exit(1)
	}
	table, err := store.Table(store.Open(cfg), "health")
	if err != nil {
		slog.Error("health table", "error", err)
		os.Exit(1)
	}
	s := health.NewDynamoStore(table)
	trigger.Start(func(ctx context.Context, e trigger.Event[events.Heartbeat]) error {
		return s.Record(ctx, health.Heartbeat{Run: e.Detail.Run, EventID: e.ID, At: e.Detail.At})
	})
}

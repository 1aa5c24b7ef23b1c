// Command admin-ops serves the operators' part of the admin console: every
// scheduled batch with its schedule and last runs, "Run now" (an
// asynchronous Lambda invoke, as EventBridge's), and the dead letters of
// every asynchronous function with a redrive button (SQS). The same API
// calls reach AWS and the local cloud. Sign-in is admin-console's; the
// session cookie is shared.
package main

import (
	"context"

	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/runs"
	"github.com/kiosk-news/kiosk/shared/platform/secret"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

func main() {
	cfg := boot.Init()
	runsTable := boot.Must(store.Table(store.Open(cfg), runs.Table))
	token := boot.Must(secret.Load(context.Background(), cfg, kiosk.AdminTokenSecret))
	site := web.New(func(context.Context) (string, error) { return token, nil }, clock.Now)
	c := &console{site: site, ops: boot.Must(newOperations(cfg, runsTable, clock.Now)), now: clock.Now}
	httpapi.Start(c.routes())
}

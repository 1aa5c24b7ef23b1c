// Command admin-ops serves the operators' part of the admin console: every
// scheduled batch with its schedule and last runs, "Run now" (an
// asynchronous Lambda invoke, as EventBridge's), and the dead letters of
// every asynchronous function with a redrive button (SQS). The same API
// calls reach AWS and the local cloud. Sign-in is admin-console's; the
// session cookie is shared.
package main

import (
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/runs"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

func main() {
	cfg := boot.Init()
	db := store.Open(cfg)
	runsTable := boot.Must(store.Table(db, runs.Table))
	accounts := &editor.Store{Table: boot.Must(store.Table(db, editor.Table)), Now: clock.Now}
	site := web.New(accounts, nil, clock.Now)
	c := &console{site: site, ops: boot.Must(newOperations(cfg, runsTable, clock.Now)), now: clock.Now}
	httpapi.Start(c.routes())
}

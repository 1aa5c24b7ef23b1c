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
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

func main() {
	env := boot.Init()
	runsTable := env.Table(contract.RunsTable)
	accounts := &editor.Store{Table: env.Table(contract.ConsoleTable), Now: clock.Now}
	site := web.New(accounts, nil, clock.Now)
	c := &console{site: site, ops: newOperations(env.AWS, env.Operations(), runsTable, clock.Now), now: clock.Now, region: env.AWS.Region}
	httpapi.Start(env, c.routes())
}

// Command tracking-api takes the app's engagement events (POST /v1/events,
// user auth: up to 500 per batch, each stored once by its id) and serves the
// KPI report and the A/B experiments' report to admins (GET /admin/api/kpi,
// GET /admin/api/experiments). The articles a batch opened
// (clicks, reads) are announced as user.read for the personal feed.
package main

import (
	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	pub := bus.Open(env, events.SourceTracking)
	httpapi.Start(env, routes(&tracking.Service{Store: tracking.NewDynamoStore(env.Table(contract.EventsTable)),
		Now: clock.Now, Announce: tracking.Events{Publish: pub.PublishDetails}}))
}

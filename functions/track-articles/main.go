// Command track-articles keeps the tracking domain's own catalogue of
// articles (category and source) from article.published, so KPIs can be cut
// by category and source without reading the articles domain's table.
// Idempotent: a redelivered event writes the same item.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	s := &tracking.Service{Store: tracking.NewDynamoStore(env.Table(contract.EventsTable)), Now: clock.Now}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.ArticlePublished]) error {
		return s.Catalogue(ctx, tracking.ArticleOf(e.Detail))
	})
}

// Command track-articles keeps the tracking domain's own catalogue of
// articles (category and source) from article.published, so KPIs can be cut
// by category and source without reading the articles domain's table.
// Idempotent: a redelivered event writes the same item.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.EventsTable)
	st := tracking.NewDynamoStore(table)
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.ArticlePublished]) error {
		return st.PutArticle(ctx, tracking.Article{ID: e.Detail.ID, Category: e.Detail.Category, SourceID: e.Detail.SourceID})
	})
}

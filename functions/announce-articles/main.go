// Command announce-articles relays newly stored articles to the bus as
// article.published, in ingestion order, moving a checkpoint only after the
// bus accepted them: nothing stored is ever left unannounced.
package main

import (
	"context"
	"log/slog"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/articlebus"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	a := &article.Announcer{Store: article.NewDynamoStore(env.Table(contract.ArticlesTable)),
		Publisher: articlebus.New(bus.Open(env, events.SourceArticles)), Now: clock.Now}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[trigger.Scheduled]) error {
		r, err := a.Run(ctx)
		trigger.Count(ctx, "announced", r.Announced)
		metrics.Add(ctx, metrics.ArticlesAnnounced, float64(r.Announced))
		if err == nil && r.Announced > 0 {
			slog.InfoContext(ctx, "announced", "articles", r.Announced, "through", r.Through)
		}
		return err
	})
}

// Command announce-articles relays newly stored articles to the bus as
// article.published, in ingestion order, moving a checkpoint only after the
// bus accepted them: nothing stored is ever left unannounced.
package main

import (
	"context"
	"log/slog"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.ArticlesTable)
	pub := bus.Open(env, events.SourceArticles)
	a := &article.Announcer{Store: article.NewDynamoStore(table), Publisher: announcer{pub}, Now: clock.Now}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[trigger.Scheduled]) error {
		r, err := a.Run(ctx)
		trigger.Count(ctx, "announced", r.Announced)
		if err == nil && r.Announced > 0 {
			slog.InfoContext(ctx, "announced", "articles", r.Announced, "through", r.Through)
		}
		return err
	})
}

// announcer publishes article.published for each article.
type announcer struct{ pub *bus.Publisher }

func (a announcer) Publish(ctx context.Context, articles []article.Article) error {
	evs := make([]bus.Event, 0, len(articles))
	for _, x := range articles {
		evs = append(evs, bus.Event{DetailType: events.ArticlePublishedType, Detail: events.ArticlePublished{
			ID: x.ID, URL: x.URL, Title: x.Title, SourceID: x.SourceID, Category: x.Category, Story: x.Story,
			PublishedAt: x.PublishedAt, Language: x.Language, ImageURL: x.ImageURL, SourceWeight: x.SourceWeight,
		}})
	}
	return a.pub.Publish(ctx, evs...)
}

// Command announce-articles relays newly stored articles to the bus as
// article.published, in ingestion order, moving a checkpoint only after the
// bus accepted them: nothing stored is ever left unannounced.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
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
	table, err := store.Table(store.Open(cfg), "articles")
	if err != nil {
		slog.Error("articles table", "error", err)
		os.Exit(1)
	}
	pub, err := bus.New(bus.Client(cfg), events.SourceArticles)
	if err != nil {
		slog.Error("bus", "error", err)
		os.Exit(1)
	}
	a := &article.Announcer{Store: article.NewDynamoStore(table), Publisher: announcer{pub}}
	trigger.Start(func(ctx context.Context, e trigger.Event[trigger.Scheduled]) error {
		r, err := a.Run(ctx)
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
			PublishedAt: x.PublishedAt, Language: x.Language, ImageURL: x.ImageURL,
		}})
	}
	return a.pub.Publish(ctx, evs...)
}

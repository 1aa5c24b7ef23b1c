// Command notify-trending fans article.trending out to the in-app inbox of
// every user interested in the article's category, in chunks of
// feed.FanoutChunk users: each invocation writes one chunk (each entry once)
// and announces the next (notification.fanout.requested), so no invocation's
// work grows with the audience.
package main

import (
	"context"
	"log/slog"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.FeedTable)
	pub := bus.Open(env, events.SourceFeed)
	s := &feed.Service{Store: feed.NewDynamoStore(table), Now: clock.Now}
	chunk := func(ctx context.Context, id, hour, after string) error {
		next, n, err := s.Notify(ctx, id, hour, after)
		if err != nil {
			return err
		}
		slog.InfoContext(ctx, "notified", "article", id, "after", after, "written", n, "more", next != "")
		if next == "" {
			return nil
		}
		a, err := s.Store.GetArticle(ctx, id)
		if err != nil {
			return err
		}
		return pub.Publish(ctx, bus.Event{DetailType: events.FanoutRequestedType,
			Detail: events.FanoutRequested{ArticleID: id, Hour: hour, Category: a.Category, After: next}})
	}
	trigger.StartRoutes(env, trigger.Routes{
		events.ArticleTrendingType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticleTrending]) error {
			return chunk(ctx, e.Detail.ID, e.Detail.Hour, "")
		}),
		events.FanoutRequestedType: trigger.On(func(ctx context.Context, e trigger.Event[events.FanoutRequested]) error {
			return chunk(ctx, e.Detail.ArticleID, e.Detail.Hour, e.Detail.After)
		}),
	})
}

// Command notify-trending fans article.trending out to the in-app inbox of
// every user interested in the article's category, in chunks of
// feed.FanoutChunk users: each invocation writes one chunk (each entry once)
// and announces the next (notification.fanout.requested), so no invocation's
// work grows with the audience.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	pub := bus.Open(env, events.SourceFeed)
	s := &feed.Service{Store: feed.NewDynamoStore(env.Table(contract.FeedTable)), Now: clock.Now,
		Announce: func(ctx context.Context, detailType string, detail any) error {
			return pub.Publish(ctx, bus.Event{DetailType: detailType, Detail: detail})
		}}
	trigger.StartRoutes(env, trigger.Routes{
		events.ArticleTrendingType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticleTrending]) error {
			n, err := s.OnTrendingNotify(ctx, e.Detail)
			metrics.Add(ctx, metrics.NotificationsSent, float64(n))
			return err
		}),
		events.FanoutRequestedType: trigger.On(func(ctx context.Context, e trigger.Event[events.FanoutRequested]) error {
			n, err := s.OnFanoutRequested(ctx, e.Detail)
			metrics.Add(ctx, metrics.NotificationsSent, float64(n))
			return err
		}),
	})
}

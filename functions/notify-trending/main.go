// Command notify-trending records article.trending for the in-app inboxes:
// one entry of the story under its category, which every reader interested
// in the category sees on their next inbox page (computed on read by
// notifications-api), so its work is the same however many readers follow
// the category.
package main

import (
	"context"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	s := &feed.Service{Store: feed.NewDynamoStore(env.Table(contract.FeedTable)), Now: clock.Now}
	trigger.StartRoutes(env, trigger.Routes{
		events.ArticleTrendingType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticleTrending]) error {
			n, err := s.OnTrendingNotify(ctx, e.Detail)
			metrics.Add(ctx, metrics.NotificationsSent, float64(n))
			return err
		}),
	})
}

// Command feed-events keeps the feed domain's own copy of what ranking and
// the personal feed need, from other domains' events: articles
// (article.published, article.moderated, article.trending), their numbers
// (article.stats), what users opened (user.read) and their interests
// (user.interests.changed). Every handler is idempotent; a change that
// alters a feed asks for a ranking run (feed.rank.requested), once per burst.
package main

import (
	"context"

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
	pub := bus.Open(env, events.SourceFeed)
	s := &feed.Service{Store: feed.NewDynamoStore(env.Table(contract.FeedTable)), Now: clock.Now,
		Announce: func(ctx context.Context, detailType string, detail any) error {
			return pub.Publish(ctx, bus.Event{DetailType: detailType, Detail: detail})
		}}
	trigger.StartRoutes(env, trigger.Routes{
		events.ArticlePublishedType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticlePublished]) error {
			return s.OnArticlePublished(ctx, e.Detail)
		}),
		events.ArticleModeratedType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticleModerated]) error {
			return s.OnArticleModerated(ctx, e.Detail)
		}),
		events.ArticleTrendingType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticleTrending]) error {
			return s.OnArticleTrending(ctx, e.Detail)
		}),
		events.ArticleStatsType: trigger.On(func(ctx context.Context, e trigger.Event[events.ArticleStats]) error {
			return s.OnArticleStats(ctx, e.Detail)
		}),
		events.UserReadType: trigger.On(func(ctx context.Context, e trigger.Event[events.UserRead]) error {
			return s.OnUserRead(ctx, e.Detail)
		}),
		events.InterestsChangedType: trigger.On(func(ctx context.Context, e trigger.Event[events.InterestsChanged]) error {
			return s.OnInterestsChanged(ctx, e.Detail)
		}),
	})
}

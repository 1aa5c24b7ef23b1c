// Command rank-feeds is the ranking batch: on its schedule, on
// feed.rank.requested (new or moderated articles) or run now, it scores every
// article of the window (smoothed click-through rate × time decay × source
// weight, pinned first, diversified) and stores each category's feed as
// chunks, so serving a page is one read. Running it twice ranks the same.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.FeedTable)
	s := &feed.Service{Store: feed.NewDynamoStore(table), Now: clock.Now}
	// Any trigger ranks everything: the schedule, a request, a manual run.
	trigger.Start(env, func(ctx context.Context, e trigger.Event[json.RawMessage]) error {
		start := time.Now()
		r, err := s.Rank(ctx)
		trigger.Count(ctx, "articles", r.Articles)
		trigger.Count(ctx, "feeds", len(r.Feeds))
		if err == nil {
			metrics.Add(ctx, metrics.RankingDuration, float64(time.Since(start).Microseconds())/1000)
			metrics.Add(ctx, metrics.RankingItems, float64(r.Articles))
			if !r.TopNewest.IsZero() {
				metrics.Add(ctx, metrics.FeedFreshness, clock.Now().Sub(r.TopNewest).Seconds())
			}
			slog.InfoContext(ctx, "ranked", "run", r.Run, "articles", r.Articles, "feeds", len(r.Feeds), "top", r.Feeds[feed.Top])
		}
		return err
	})
}

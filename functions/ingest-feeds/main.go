// Command ingest-feeds is the scheduled ingestion batch: it fetches every due
// source (each at its own adaptive interval; conditional GET, bounded
// concurrency, private addresses refused except KIOSK_FETCH_ALLOW), has
// parse-feed parse each document (a synchronous invoke), stores new
// articles once, groups near-duplicates into stories, subscribes the feeds
// that name a WebSub hub (callbacks on KIOSK_PUBLIC_API_URL), keeps their
// leases, and logs one line saying what it did. announce-articles relays what
// it stored to the bus.
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/invoke"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.ArticlesTable)
	store := article.NewDynamoStore(table)
	fetcher := ingest.NewFetcher(article.ParseAllow(env.Var(contract.FetchAllowEnv)))
	parser := ingest.Remote{Fn: invoke.Open(env, contract.ParseFeedFunction)}
	in := &ingest.Ingester{Store: store, Fetcher: fetcher, Parser: parser, Now: clock.Now,
		WebSub: &ingest.Subscriber{Store: store, Hubs: fetcher, APIURL: env.Var(contract.PublicAPIEnv), Now: clock.Now}}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[trigger.Scheduled]) error {
		start := time.Now()
		r, err := in.Run(ctx)
		level, msg := slog.LevelInfo, ""
		if err != nil {
			level, msg = slog.LevelError, err.Error()
		}
		trigger.Count(ctx, "sources", r.Due)
		trigger.Count(ctx, "fetched", r.Fetched)
		trigger.Count(ctx, "failed", r.Failed)
		trigger.Count(ctx, "new articles", r.New)
		trigger.Count(ctx, "sources left for the next run", r.Unstored)
		trigger.Count(ctx, "websub subscribed", r.Subscribed)
		trigger.Count(ctx, "websub renewed", r.Renewed)
		metrics.Add(ctx, metrics.ArticlesFetched, float64(r.New+r.Duplicates+r.BadItems))
		metrics.Add(ctx, metrics.ArticlesStored, float64(r.New))
		metrics.Add(ctx, metrics.ArticlesDuplicated, float64(r.Duplicates))
		metrics.Add(ctx, metrics.SourcesFailing, float64(r.Failed))
		if r.Failed > 0 {
			metrics.Add(ctx, metrics.FailureStreak, float64(r.FailureStreak))
		}
		slog.Log(ctx, level, "ingest", "run", e.ID, "report", r, "duration_ms", time.Since(start).Milliseconds(), "error", msg)
		return err
	})
}

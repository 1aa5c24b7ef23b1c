// Command aggregate-kpi is the KPI batch. A scheduled (or run-now)
// invocation is the coordinator: it fans the marked days out per user shard
// (kpi.shard.requested; or every shard of a period named in the detail) and
// announces trending articles. Each kpi.shard.requested is a worker
// invocation: it recomputes its shard exactly and idempotently, announces
// user.engaged and article.stats, then clears the marks it covered; a job of
// a final period (tracking.Correctable) leaves its partials as they are. The
// rules are tracking.Service's (Coordinate, RecomputeShard).
package main

import (
	"context"
	"log/slog"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	pub := bus.Open(env, events.SourceTracking)
	s := &tracking.Service{Store: tracking.NewDynamoStore(env.Table(contract.EventsTable)), Now: clock.Now,
		Announce: tracking.Events{Publish: pub.PublishDetails}}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[events.KPIShardRequested]) error {
		if e.DetailType == events.KPIShardRequestedType {
			job := tracking.ShardJobOf(e.Detail)
			done, err := s.RecomputeShard(ctx, job)
			metrics.Add(ctx, metrics.KPIPeriodsComputed, float64(done.Hours))
			if done.Final {
				trigger.Count(ctx, "final periods left as they are", 1)
			}
			slog.InfoContext(ctx, "kpi shard", "granularity", job.Granularity, "period", job.Period, "shard", job.Shard,
				"hours", done.Hours, "cleared", done.Cleared, "final", done.Final)
			return err
		}
		done, err := s.Coordinate(ctx, tracking.RunOf(e.Detail))
		trigger.Count(ctx, "marks", done.Marks)
		trigger.Count(ctx, "shard events", done.Shards)
		trigger.Count(ctx, "trending", done.Trending)
		slog.InfoContext(ctx, "kpi planned", "marks", done.Marks, "shards", done.Shards, "trending", done.Trending)
		return err
	})
}

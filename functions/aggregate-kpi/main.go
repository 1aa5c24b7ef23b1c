// Command aggregate-kpi is the KPI batch. A scheduled (or run-now) invocation
// is the coordinator: it plans the periods to bring up to date, fans each out
// as one kpi.shard.requested event per user shard, and announces articles whose
// clicks this hour crossed the trending threshold. Each shard event is a worker
// invocation: it recomputes that shard's partial exactly from the stored
// events (idempotent) and, for a completed hour, publishes what each user
// engaged with; a day's shard also announces its per-article numbers
// (article.stats) for the feed's ranking. Reads merge the shards.
package main

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/store"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	cfg := boot.Init()
	table := boot.Must(store.Table(store.Open(cfg), "events"))
	pub := boot.Must(bus.New(bus.Client(cfg), events.SourceTracking))
	b := &batch{store: tracking.NewDynamoStore(table), pub: pub}
	trigger.Start(func(ctx context.Context, e trigger.Event[tracking.Job]) error {
		if e.Detail.Shard != nil {
			return b.work(ctx, e.Detail)
		}
		return b.coordinate(ctx, e.Detail)
	})
}

type batch struct {
	store tracking.Store
	pub   *bus.Publisher
}

func (b *batch) coordinate(ctx context.Context, job tracking.Job) error {
	now := clock.Now()
	jobs, err := tracking.Plan(job, now)
	if err != nil {
		return err
	}
	var evs []bus.Event
	for _, j := range jobs {
		for shard := range tracking.Shards {
			evs = append(evs, bus.Event{DetailType: events.KPIShardType,
				Detail: events.KPIShardRequested{Granularity: j.Granularity, Period: j.Period, Shard: shard}})
		}
	}
	if err := b.pub.Publish(ctx, evs...); err != nil {
		return err
	}
	trending, err := b.trending(ctx, now)
	trigger.Count(ctx, "periods", len(jobs))
	trigger.Count(ctx, "shard events", len(evs))
	trigger.Count(ctx, "trending", trending)
	slog.InfoContext(ctx, "kpi planned", "periods", len(jobs), "shards", len(evs), "trending", trending)
	return err
}

// trending announces, once each, the articles that crossed the threshold this
// hour (from the partials the previous run's workers wrote). The mark is
// written after the event is accepted: at least once, never lost.
func (b *batch) trending(ctx context.Context, now time.Time) (int, error) {
	hour := now.Truncate(time.Hour)
	rows, err := tracking.Trending(ctx, b.store, hour)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		done, err := b.store.IsTrending(ctx, r.Key)
		if err != nil {
			return n, err
		}
		if done {
			continue
		}
		if err := b.pub.Publish(ctx, bus.Event{DetailType: events.ArticleTrendingType,
			Detail: events.ArticleTrending{ID: r.Key, Hour: hour.Format("2006010215"), Clicks: r.Clicks}}); err != nil {
			return n, err
		}
		if _, err := b.store.MarkTrending(ctx, r.Key, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (b *batch) work(ctx context.Context, job tracking.Job) error {
	now := clock.Now()
	p, engagement, err := tracking.Aggregate(ctx, b.store, job.Granularity, job.Period, *job.Shard, now)
	if err != nil {
		return err
	}
	// Learning takes completed hours only, so a period is learned once, whole.
	if job.Granularity == tracking.Hour && len(engagement) > 0 && job.Period < now.Format("2006010215") {
		users := make([]string, 0, len(engagement))
		for u := range engagement {
			users = append(users, u)
		}
		sort.Strings(users)
		var evs []bus.Event
		for i := 0; i < len(users); i += 100 {
			chunk := events.UserEngaged{Hour: job.Period}
			for _, u := range users[i:min(i+100, len(users))] {
				chunk.Users = append(chunk.Users, events.UserEngagement{UserID: u, Weights: engagement[u]})
			}
			evs = append(evs, bus.Event{DetailType: events.UserEngagedType, Detail: chunk})
		}
		if err := b.pub.Publish(ctx, evs...); err != nil {
			return err
		}
	}
	if job.Granularity == tracking.Day {
		if err := b.pub.Publish(ctx, statsEvents(p)...); err != nil {
			return err
		}
	}
	slog.InfoContext(ctx, "kpi shard", "granularity", job.Granularity, "period", job.Period, "shard", *job.Shard,
		"events", p.Slices["all"].Impressions+p.Slices["all"].Clicks+p.Slices["all"].Reads+p.Slices["all"].Shares)
	return nil
}

// statsEvents announces a day partial's per-article impressions and clicks
// (article.stats) for the feed's ranking, in parts of statsPart articles.
func statsEvents(p tracking.Partial) []bus.Event {
	const statsPart = 500
	var counts []events.ArticleCount
	for slice, c := range p.Slices {
		if id, ok := strings.CutPrefix(slice, "article:"); ok {
			counts = append(counts, events.ArticleCount{ID: id, Impressions: c.Impressions, Clicks: c.Clicks})
		}
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i].ID < counts[j].ID })
	parts := max(1, (len(counts)+statsPart-1)/statsPart)
	evs := make([]bus.Event, 0, parts)
	for i := range parts {
		evs = append(evs, bus.Event{DetailType: events.ArticleStatsType, Detail: events.ArticleStats{
			Day: p.Period, Shard: p.Shard, Part: i, Parts: parts, ComputedAt: p.ComputedAt,
			Articles: append([]events.ArticleCount{}, counts[i*statsPart:min((i+1)*statsPart, len(counts))]...)}})
	}
	return evs
}

// Command aggregate-kpi is the KPI batch. A scheduled (or run-now) invocation
// is the coordinator: it reads the marks accepted events left (hour × user
// shard), fans out one kpi.shard.requested day job per marked day and shard
// (or every shard of a period asked for by name), and announces articles that
// enough distinct readers clicked this hour. Each shard event is a worker
// invocation: it recomputes the marked hours and the day exactly from the
// stored events (idempotent), publishes what each user engaged with in a
// completed hour and the day's per-article numbers (article.stats) for the
// feed's ranking, and only then clears the marks it covered. Reads merge the
// shards.
package main

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/trigger"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func main() {
	env := boot.Init()
	table := env.Table(contract.EventsTable)
	pub := bus.Open(env, events.SourceTracking)
	b := &batch{store: tracking.NewDynamoStore(table), pub: pub}
	trigger.Start(env, func(ctx context.Context, e trigger.Event[tracking.Job]) error {
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
	var marks []tracking.Mark
	if job.Granularity == "" && job.Period == "" {
		var err error
		if marks, err = tracking.AllMarks(ctx, b.store); err != nil {
			return err
		}
	}
	jobs, err := tracking.Plan(job, marks)
	if err != nil {
		return err
	}
	evs := make([]bus.Event, len(jobs))
	for i, j := range jobs {
		evs[i] = bus.Event{DetailType: events.KPIShardType,
			Detail: events.KPIShardRequested{Granularity: j.Granularity, Period: j.Period, Shard: *j.Shard}}
	}
	if err := b.pub.Publish(ctx, evs...); err != nil {
		return err
	}
	trending, err := b.trending(ctx, now)
	trigger.Count(ctx, "marks", len(marks))
	trigger.Count(ctx, "shard events", len(evs))
	trigger.Count(ctx, "trending", trending)
	slog.InfoContext(ctx, "kpi planned", "marks", len(marks), "shards", len(evs), "trending", trending)
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
	r, err := tracking.Recompute(ctx, b.store, job, now)
	if err != nil {
		return err
	}
	for _, h := range r.Hours {
		if h.Complete && len(h.Engagement) > 0 {
			if err := b.pub.Publish(ctx, engagedEvents(h)...); err != nil {
				return err
			}
		}
	}
	if r.Day != nil {
		if err := b.pub.Publish(ctx, statsEvents(*r.Day)...); err != nil {
			return err
		}
	}
	// Only now that everything depending on the numbers is stored and
	// published: a crash before this line repeats the job, never loses it.
	cleared, err := r.Clear(ctx, b.store)
	slog.InfoContext(ctx, "kpi shard", "granularity", job.Granularity, "period", job.Period, "shard", *job.Shard,
		"hours", len(r.Hours), "cleared", cleared)
	return err
}

// engagedEvents announces what each user of a completed hour engaged with
// (user.engaged), 100 users an event.
func engagedEvents(h tracking.HourResult) []bus.Event {
	users := make([]string, 0, len(h.Engagement))
	for u := range h.Engagement {
		users = append(users, u)
	}
	sort.Strings(users)
	var evs []bus.Event
	for i := 0; i < len(users); i += 100 {
		chunk := events.UserEngaged{Hour: h.Partial.Period}
		for _, u := range users[i:min(i+100, len(users))] {
			chunk.Users = append(chunk.Users, events.UserEngagement{UserID: u, Weights: h.Engagement[u]})
		}
		evs = append(evs, bus.Event{DetailType: events.UserEngagedType, Detail: chunk})
	}
	return evs
}

// statsEvents announces a day partial's per-article numbers for the feed's
// ranking (article.stats: distinct readers, see tracking.RankingNumbers), in
// parts of statsPart articles.
func statsEvents(p tracking.Partial) []bus.Event {
	const statsPart = 500
	var counts []events.ArticleCount
	for _, n := range tracking.RankingNumbers(p) {
		counts = append(counts, events.ArticleCount{ID: n.ID, Impressions: n.Impressions, Clicks: n.Clicks})
	}
	parts := max(1, (len(counts)+statsPart-1)/statsPart)
	evs := make([]bus.Event, 0, parts)
	for i := range parts {
		evs = append(evs, bus.Event{DetailType: events.ArticleStatsType, Detail: events.ArticleStats{
			Day: p.Period, Shard: p.Shard, Part: i, Parts: parts, ComputedAt: p.ComputedAt,
			Articles: append([]events.ArticleCount{}, counts[i*statsPart:min((i+1)*statsPart, len(counts))]...)}})
	}
	return evs
}

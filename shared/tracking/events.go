package tracking

import (
	"context"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// This file is the one translation between tracking's types and the
// catalogue's events: what tracking consumes (article.published,
// kpi.shard.requested) and what it announces (user.read,
// kpi.shard.requested, article.trending, user.engaged, article.stats).

// Publish puts catalogue events of one detail type on the bus, in order;
// main adapts its bus publisher to it.
type Publish func(ctx context.Context, detailType string, details ...any) error

// Events is the Announcer that publishes tracking's catalogue events.
type Events struct{ Publish Publish }

var _ Announcer = Events{}

// Event sizes: user.engaged carries engagedUsers users, article.stats
// statsArticles articles, so no event grows with the number of readers.
const (
	engagedUsers  = 100
	statsArticles = 500
)

// ArticleOf is tracking's catalogue entry of a published article.
func ArticleOf(e events.ArticlePublished) Article {
	return Article{ID: e.ID, Category: e.Category, SourceID: e.SourceID}
}

// RunOf reads a coordinator run from a scheduled event's detail: empty (the
// schedule) or a period to recompute (run now with
// {"granularity":"hour","period":"2026112510"}).
func RunOf(e events.KPIShardRequested) Run {
	return Run{Granularity: e.Granularity, Period: e.Period}
}

// ShardJobOf reads a worker's job from kpi.shard.requested.
func ShardJobOf(e events.KPIShardRequested) ShardJob {
	return ShardJob{Granularity: e.Granularity, Period: e.Period, Shard: e.Shard}
}

// Opened publishes user.read.
func (p Events) Opened(ctx context.Context, userID string, articleIDs []string, at time.Time) error {
	return p.Publish(ctx, events.UserReadType, events.UserRead{UserID: userID, ArticleIDs: articleIDs, At: at})
}

// ShardsRequested publishes one kpi.shard.requested per job.
func (p Events) ShardsRequested(ctx context.Context, jobs []ShardJob) error {
	details := make([]any, len(jobs))
	for i, j := range jobs {
		details[i] = events.KPIShardRequested{Granularity: j.Granularity, Period: j.Period, Shard: j.Shard}
	}
	return p.Publish(ctx, events.KPIShardRequestedType, details...)
}

// Trending publishes article.trending.
func (p Events) Trending(ctx context.Context, t Trend) error {
	return p.Publish(ctx, events.ArticleTrendingType,
		events.ArticleTrending{ID: t.ArticleID, Hour: t.Hour.UTC().Format(hourLayout), Clicks: t.Clicks})
}

// Engaged publishes what each user of a completed hour engaged with
// (user.engaged), engagedUsers users an event, in user order.
func (p Events) Engaged(ctx context.Context, hour string, e Engagement) error {
	users := make([]string, 0, len(e))
	for u := range e {
		users = append(users, u)
	}
	sort.Strings(users)
	var details []any
	for i := 0; i < len(users); i += engagedUsers {
		chunk := events.UserEngaged{Hour: hour}
		for _, u := range users[i:min(i+engagedUsers, len(users))] {
			chunk.Users = append(chunk.Users, events.UserEngagement{UserID: u, Weights: e[u]})
		}
		details = append(details, chunk)
	}
	return p.Publish(ctx, events.UserEngagedType, details...)
}

// Stats publishes a day partial's per-article numbers for the feed's
// ranking (article.stats: distinct readers, see RankingNumbers), in parts of
// statsArticles articles; a day without articles is one empty part.
func (p Events) Stats(ctx context.Context, day Partial) error {
	var counts []events.ArticleCount
	for _, n := range RankingNumbers(day) {
		counts = append(counts, events.ArticleCount{ID: n.ID, Impressions: n.Impressions, Clicks: n.Clicks})
	}
	parts := max(1, (len(counts)+statsArticles-1)/statsArticles)
	details := make([]any, 0, parts)
	for i := range parts {
		details = append(details, events.ArticleStats{
			Day: day.Period, Shard: day.Shard, Part: i, Parts: parts, ComputedAt: day.ComputedAt,
			Articles: append([]events.ArticleCount{}, counts[i*statsArticles:min((i+1)*statsArticles, len(counts))]...)})
	}
	return p.Publish(ctx, events.ArticleStatsType, details...)
}

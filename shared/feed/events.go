package feed

import (
	"context"
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// The one place the feed domain meets the event catalogue: what it keeps
// from other domains' events, and the events it announces.

// OnArticlePublished places a new article (article.published).
func (s *Service) OnArticlePublished(ctx context.Context, e events.ArticlePublished) error {
	return s.Place(ctx, Article{ID: e.ID, URL: e.URL, Title: e.Title, SourceID: e.SourceID, Category: e.Category,
		Story: e.Story, ImageURL: e.ImageURL, PublishedAt: e.PublishedAt, SourceWeight: e.SourceWeight})
}

// OnArticleModerated applies an editor's decision (article.moderated).
func (s *Service) OnArticleModerated(ctx context.Context, e events.ArticleModerated) error {
	return s.Moderate(ctx, Moderation{ID: e.ID, Hidden: e.Hidden, Pinned: e.Pinned, Lead: e.Lead, Story: e.Story, At: e.At})
}

// OnArticleTrending flags an article trending in the feeds (article.trending).
func (s *Service) OnArticleTrending(ctx context.Context, e events.ArticleTrending) error {
	return s.MarkTrending(ctx, e.ID)
}

// OnArticleStats keeps one shard's numbers of a day (article.stats).
func (s *Service) OnArticleStats(ctx context.Context, e events.ArticleStats) error {
	m := make(map[string]Stats, len(e.Articles))
	for _, a := range e.Articles {
		m[a.ID] = Stats{Impressions: a.Impressions, Clicks: a.Clicks}
	}
	return s.PutStats(ctx, DayStats{Day: e.Day, Shard: e.Shard, Part: e.Part, Parts: e.Parts,
		ComputedAt: e.ComputedAt, Articles: m})
}

// OnUserRead remembers what a user opened (user.read).
func (s *Service) OnUserRead(ctx context.Context, e events.UserRead) error {
	return s.AddRead(ctx, e.UserID, e.ArticleIDs, e.At)
}

// OnInterestsChanged keeps a user's interests (user.interests.changed).
func (s *Service) OnInterestsChanged(ctx context.Context, e events.InterestsChanged) error {
	return s.SetProfile(ctx, Profile{UserID: e.UserID, Interests: e.Interests, Learned: e.Learned, At: e.At})
}

// OnTrendingNotify records a trending article for the inboxes
// (article.trending) and says how many entries it recorded.
func (s *Service) OnTrendingNotify(ctx context.Context, e events.ArticleTrending) (int, error) {
	return s.Notify(ctx, Trend{ArticleID: e.ID, Hour: e.Hour})
}

// announceRank asks the ranking batch to run now (feed.rank.requested).
func (s *Service) announceRank(ctx context.Context, reason string, at time.Time) error {
	return s.Announce(ctx, events.RankRequestedType, events.RankRequested{Reason: reason, At: at})
}

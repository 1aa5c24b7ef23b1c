package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Service holds the feed domain's use cases: keeping its copy of articles,
// numbers and profiles from events, ranking, and serving feeds.
type Service struct {
	Store *DynamoStore
	Now   func() time.Time
	// AskRank announces feed.rank.requested; nil never asks (the schedule
	// still ranks).
	AskRank func(ctx context.Context, reason string, at time.Time) error
}

// StaleRequest is how long a rank request may stay pending before a change
// asks again (its announcement may have been lost).
const StaleRequest = 2 * time.Minute

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

var idRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Published places a new article; a redelivered event changes nothing and
// asks for no ranking.
func (s *Service) Published(ctx context.Context, e events.ArticlePublished) error {
	if !idRe.MatchString(e.ID) || e.Title == "" || !ValidCategory(e.Category) || e.Category == Top {
		return fmt.Errorf("article.published %q: bad id, title or category %q", e.ID, e.Category)
	}
	placed, err := s.Store.PlaceArticle(ctx, Article{ID: e.ID, URL: e.URL, Title: e.Title, SourceID: e.SourceID,
		Category: e.Category, Story: e.Story, ImageURL: e.ImageURL, PublishedAt: e.PublishedAt, SourceWeight: e.SourceWeight})
	if err != nil || !placed {
		return err
	}
	return s.askRank(ctx, "new article")
}

// Moderated applies a moderation unless a later one is stored.
func (s *Service) Moderated(ctx context.Context, e events.ArticleModerated) error {
	if !idRe.MatchString(e.ID) {
		return fmt.Errorf("article.moderated: bad id %q", e.ID)
	}
	changed, err := s.Store.Moderate(ctx, e.ID, e.Hidden, e.Pinned, e.At)
	if err != nil || !changed {
		return err
	}
	return s.askRank(ctx, "moderation")
}

// Trending flags a trending article (its reason in the feeds).
func (s *Service) Trending(ctx context.Context, e events.ArticleTrending) error {
	if !idRe.MatchString(e.ID) {
		return fmt.Errorf("article.trending: bad id %q", e.ID)
	}
	changed, err := s.Store.MarkTrending(ctx, e.ID)
	if err != nil || !changed {
		return err
	}
	return s.askRank(ctx, "trending")
}

// Stats keeps one shard's article numbers (the latest computation wins).
func (s *Service) Stats(ctx context.Context, e events.ArticleStats) error {
	m := make(map[string]Stats, len(e.Articles))
	for _, a := range e.Articles {
		m[a.ID] = Stats{Impressions: a.Impressions, Clicks: a.Clicks}
	}
	return s.Store.PutStats(ctx, DayStats{Day: e.Day, Shard: e.Shard, Part: e.Part, Parts: e.Parts,
		ComputedAt: e.ComputedAt, Articles: m})
}

// Read remembers what a user opened, so the personal feed skips it.
func (s *Service) Read(ctx context.Context, e events.UserRead) error {
	return s.Store.AddRead(ctx, e.UserID, e.ArticleIDs, e.At)
}

// Interests keeps a user's latest interest profile.
func (s *Service) Interests(ctx context.Context, e events.InterestsChanged) error {
	return s.Store.SetProfile(ctx, Profile{UserID: e.UserID, Interests: e.Interests, Learned: e.Learned, At: e.At})
}

// askRank asks for a ranking run unless one is already pending: one request
// covers a burst of changes. If the announcement fails the request is
// withdrawn and the error returned, so the event's retry asks again.
func (s *Service) askRank(ctx context.Context, reason string) error {
	if s.AskRank == nil {
		return nil
	}
	now := s.now()
	ask, err := s.Store.RequestRank(ctx, now, StaleRequest)
	if err != nil || !ask {
		return err
	}
	if err := s.AskRank(ctx, reason, now); err != nil {
		return errors.Join(err, s.Store.CancelRankRequest(ctx, now))
	}
	return nil
}

// RankReport is what one ranking run did.
type RankReport struct {
	Run      string         `json:"run"`
	Articles int            `json:"articles"`
	Feeds    map[string]int `json:"feeds"` // category → ranked items
}

// Rank ranks every feed from the articles of the window and the numbers of
// its days, and stores each feed's chunks and head.
func (s *Service) Rank(ctx context.Context) (RankReport, error) {
	previous, err := s.Store.BeginRank(ctx)
	if err != nil {
		return RankReport{}, fmt.Errorf("begin: %w", err)
	}
	now := s.now()
	articles, err := s.Store.RecentArticles(ctx, now.Add(-Window))
	if err != nil {
		return RankReport{}, fmt.Errorf("articles: %w", err)
	}
	var days []string
	for d := now.Add(-Window).Truncate(24 * time.Hour); !d.After(now); d = d.Add(24 * time.Hour) {
		days = append(days, d.Format("20060102"))
	}
	stats, err := s.Store.Stats(ctx, days)
	if err != nil {
		return RankReport{}, fmt.Errorf("stats: %w", err)
	}
	ranked := RankAll(articles, stats, now)
	for _, c := range previous {
		if _, ok := ranked[c]; !ok {
			ranked[c] = nil // a feed that emptied gets an empty head
		}
	}
	run := RunID(now)
	feeds := map[string][]Chunk{}
	report := RankReport{Run: run, Articles: len(articles), Feeds: map[string]int{}}
	var cats []string
	for c, list := range ranked {
		feeds[c] = Chunks(c, run, now, list)
		report.Feeds[c] = len(list)
		if len(list) > 0 {
			cats = append(cats, c)
		}
	}
	sort.Strings(cats)
	if err := s.Store.PutChunks(ctx, feeds, now); err != nil {
		return report, err
	}
	return report, s.Store.EndRank(ctx, run, cats)
}

// Feed serves one page of a category's ranked feed ("top": every category):
// one read, the head for the first page and the cursor's chunk after it.
func (s *Service) Feed(ctx context.Context, category, limit, cursor string) (Page, error) {
	if category == "" {
		category = Top
	}
	if !ValidCategory(category) {
		return Page{}, kiosk.Errorf(kiosk.EINVALID, "category must be lower-case letters, digits and dashes")
	}
	n, err := Limit(limit)
	if err != nil {
		return Page{}, err
	}
	run, offset, err := PublicCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	c, err := s.Store.Chunk(ctx, ChunkRef{Category: category, Run: run, Index: ChunkIndex(offset)}, s.now())
	switch {
	case errors.Is(err, ErrNotFound) && run != "":
		return Page{}, ExpiredCursor
	case errors.Is(err, ErrNotFound):
		slog.DebugContext(ctx, "feed not ranked yet", "category", category)
		return Page{Category: category, Items: []Item{}}, nil
	case err != nil:
		return Page{}, err
	}
	return PublicPage(c, offset, n), nil
}

// PersonalFeed serves one page of a user's feed: two reads (the user's
// profile and reads; the chunks of the page's streams).
func (s *Service) PersonalFeed(ctx context.Context, userID, limit, cursor string) (Page, error) {
	n, err := Limit(limit)
	if err != nil {
		return Page{}, err
	}
	cur, err := DecodePersonal(cursor)
	if err != nil {
		return Page{}, err
	}
	var streams []Stream
	p, chunks, err := s.Store.PersonalChunks(ctx, userID, s.now(), func(p Profile) []ChunkRef {
		streams = p.Streams()
		return cur.Refs(streams)
	})
	if err != nil {
		return Page{}, err
	}
	for _, r := range cur.Refs(streams) {
		if _, ok := chunks[r.Category]; !ok && r.Run != "" {
			return Page{}, ExpiredCursor
		}
	}
	return Personal(p, streams, cur, chunks, n), nil
}

// Notify writes one chunk of a trending article's inbox fan-out (after the
// given user) and returns where the next chunk starts ("" when done). A
// hidden article notifies no one; one the feeds have not placed yet is an
// error, so the event is retried.
func (s *Service) Notify(ctx context.Context, articleID, hour, after string) (string, int, error) {
	if !idRe.MatchString(articleID) || len(hour) != 10 {
		return "", 0, fmt.Errorf("trending notification: bad article %q or hour %q", articleID, hour)
	}
	a, err := s.Store.GetArticle(ctx, articleID)
	if errors.Is(err, ErrNotFound) {
		return "", 0, fmt.Errorf("article %s is not in the feeds yet: %w", articleID, err)
	}
	if err != nil || a.Hidden {
		return "", 0, err
	}
	return s.Store.Fanout(ctx, a, hour, after, s.now())
}

// Inbox serves a page of a user's notifications.
func (s *Service) Inbox(ctx context.Context, userID, limit, cursor string) (NotificationPage, error) {
	n, err := Limit(limit)
	if err != nil {
		return NotificationPage{}, err
	}
	return s.Store.Notifications(ctx, userID, min(n, MaxNotificationPage), cursor, s.now())
}

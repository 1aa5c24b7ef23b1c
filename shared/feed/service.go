package feed

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// Service holds the feed domain's use cases: keeping its copy of articles,
// numbers and profiles from events, ranking, serving feeds, and the trending
// inbox. Every rule is here; the Store only keeps what it is given.
type Service struct {
	Store Store
	Now   func() time.Time
	// Announce publishes one of the domain's events (feed.rank.requested;
	// see events.go); nil announces nothing, so a change asks for no ranking
	// run (the schedule still ranks).
	Announce func(ctx context.Context, detailType string, detail any) error

	trending *trendingCache // made on first use
}

// trendingCache is an instance's copy of the trending entries, read again
// once TrendingRefresh old.
type trendingCache struct {
	mu   sync.Mutex
	at   time.Time
	list []Notification
}

// cacheMade guards making a service's trending cache.
var cacheMade sync.Mutex

// cache is the service's trending cache (a copy of the service shares it).
func (s *Service) cache() *trendingCache {
	cacheMade.Lock()
	defer cacheMade.Unlock()
	if s.trending == nil {
		s.trending = &trendingCache{}
	}
	return s.trending
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

var (
	idRe   = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hourRe = regexp.MustCompile(`^\d{10}$`)
)

// Place keeps a new article; a redelivered one changes nothing and asks for
// no ranking.
func (s *Service) Place(ctx context.Context, a Article) error {
	if !idRe.MatchString(a.ID) || a.Title == "" || !ValidCategory(a.Category) || a.Category == Top {
		return fmt.Errorf("article %q: bad id, title or category %q", a.ID, a.Category)
	}
	if a.Story != "" && !idRe.MatchString(a.Story) {
		// Not a story id: the article is its own story, rather than lost.
		slog.WarnContext(ctx, "article with a malformed story; placed as its own story", "article", a.ID, "story", a.Story)
		a.Story = a.ID
	}
	placed, err := s.Store.PlaceArticle(ctx, a, a.PublishedAt.Add(ArticleRetention))
	if err != nil || !placed {
		return err
	}
	return s.askRank(ctx, "new article")
}

// Moderate applies a moderation unless a later one is stored, to the
// article and to its trending entries (moderateTrending): the inbox drops a
// hidden article and lists a moved one under its new story.
func (s *Service) Moderate(ctx context.Context, m Moderation) error {
	if !idRe.MatchString(m.ID) || (m.Story != "" && !idRe.MatchString(m.Story)) {
		return fmt.Errorf("moderation: bad id %q or story %q", m.ID, m.Story)
	}
	changed, err := s.Store.Moderate(ctx, m, s.now().Add(ArticleRetention))
	if err != nil {
		return err
	}
	// Every delivery, changed or not: a retry after a failure here finds the
	// article already moderated, and each entry's write is conditional.
	if err := s.moderateTrending(ctx, m); err != nil {
		return fmt.Errorf("trending entries: %w", err)
	}
	if !changed {
		return nil
	}
	if err := s.Store.Touch(ctx, []string{m.ID}); err != nil {
		return err
	}
	return s.askRank(ctx, "moderation")
}

// moderateTrending gives the article's trending entries the moderation's
// state, each unless it follows a later one (the later moderation wins,
// whatever order the events come in): hidden or not, and the story the
// article is in as stored now (an editor's move, or back to ingestion's
// story), else the moderation's. The entries are found in the trending
// list, one Query of a partition that grows with trending stories only;
// moderations are an editor's few.
func (s *Service) moderateTrending(ctx context.Context, m Moderation) error {
	now := s.now()
	story := m.Story
	a, err := s.Store.GetArticle(ctx, m.ID, now)
	switch {
	case err == nil:
		story = storyKey(a)
	case !errors.Is(err, ErrArticleNotFound):
		return err
	}
	list, err := s.Store.Trending(ctx, inboxSince(now), now)
	if err != nil {
		return err
	}
	for _, n := range list {
		if n.ArticleID != m.ID {
			continue
		}
		n.Hidden, n.Story, n.ModeratedAt = m.Hidden, story, m.At
		if _, err := s.Store.ModerateTrending(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// MarkTrending flags a trending article (its reason in the feeds).
func (s *Service) MarkTrending(ctx context.Context, id string) error {
	if !idRe.MatchString(id) {
		return fmt.Errorf("trending: bad id %q", id)
	}
	changed, err := s.Store.MarkTrending(ctx, id, s.now().Add(ArticleRetention))
	if err != nil || !changed {
		return err
	}
	if err := s.Store.Touch(ctx, []string{id}); err != nil {
		return err
	}
	return s.askRank(ctx, "trending")
}

// PutStats keeps one shard's article numbers (the latest computation wins).
func (s *Service) PutStats(ctx context.Context, d DayStats) error {
	day, err := time.Parse(events.DayLayout, d.Day)
	if err != nil {
		return fmt.Errorf("day %q: %w", d.Day, err)
	}
	return s.Store.PutStats(ctx, d, day.Add(StatsRetention))
}

// stats sums the numbers of the given days.
func (s *Service) stats(ctx context.Context, days []string) (map[string]Stats, error) {
	parts, err := s.Store.DayStats(ctx, days)
	if err != nil {
		return nil, err
	}
	return SumStats(parts), nil
}

// AddRead remembers what a user opened, so the personal feed skips it.
func (s *Service) AddRead(ctx context.Context, userID string, ids []string, at time.Time) error {
	return s.Store.AddRead(ctx, userID, ids, at, at.Add(ReadRetention))
}

// SetProfile keeps a user's latest interest profile (an older one arriving
// late changes nothing), for the feeds and for the inbox.
func (s *Service) SetProfile(ctx context.Context, p Profile) error {
	return s.Store.SetProfile(ctx, p)
}

// profile reads a user's profile, learned weights as of now, and reads.
func (s *Service) profile(ctx context.Context, userID string, now time.Time) (Profile, error) {
	p, err := s.Store.Profile(ctx, userID, MaxReads, now)
	p.Learned = LearnedAt(p.Learned, p.At, now)
	return p, err
}

// askRank asks for a ranking run unless one is already pending: one request
// covers a burst of changes. If the announcement fails the request is
// withdrawn and the error returned, so the event's retry asks again.
func (s *Service) askRank(ctx context.Context, reason string) error {
	if s.Announce == nil {
		return nil
	}
	now := s.now()
	ask, err := s.Store.RequestRank(ctx, now, now.Add(-StaleRequest))
	if err != nil || !ask {
		return err
	}
	if err := s.announceRank(ctx, reason, now); err != nil {
		return errors.Join(err, s.Store.CancelRankRequest(ctx, now))
	}
	return nil
}

// RankReport is what one ranking run did.
type RankReport struct {
	Run      string         `json:"run"`
	Articles int            `json:"articles"`
	Feeds    map[string]int `json:"feeds"` // category (~variant) → ranked stories
	// TopNewest is when the newest story of the default top feed was
	// published (zero when top is empty): its age is the feed's freshness.
	TopNewest time.Time `json:"top_newest,omitzero"`
}

// Rank ranks every feed from the articles of the window and the numbers of
// its days, and stores each feed's chunks and head. The window's articles
// come from the by-time index, which may not show the latest changes yet
// (DynamoDB's indexes are eventually consistent): the articles whose flags
// changed since the last run (Touch) are read again from the table, so a
// moderation or trending flag that asked for this run is in it.
func (s *Service) Rank(ctx context.Context) (RankReport, error) {
	previous, touched, err := s.Store.BeginRank(ctx)
	if err != nil {
		return RankReport{}, fmt.Errorf("begin: %w", err)
	}
	now := s.now()
	articles, err := s.Store.RecentArticles(ctx, now.Add(-Window))
	if err != nil {
		return RankReport{}, fmt.Errorf("articles: %w", err)
	}
	if len(touched) > 0 {
		fresh, err := s.Store.Articles(ctx, touched, now)
		if err != nil {
			return RankReport{}, fmt.Errorf("touched articles: %w", err)
		}
		articles = Fresher(articles, fresh, now.Add(-Window))
	}
	var days []string
	for d := now.Add(-Window).Truncate(24 * time.Hour); !d.After(now); d = d.Add(24 * time.Hour) {
		days = append(days, d.Format(events.DayLayout))
	}
	stats, err := s.stats(ctx, days)
	if err != nil {
		return RankReport{}, fmt.Errorf("stats: %w", err)
	}
	variants, err := feedVariants(now)
	if err != nil {
		return RankReport{}, err
	}
	run := RunID(now)
	feeds := map[string][]Chunk{}
	report := RankReport{Run: run, Articles: len(articles), Feeds: map[string]int{}}
	var cats []string
	for _, v := range variants {
		var keys []string // the variant's feeds the last run wrote
		for _, key := range previous {
			if _, variant, _ := strings.Cut(key, "~"); variant == v.key {
				keys = append(keys, key)
			}
		}
		held, err := s.previousCTRs(ctx, keys, now)
		if err != nil {
			return RankReport{}, fmt.Errorf("previous ranking: %w", err)
		}
		for c, list := range RankAllFrom(v.params, articles, stats, now, held) {
			key := feedKey(c, v.key)
			feeds[key] = Chunks(c, run, now, list)
			report.Feeds[key] = len(list)
			if key == Top {
				for _, r := range list {
					if r.PublishedAt.After(report.TopNewest) {
						report.TopNewest = r.PublishedAt
					}
				}
			}
			if len(list) > 0 {
				cats = append(cats, key)
			}
		}
	}
	for _, key := range previous {
		if _, ok := feeds[key]; !ok {
			category, _, _ := strings.Cut(key, "~")
			feeds[key] = Chunks(category, run, now, nil) // a feed that emptied gets an empty head
			report.Feeds[key] = 0
		}
	}
	sort.Strings(cats)
	if err := s.Store.PutChunks(ctx, feeds, now.Add(PageRetention)); err != nil {
		return report, err
	}
	return report, s.Store.EndRank(ctx, run, cats)
}

// previousCTRs reads the CTR each story was ranked by in the last run's
// feeds (keys: a variant's top and categories): every feed's head in one
// batch read, then each further chunk index of the feeds that have it in
// one more (at most MaxRanked/ChunkSize reads in all). Every story anyone
// could be shown is in one of them. A feed ranked before CTRs were kept
// gives none: its stories are ranked by their own numbers.
func (s *Service) previousCTRs(ctx context.Context, keys []string, now time.Time) (map[string]float64, error) {
	out := map[string]float64{}
	if len(keys) == 0 {
		return out, nil
	}
	refs := make([]ChunkRef, len(keys))
	for i, key := range keys {
		refs[i] = ChunkRef{Category: key}
	}
	heads, err := s.Store.Chunks(ctx, refs, now)
	if err != nil {
		return nil, err
	}
	take := func(chunks map[string]Chunk) {
		for _, c := range chunks {
			for _, r := range c.Items {
				if r.CTR > 0 {
					out[r.StoryID()] = r.CTR
				}
			}
		}
	}
	take(heads)
	for i := 1; i*ChunkSize < MaxRanked; i++ {
		refs = refs[:0]
		for key, h := range heads {
			if i*ChunkSize < h.Total {
				refs = append(refs, ChunkRef{Category: key, Run: h.Run, Index: i})
			}
		}
		if len(refs) == 0 {
			break
		}
		// A chunk gone with its run leaves its stories to their own numbers.
		more, err := s.Store.Chunks(ctx, refs, now)
		if err != nil {
			return nil, err
		}
		take(more)
	}
	return out, nil
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
	n, err := page.Limit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return Page{}, err
	}
	run, offset, err := PublicCursor(category, cursor)
	if err != nil {
		return Page{}, err
	}
	// A first page reads any copy of the head (at random: the public feed
	// knows no reader); the cursor names the run it came from, so the next
	// pages are that run's, whichever copy it was.
	c, err := s.Store.Chunk(ctx, ChunkRef{Category: category, Run: run, Index: ChunkIndex(offset), Copy: rand.IntN(HeadCopies)}, s.now())
	switch {
	case errors.Is(err, ErrPageNotFound) && run != "":
		return Page{}, ExpiredCursor
	case errors.Is(err, ErrPageNotFound):
		slog.DebugContext(ctx, "feed not ranked yet", "category", category)
		return Page{Category: category, Items: []Item{}}, nil
	case err != nil:
		return Page{}, codes.Translate(err)
	}
	return PublicPage(c, offset, n), nil
}

// PersonalFeed serves one page of a user's feed: two reads (the user's
// profile and reads; the chunks of the page's streams).
func (s *Service) PersonalFeed(ctx context.Context, userID, limit, cursor string) (Page, error) {
	n, err := page.Limit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return Page{}, err
	}
	cur, kept, run, err := DecodePersonalState(userID, cursor)
	if err != nil {
		return Page{}, err
	}
	now := s.now()
	p, err := s.profile(ctx, userID, now)
	if err != nil {
		return Page{}, codes.Translate(err)
	}
	variant, params := userVariant(userID, now)
	streams := kept // the streams of the cursor's first page
	if streams == nil {
		streams = p.StreamsShare(params.TopShare)
	}
	refs := cur.RefsAt(streams, run)
	for i := range refs {
		refs[i].Copy = headCopy(userID)
	}
	chunks, err := s.chunks(ctx, refs, variant, now)
	if err != nil {
		return Page{}, err
	}
	for _, r := range refs {
		if _, ok := chunks[r.Category]; !ok && r.Run != "" && !r.Start {
			return Page{}, ExpiredCursor
		}
	}
	return PersonalAt(p, streams, cur, run, chunks, n), nil
}

// headCopy is the copy of the heads a user's personal pages read: the same
// one every time for a user (its id hashed), so that a user's reloads never
// step back to a copy the current run has not reached yet.
func headCopy(userID string) int {
	h := fnv.New32a()
	h.Write([]byte(userID))
	return int(h.Sum32() % HeadCopies)
}

// chunks reads the chunks refs name, of the variant's ranking, keyed by
// category: one read. A variant not ranked yet (an experiment that started
// after the last run) is served the default's chunks, with a second read.
func (s *Service) chunks(ctx context.Context, refs []ChunkRef, variant string, now time.Time) (map[string]Chunk, error) {
	out := map[string]Chunk{}
	if len(refs) == 0 {
		return out, nil
	}
	read := func(variant string, refs []ChunkRef) error {
		keyed := make([]ChunkRef, len(refs))
		for i, r := range refs {
			keyed[i] = ChunkRef{Category: feedKey(r.Category, variant), Run: r.Run, Index: r.Index, Copy: r.Copy}
		}
		got, err := s.Store.Chunks(ctx, keyed, now)
		if err != nil {
			return codes.Translate(err)
		}
		for _, r := range refs {
			if c, ok := got[feedKey(r.Category, variant)]; ok {
				out[r.Category] = c
			}
		}
		return nil
	}
	if err := read(variant, refs); err != nil || variant == "" {
		return out, err
	}
	// A run that did not rank the variant (its heads, or a cursor begun on
	// them) wrote only the default's chunks: the same run's chunks of the
	// variant and the default live and expire together, so a variant chunk
	// missing beside its run's default chunk means the cursor is on the
	// default's list.
	var missing []ChunkRef
	for _, r := range refs {
		if _, ok := out[r.Category]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	slog.WarnContext(ctx, "variant feed not ranked yet; serving the default", "variant", variant)
	return out, read("", missing)
}

// Notify records a trending story's inbox entry under its trending
// version's category, once: every reader interested in the category sees it
// on their next inbox page (Inbox), within TrendingRefresh, so the work is
// the same however many readers follow the category. The entry is named by
// the hour the story first trended and the story, so each reader gets one
// entry per story, whichever of its versions trends and whenever, and a
// redelivered event changes nothing. A hidden article notifies no one; one
// the feeds have not placed yet is an error, so the event is retried. It
// returns how many entries it recorded (0 or 1).
func (s *Service) Notify(ctx context.Context, t Trend) (int, error) {
	if !idRe.MatchString(t.ArticleID) || !hourRe.MatchString(t.Hour) {
		return 0, fmt.Errorf("trending notification: bad article %q or hour %q", t.ArticleID, t.Hour)
	}
	now := s.now()
	a, err := s.Store.GetArticle(ctx, t.ArticleID, now)
	if errors.Is(err, ErrArticleNotFound) {
		// Not placed yet (a retry finds it) or expired (ArticleRetention after
		// its publication; the dead letter says so): both worlds, whether or
		// not TTL deleted it yet, answer the same.
		return 0, fmt.Errorf("article %s is not in the feeds yet, or no longer (articles are kept %.0f hours after publication): %w",
			t.ArticleID, ArticleRetention.Hours(), err)
	}
	if err != nil || a.Hidden {
		return 0, err
	}
	a.Story = storyKey(a)
	hour, err := s.Store.TrendHour(ctx, a.Story, t.Hour, now.Add(InboxRetention))
	if err != nil {
		return 0, err
	}
	n := Notification{ID: NotificationID(hour, a.Story), ArticleID: a.ID, Story: a.Story, Title: a.Title, URL: a.URL,
		Category: a.Category, CreatedAt: now, ModeratedAt: a.ModeratedAt}
	wrote, err := s.Store.PutTrending(ctx, n, now.Add(InboxRetention))
	if err != nil {
		return 0, err
	}
	// A moderation between the read of the article and the put found no
	// entry to hide: read the article again and give the new entry a later
	// moderation's state (ModerateTrending keeps the latest, so a
	// redelivered trend or a moderation applied meanwhile changes nothing).
	if wrote {
		later, err := s.Store.GetArticle(ctx, t.ArticleID, s.now())
		if err != nil && !errors.Is(err, ErrArticleNotFound) {
			return 0, err
		}
		if err == nil && later.ModeratedAt.After(a.ModeratedAt) {
			n.Hidden, n.Story, n.ModeratedAt = later.Hidden, storyKey(later), later.ModeratedAt
			if _, err := s.Store.ModerateTrending(ctx, n); err != nil {
				return 0, err
			}
		}
	}
	c := s.cache()
	c.mu.Lock()
	c.list = nil // this instance's next page reads the list again
	c.mu.Unlock()
	slog.InfoContext(ctx, "trending recorded", "article", a.ID, "story", a.Story, "category", a.Category, "new", wrote)
	if wrote {
		return 1, nil
	}
	return 0, nil
}

// notifiable is the categories a profile is notified of, learned weights
// decayed to now.
func (p Profile) notifiable(now time.Time) []string {
	p.Learned = LearnedAt(p.Learned, p.At, now)
	return p.InterestCategories()
}

// trendingNow is the trending entries as this instance last read them, read
// again when TrendingRefresh old (or the clock went back).
func (s *Service) trendingNow(ctx context.Context, now time.Time) ([]Notification, error) {
	c := s.cache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list == nil || now.Sub(c.at) >= TrendingRefresh || now.Before(c.at) {
		list, err := s.Store.Trending(ctx, inboxSince(now), now)
		if err != nil {
			return nil, err
		}
		c.list, c.at = list, now
	}
	return c.list, nil
}

// inbox is a user's whole inbox at now, newest first: one read of the
// user's inbox partition merged with the instance's trending entries. A user
// with no copy of their interests there yet (stored before the inbox kept
// one, or an announcement that has not arrived) costs a second read, of the
// profile, once: the copy is filled from it, and a change stored meanwhile
// is not overwritten (CopyInterests keeps the later one).
func (s *Service) inbox(ctx context.Context, userID string, now time.Time) ([]Notification, error) {
	trending, err := s.trendingNow(ctx, now)
	if err != nil {
		return nil, err
	}
	st, err := s.Store.Inbox(ctx, userID, inboxSince(now), now)
	if err != nil {
		return nil, err
	}
	if !st.Interested {
		p, err := s.Store.Profile(ctx, userID, 0, now)
		if err != nil {
			return nil, err
		}
		if _, err := s.Store.CopyInterests(ctx, p); err != nil {
			// The page is right without the copy; the next one tries again.
			slog.WarnContext(ctx, "inbox: could not copy the interests", "user", userID, "err", err)
		}
		st.Profile = p
	}
	return MergeInbox(st, trending, st.Profile.notifiable(now)), nil
}

// Inbox serves a page of a user's notifications, newest first, of the newest
// MaxInbox: the trending stories of the categories the user is interested in
// now (computed on read: see Notify), with the user's read marks. The page is
// cut from the newest MaxInbox alone, so no cursor lists past them.
func (s *Service) Inbox(ctx context.Context, userID, limit, cursor string) (NotificationPage, error) {
	n, err := page.Limit(limit, DefaultLimit, MaxLimit)
	if err != nil {
		return NotificationPage{}, err
	}
	n = min(n, MaxNotificationPage)
	var c inboxPosition
	started, err := page.Decode(cursor, inboxList(userID), &c)
	if err != nil {
		return NotificationPage{}, err
	}
	if started && (c.At <= 0 || !notificationIDRe.MatchString(c.After)) {
		return NotificationPage{}, page.ErrCursor
	}
	all, err := s.inbox(ctx, userID, s.now())
	if err != nil {
		return NotificationPage{}, codes.Translate(err)
	}
	items := all[:min(len(all), MaxInbox)]
	if started {
		last := Notification{ID: c.After, CreatedAt: time.Unix(0, c.At)}
		at := slices.IndexFunc(items, func(it Notification) bool { return newer(last, it) })
		if at < 0 {
			at = len(items)
		}
		items = items[at:]
	}
	p := NotificationPage{Items: []Notification{}}
	if len(items) > n {
		last := items[n-1]
		p.NextCursor = page.Cursor(inboxList(userID), inboxPosition{At: last.CreatedAt.UnixNano(), After: last.ID})
		items = items[:n]
	}
	for _, it := range items {
		it.Reason = ReasonTrending + " in " + it.Category
		p.Items = append(p.Items, it)
	}
	return p, nil
}

// MarkRead marks a user's entries read and returns how many of the ids were
// unread and are now read: ids not in the inbox (or expired from it) and ids
// it already shows read are skipped without a write, and each mark is a
// conditional write, so concurrent requests count an id once in all.
func (s *Service) MarkRead(ctx context.Context, userID string, ids []string) (int, error) {
	if len(ids) == 0 || len(ids) > MaxMarkRead {
		return 0, kiosk.Errorf(kiosk.EINVALID, "ids must list 1 to %d notification ids", MaxMarkRead)
	}
	for _, id := range ids {
		if !notificationIDRe.MatchString(id) {
			return 0, kiosk.Errorf(kiosk.EINVALID, "%q is not a notification id", kiosk.Truncate(id, 60))
		}
	}
	now := s.now()
	all, err := s.inbox(ctx, userID, now)
	if err != nil {
		return 0, codes.Translate(err)
	}
	unread := map[string]bool{}
	for _, it := range all {
		if !it.Read {
			unread[it.ID] = true
		}
	}
	n := 0
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		if !unread[id] {
			continue
		}
		// A mark outlives its entry: the entry was recorded before now.
		marked, err := s.Store.MarkRead(ctx, userID, id, now.Add(InboxRetention))
		if err != nil {
			return n, codes.Translate(err)
		}
		if marked {
			n++
		}
	}
	return n, nil
}

// Fresher returns the window's articles (newest first, as the by-time index
// lists them) with the fresh reads of some of them in their place, and the
// fresh ones published since that the list missed added.
func Fresher(window, fresh []Article, since time.Time) []Article {
	byID := make(map[string]Article, len(fresh))
	for _, a := range fresh {
		byID[a.ID] = a
	}
	out := make([]Article, 0, len(window)+len(fresh))
	for _, a := range window {
		if f, ok := byID[a.ID]; ok {
			a = f
			delete(byID, a.ID)
		}
		out = append(out, a)
	}
	for _, a := range fresh {
		if _, missed := byID[a.ID]; missed && !a.PublishedAt.Before(since) {
			out = append(out, a)
		}
	}
	key := func(a Article) string { return a.PublishedAt.UTC().Format(sortTime) + "#" + a.ID }
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) > key(out[j]) })
	return out
}

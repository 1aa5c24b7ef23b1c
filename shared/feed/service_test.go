package feed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// newMemoryService returns a service over an empty MemoryStore (no Node, no
// dynalite), and what it announced.
func newMemoryService(t testing.TB) (*Service, *announced) {
	t.Helper()
	a := &announced{}
	return &Service{Store: NewMemoryStore(), Now: func() time.Time { return now }, Announce: a.announce}, a
}

// announced records what a service announced: rank requests' reasons, in
// order.
type announced struct {
	rank []string
}

func (a *announced) announce(_ context.Context, detailType string, detail any) error {
	switch d := detail.(type) {
	case events.RankRequested:
		a.rank = append(a.rank, d.Reason)
	default:
		return fmt.Errorf("unexpected %s announcement", detailType)
	}
	return nil
}

func published(n int, cat, source string, age time.Duration) events.ArticlePublished {
	a := art(n, cat, source, age)
	return events.ArticlePublished{ID: a.ID, URL: a.URL, Title: a.Title, SourceID: a.SourceID, Category: a.Category,
		Story: a.Story, PublishedAt: a.PublishedAt, SourceWeight: 1}
}

func ids(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestServiceKeepsTheLatestModerationAndStatsWhateverTheOrder(t *testing.T) {
	s, asked := newMemoryService(t)
	ctx := context.Background()
	a, b := published(1, "tech", "s1", time.Hour), published(2, "tech", "s2", 2*time.Hour)
	// The moderation arrives before the article it moderates: both apply.
	later := events.ArticleModerated{ID: b.ID, Pinned: true, At: now.Add(-time.Minute)}
	earlier := events.ArticleModerated{ID: b.ID, Hidden: true, At: now.Add(-10 * time.Minute)}
	for _, step := range []func() error{
		func() error { return s.OnArticleModerated(ctx, later) },
		func() error { return s.OnArticlePublished(ctx, a) },
		func() error { return s.OnArticlePublished(ctx, b) },
		func() error { return s.OnArticleModerated(ctx, earlier) }, // older: ignored
		func() error { return s.OnArticleModerated(ctx, later) },   // again: ignored
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Feed(ctx, "tech", "", "")
	if len(p.Items) != 2 || p.Items[0].ID != b.ID || p.Items[0].Reason != ReasonPinned {
		t.Fatalf("pinned article not first: %+v", p.Items)
	}
	asked.rank = nil
	if err := s.OnArticleModerated(ctx, events.ArticleModerated{ID: b.ID, Hidden: true, At: now}); err != nil {
		t.Fatal(err)
	}
	if len(asked.rank) != 1 {
		t.Errorf("a moderation asked for %d runs after the last run started, want 1", len(asked.rank))
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Feed(ctx, "tech", "", ""); len(p.Items) != 1 || p.Items[0].ID != a.ID {
		t.Fatalf("hidden article still listed: %+v", p.Items)
	}

	// Stats: a later computation replaces an earlier one; an earlier one
	// arriving late changes nothing; shards add up.
	day := now.Format("20060102")
	put := func(shard int, at time.Time, clicks int64) {
		t.Helper()
		err := s.OnArticleStats(ctx, events.ArticleStats{Day: day, Shard: shard, Parts: 1, ComputedAt: at,
			Articles: []events.ArticleCount{{ID: a.ID, Impressions: 100, Clicks: clicks}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(1, now.Add(-time.Minute), 7)
	put(1, now.Add(-5*time.Minute), 1) // stale
	put(2, now, 3)
	st, err := s.stats(ctx, []string{day})
	if err != nil || st[a.ID] != (Stats{Impressions: 200, Clicks: 10, DayReaders: 200}) {
		t.Errorf("stats %+v %v, want 200 impressions, 10 clicks, 200 readers in the day", st[a.ID], err)
	}
	// Days add up for the rates, but a reader counts once per day, so the
	// readers the ranking trusts are the most of any one day.
	day2 := now.Add(-24 * time.Hour).Format("20060102")
	if err := s.OnArticleStats(ctx, events.ArticleStats{Day: day2, Shard: 1, Parts: 1, ComputedAt: now,
		Articles: []events.ArticleCount{{ID: a.ID, Impressions: 50, Clicks: 5}}}); err != nil {
		t.Fatal(err)
	}
	st, err = s.stats(ctx, []string{day, day2})
	if err != nil || st[a.ID] != (Stats{Impressions: 250, Clicks: 15, DayReaders: 200}) {
		t.Errorf("stats over two days %+v %v, want 250 impressions, 15 clicks, 200 readers on the busiest day", st[a.ID], err)
	}
}

func TestServiceNotifiesEveryInterestedUserWithOneWrite(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	a := published(1, "sports", "s", time.Hour)
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	user := func(i int) string { return fmt.Sprintf("%032x", 1<<20+i) }
	const fans = 230
	for i := range fans + 20 {
		interests := []string{"sports"}
		if i >= fans {
			interests = []string{"tech"} // not interested
		}
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user(i), Interests: interests, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	// One fan loses interest before the trend.
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user(0), Interests: []string{"tech"}, At: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	hour := now.Format("2006010215")
	for round, want := range []int{1, 0} { // redelivered: nothing again
		if n, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: hour}); err != nil || n != want {
			t.Errorf("round %d recorded %d (%v), want %d", round, n, err, want)
		}
	}
	for i := 1; i < fans; i++ {
		if p, err := s.Inbox(ctx, user(i), "", ""); err != nil || len(p.Items) != 1 {
			t.Fatalf("fan %d: inbox %+v %v, want the trending article", i, p, err)
		}
	}
	inbox, err := s.Inbox(ctx, user(1), "", "")
	if err != nil || len(inbox.Items) != 1 || inbox.Items[0].ArticleID != a.ID || inbox.Items[0].Read {
		t.Fatalf("inbox %+v %v", inbox, err)
	}
	for _, u := range []string{user(0), user(fans + 1)} {
		if p, _ := s.Inbox(ctx, u, "", ""); len(p.Items) != 0 {
			t.Errorf("uninterested user %s notified", u)
		}
	}
	n, err := s.MarkRead(ctx, user(1), []string{inbox.Items[0].ID, NotificationID(hour, id(99))})
	if err != nil || n != 1 {
		t.Errorf("marked %d, %v; want 1 (unknown ids ignored)", n, err)
	}
	if p, _ := s.Inbox(ctx, user(1), "", ""); !p.Items[0].Read {
		t.Error("not marked read")
	}
	if _, err := s.MarkRead(ctx, user(1), []string{"../etc"}); err == nil {
		t.Error("a bad id is accepted")
	}
	if _, err := s.Notify(ctx, Trend{ArticleID: id(404), Hour: hour}); err == nil || !errors.Is(err, ErrArticleNotFound) {
		t.Errorf("trending for an unplaced article: %v, want a retryable error", err)
	}
}

func TestServiceFadesLearnedInterestsWithTheTimeSinceTheyWereSent(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	a := published(1, "sports", "s", time.Hour)
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	idle, active := fmt.Sprintf("%032x", 1), fmt.Sprintf("%032x", 2)
	// Both clicked a lot of sports; one was last seen 30 days ago.
	for u, at := range map[string]time.Time{idle: now.Add(-30 * 24 * time.Hour), active: now.Add(-time.Hour)} {
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: u, Interests: []string{}, Learned: map[string]float64{"sports": 10}, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.profile(ctx, idle, now)
	if err != nil || math.Abs(p.Learned["sports"]-0.512710) > 1e-6 || len(p.InterestCategories()) != 0 {
		t.Errorf("30 days idle: learned %v (%v), interests %v; want sports 0.512710 and no interest", p.Learned, err, p.InterestCategories())
	}
	if p, _ := s.profile(ctx, active, now); !slices.Equal(p.InterestCategories(), []string{"sports"}) {
		t.Errorf("an hour ago: learned %v, want sports still an interest", p.Learned)
	}
	if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: now.Format("2006010215")}); err != nil {
		t.Fatal(err)
	}
	for u, want := range map[string]int{idle: 0, active: 1} {
		if p, err := s.Inbox(ctx, u, "", ""); err != nil || len(p.Items) != want {
			t.Errorf("%s: inbox %+v %v, want %d entries (only the active reader is notified)", u, p.Items, err, want)
		}
	}
}

func TestServiceInboxListsTheNewestEntriesOnly(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	fan := fmt.Sprintf("%032x", 9)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
		t.Fatal(err)
	}
	// More articles trend than the inbox lists, over two hours.
	const trending = MaxInbox + 10
	for i := range trending {
		a := published(i+1, "sports", "s", time.Hour)
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
		hour := now.Add(-time.Hour)
		if i >= 10 {
			hour = now
		}
		if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: hour.Format("2006010215")}); err != nil {
			t.Fatal(err)
		}
	}
	seen, cursor := map[string]bool{}, ""
	for pages := 0; pages < 10; pages++ {
		p, err := s.Inbox(ctx, fan, "50", cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if seen[it.ID] || strings.HasPrefix(it.ID, now.Add(-time.Hour).Format("2006010215")) {
				t.Errorf("entry %s listed twice or older than the newest %d", it.ID, MaxInbox)
			}
			seen[it.ID] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != MaxInbox {
		t.Errorf("listed %d entries, want the newest %d", len(seen), MaxInbox)
	}
	forged := page.Cursor(inboxList(fan), inboxPosition{At: -50, After: NotificationID(now.Format("2006010215"), id(1))})
	if _, err := s.Inbox(ctx, fan, "50", forged); err == nil {
		t.Error("a cursor with a negative time is accepted")
	}
}

func TestServiceRanksEveryFeedAndPagesItWithoutRepeatOrGap(t *testing.T) {
	s, asked := newMemoryService(t)
	ctx := context.Background()
	for i := range 120 {
		cat := []string{"sports", "tech", "world"}[i%3]
		if err := s.OnArticlePublished(ctx, published(i+1, cat, fmt.Sprintf("src%d", i%7), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if len(asked.rank) != 1 {
		t.Errorf("a burst of 120 articles asked for %d runs, want 1", len(asked.rank))
	}
	if p, err := s.Feed(ctx, "", "", ""); err != nil || len(p.Items) != 0 || p.Category != Top {
		t.Fatalf("before any run: %+v %v, want an empty top feed", p, err)
	}
	r, err := s.Rank(ctx)
	if err != nil || r.Articles != 120 || r.Feeds[Top] != 120 || r.Feeds["tech"] != 40 {
		t.Fatalf("rank %+v %v", r, err)
	}
	// The freshness the rank-feeds metric reports: the newest story of top
	// (article 1, published a minute before the others' ages).
	if newest := published(1, "sports", "src0", 0).PublishedAt; !r.TopNewest.Equal(newest) {
		t.Fatalf("top's newest story published at %v, want %v", r.TopNewest, newest)
	}
	seen, cursor := map[string]bool{}, ""
	for pages := 0; ; pages++ {
		p, err := s.Feed(ctx, Top, "30", cursor)
		if err != nil || pages > 10 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("%s repeats", it.ID)
			}
			seen[it.ID] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
		if _, err := s.Rank(ctx); err != nil { // a new run does not move the cursor
			t.Fatal(err)
		}
	}
	if len(seen) != 120 {
		t.Errorf("walked %d of 120", len(seen))
	}
	if p, _ := s.Feed(ctx, Top, "50", ""); len(p.Items) != MaxLimit || p.NextCursor == "" {
		t.Errorf("a limit at the maximum: %d items, want %d and a next page", len(p.Items), MaxLimit)
	}
	if _, err := s.Feed(ctx, Top, "51", ""); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a limit past the maximum: %v, want invalid_argument", err)
	}
}

func TestServiceRefusesCursorsOfOtherListsAndSaysWhenOneExpired(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	for i := range 60 {
		if err := s.OnArticlePublished(ctx, published(i+1, "tech", "s", time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	tech, err := s.Feed(ctx, "tech", "10", "")
	if err != nil || tech.NextCursor == "" {
		t.Fatalf("tech: %+v %v", tech, err)
	}
	for _, c := range []struct{ category, cursor string }{
		{Top, tech.NextCursor}, // another category's
		{"tech", "not-a-cursor"},
		{"tech", tech.NextCursor + "x"},
	} {
		if _, err := s.Feed(ctx, c.category, "", c.cursor); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("%s with %q: %v, want invalid", c.category, c.cursor, err)
		}
	}
	for _, l := range []string{"0", "-3", "ten"} {
		if _, err := s.Feed(ctx, "tech", l, ""); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("limit %q: %v, want invalid", l, err)
		}
	}
	alice, bob := id(1<<20), id(1<<21)
	for _, u := range []string{alice, bob} {
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: u, Interests: []string{"tech"}, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := s.PersonalFeed(ctx, alice, "5", "")
	if err != nil || mine.NextCursor == "" {
		t.Fatalf("alice: %+v %v", mine, err)
	}
	if _, err := s.PersonalFeed(ctx, bob, "5", mine.NextCursor); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("bob with alice's cursor: %v, want invalid", err)
	}
	if _, err := s.PersonalFeed(ctx, alice, "5", tech.NextCursor); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a public cursor on the personal feed: %v, want invalid", err)
	}
	// A day later the run's pages are gone: the cursor's answer says so.
	later := now.Add(PageRetention + time.Minute)
	s.Now = func() time.Time { return later }
	if _, err := s.Feed(ctx, "tech", "10", tech.NextCursor); !errors.Is(err, ExpiredCursor) {
		t.Errorf("an expired public cursor: %v, want %v", err, ExpiredCursor)
	}
	if _, err := s.PersonalFeed(ctx, alice, "5", mine.NextCursor); !errors.Is(err, ExpiredCursor) {
		t.Errorf("an expired personal cursor: %v, want %v", err, ExpiredCursor)
	}
}

func TestServicePersonalFeedMixesInterestsWithTopAndSkipsWhatWasRead(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	for i := range 200 {
		cat := []string{"sports", "tech", "world", "business"}[i%4]
		if err := s.OnArticlePublished(ctx, published(i+1, cat, fmt.Sprintf("src%d", i%5), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	user := id(1 << 30)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"sports"},
		Learned: map[string]float64{"tech": 10, "world": 1}, At: now}); err != nil {
		t.Fatal(err)
	}
	read := []string{id(1), id(2), id(5)}
	if err := s.OnUserRead(ctx, events.UserRead{UserID: user, ArticleIDs: read, At: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	seen, cursor, byCat := map[string]bool{}, "", map[string]int{}
	for pages := 0; ; pages++ {
		p, err := s.PersonalFeed(ctx, user, "20", cursor)
		if err != nil || pages > 30 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, it := range p.Items {
			if seen[it.ID] || slices.Contains(read, it.ID) {
				t.Fatalf("%s served twice or after it was read", it.ID)
			}
			seen[it.ID] = true
			if pages == 0 {
				byCat[it.Category]++
			}
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	// sports and tech (learned past the threshold) share 80% of a page; world
	// (learned once) comes only through top.
	if byCat["sports"]+byCat["tech"] != 16 || byCat["sports"] != 8 {
		t.Errorf("first page by category %v, want 8 sports and 8 tech of 20", byCat)
	}
	if len(seen) != 200-len(read) {
		t.Errorf("served %d, want every unread article once (%d)", len(seen), 200-len(read))
	}
}

func TestServiceMarksOnlyValidIdsReadAndChangesNothingOtherwise(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	fan := id(5)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
		t.Fatal(err)
	}
	a := published(1, "sports", "s", time.Hour)
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	hour := now.Format("2006010215")
	if _, err := s.OnTrendingNotify(ctx, events.ArticleTrending{ID: a.ID, Hour: hour}); err != nil {
		t.Fatal(err)
	}
	entry := NotificationID(hour, a.ID)
	many := make([]string, MaxMarkRead+1)
	for i := range many {
		many[i] = entry
	}
	for name, ids := range map[string][]string{
		"no ids":           nil,
		"too many ids":     many,
		"a path":           {entry, "../etc/passwd"},
		"an upper-case id": {NotificationID(hour, strings.Repeat("A", 32))},
	} {
		if n, err := s.MarkRead(ctx, fan, ids); kiosk.ErrorCode(err) != kiosk.EINVALID || n != 0 {
			t.Errorf("%s: marked %d, %v; want invalid", name, n, err)
		}
	}
	if p, _ := s.Inbox(ctx, fan, "", ""); len(p.Items) != 1 || p.Items[0].Read {
		t.Fatalf("a refused request changed the inbox: %+v", p.Items)
	}
	if n, err := s.MarkRead(ctx, fan, []string{entry, entry, NotificationID(hour, id(2))}); err != nil || n != 1 {
		t.Errorf("marked %d, %v; want 1 (repeats and unknown ids ignored)", n, err)
	}
	if p, _ := s.Inbox(ctx, fan, "", ""); !p.Items[0].Read || p.Items[0].Reason != ReasonTrending+" in sports" {
		t.Errorf("after marking: %+v", p.Items[0])
	}
}

func TestServiceNotifiesNoOneOfAHiddenArticleOrAMalformedTrend(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	fan := id(1 << 20)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
		t.Fatal(err)
	}
	hour := now.Format("2006010215")
	b := published(2, "sports", "s", time.Hour)
	if err := s.OnArticlePublished(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.OnArticleModerated(ctx, events.ArticleModerated{ID: b.ID, Hidden: true, At: now}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Notify(ctx, Trend{ArticleID: b.ID, Hour: hour}); n != 0 || err != nil {
		t.Errorf("a hidden article recorded %d (%v)", n, err)
	}
	for _, tr := range []Trend{{ArticleID: "nope", Hour: hour}, {ArticleID: b.ID, Hour: "soon"}} {
		if _, err := s.Notify(ctx, tr); err == nil {
			t.Errorf("a malformed trend %+v is accepted", tr)
		}
	}
	if p, _ := s.Inbox(ctx, fan, "", ""); len(p.Items) != 0 {
		t.Errorf("the fan was notified: %+v", p.Items)
	}
}

func TestServiceATrendingArticleOlderThanTheFeedsIsNotInThemWhetherOrNotTTLDeletedIt(t *testing.T) {
	clock := now
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return clock }, Announce: (&announced{}).announce}
	ctx := context.Background()
	a := published(1, "sports", "s", time.Hour)
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	fan := fmt.Sprintf("%032x", 1<<20)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
		t.Fatal(err)
	}
	// Ten days on the article is past ArticleRetention: in DynamoDB it is
	// gone (or going); the memory store still holds it, as dynalite would.
	clock = now.Add(10 * 24 * time.Hour)
	n, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: clock.Format(events.HourLayout)})
	if !errors.Is(err, ErrArticleNotFound) || n != 0 || !strings.Contains(err.Error(), "no longer") {
		t.Errorf("trending for an expired article = %d, %v; want nothing written and ErrArticleNotFound, as for a deleted one", n, err)
	}
	if p, _ := s.Inbox(ctx, fan, "", ""); len(p.Items) != 0 {
		t.Errorf("a fan was notified of an article past its retention: %+v", p.Items)
	}
}

func TestTheRankingWindowEndsInsideWhatItReads(t *testing.T) {
	// Rank reads the articles published since now-Window and the stats of
	// each day from (now-Window)'s day: both must still be alive, so those
	// reads need not filter expired items.
	if ArticleRetention <= Window {
		t.Errorf("ArticleRetention %s ends inside the window %s", ArticleRetention, Window)
	}
	if StatsRetention <= Window+24*time.Hour {
		t.Errorf("StatsRetention %s after a day's start ends inside the window's first day (%s)", StatsRetention, Window+24*time.Hour)
	}
}

// laggingIndex is a store whose by-time index has not caught up since
// freeze: RecentArticles answers what it listed then, as DynamoDB's
// eventually consistent index may right after a write.
type laggingIndex struct {
	Store
	frozen []Article
}

func (l *laggingIndex) freeze(ctx context.Context, since time.Time) {
	l.frozen, _ = l.Store.RecentArticles(ctx, since)
}

func (l *laggingIndex) RecentArticles(context.Context, time.Time) ([]Article, error) {
	return l.frozen, nil
}

func TestServiceARankRunSeesTheModerationThatAskedForItThoughTheIndexLags(t *testing.T) {
	ctx := context.Background()
	st := &laggingIndex{Store: NewMemoryStore()}
	s := &Service{Store: st, Now: func() time.Time { return now }, Announce: (&announced{}).announce}
	hide, pin := published(1, "tech", "s1", time.Hour), published(2, "tech", "s2", 2*time.Hour)
	for _, a := range []events.ArticlePublished{hide, pin} {
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	st.freeze(ctx, now.Add(-Window))
	for _, m := range []events.ArticleModerated{{ID: hide.ID, Hidden: true, At: now}, {ID: pin.ID, Pinned: true, At: now}} {
		if err := s.OnArticleModerated(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := s.Feed(ctx, "tech", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range p.Items {
		ids = append(ids, it.ID)
		if it.ID == hide.ID {
			t.Errorf("the hidden article is in the feed ranked after its moderation: %+v", it)
		}
	}
	if len(ids) == 0 || ids[0] != pin.ID {
		t.Errorf("feed %v; want the pinned article %s first", ids, pin.ID)
	}
}

func TestServiceNotifiesEachReaderOncePerStoryWhicheverVersionTrends(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	tech := published(1, "tech", "tech-daily", 2*time.Hour)
	biz := published(2, "business", "business-brief", time.Hour)
	biz.Story = tech.Story // one story, two versions in two categories
	for _, a := range []events.ArticlePublished{tech, biz} {
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	both, bizOnly, techOnly := id(1<<20+1), id(1<<20+2), id(1<<20+3)
	for u, in := range map[string][]string{both: {"tech", "business"}, bizOnly: {"business"}, techOnly: {"tech"}} {
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: u, Interests: in, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	first, later := now.Add(-time.Hour).Format(events.HourLayout), now.Format(events.HourLayout)
	if n, err := s.Notify(ctx, Trend{ArticleID: tech.ID, Hour: first}); n != 1 || err != nil {
		t.Fatalf("the tech version trending recorded %d (%v), want 1", n, err)
	}
	// An hour later the business version trends: recorded for business,
	// under the story's first hour; redelivered, nothing.
	for round := range 2 {
		n, err := s.Notify(ctx, Trend{ArticleID: biz.ID, Hour: later})
		if err != nil || n != 1-round {
			t.Fatalf("round %d: the business version trending recorded %d (%v), want %d", round, n, err, 1-round)
		}
	}
	for _, u := range []string{both, bizOnly, techOnly} {
		p, err := s.Inbox(ctx, u, "", "")
		if err != nil || len(p.Items) != 1 {
			t.Fatalf("%s: inbox %+v %v, want one entry", u, p.Items, err)
		}
		if it := p.Items[0]; it.ID != NotificationID(first, tech.Story) || it.Story != tech.Story {
			t.Errorf("%s: entry %+v, want %s of story %s", u, it, NotificationID(first, tech.Story), tech.Story)
		}
	}
	if p, _ := s.Inbox(ctx, bizOnly, "", ""); p.Items[0].ArticleID != biz.ID {
		t.Errorf("the business reader is pointed at %s, not the version that trended in business", p.Items[0].ArticleID)
	}
}

func TestServiceAnArticleWithAMalformedStoryIsPlacedAsItsOwnStory(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	a := published(1, "culture", "desk", time.Hour)
	a.Story = "orphan"
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatalf("an article with a malformed story is refused (and would be dead-lettered): %v", err)
	}
	got, err := s.Store.GetArticle(ctx, a.ID, now)
	if err != nil || got.Story != a.ID {
		t.Errorf("placed %+v %v, want its own story", got, err)
	}
}

// A reader's interests arrive (or change) while they page: the pages of one
// cursor keep mixing the streams of its first page, so nothing top showed
// comes again through a new interest stream; the next first page follows
// the new interests.
func TestServiceAPersonalCursorKeepsItsStreamsWhenInterestsChange(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	for i := range 30 {
		for _, a := range []events.ArticlePublished{published(i*3+1, "tech", "t", time.Duration(i)*time.Minute),
			published(i*3+2, "business", "b", time.Duration(i)*time.Minute+time.Second),
			published(i*3+3, "sports", "s", time.Duration(i)*time.Minute+2*time.Second)} {
			if err := s.OnArticlePublished(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	const user = "00000000000000000000000000abcdef"
	first, err := s.PersonalFeed(ctx, user, "5", "") // no interests yet: top alone
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page %+v %v", first, err)
	}
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"tech", "business"}, At: now}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, it := range first.Items {
		seen[it.Story] = true
	}
	cursor := first.NextCursor
	for n := 0; cursor != "" && n < 40; n++ {
		p, err := s.PersonalFeed(ctx, user, "5", cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if seen[it.Story] {
				t.Fatalf("page %d repeats story %s (%s)", n+2, it.Story, it.Reason)
			}
			seen[it.Story] = true
			if strings.HasPrefix(it.Reason, ReasonInterest) {
				t.Fatalf("a page of a cursor begun without interests mixes an interest stream: %+v", it)
			}
		}
		cursor = p.NextCursor
	}
	fresh, err := s.PersonalFeed(ctx, user, "5", "")
	if err != nil || len(fresh.Items) == 0 || !strings.HasPrefix(fresh.Items[0].Reason, ReasonInterest) {
		t.Errorf("a new first page does not follow the new interests: %+v %v", fresh.Items, err)
	}
}

// A ranking run between two pages moves a story's only tech version out of
// it (an editor's split): the top stream, which had not started, starts on
// the cursor's own run, where the story was still a tech story, so it does
// not show the story a second time.
func TestServiceAStreamStartingLateStartsOnTheCursorsRun(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	world := published(1, "world", "wire", time.Hour)
	tech := published(2, "tech", "daily", time.Hour)
	tech.Story = world.Story
	list := []events.ArticlePublished{world, tech}
	for i := range 6 {
		list = append(list, published(10+i, "world", "other", time.Duration(2+i)*time.Hour))
	}
	for _, a := range list {
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	const user = "00000000000000000000000000abcdee"
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"tech"}, At: now}); err != nil {
		t.Fatal(err)
	}
	first, err := s.PersonalFeed(ctx, user, "1", "")
	if err != nil || len(first.Items) != 1 || first.Items[0].Story != world.Story {
		t.Fatalf("first page %+v %v, want the story through the tech stream", first.Items, err)
	}
	later := *s
	later.Now = func() time.Time { return now.Add(time.Second) }
	if err := later.OnArticleModerated(ctx, events.ArticleModerated{ID: tech.ID, Story: tech.ID, At: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := later.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	for cursor, n := first.NextCursor, 0; cursor != "" && n < 20; n++ {
		p, err := later.PersonalFeed(ctx, user, "5", cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if it.Story == world.Story {
				t.Fatalf("page %d shows the story again (%s, %s)", n+2, it.ID, it.Reason)
			}
		}
		cursor = p.NextCursor
	}
}

// The heavy reader of the offline evaluation, in production: one more
// reader who opens a story moves it nowhere (the run holds the CTR it was
// ranked by, since one reader could have made the difference); a second
// reader does move it.
func TestServiceOneReaderMovesNoStoryAndASecondDoes(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	a, b := published(1, "tech", "s1", time.Hour), published(2, "tech", "s2", time.Hour)
	a.SourceWeight = 1.3 // a leads on weight while neither has enough readers
	for _, x := range []events.ArticlePublished{a, b} {
		if err := s.OnArticlePublished(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	day := now.Format(events.DayLayout)
	run := func(at time.Time, bViewers, bClicks int64) string {
		t.Helper()
		if err := s.PutStats(ctx, DayStats{Day: day, Parts: 1, ComputedAt: at, Articles: map[string]Stats{
			a.ID: {Impressions: 10, Clicks: 1}, b.ID: {Impressions: bViewers, Clicks: bClicks}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rank(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := s.Feed(ctx, "tech", "", "")
		if err != nil {
			t.Fatal(err)
		}
		return p.Items[0].ID
	}
	if first := run(now.Add(-3*time.Minute), 2, 1); first != a.ID {
		t.Fatalf("two readers of b moved it: %s first", first)
	}
	if first := run(now.Add(-2*time.Minute), 3, 2); first != a.ID {
		t.Errorf("one more reader (a third, clicking) moved b to the top")
	}
	if first := run(now.Add(-time.Minute), 4, 3); first != b.ID {
		t.Errorf("a second reader did not move b")
	}
}

// The hold reaches past a feed's first chunk: a story ranked 56th keeps its
// CTR when one more reader opens it.
func TestServiceTheHoldReadsEveryChunkOfThePreviousRun(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	for i := range 60 {
		if err := s.OnArticlePublished(ctx, published(i+1, "tech", fmt.Sprintf("s%d", i), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	day := now.Format(events.DayLayout)
	last := id(60) // the oldest: ranked last, in the second chunk
	ctrOf := func(at time.Time, viewers, clicks int64) float64 {
		t.Helper()
		if err := s.PutStats(ctx, DayStats{Day: day, Parts: 1, ComputedAt: at,
			Articles: map[string]Stats{last: {Impressions: viewers, Clicks: clicks}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rank(ctx); err != nil {
			t.Fatal(err)
		}
		head, err := s.Store.Chunk(ctx, ChunkRef{Category: "tech"}, now)
		if err != nil || head.Total != 60 {
			t.Fatalf("head %d stories, %v", head.Total, err)
		}
		c, err := s.Store.Chunk(ctx, ChunkRef{Category: "tech", Run: head.Run, Index: 1}, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range c.Items {
			if r.ID == last {
				return r.CTR
			}
		}
		t.Fatalf("%s is not in the second chunk", last)
		return 0
	}
	before := ctrOf(now.Add(-2*time.Minute), 10, 0) // below the prior: ranked last
	if after := ctrOf(now.Add(-time.Minute), 11, 0); after != before {
		t.Errorf("one more reader moved a story of the second chunk from %v to %v", before, after)
	}
}

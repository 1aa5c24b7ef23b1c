package feed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/page"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

// announced records what a service announced: rank requests' reasons and
// fan-out continuations, in order.
type announced struct {
	rank   []string
	fanout []events.FanoutRequested
}

func (a *announced) announce(_ context.Context, detailType string, detail any) error {
	switch d := detail.(type) {
	case events.RankRequested:
		a.rank = append(a.rank, d.Reason)
	case events.FanoutRequested:
		a.fanout = append(a.fanout, d)
	default:
		return fmt.Errorf("unexpected %s announcement", detailType)
	}
	return nil
}

// notifyAll runs a trending article's fan-out to its end, as the bus would:
// each announced continuation is the next step. It returns the entries
// written and the steps run.
func notifyAll(t testing.TB, s *Service, a *announced, articleID, hour string) (int, int) {
	t.Helper()
	ctx := context.Background()
	a.fanout = nil
	step := Trend{ArticleID: articleID, Hour: hour}
	total := 0
	for steps := 1; ; steps++ {
		n, err := s.Notify(ctx, step)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if len(a.fanout) == 0 {
			return total, steps
		}
		next := a.fanout[0]
		a.fanout = a.fanout[1:]
		if next.ArticleID != articleID || next.Hour != hour || next.After == "" || steps > 100 {
			t.Fatalf("step %d announced %+v", steps, next)
		}
		step = Trend{ArticleID: next.ArticleID, Hour: next.Hour, After: next.After}
	}
}

// newService returns a service over a fresh feed table, through the
// functions' own SDK configuration (which counts calls), and what it
// announced.
func newService(t testing.TB) (*Service, *announced) {
	t.Helper()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamotest.URL(t))
	cfg, err := awsenv.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	table := store.Open(cfg).Table(dynamotest.Table(t, "feed").Name())
	a := &announced{}
	return &Service{Store: NewDynamoStore(table), Now: func() time.Time { return now }, Announce: a.announce}, a
}

func published(n int, cat, source string, age time.Duration) events.ArticlePublished {
	a := art(n, cat, source, age)
	return events.ArticlePublished{ID: a.ID, URL: a.URL, Title: a.Title, SourceID: a.SourceID, Category: a.Category,
		Story: a.Story, PublishedAt: a.PublishedAt, SourceWeight: 1}
}

func calls(t *testing.T, f func(ctx context.Context)) int {
	t.Helper()
	ctx, c := awsenv.WithCounter(context.Background())
	f(ctx)
	return c.Count("DynamoDB")
}

func ids(items []Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func TestPublishedArticlesReachTheFeedOnceAndPagesCostOneRead(t *testing.T) {
	s, asked := newService(t)
	ctx := context.Background()
	for i := range 60 {
		cat := []string{"sports", "tech"}[i%2]
		if err := s.OnArticlePublished(ctx, published(i+1, cat, fmt.Sprintf("src%d", i%5), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if len(asked.rank) != 1 {
		t.Errorf("a burst of 60 articles asked for %d ranking runs, want 1 (until the run starts)", len(asked.rank))
	}
	if p, err := s.Feed(ctx, "top", "", ""); err != nil || len(p.Items) != 0 {
		t.Fatalf("before any ranking: %v %v", p, err)
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	var first Page
	if n := calls(t, func(ctx context.Context) { first, _ = s.Feed(ctx, "top", "20", "") }); n != 1 {
		t.Errorf("first page: %d DynamoDB calls, want 1", n)
	}
	if len(first.Items) != 20 || first.NextCursor == "" || first.Items[0].Reason != ReasonFresh {
		t.Fatalf("first page: %d items, cursor %q, %+v", len(first.Items), first.NextCursor, first.Items[:1])
	}

	// The same events again change nothing and ask for nothing.
	asked.rank = nil
	for i := range 60 {
		cat := []string{"sports", "tech"}[i%2]
		if err := s.OnArticlePublished(ctx, published(i+1, cat, fmt.Sprintf("src%d", i%5), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if len(asked.rank) != 0 {
		t.Errorf("redelivered events asked for ranking: %v", asked.rank)
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Feed(ctx, "top", "20", "")
	if !slices.Equal(ids(again.Items), ids(first.Items)) {
		t.Error("redelivery changed the feed")
	}

	// Walk the whole feed: a cursor stays on its run across a new run.
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		var p Page
		if n := calls(t, func(ctx context.Context) { p, _ = s.Feed(ctx, "top", "20", cursor) }); n != 1 {
			t.Errorf("page: %d DynamoDB calls, want 1", n)
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
		if _, err := s.Rank(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 60 {
		t.Errorf("walked %d of 60", len(seen))
	}
	sports, _ := s.Feed(ctx, "sports", "50", "")
	for _, it := range sports.Items {
		if it.Category != "sports" {
			t.Errorf("sports feed holds %s", it.Category)
		}
	}
	if len(sports.Items) != 30 {
		t.Errorf("sports feed has %d items, want 30", len(sports.Items))
	}
	if _, err := s.Feed(ctx, "top", "", "not-a-cursor"); err == nil {
		t.Error("a forged cursor is accepted")
	}
	if _, err := s.Feed(ctx, "Top!", "", ""); err == nil {
		t.Error("a bad category is accepted")
	}
}

func TestModerationAndStatsKeepTheLatestWhateverTheOrder(t *testing.T) {
	s, asked := newService(t)
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

func TestPersonalFeedCostsTwoReadsAndSkipsWhatWasRead(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for i := range 40 {
		cat := []string{"sports", "tech", "world", "business"}[i%4]
		if err := s.OnArticlePublished(ctx, published(i+1, cat, fmt.Sprintf("src%d", i%3), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	user := "0123456789abcdef0123456789abcdef"
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"sports"}, Learned: map[string]float64{}, At: now}); err != nil {
		t.Fatal(err)
	}
	// An older profile arriving late changes nothing.
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"tech"}, At: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	read := []string{id(1), id(5)} // two sports articles
	if err := s.OnUserRead(ctx, events.UserRead{UserID: user, ArticleIDs: read, At: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.OnUserRead(ctx, events.UserRead{UserID: user, ArticleIDs: read, At: now}); err != nil { // redelivered
		t.Fatal(err)
	}
	if _, err := s.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	var p Page
	if n := calls(t, func(ctx context.Context) { p, _ = s.PersonalFeed(ctx, user, "10", "") }); n != 2 {
		t.Errorf("personal page: %d DynamoDB calls, want 2", n)
	}
	sports := 0
	for _, it := range p.Items {
		if slices.Contains(read, it.ID) {
			t.Errorf("read article %s served", it.ID)
		}
		if it.Category == "sports" {
			sports++
		}
	}
	if len(p.Items) != 10 || sports < 7 {
		t.Errorf("%d of %d items are sports: %+v", sports, len(p.Items), p.Items)
	}
	next := p.NextCursor
	if n := calls(t, func(ctx context.Context) { p, _ = s.PersonalFeed(ctx, user, "10", next) }); n != 2 {
		t.Errorf("next personal page: %d DynamoDB calls, want 2", n)
	}
	// A stranger without interests gets the top feed.
	if p, err := s.PersonalFeed(ctx, "ffffffffffffffffffffffffffffffff", "5", ""); err != nil || len(p.Items) != 5 {
		t.Errorf("no-interest feed: %v %v", p, err)
	}
}

func TestTrendingNotifiesInterestedUsersOnceInChunks(t *testing.T) {
	s, announced := newService(t)
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
	// One fan loses interest: the index entry is stale and dropped.
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user(0), Interests: []string{"tech"}, At: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	hour := now.Format("2006010215")
	run := func() (int, int) { return notifyAll(t, s, announced, a.ID, hour) }
	total, chunks := run()
	if total != fans-1 || chunks != 3 {
		t.Errorf("wrote %d entries in %d chunks, want %d in 3", total, chunks, fans-1)
	}
	if again, _ := run(); again != 0 {
		t.Errorf("a redelivered trending event wrote %d entries again", again)
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

func TestLearnedInterestsFadeWithTheTimeSinceTheyWereSent(t *testing.T) {
	s, _ := newService(t)
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
	n, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: now.Format("2006010215")})
	if err != nil || n != 1 {
		t.Errorf("trending sports notified %d users (%v), want only the active one", n, err)
	}
}

func TestReadListsKeepTheNewestReadsWhateverAUserSends(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	user := fmt.Sprintf("%032x", 7)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"sports"}, At: now}); err != nil {
		t.Fatal(err)
	}
	// Ten times a heavy reader's 72 h (about 500 articles): 10 batches of 500
	// distinct ids, a minute apart, each delivered twice.
	const batches, per = 10, 500
	readID := func(b, i int) string { return fmt.Sprintf("%032x", 1<<40+b*per+i) }
	for b := range batches {
		var ids []string
		for i := range per {
			ids = append(ids, readID(b, i))
		}
		e := events.UserRead{UserID: user, ArticleIDs: ids, At: now.Add(time.Duration(b-batches) * time.Minute)}
		for range 2 {
			if err := s.OnUserRead(ctx, e); err != nil {
				t.Fatalf("batch %d: %v (an item grew past DynamoDB's limit?)", b, err)
			}
		}
	}
	var p Profile
	if n := calls(t, func(ctx context.Context) { p, _ = s.profile(ctx, user, now) }); n != 1 {
		t.Errorf("profile and reads: %d DynamoDB calls, want 1", n)
	}
	if len(p.Read) != MaxReads || !slices.Equal(p.Interests, []string{"sports"}) {
		t.Fatalf("profile %v with %d reads, want sports and the newest %d", p.Interests, len(p.Read), MaxReads)
	}
	for i := range per {
		if !p.Read[readID(batches-1, i)] {
			t.Fatalf("the newest batch's read %d is not remembered", i)
		}
		if p.Read[readID(0, i)] {
			t.Fatalf("the oldest batch's read %d is remembered past the newest %d", i, MaxReads)
		}
	}
	// Reads expire after 72 h.
	if p, _ := s.profile(ctx, user, now.Add(73*time.Hour)); len(p.Read) != 0 {
		t.Errorf("%d reads remembered after 73 h", len(p.Read))
	}
}

func TestTheInboxListsTheNewestEntriesOnly(t *testing.T) {
	s, _ := newService(t)
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
	forged := page.Cursor(inboxList(fan), inboxPosition{After: NotificationID(now.Format("2006010215"), id(1)), Listed: -50})
	if _, err := s.Inbox(ctx, fan, "50", forged); err == nil {
		t.Error("a cursor with a negative position is accepted")
	}
}

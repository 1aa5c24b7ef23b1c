package feed

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/store"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

// newDynamoStore returns a store over a fresh feed table in dynalite,
// through the functions' own SDK configuration (which counts calls).
func newDynamoStore(t testing.TB) *DynamoStore {
	t.Helper()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamotest.URL(t))
	cfg, err := awsenv.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return NewDynamoStore(store.Open(cfg).Table(dynamotest.Table(t, contract.FeedTable).Name()))
}

// newService returns a service over a fresh feed table in dynalite, and
// what it announced.
func newService(t testing.TB) (*Service, *announced) {
	t.Helper()
	a := &announced{}
	return &Service{Store: newDynamoStore(t), Now: func() time.Time { return now }, Announce: a.announce}, a
}

func calls(t *testing.T, f func(ctx context.Context)) int {
	t.Helper()
	ctx, c := awsenv.WithCounter(context.Background())
	f(ctx)
	return c.Count("DynamoDB")
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

// TestAFlagsOnlyItemExpires: a moderation or trending flag for an article
// the feeds do not hold (not yet placed, or already deleted by TTL) writes an
// item that expires, so flags of articles that never come are not kept for
// good; a placed article keeps its own expiry.
func TestAFlagsOnlyItemExpires(t *testing.T) {
	ctx := context.Background()
	s := newDynamoStore(t)
	expiresAt := func(id string) int64 {
		t.Helper()
		var it articleItem
		if err := s.table.Get("pk", "a#"+id).Range("sk", dynamo.Equal, "a").One(ctx, &it); err != nil {
			t.Fatal(err)
		}
		return it.ExpiresAt
	}
	stub := now.Add(ArticleRetention)
	if _, err := s.Moderate(ctx, Moderation{ID: id(1), Hidden: true, At: now}, stub); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkTrending(ctx, id(2), stub); err != nil {
		t.Fatal(err)
	}
	for _, x := range []string{id(1), id(2)} {
		if got := expiresAt(x); got != stub.Unix() {
			t.Errorf("the flags-only item of %s expires at %d, want %d", x, got, stub.Unix())
		}
	}
	placed := art(3, "tech", "s", time.Hour)
	own := placed.PublishedAt.Add(ArticleRetention)
	if _, err := s.PlaceArticle(ctx, placed, own); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Moderate(ctx, Moderation{ID: placed.ID, Pinned: true, At: now}, stub.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkTrending(ctx, placed.ID, stub.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := expiresAt(placed.ID); got != own.Unix() {
		t.Errorf("a placed article's expiry moved to %d by its flags, want its own %d", got, own.Unix())
	}
	if _, err := s.PlaceArticle(ctx, art(1, "tech", "s", 0), now.Add(2*ArticleRetention)); err != nil {
		t.Fatal(err)
	}
	if got := expiresAt(id(1)); got != now.Add(2*ArticleRetention).Unix() {
		t.Errorf("placing a moderated article left the flags' expiry %d, want the article's", got)
	}
}

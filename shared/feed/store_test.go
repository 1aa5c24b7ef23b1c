package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
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

// TestEveryCopyOfAHeadIsOneReadAndItsCursorStaysOnItsRun: a ranking run
// writes each feed's head HeadCopies times, each copy under its own
// partition key (the hot item spread over partitions); a first page read
// at any copy is one DynamoDB call, and while a run is still writing its
// copies (one copy at the next run, another at the last), a cursor from
// either pages on through the run its first page came from.
func TestEveryCopyOfAHeadIsOneReadAndItsCursorStaysOnItsRun(t *testing.T) {
	s, _ := newService(t)
	store := s.Store.(*DynamoStore)
	ctx := context.Background()
	for i := range 60 {
		if err := s.OnArticlePublished(ctx, published(i+1, []string{"sports", "tech"}[i%2], fmt.Sprintf("src%d", i%5), time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	r1, err := s.Rank(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pks := map[string]bool{}
	for n := range HeadCopies {
		var it chunkItem
		if err := store.table.Get("pk", headPK(Top, n)).Range("sk", dynamo.Equal, "head").One(ctx, &it); err != nil || it.Run != r1.Run {
			t.Errorf("copy %d of top's head: run %q, %v; want %s", n, it.Run, err, r1.Run)
		}
		pks[headPK(Top, n)] = true
		var c Chunk
		if got := calls(t, func(ctx context.Context) { c, err = s.Store.Chunk(ctx, ChunkRef{Category: Top, Copy: n}, now) }); got != 1 || err != nil || c.Run != r1.Run {
			t.Errorf("copy %d: %d DynamoDB calls, run %s, %v; want 1 call of run %s", n, got, c.Run, err, r1.Run)
		}
	}
	if len(pks) != HeadCopies {
		t.Errorf("the copies share partition keys: %v", pks)
	}

	// The next run has written copy 1 and not yet copy 2 (a run's copies
	// are separate writes).
	s.Now = func() time.Time { return now.Add(time.Minute) }
	r2 := RunID(now.Add(time.Minute))
	var list []Ranked
	for _, it := range rankedList(60, Top) {
		it.ID = id(1000 + len(list)) // other stories, so a page of the wrong run shows
		list = append(list, it)
	}
	for _, c := range Chunks(Top, r2, now.Add(time.Minute), list) { // its chunks, then copy 1 of its head
		if err := store.table.Put(chunkItem{PK: "pg#" + Top, SK: chunkSK(r2, c.Index), Run: r2, Body: mustJSON(t, c),
			ExpiresAt: now.Add(PageRetention).Unix()}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if c.Index == 0 {
			if err := store.table.Put(chunkItem{PK: headPK(Top, 1), SK: "head", Run: r2, Body: mustJSON(t, c)}).Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for n, want := range map[int]string{1: r2, 2: r1.Run} {
		head, err := s.Store.Chunk(ctx, ChunkRef{Category: Top, Copy: n}, now)
		if err != nil || head.Run != want {
			t.Fatalf("copy %d: run %s, %v; want %s", n, head.Run, err, want)
		}
		p := PublicPage(head, 0, 20) // what Feed serves of the copy it read
		seen := map[string]bool{}
		for {
			for _, it := range p.Items {
				if seen[it.ID] {
					t.Fatalf("copy %d's walk: %s repeats", n, it.ID)
				}
				seen[it.ID] = true
				if (it.ID >= id(1000)) != (want == r2) {
					t.Fatalf("copy %d's walk (run %s) serves %s of the other run", n, want, it.ID)
				}
			}
			if p.NextCursor == "" {
				break
			}
			if p, err = s.Feed(ctx, Top, "20", p.NextCursor); err != nil {
				t.Fatalf("copy %d's walk: %v", n, err)
			}
		}
		if len(seen) != 60 {
			t.Errorf("copy %d's walk saw %d of 60 stories", n, len(seen))
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAHeadOfBeforeTheCopiesIsReadUntilARunWritesThem: during the deploy
// that brings head copies, the last run of the old ranker wrote only the
// single head (now copy 0). A reader of any copy is served it, with a
// second read, until a run of the new ranker writes the copies; from then
// on a page is one read again. The old readers read copy 0, which the new
// ranker keeps current.
func TestAHeadOfBeforeTheCopiesIsReadUntilARunWritesThem(t *testing.T) {
	s, _ := newService(t)
	store := s.Store.(*DynamoStore)
	ctx := context.Background()
	old := RunID(now.Add(-time.Hour))
	c := Chunks("tech", old, now.Add(-time.Hour), rankedList(10, "tech"))[0]
	if err := store.table.Put(chunkItem{PK: "pg#tech", SK: "head", Run: old, Body: mustJSON(t, c)}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	for n := range HeadCopies {
		var head Chunk
		var err error
		got := calls(t, func(ctx context.Context) { head, err = s.Store.Chunk(ctx, ChunkRef{Category: "tech", Copy: n}, now) })
		if err != nil || head.Run != old || got > 2 {
			t.Errorf("copy %d before the copies: run %s, %v, %d calls; want the old head in at most 2", n, head.Run, err, got)
		}
		batch, err := s.Store.Chunks(ctx, []ChunkRef{{Category: "tech", Copy: n}}, now)
		if err != nil || batch["tech"].Run != old {
			t.Errorf("copy %d in a batch before the copies: %v %v; want the old head", n, batch, err)
		}
	}
	if err := s.OnArticlePublished(ctx, published(1, "tech", "src1", time.Minute)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Rank(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for n := range HeadCopies {
		var head Chunk
		got := calls(t, func(ctx context.Context) { head, err = s.Store.Chunk(ctx, ChunkRef{Category: "tech", Copy: n}, now) })
		if err != nil || head.Run != r.Run || got != 1 {
			t.Errorf("copy %d after a run: run %s, %v, %d calls; want run %s in 1", n, head.Run, err, got, r.Run)
		}
	}
	// A feed no run ranked: not found, in two reads at most.
	if got := calls(t, func(ctx context.Context) {
		_, err = s.Store.Chunk(ctx, ChunkRef{Category: "nosuch", Copy: 3}, now)
	}); !errors.Is(err, ErrPageNotFound) || got > 2 {
		t.Errorf("an unranked feed: %v in %d calls, want ErrPageNotFound in at most 2", err, got)
	}
}

// TestItemsOfBeforeTheNumberTimesStillOrderAcrossSeconds: an item written
// before the store kept each ordering time as a number too (only the RFC 3339
// string) is still compared on that string, right across seconds, until a
// write adds the number: neither a write an hour late is refused forever nor a
// stale one applied.
func TestItemsOfBeforeTheNumberTimesStillOrderAcrossSeconds(t *testing.T) {
	ctx := context.Background()
	day := now.Format("20060102")
	earlier, later := now.Add(-time.Second), now.Add(time.Second)
	for _, c := range []struct {
		name  string
		old   map[string]any                           // the item as the store wrote it before, at now
		write func(s *DynamoStore, at time.Time) error // a write as of at
		wrote func(s *DynamoStore) (time.Time, error)  // the time the stored item is as of
	}{{
		name: "a moderation",
		old:  map[string]any{"pk": "a#" + id(1), "sk": "a", "id": id(1), "hidden": true, "moderated_at": now},
		write: func(s *DynamoStore, at time.Time) error {
			_, err := s.Moderate(ctx, Moderation{ID: id(1), Pinned: true, At: at}, now.Add(time.Hour))
			return err
		},
		wrote: func(s *DynamoStore) (time.Time, error) {
			var it articleItem
			err := s.table.Get("pk", "a#"+id(1)).Range("sk", dynamo.Equal, "a").One(ctx, &it)
			return it.ModeratedAt, err
		},
	}, {
		name: "a stats part",
		old: map[string]any{"pk": "st#" + day, "sk": "00#000", "shard": 0, "computed_at": now, "counts": []byte(`{}`),
			"expires_at": now.Add(time.Hour).Unix()},
		write: func(s *DynamoStore, at time.Time) error {
			return s.PutStats(ctx, DayStats{Day: day, ComputedAt: at, Articles: map[string]Stats{}}, now.Add(time.Hour))
		},
		wrote: func(s *DynamoStore) (time.Time, error) {
			parts, err := s.DayStats(ctx, []string{day})
			if err != nil || len(parts) != 1 {
				return time.Time{}, fmt.Errorf("%d parts, %v", len(parts), err)
			}
			return parts[0].ComputedAt, nil
		},
	}, {
		name: "a rank request",
		old:  map[string]any{"pk": "rank", "sk": "state", "pending": now},
		write: func(s *DynamoStore, at time.Time) error {
			_, err := s.RequestRank(ctx, at, at) // stale when made before at
			return err
		},
		wrote: func(s *DynamoStore) (time.Time, error) {
			var st rankState
			err := s.table.Get("pk", "rank").Range("sk", dynamo.Equal, "state").One(ctx, &st)
			return st.Pending, err
		},
	}, {
		name: "a profile",
		old:  map[string]any{"pk": "u#" + id(7), "sk": "profile", "interests": []string{"tech"}, "learned": map[string]float64{}, "at": now},
		write: func(s *DynamoStore, at time.Time) error {
			return s.SetProfile(ctx, Profile{UserID: id(7), Interests: []string{"sports"}, At: at})
		},
		wrote: func(s *DynamoStore) (time.Time, error) {
			p, err := s.Profile(ctx, id(7), 0, now)
			return p.At, err
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			s := newDynamoStore(t)
			if err := s.table.Put(c.old).Run(ctx); err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct {
				at, want time.Time
			}{{earlier, now}, {later, later}} {
				if err := c.write(s, w.at); err != nil {
					t.Fatal(err)
				}
				if got, err := c.wrote(s); err != nil || !got.Equal(w.want) {
					t.Errorf("after a write as of %s: the item is as of %s (%v), want %s", w.at, got, err, w.want)
				}
			}
		})
	}
	t.Run("a rank request is cancelled by its time", func(t *testing.T) {
		s := newDynamoStore(t)
		if err := s.table.Put(map[string]any{"pk": "rank", "sk": "state", "pending": now}).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelRankRequest(ctx, now); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.RequestRank(ctx, later, now.Add(-StaleRequest)); err != nil || !ok {
			t.Errorf("a request after the cancelled one: %v %v, want it taken", ok, err)
		}
	})
}

// TestLoadedProfilesAreTheItemsSetProfileWrites: make scale seeds its readers
// with LoadProfiles, so what it measures is only as real as its items: each
// loaded user's items equal, attribute for attribute, what SetProfile writes
// for the same profile, over more users than one batch call takes, and the
// inbox reads the copy in its one Query.
func TestLoadedProfilesAreTheItemsSetProfileWrites(t *testing.T) {
	ctx := context.Background()
	loaded, set := newDynamoStore(t), newDynamoStore(t)
	var ps []Profile
	for i := range 40 { // 80 items: four batch calls, the last short
		p := Profile{UserID: fmt.Sprintf("reader-%03d", i), Interests: []string{"world", "tech"}[:1+i%2], At: now.Add(time.Duration(i) * time.Millisecond)}
		if i%3 == 0 {
			p.Learned = map[string]float64{"sports": 0.5}
		}
		if i%7 == 0 {
			p.Interests = nil
		}
		ps = append(ps, p)
		if err := set.SetProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := loaded.LoadProfiles(ctx, ps, 3); err != nil {
		t.Fatal(err)
	}
	all := func(s *DynamoStore) []map[string]any {
		var items []map[string]any
		if err := s.table.Scan().All(ctx, &items); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(items, func(a, b map[string]any) int {
			return cmpKey(a["pk"], a["sk"], b["pk"], b["sk"])
		})
		return items
	}
	got, want := all(loaded), all(set)
	if len(want) != 2*len(ps) || !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded %d items, SetProfile wrote %d; first differing:\n%s", len(got), len(want), firstDiff(got, want))
	}
	for _, p := range ps {
		st, err := loaded.Inbox(ctx, p.UserID, inboxSince(now), now)
		if err != nil || !st.Interested || !slices.Equal(st.Profile.Interests, p.Interests) {
			t.Errorf("%s's inbox: %+v %v, want the copy of %v", p.UserID, st, err, p.Interests)
		}
	}
	// A later change through SetProfile still wins over a loaded profile.
	later := Profile{UserID: ps[1].UserID, Interests: []string{"science"}, At: now.Add(time.Hour)}
	if err := loaded.SetProfile(ctx, later); err != nil {
		t.Fatal(err)
	}
	if st, err := loaded.Inbox(ctx, later.UserID, inboxSince(now), now); err != nil || !slices.Equal(st.Profile.Interests, later.Interests) {
		t.Errorf("after a later change: %+v %v, want %v", st.Profile, err, later.Interests)
	}
	if err := loaded.LoadProfiles(ctx, []Profile{ps[0], ps[0]}, 1); err == nil {
		t.Error("a user twice in one load: no error")
	}
}

func cmpKey(apk, ask, bpk, bsk any) int {
	if c := strings.Compare(fmt.Sprint(apk), fmt.Sprint(bpk)); c != 0 {
		return c
	}
	return strings.Compare(fmt.Sprint(ask), fmt.Sprint(bsk))
}

func firstDiff(got, want []map[string]any) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("loaded %v\nset    %v", got[i], want[i])
		}
	}
	return "(one is a prefix of the other)"
}

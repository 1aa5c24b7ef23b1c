package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
)

// growingFeed serves one RSS feed whose items the test adds as the day goes.
type growingFeed struct {
	mu    sync.Mutex
	items []feedItem
}

type feedItem struct {
	title, link string
	published   time.Time
}

func (f *growingFeed) add(title, link string, published time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, feedItem{title, link, published})
}

func (f *growingFeed) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>growing</title>`)
	for _, it := range f.items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><pubDate>%s</pubDate></item>`, it.title, it.link, it.published.Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	fmt.Fprint(w, b.String())
}

// feedSetup registers the feed as a source of s and returns an ingester whose
// clock the test moves.
func feedSetup(t *testing.T, s article.Store, feed http.Handler, now *time.Time) *Ingester {
	t.Helper()
	srv := httptest.NewServer(feed)
	t.Cleanup(srv.Close)
	if err := s.PutSource(context.Background(), article.Source{ID: "wire", URL: srv.URL + "/feed", Name: "Wire", Category: "world",
		Weight: 1, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	return &Ingester{Parser: feedparse.Local{}, Store: s, Fetcher: NewFetcher([]string{strings.TrimPrefix(srv.URL, "http://")}), Now: func() time.Time { return *now }}
}

func stored(t *testing.T, s article.Store, url string) article.Article {
	t.Helper()
	a, err := s.GetArticle(context.Background(), article.IDFor(url))
	if err != nil {
		t.Fatalf("article %s: %v", url, err)
	}
	return a
}

// TestAStoryThatDevelopsOverHoursKeepsItsFirstArticlesID: A at 08:00, B at
// 11:00 like A, C at 15:00 like B but not like A, each ingested by its own
// run: all three are A's story.
func TestAStoryThatDevelopsOverHoursKeepsItsFirstArticlesID(t *testing.T) {
	const (
		a = "Wildfire breaks out in hills above Marseille"
		b = "Marseille wildfire spreads in hills, hundreds evacuated"
		c = "Hundreds more evacuated as the fire spreads to the suburbs"
	)
	if !article.SameStory(a, b) || !article.SameStory(b, c) || article.SameStory(a, c) {
		t.Fatalf("the titles do not develop as the test needs: A~B %v, B~C %v, A~C %v", article.SameStory(a, b), article.SameStory(b, c), article.SameStory(a, c))
	}
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) {
			s := store.new(t)
			day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
			now := day
			feed := &growingFeed{}
			in := feedSetup(t, s, feed, &now)
			for _, step := range []struct {
				title, url string
				hour       int
			}{{a, "https://wire.example/a", 8}, {b, "https://wire.example/b", 11}, {c, "https://wire.example/c", 15}} {
				now = day.Add(time.Duration(step.hour)*time.Hour + time.Minute)
				feed.add(step.title, step.url, day.Add(time.Duration(step.hour)*time.Hour))
				if _, err := in.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			first := stored(t, s, "https://wire.example/a")
			if first.Story != first.ID {
				t.Errorf("the first article's story is %s, want its own id %s", first.Story, first.ID)
			}
			for _, url := range []string{"https://wire.example/b", "https://wire.example/c"} {
				if got := stored(t, s, url); got.Story != first.ID {
					t.Errorf("%q is story %s, want the first article's %s", got.Title, got.Story, first.ID)
				}
			}
		})
	}
}

// TestIngestionNeverChangesAStoredArticlesStory: an editor split two
// look-alike articles into two stories (one of them given a story id of the
// editor's); a later look-alike joins one of them, and neither stored
// article's story changes: a split stays split.
func TestIngestionNeverChangesAStoredArticlesStory(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) {
			s := store.new(t)
			ctx := context.Background()
			now := t0
			feed := &growingFeed{}
			in := feedSetup(t, s, feed, &now)
			mk := func(url, title, story string, at time.Time) article.Article {
				a := article.Article{ID: article.IDFor(url), URL: url, Title: title, SourceID: "other", Category: "world", Story: story,
					PublishedAt: at, IngestedAt: at, Fingerprint: article.Fingerprint(title)}
				if a.Story == "" {
					a.Story = a.ID
				}
				if err := s.PutArticle(ctx, a); err != nil {
					t.Fatal(err)
				}
				return a
			}
			first := mk("https://other.example/1", "Port strike ends after two weeks", "story-set-by-an-editor", t0.Add(-3*time.Hour))
			split := mk("https://other.example/2", "Port strike ends after 2 weeks", "", t0.Add(-2*time.Hour))
			feed.add("Dockworkers end two-week port strike", "https://wire.example/strike", t0.Add(-time.Hour))
			feed.add("Astronomers track a comet returning after 3,000 years", "https://wire.example/comet", t0.Add(-time.Hour))
			if _, err := in.Run(ctx); err != nil {
				t.Fatal(err)
			}
			for _, before := range []article.Article{first, split} {
				if after := stored(t, s, before.URL); after.Story != before.Story {
					t.Errorf("ingestion changed %q's story from %s to %s", before.Title, before.Story, after.Story)
				}
			}
			if got := stored(t, s, "https://wire.example/strike"); got.Story != first.Story && got.Story != split.Story {
				t.Errorf("the new port-strike article is story %s, want one of the stored ones (%s, %s)", got.Story, first.Story, split.Story)
			}
			if got := stored(t, s, "https://wire.example/comet"); got.Story != got.ID {
				t.Errorf("the comet article joined story %s", got.Story)
			}
		})
	}
}

// TestALooseLinkDoesNotChainTwoStories: a vague title may join a specific
// one, but a third title that contradicts an article of that story (another
// country) does not join it through the vague one.
func TestALooseLinkDoesNotChainTwoStories(t *testing.T) {
	at := t0
	s := article.NewStories(nil, 48*time.Hour)
	assign := func(id, title string) string {
		at = at.Add(time.Minute)
		story, _ := s.Assign(article.Article{ID: id, Story: id, Title: title, PublishedAt: at})
		return story
	}
	assign("south", "Heatwave breaks records across the south")
	spain := assign("spain", "Spain heatwave breaks June temperature record")
	if india := assign("india", "India heatwave breaks temperature record in Delhi"); india == spain {
		t.Errorf("the Indian heatwave joined the Spanish one's story %s", spain)
	}
}

// windowCounter is a store that counts what ingestion reads and puts.
type windowCounter struct {
	article.Store
	mu                    sync.Mutex
	recent, postings, put int
}

func (w *windowCounter) RecentArticles(ctx context.Context, since time.Time) ([]article.Article, error) {
	w.mu.Lock()
	w.recent++
	w.mu.Unlock()
	return w.Store.RecentArticles(ctx, since)
}

func (w *windowCounter) Postings(ctx context.Context, token uint64, since time.Time, limit int) ([]article.Posting, error) {
	w.mu.Lock()
	w.postings++
	w.mu.Unlock()
	return w.Store.Postings(ctx, token, since, limit)
}

func (w *windowCounter) PutArticle(ctx context.Context, a article.Article) error {
	w.mu.Lock()
	w.put++
	w.mu.Unlock()
	return w.Store.PutArticle(ctx, a)
}

// TestRunsAndPushesReadTheirCandidatesNotTheWindow: with 300
// unrelated articles in the window, a run and a push each place their new
// article in the story it joins without reading the window (one postings
// read per token of its title), and an article offered again is neither
// placed nor put again.
func TestRunsAndPushesReadTheirCandidatesNotTheWindow(t *testing.T) {
	ctx := context.Background()
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) {
			base := store.new(t)
			for i := range 300 {
				url := fmt.Sprintf("https://other.example/%d", i)
				title := fmt.Sprintf("Council approves budget for district %d", i)
				if err := base.PutArticle(ctx, article.Article{ID: article.IDFor(url), URL: url, Title: title, SourceID: "other",
					Category: "world", Story: article.IDFor(url), PublishedAt: t0.Add(-time.Hour), IngestedAt: t0.Add(-time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			first := article.Article{ID: article.IDFor("https://other.example/quake"), URL: "https://other.example/quake",
				Title: "Magnitude 6 earthquake hits the Chile coast", SourceID: "other", Category: "world",
				PublishedAt: t0.Add(-time.Hour), IngestedAt: t0.Add(-time.Hour)}
			first.Story = first.ID
			if err := base.PutArticle(ctx, first); err != nil {
				t.Fatal(err)
			}
			s := &windowCounter{Store: base}
			now := t0
			feed := &growingFeed{}
			in := feedSetup(t, s, feed, &now)
			feed.add("Earthquake of magnitude 6 hits Chile coast", "https://wire.example/quake", t0.Add(-time.Minute))
			r, err := in.Run(ctx)
			if err != nil || r.New != 1 || r.Clustered != 1 {
				t.Fatalf("run: %+v, %v; want one new article, clustered", r, err)
			}
			if got := stored(t, s, "https://wire.example/quake"); got.Story != first.ID {
				t.Errorf("the run's article is story %s, want %s", got.Story, first.ID)
			}
			tokens := len(article.Tokens("Earthquake of magnitude 6 hits Chile coast"))
			if s.recent != 0 || s.postings != tokens || s.put != 1 {
				t.Errorf("the run read the window %d times and %d postings lists (want 0 and %d), put %d articles (want 1)", s.recent, s.postings, tokens, s.put)
			}
			s.postings, s.put = 0, 0
			now = t0.Add(MaxInterval)
			if r, err := in.Run(ctx); err != nil || r.New != 0 || r.Duplicates != 1 || s.put != 0 || s.postings != 0 {
				t.Errorf("the run offered it again: %+v, %v, %d puts, %d postings reads; want a duplicate, not put or placed", r, err, s.put, s.postings)
			}
			body := `<rss version="2.0"><channel><title>w</title><item><title>Chile coast earthquake of magnitude 6 kills 3</title>` +
				`<link>https://wire.example/quake-2</link><pubDate>` + t0.Format(time.RFC1123Z) + `</pubDate></item></channel></rss>`
			fresh, pr, err := in.Push(ctx, article.Source{ID: "wire", Category: "world", Weight: 1}, "application/rss+xml", []byte(body))
			if err != nil || pr.New != 1 || len(fresh) != 1 || fresh[0].Story != first.ID {
				t.Errorf("push: %+v, %+v, %v; want one new article in story %s", fresh, pr, err, first.ID)
			}
			if s.recent != 0 {
				t.Errorf("the push read the window")
			}
		})
	}
}

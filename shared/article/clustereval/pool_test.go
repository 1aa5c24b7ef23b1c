package clustereval

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/mmcdole/gofeed"
)

// cappedStore cuts every postings read at cap: what a window where the
// tokens are cap times more frequent reads of them.
type cappedStore struct {
	article.Store
	cap int
}

func (c cappedStore) Postings(ctx context.Context, token uint64, since time.Time, limit int) ([]article.Posting, error) {
	return c.Store.Postings(ctx, token, since, min(limit, c.cap))
}

// ingestRuns replays a set as ingestion runs of batch headlines each (in
// publication order, every run an hour after its last headline's
// publication), deciding each run's stories both ways — against the whole
// window (RecentArticles, the old path) and against StoryPool's pool — and
// storing them; every 20th clustered article is then split out of its story
// by an editor, so later runs see edited stories. It returns how many
// decisions differed, and the pool's reads.
func ingestRuns(t *testing.T, st article.Store, pools article.Store, hs []Headline, batch int) (differ int, stats article.PoolStats) {
	t.Helper()
	ctx := context.Background()
	order := make([]int, len(hs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return hs[a].Published.Compare(hs[b].Published) })
	clustered := 0
	for start := 0; start < len(order); start += batch {
		run := order[start:min(start+batch, len(order))]
		now := hs[run[len(run)-1]].Published.Add(time.Hour)
		var news []article.Article
		for n, i := range run {
			h := hs[i]
			published := h.Published
			it, err := feedparse.FromItem(&gofeed.Item{Title: h.Title, Link: fmt.Sprintf("https://%s.example/%d", h.Source, i), PublishedParsed: &published},
				"en", now)
			if err != nil {
				t.Fatal(err)
			}
			a := ingest.Article(it, article.Source{ID: h.Source, Category: "world", Weight: 1}, now)
			a.IngestedAt = now.Add(time.Duration(n) * time.Millisecond)
			news = append(news, a)
		}
		since := now.Add(-Window)
		recent, err := st.RecentArticles(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		pool, s, err := article.StoryPool(ctx, pools, news, since, Window)
		if err != nil {
			t.Fatal(err)
		}
		stats.Tokens += s.Tokens
		stats.Postings += s.Postings
		stats.Capped += s.Capped
		stats.Unproven += s.Unproven
		whole, part := article.NewStories(recent, Window), article.NewStories(pool, Window)
		for _, a := range news {
			want, _ := whole.Assign(a)
			got, _ := part.Assign(a)
			if got != want {
				differ++
				t.Logf("%q: story %s from the pool, %s from the whole window", a.Title, got, want)
			}
			a.Story = want
			if err := st.PutArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
			if a.Story == a.ID {
				continue
			}
			if clustered++; clustered%20 == 0 {
				a.Story, a.StoryByEditor, a.ModeratedAt = a.ID, true, now
				if err := st.SaveEditorial(ctx, a, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return differ, stats
}

// TestThePoolDecidesAsTheWholeWindow: ingestion deciding stories against
// StoryPool's pool (the title postings' candidates and their stories)
// decides every labelled headline as against the whole 48 h window, on
// both stores, editors' splits included, in runs of a few headlines and of
// many.
func TestThePoolDecidesAsTheWholeWindow(t *testing.T) {
	sets := map[string]func() (Set, error){"labelled": Load, "fresh": LoadFresh, "fresh2": LoadFresh2}
	for _, name := range []string{"labelled", "fresh", "fresh2"} {
		set, err := sets[name]()
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 7, 40} {
			t.Run(fmt.Sprintf("%s in runs of %d, in memory", name, batch), func(t *testing.T) {
				st := article.NewMemoryStore()
				if differ, _ := ingestRuns(t, st, st, set.Headlines, batch); differ > 0 {
					t.Errorf("%d decisions differ", differ)
				}
			})
		}
		t.Run(name+" in runs of 7, on DynamoDB", func(t *testing.T) {
			st := article.NewDynamoStore(dynamotest.Table(t, "articles"))
			if differ, _ := ingestRuns(t, st, st, set.Headlines, 7); differ > 0 {
				t.Errorf("%d decisions differ", differ)
			}
		})
	}
}

// TestCappedPostingsDecideAsTheWholeWindow: cutting every token's postings
// read far below article.PostingsRead — the reads of a window where every
// word is that many times more frequent than in the labelled set — still
// decides every headline as the whole window does, down to the newest 2
// (at 1, seven of the 632 differ).
func TestCappedPostingsDecideAsTheWholeWindow(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	all := set.Headlines
	for _, extra := range []func() (Set, error){LoadFresh, LoadFresh2} {
		s, err := extra()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, s.Headlines...)
	}
	for _, limit := range []int{article.PostingsRead, 8, 2} {
		st := article.NewMemoryStore()
		differ, stats := ingestRuns(t, st, cappedStore{st, limit}, all, 7)
		t.Logf("postings cut at %d: %d token reads, %d postings read, %d decisions differ", limit, stats.Tokens, stats.Postings, differ)
		if differ > 0 {
			t.Errorf("postings cut at %d: %d decisions differ", limit, differ)
		}
	}
}

package article

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func newStore(t *testing.T) *DynamoStore {
	t.Helper()
	return NewDynamoStore(dynamotest.Table(t, "articles"))
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func art(n int, category string, published time.Time) Article {
	url := fmt.Sprintf("https://news.example/%s/%d", category, n)
	return Article{ID: IDFor(url), URL: url, Title: fmt.Sprintf("story %d", n), SourceID: "s", Category: category,
		Story: IDFor(url), PublishedAt: published, IngestedAt: published, Fingerprint: Fingerprint(fmt.Sprintf("story %d", n))}
}

func TestArticleStore(t *testing.T) {
	ctx := context.Background()
	t.Run("an article is stored once", func(t *testing.T) {
		s := newStore(t)
		a := art(1, "tech", t0)
		if err := s.PutArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		b := a
		b.Title = "another source's title"
		if err := s.PutArticle(ctx, b); !errors.Is(err, ErrExists) {
			t.Fatalf("second put = %v, want ErrExists", err)
		}
		got, err := s.GetArticle(ctx, a.ID)
		if err != nil || got.Title != a.Title || !got.PublishedAt.Equal(a.PublishedAt) || got.Fingerprint != a.Fingerprint {
			t.Errorf("GetArticle = %+v, %v", got, err)
		}
	})
	t.Run("a missing or hidden article is not found", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetArticle(ctx, IDFor("x")); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
		a := art(2, "tech", t0)
		_ = s.PutArticle(ctx, a)
		if _, _, err := s.Moderate(ctx, a.ID, true, false, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetArticle(ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("hidden: %v", err)
		}
		if p, _ := s.ListArticles(ctx, "tech", 10, ""); len(p.Items) != 0 {
			t.Errorf("a hidden article is listed: %+v", p.Items)
		}
		if p, _ := s.ListArticles(ctx, "", 10, ""); len(p.Items) != 0 {
			t.Errorf("a hidden article is listed overall: %+v", p.Items)
		}
		if was, m, err := s.Moderate(ctx, a.ID, false, true, t0.Add(2*time.Minute)); err != nil || !m.Pinned || m.Hidden || !was.Hidden || was.Pinned {
			t.Fatal(m, err)
		}
		if p, _ := s.ListArticles(ctx, "tech", 10, ""); len(p.Items) != 1 || !p.Items[0].Pinned {
			t.Errorf("a shown, pinned article is not listed as pinned: %+v", p.Items)
		}
		if _, _, err := s.Moderate(ctx, IDFor("nope"), true, false, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("hiding a missing article: %v", err)
		}
	})
	t.Run("lists are newest first, by category or overall, paged without gaps", func(t *testing.T) {
		s := newStore(t)
		for i := range 7 {
			cat := []string{"tech", "world"}[i%2]
			if err := s.PutArticle(ctx, art(i, cat, t0.Add(time.Duration(i)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		cursor := ""
		for range 10 {
			p, err := s.ListArticles(ctx, "", 3, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Items {
				ids = append(ids, a.Title)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		want := "[story 6 story 5 story 4 story 3 story 2 story 1 story 0]"
		if fmt.Sprint(ids) != want {
			t.Errorf("overall = %v, want %s", ids, want)
		}
		p, _ := s.ListArticles(ctx, "tech", 10, "")
		if len(p.Items) != 4 || p.Items[0].Title != "story 6" || p.NextCursor != "" {
			t.Errorf("tech = %+v", p)
		}
	})
	t.Run("paging never repeats or skips while new articles arrive", func(t *testing.T) {
		s := newStore(t)
		for i := range 30 {
			_ = s.PutArticle(ctx, art(i, "tech", t0.Add(time.Duration(i)*time.Minute)))
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // a writer adding newer articles the whole time
			defer wg.Done()
			for i := 100; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.PutArticle(ctx, art(i, "tech", t0.Add(time.Hour+time.Duration(i)*time.Second)))
			}
		}()
		first, _ := s.ListArticles(ctx, "tech", 5, "")
		seen := map[string]bool{}
		var order []time.Time
		p := first
		for pages := 0; pages < 50; pages++ {
			for _, a := range p.Items {
				if seen[a.ID] {
					t.Fatalf("%s repeated", a.Title)
				}
				seen[a.ID] = true
				order = append(order, a.PublishedAt)
			}
			if p.NextCursor == "" {
				break
			}
			p, _ = s.ListArticles(ctx, "tech", 5, p.NextCursor)
		}
		close(stop)
		wg.Wait()
		for i := 1; i < len(order); i++ {
			if order[i].After(order[i-1]) {
				t.Fatalf("not newest first at %d", i)
			}
		}
		for i := range 30 {
			if a := art(i, "tech", t0); !seen[a.ID] && !first.Items[0].PublishedAt.Before(a.PublishedAt) {
				t.Errorf("%s was skipped", a.Title)
			}
		}
	})
}

func TestSourceStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	src := Source{ID: "tech-daily", URL: "https://a.example/feed", Name: "Tech", Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0}
	if err := s.PutSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSource(ctx, src); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate create: %v", err)
	}
	st := FetchState{ETag: `"e"`, LastModified: "lm", LastChecked: t0, LastSuccess: t0, ConsecutiveFailures: 0}
	if err := s.RecordFetch(ctx, src.ID, st); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetSource(ctx, src.ID)
	if got.ETag != `"e"` || got.Name != "Tech" || !got.LastSuccess.Equal(t0) {
		t.Errorf("after RecordFetch: %+v", got)
	}
	src.URL, src.Name = "https://b.example/feed", "Tech 2"
	updated, err := s.UpdateSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if updated.URL != src.URL || updated.Name != "Tech 2" || updated.ETag != "" {
		t.Errorf("UpdateSource returned %+v", updated)
	}
	got, _ = s.GetSource(ctx, src.ID)
	if got.URL != src.URL || got.ETag != "" || got.Name != "Tech 2" {
		t.Errorf("a new URL must forget the old validators: %+v", got)
	}
	list, _ := s.ListSources(ctx)
	if len(list) != 1 {
		t.Errorf("ListSources = %d", len(list))
	}
	if err := s.DeleteSource(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, src.ID, st); err != nil {
		t.Errorf("recording a deleted source's fetch: %v", err)
	}
	if _, err := s.GetSource(ctx, src.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted source came back: %v", err)
	}
	_, updateErr := s.UpdateSource(ctx, Source{ID: "nope"})
	for _, err := range []error{s.DeleteSource(ctx, "nope"), updateErr} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("missing source: %v", err)
		}
	}
}

func TestCheckpointOnlyMovesForward(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if cp, err := s.Checkpoint(ctx); err != nil || !cp.IsZero() {
		t.Fatalf("fresh checkpoint = %v, %v", cp, err)
	}
	_ = s.AdvanceCheckpoint(ctx, t0)
	_ = s.AdvanceCheckpoint(ctx, t0.Add(-time.Hour))
	if cp, _ := s.Checkpoint(ctx); !cp.Equal(t0) {
		t.Errorf("checkpoint = %v, want %v", cp, t0)
	}
}

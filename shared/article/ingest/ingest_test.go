package ingest

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"

	"github.com/kiosk-news/kiosk/shared/article/samplefeeds"
)

// sampleSetup serves make dev's sample feeds and registers them as sources.
func sampleSetup(t *testing.T, s article.Store) *Fetcher {
	t.Helper()
	h, sources, err := samplefeeds.Server(t0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, src := range sources {
		err := s.PutSource(context.Background(), article.Source{ID: src.ID, URL: srv.URL + "/" + src.File, Name: src.Name,
			Category: src.Category, Weight: src.Weight, CreatedAt: t0, UpdatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
	}
	return NewFetcher([]string{strings.TrimPrefix(srv.URL, "http://")})
}

func TestIngestingTheSamplesTwice(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) { ingestTwice(t, store.new(t)) })
	}
}

func ingestTwice(t *testing.T, s article.Store) {
	ctx := context.Background()
	at := t0.Add(time.Minute)
	in := &Ingester{Parser: feedparse.Local{}, Store: s, Fetcher: sampleSetup(t, s), Now: func() time.Time { return at }}

	first, err := in.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Due != 7 || first.Fetched != 6 || first.Failed != 1 || first.FailureStreak != 1 || first.New < 20 || first.Clustered < 2 {
		t.Errorf("first run = %+v; want the broken feed to fail alone and the rest to yield articles", first)
	}
	if first.Duplicates != 1 {
		t.Errorf("first run found %d duplicates, want the syndicated port-strike story once", first.Duplicates)
	}
	// A moment later nothing is due: each feed waits its own interval (at
	// least MinInterval), the broken one its backoff.
	if again, err := in.Run(ctx); err != nil || again.Due != 0 {
		t.Errorf("a run right after = %+v, %v; want nothing due", again, err)
	}
	at = at.Add(MaxInterval)
	second, err := in.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.New != 0 || second.NotModified != 6 || second.Fetched != 0 || second.Due != 7 || second.Failed != 1 || second.FailureStreak != 2 {
		t.Errorf("second run = %+v; want every healthy feed 304 and the broken one failing again", second)
	}
	p, _ := s.ListArticles(ctx, "", 100, "")
	if len(p.Items) != first.New {
		t.Errorf("%d articles stored, %d reported new", len(p.Items), first.New)
	}
	broken, _ := s.GetSource(ctx, "broken-feed")
	if broken.ConsecutiveFailures != 2 || broken.LastError == "" || !broken.NextFetchAt.After(at) {
		t.Errorf("broken source state = %+v", broken.FetchState)
	}
	stories := map[string]int{}
	for _, a := range p.Items {
		stories[a.Story]++
		if a.PublishedAt.After(t0.Add(time.Minute)) { // published by the first run's time
			t.Errorf("%q is published in the future: %v", a.Title, a.PublishedAt)
		}
	}
	if len(stories) >= len(p.Items) {
		t.Error("no near-duplicates were grouped into a story")
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 0, 1: 15 * time.Minute, 2: 30 * time.Minute, 3: time.Hour, 20: 24 * time.Hour} {
		got := NextFetch(t0, n)
		if n == 0 && !got.IsZero() || n > 0 && got.Sub(t0) != want {
			t.Errorf("NextFetch(%d) = %v, want +%v", n, got, want)
		}
	}
}

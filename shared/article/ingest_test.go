package article

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article/samplefeeds"
)

// sampleSetup serves make dev's sample feeds and registers them as sources.
func sampleSetup(t *testing.T, s Store) *Fetcher {
	t.Helper()
	h, sources, err := samplefeeds.Server(t0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, src := range sources {
		err := s.PutSource(context.Background(), Source{ID: src.ID, URL: srv.URL + "/" + src.File, Name: src.Name,
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

func ingestTwice(t *testing.T, s Store) {
	ctx := context.Background()
	in := &Ingester{Store: s, Fetcher: sampleSetup(t, s), Now: func() time.Time { return t0.Add(time.Minute) }}

	first, err := in.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Due != 7 || first.Fetched != 6 || first.Failed != 1 || first.New < 20 || first.Clustered < 2 {
		t.Errorf("first run = %+v; want the broken feed to fail alone and the rest to yield articles", first)
	}
	if first.Duplicates != 1 {
		t.Errorf("first run found %d duplicates, want the syndicated port-strike story once", first.Duplicates)
	}
	second, err := in.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.New != 0 || second.NotModified != 6 || second.Fetched != 0 || second.Due != 6 {
		t.Errorf("second run = %+v; want every healthy feed 304 and the broken one backing off", second)
	}
	p, _ := s.ListArticles(ctx, "", 100, "")
	if len(p.Items) != first.New {
		t.Errorf("%d articles stored, %d reported new", len(p.Items), first.New)
	}
	broken, _ := s.GetSource(ctx, "broken-feed")
	if broken.ConsecutiveFailures != 1 || broken.LastError == "" || !broken.NextFetchAt.After(t0) {
		t.Errorf("broken source state = %+v", broken.FetchState)
	}
	stories := map[string]int{}
	for _, a := range p.Items {
		stories[a.Story]++
		if a.PublishedAt.After(t0.Add(time.Minute)) {
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

// recorder is the bus: it keeps each call's article.published details.
type recorder struct {
	mu    sync.Mutex
	fail  int
	got   [][]events.ArticlePublished
	calls int
}

func (r *recorder) Publish(_ context.Context, evs ...Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail > 0 {
		r.fail--
		return errors.New("bus down")
	}
	var chunk []events.ArticlePublished
	for _, e := range evs {
		if e.DetailType != events.ArticlePublishedType {
			return fmt.Errorf("published a %s", e.DetailType)
		}
		chunk = append(chunk, e.Detail.(events.ArticlePublished))
	}
	r.got = append(r.got, chunk)
	return nil
}

func TestAnnouncerNeverLosesAnArticle(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) { announceNeverLoses(t, store.new(t)) })
	}
}

func announceNeverLoses(t *testing.T, s Store) {
	ctx := context.Background()
	now := t0
	clock := func() time.Time { return now }
	for i := range 3 {
		a := art(i, "tech", t0)
		a.IngestedAt = t0.Add(time.Duration(i) * time.Second)
		_ = s.PutArticle(ctx, a)
	}
	pub := &recorder{fail: 1}
	an := &Announcer{Store: s, Publisher: pub, Lag: 30 * time.Second, Now: clock}

	now = t0.Add(10 * time.Second) // inside the lag: nothing is announced yet
	if r, err := an.Run(ctx); err != nil || r.Announced != 0 {
		t.Fatalf("inside the lag: %+v, %v", r, err)
	}
	now = t0.Add(time.Minute)
	if _, err := an.Run(ctx); err == nil {
		t.Fatal("a failing bus must fail the run")
	}
	r, err := an.Run(ctx)
	if err != nil || r.Announced != 3 || len(pub.got) != 1 || pub.got[0][0].Title != "story 0" {
		t.Fatalf("after the bus recovered: %+v, %v, %v", r, err, pub.got)
	}
	if r, _ := an.Run(ctx); r.Announced != 0 {
		t.Errorf("a third run announced %d again", r.Announced)
	}
	late := art(9, "tech", t0)
	late.IngestedAt = now.Add(time.Second)
	_ = s.PutArticle(ctx, late)
	now = now.Add(time.Minute)
	if r, _ := an.Run(ctx); r.Announced != 1 {
		t.Errorf("a later article: announced %d, want 1", r.Announced)
	}
}

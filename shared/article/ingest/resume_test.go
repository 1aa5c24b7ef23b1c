package ingest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
)

// flakyStore is the real store with PutArticle failing for chosen sources,
// as DynamoDB failing past the SDK's retries would.
type flakyStore struct {
	article.Store
	mu   sync.Mutex
	fail map[string]bool // source id → its puts fail
}

func (f *flakyStore) PutArticle(ctx context.Context, a article.Article) error {
	f.mu.Lock()
	fail := f.fail[a.SourceID]
	f.mu.Unlock()
	if fail {
		return errors.New("ThrottlingException: rate exceeded")
	}
	return f.Store.PutArticle(ctx, a)
}

// TestAFailedIngestionResumesWhereItStopped: when some articles cannot be
// stored, the sources that were stored in full are done (the next run asks
// them only for what is new: 304), the others keep their state and are
// fetched in full next run, which stores the rest once.
func TestAFailedIngestionResumesWhereItStopped(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) { resumeIngestion(t, store.new) })
	}
}

func resumeIngestion(t *testing.T, newStore func(t *testing.T) article.Store) {
	ctx := context.Background()
	at := t0.Add(time.Minute)
	now := func() time.Time { return at }

	clean := newStore(t)
	want, err := (&Ingester{Parser: feedparse.Local{}, Store: clean, Fetcher: sampleSetup(t, clean), Now: now}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}

	s := &flakyStore{Store: newStore(t), fail: map[string]bool{"tech-daily": true, "world-wire": true}}
	in := &Ingester{Parser: feedparse.Local{}, Store: s, Fetcher: sampleSetup(t, s.Store), Now: now}
	first, err := in.Run(ctx)
	if err == nil || first.Unstored != 2 || first.New >= want.New || first.New == 0 {
		t.Fatalf("the failing run: %+v, %v; want an error, 2 sources unstored, some articles stored", first, err)
	}
	for id, done := range map[string]bool{"tech-daily": false, "world-wire": false, "global-times": true} {
		src, _ := s.GetSource(ctx, id)
		if recorded := src.ETag != "" || src.LastModified != ""; recorded != done {
			t.Errorf("%s: fetch state recorded = %v, want %v (%+v)", id, recorded, done, src.FetchState)
		}
	}

	s.fail = nil
	at = at.Add(MaxInterval) // every source due again
	second, err := in.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.Fetched != 2 || second.NotModified != want.Fetched-2 || first.New+second.New != want.New {
		t.Errorf("the resumed run: %+v; want the 2 unstored sources fetched in full, the other %d not modified, %d new in all",
			second, want.Fetched-2, want.New)
	}
	p, _ := s.ListArticles(ctx, "", 100, "")
	if len(p.Items) != want.New {
		t.Errorf("%d articles stored, want %d, each once", len(p.Items), want.New)
	}
}

package article

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// flakyStore is the real store with PutArticle failing for chosen sources,
// as DynamoDB failing past the SDK's retries would.
type flakyStore struct {
	Store
	mu   sync.Mutex
	fail map[string]bool // source id → its puts fail
}

func (f *flakyStore) PutArticle(ctx context.Context, a Article) error {
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

func resumeIngestion(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	now := func() time.Time { return t0.Add(time.Minute) }

	clean := newStore(t)
	want, err := (&Ingester{Store: clean, Fetcher: sampleSetup(t, clean), Now: now}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}

	s := &flakyStore{Store: newStore(t), fail: map[string]bool{"tech-daily": true, "world-wire": true}}
	in := &Ingester{Store: s, Fetcher: sampleSetup(t, s.Store), Now: now}
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

type failingAfter struct {
	recorder
	accept int // calls accepted before the bus fails
}

func (f *failingAfter) Publish(ctx context.Context, evs ...Event) error {
	f.mu.Lock()
	if f.accept == 0 {
		f.mu.Unlock()
		return errors.New("bus down")
	}
	f.accept--
	f.mu.Unlock()
	return f.recorder.Publish(ctx, evs...)
}

// TestTheAnnouncerResumesAfterTheLastAcceptedChunk: a run that fails after
// the bus took some chunks leaves the checkpoint after them; the next run
// announces the rest. No article is skipped, even when a chunk's edge falls
// among articles stamped with the same instant.
func TestTheAnnouncerResumesAfterTheLastAcceptedChunk(t *testing.T) {
	for _, store := range stores {
		t.Run(store.name, func(t *testing.T) { announceResumes(t, store.new(t)) })
	}
}

func announceResumes(t *testing.T, s Store) {
	ctx := context.Background()
	const n = 130
	for i := range n {
		a := art(i, "tech", t0)
		a.IngestedAt = t0.Add(time.Duration(i) * time.Millisecond)
		if i >= 47 && i <= 53 { // a tie across the first chunk's edge
			a.IngestedAt = t0.Add(47 * time.Millisecond)
		}
		if err := s.PutArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	pub := &failingAfter{accept: 1}
	an := &Announcer{Store: s, Publisher: pub, Lag: 30 * time.Second, Now: func() time.Time { return t0.Add(time.Minute) }}
	r, err := an.Run(ctx)
	if err == nil || r.Announced != 54 {
		t.Fatalf("the failing run: %+v, %v; want the first chunk (50, stretched to 54 by the tie) announced, then an error", r, err)
	}
	if cp, _ := s.Checkpoint(ctx); !cp.Equal(t0.Add(47 * time.Millisecond)) {
		t.Errorf("checkpoint after the failure = %v, want the first chunk's last instant", cp)
	}
	pub.accept = 10
	r, err = an.Run(ctx)
	if err != nil || r.Announced != n-54 {
		t.Fatalf("the resumed run: %+v, %v; want the other %d", r, err, n-54)
	}
	seen := map[string]int{}
	for _, chunk := range pub.got {
		for _, a := range chunk {
			seen[a.ID]++
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct articles announced, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s announced %d times", id, k)
		}
	}
}

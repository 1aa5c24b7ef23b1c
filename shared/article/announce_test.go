package article

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
)

// recorder is the bus: it keeps each call's published details.
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

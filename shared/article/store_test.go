package article

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

// newStore is a DynamoStore on a fresh dynalite table.
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

// newMemory is a fresh MemoryStore.
func newMemory(t *testing.T) *MemoryStore {
	t.Helper()
	return NewMemoryStore()
}

func TestMemoryStore(t *testing.T) {
	storeSuite(t, func(t *testing.T) Store { return newMemory(t) })
}

func TestDynamoStore(t *testing.T) {
	storeSuite(t, func(t *testing.T) Store { return newStore(t) })
}

// stores are the Store implementations the batch rules' tests run on: the
// memory store for the rules, DynamoDB as the adapter's proof.
var stores = []struct {
	name string
	new  func(t *testing.T) Store
}{
	{"in memory", func(t *testing.T) Store { return newMemory(t) }},
	{"on DynamoDB", func(t *testing.T) Store { return newStore(t) }},
}

// TestSourcesStoredBeforeTheDueIndexJoinIt: a source item as the store wrote
// it before by-due existed (no gsi4pk) is never listed due until
// IndexDueSources backfills it, once.
func TestSourcesStoredBeforeTheDueIndexJoinIt(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	legacy := map[string]any{"pk": sourcePK("old"), "gsi2pk": sourcesKind, "gsi2sk": "old", "id": "old", "url": "https://old.example/feed",
		"name": "Old", "category": "tech", "weight": 1, "consecutive_failures": 0, "created_at": t0, "updated_at": t0,
		"next_fetch_at": t0.Add(time.Hour)}
	if err := s.table.Put(legacy).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSource(ctx, Source{ID: "new", URL: "https://new.example/feed", Name: "New", Category: "tech", Weight: 1, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueSources(ctx, t0.Add(2*time.Hour), 10); len(due) != 1 {
		t.Fatalf("before the backfill: %d due, want only the new source", len(due))
	}
	if n, err := s.IndexDueSources(ctx); err != nil || n != 1 {
		t.Fatalf("backfill: %d, %v; want the one legacy source", n, err)
	}
	if due, _ := s.DueSources(ctx, t0, 10); len(due) != 1 || due[0].ID != "new" {
		t.Errorf("at t0: %+v, want only new (old is due at its next fetch)", due)
	}
	if due, _ := s.DueSources(ctx, t0.Add(2*time.Hour), 10); len(due) != 2 {
		t.Errorf("after its next fetch time: %d due, want 2", len(due))
	}
	if n, err := s.IndexDueSources(ctx); err != nil || n != 0 {
		t.Errorf("second backfill: %d, %v; want nothing to do", n, err)
	}
}

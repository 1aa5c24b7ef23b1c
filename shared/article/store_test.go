package article

import (
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

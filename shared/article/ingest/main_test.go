package ingest

import (
	"os"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// stores are the article stores ingestion runs on: the memory store for the
// rules, DynamoDB (on a fresh dynalite table) as the adapter's proof.
var stores = []struct {
	name string
	new  func(t *testing.T) article.Store
}{
	{"in memory", func(t *testing.T) article.Store { return article.NewMemoryStore() }},
	{"on DynamoDB", func(t *testing.T) article.Store { return article.NewDynamoStore(dynamotest.Table(t, "articles")) }},
}

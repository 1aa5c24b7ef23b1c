package local_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAUserWhoReads20000ArticlesLosesNothingAndStillGetsAFeed is the greedy
// client of issue 17: 40 batches of 500 distinct read events (40 times a
// heavy reader's 72 h) used to push the user's day of reads past DynamoDB's
// 400 KB, and every batch after ~12,500 ids dead-lettered in feed-events.
func TestAUserWhoReads20000ArticlesLosesNothingAndStillGetsAFeed(t *testing.T) {
	all := rankedFeed(t, "sports", 2)
	reader := register(t)
	if status, body := admin(t, "PUT", "/v1/users/me/interests", reader.Token, "application/json", `{"categories":["sports"]}`); status != 200 {
		t.Fatalf("interests: %d %s", status, body)
	}
	eventually(t, "a sports personal feed", func() bool {
		return slices.Contains(readFeed(t, "/v1/feed/me?limit=50", reader.Token).ids(), all.Items[0].ID)
	})
	const batches, per = 40, 500 // the batch cap; 40 batches stay under 120 a minute per user
	opened := all.Items[0].ID    // opened in the very last batch: the newest read
	now := time.Now().UTC().Format(time.RFC3339)
	for b := range batches {
		evs := make([]map[string]any, per)
		for i := range per {
			id := make([]byte, 16)
			_, _ = rand.Read(id)
			article := hex.EncodeToString(id)
			if b == batches-1 && i == per-1 {
				article = opened
			}
			evs[i] = map[string]any{"id": fmt.Sprintf("greedy-%02d-%03d", b, i), "type": "read", "article_id": article, "at": now}
		}
		if status, out := postEvents(t, reader.Token, evs); status != 202 {
			t.Fatalf("batch %d: %d %v", b, status, out)
		}
	}
	// Wait, by exact counts, until every delivery and its retries are over.
	quiet(t)
	var dead struct {
		DeadLetters []struct {
			Function string          `json:"function"`
			Event    json.RawMessage `json:"event"`
		} `json:"dead_letters"`
	}
	get(t, "/_local/dead-letters", &dead)
	for _, d := range dead.DeadLetters {
		if strings.Contains(string(d.Event), reader.UserID) {
			t.Errorf("a dead letter in %s for the reader: %.300s", d.Function, d.Event)
		}
	}
	// The personal feed still works and hides the newest read.
	p := readFeed(t, "/v1/feed/me?limit=50", reader.Token)
	if len(p.Items) == 0 || slices.Contains(p.ids(), opened) {
		t.Errorf("personal feed after 20,000 reads: %v; want items, without %s", p.ids(), opened)
	}
}

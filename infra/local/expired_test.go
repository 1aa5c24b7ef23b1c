package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// notifyCloud is a cloud with the trending notification path (registration
// and interests, the feed's events, the fan-out, the inbox) whose TTL deletes
// items two days after they expire: long enough to see them expired but
// still stored, as DynamoDB may keep them.
func notifyCloud(t *testing.T) *local.Cloud {
	t.Helper()
	return smallCloud(t, func(f *topology.Function) bool {
		switch f.Name {
		case "users-api", "authorizer", "feed-events", "notify-trending", "notifications-api":
			return true
		}
		return false
	}, local.Config{TTLDelay: 48 * time.Hour})
}

// busEvent is an EventBridge event as a rule target receives it.
func busEvent(c *local.Cloud, detailType, source string, detail any) []byte {
	b, _ := json.Marshal(map[string]any{"version": "0", "id": fmt.Sprintf("%s-%d", detailType, time.Now().UnixNano()),
		"detail-type": detailType, "source": source, "account": local.Account, "time": c.Now().UTC().Format(time.RFC3339),
		"region": local.Region, "resources": []string{}, "detail": detail})
	return b
}

// inboxOf lists the article ids in a user's inbox.
func inboxOf(t *testing.T, c *local.Cloud, token string) []string {
	t.Helper()
	status, body := on(t, c, "GET", "/v1/notifications", token, "")
	var out struct {
		Items []struct {
			ArticleID string `json:"article_id"`
		} `json:"items"`
	}
	if status != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("inbox: %d %s", status, body)
	}
	var ids []string
	for _, it := range out.Items {
		ids = append(ids, it.ArticleID)
	}
	return ids
}

// nextDeadLetter waits for notify-trending's next dead letter of an article
// (after the before it had).
func nextDeadLetter(t *testing.T, c *local.Cloud, articleID string, before int) local.DeadLetter {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if ds := deadLettersOf(t, c, articleID); len(ds) > before {
			return ds[len(ds)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dead letter of notify-trending for %s", articleID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// refreshed renews a user's tokens (the access token lives an hour of the
// clock the test moves by days).
func refreshed(t *testing.T, c *local.Cloud, r registration) registration {
	t.Helper()
	status, next, body := refreshOn(t, c, r.RefreshToken)
	if status != 200 {
		t.Fatalf("refresh: %d %s", status, body)
	}
	return next
}

// TestTrendingForAnExpiredArticleNotifiesNoOneWhetherOrNotTTLDeletedIt: a
// trending announcement of an article past the feeds' retention writes no
// inbox entry and dead-letters, saying why — first while the expired item is
// still stored, then once TTL deleted it — as in AWS, where either may be
// the case; the same announcement of a live article reaches the fan.
func TestTrendingForAnExpiredArticleNotifiesNoOneWhetherOrNotTTLDeletedIt(t *testing.T) {
	c := notifyCloud(t)
	start := c.Now().UTC()
	fan := registerOn(t, c)
	if status, body := on(t, c, "PUT", "/v1/users/me/interests", fan.Token, `{"categories":["ttlnews"]}`); status != 200 {
		t.Fatalf("interests: %d %s", status, body)
	}
	live, old := fmt.Sprintf("%032x", 0x2601), fmt.Sprintf("%032x", 0x2602)
	for _, id := range []string{live, old} {
		c.Deliver("feed-events", "rule:on-article", busEvent(c, events.ArticlePublishedType, events.SourceArticles,
			events.ArticlePublished{ID: id, URL: "https://news.example/" + id, Title: "Story " + id, SourceID: "ttl-desk",
				Category: "ttlnews", Story: "story-" + id, PublishedAt: start.Add(-time.Hour)}))
	}
	trending := func(id string) {
		c.Deliver("notify-trending", "rule:on-trending", busEvent(c, events.ArticleTrendingType, events.SourceTracking,
			events.ArticleTrending{ID: id, Hour: c.Now().UTC().Format(events.HourLayout), Clicks: 50}))
	}
	// The live article reaches the fan: the path works, and the fan is indexed.
	deadline := time.Now().Add(time.Minute)
	for {
		trending(live)
		if ids := inboxOf(t, c, fan.Token); len(ids) == 1 && ids[0] == live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live article never reached the fan's inbox: %v", inboxOf(t, c, fan.Token))
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Two hours past the old article's retention, before TTL's delay is over:
	// its item is still stored.
	c.MoveClock(start.Add(-time.Hour + feed.ArticleRetention + 2*time.Hour))
	if !feedArticleStored(t, c, old) {
		t.Fatal("the expired article is already deleted; the test needs it still stored")
	}
	session := refreshed(t, c, fan)
	trending(old)
	if d := nextDeadLetter(t, c, old, 0); !strings.Contains(d.Error, "no longer") {
		t.Errorf("the dead letter of a trending expired article says %q; want it not in the feeds any longer", d.Error)
	}
	if ids := inboxOf(t, c, session.Token); len(ids) != 1 || ids[0] != live {
		t.Errorf("inbox after a trending expired (still stored) article = %v, want only %s", ids, live)
	}

	// Two days later TTL deleted it: the same answer.
	c.MoveClock(c.Now().Add(48 * time.Hour))
	if feedArticleStored(t, c, old) {
		t.Fatal("TTL did not delete the expired article after its delay")
	}
	session = refreshed(t, c, session)
	before := len(deadLettersOf(t, c, old))
	trending(old)
	if d := nextDeadLetter(t, c, old, before); !strings.Contains(d.Error, "no longer") {
		t.Errorf("the dead letter of a trending deleted article says %q; want it not in the feeds any longer", d.Error)
	}
	if ids := inboxOf(t, c, session.Token); len(ids) != 1 || ids[0] != live {
		t.Errorf("inbox after a trending deleted article = %v, want only %s", ids, live)
	}
}

func deadLettersOf(t *testing.T, c *local.Cloud, articleID string) []local.DeadLetter {
	t.Helper()
	status, body := on(t, c, "GET", "/_local/dead-letters", "", "")
	var out struct {
		DeadLetters []local.DeadLetter `json:"dead_letters"`
	}
	if status != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("dead letters: %d %s", status, body)
	}
	var mine []local.DeadLetter
	for _, d := range out.DeadLetters {
		if d.Function == "notify-trending" && strings.Contains(string(d.Event), articleID) {
			mine = append(mine, d)
		}
	}
	return mine
}

// feedArticleStored reads the feed's copy of an article from the table,
// expired or not: which world the test is in.
func feedArticleStored(t *testing.T, c *local.Cloud, id string) bool {
	t.Helper()
	out, err := dynalite.Client(c.DynamoURL).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(c.TableName("feed")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a#" + id}, "sk": &types.AttributeValueMemberS{Value: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

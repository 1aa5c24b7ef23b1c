package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/infra/local"
)

type kpiRow struct {
	Period      string `json:"period"`
	Key         string `json:"key"`
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
	Reads       int64  `json:"reads"`
	Users       int64  `json:"users"`
}

func kpi(t *testing.T, granularity, by string, at time.Time) map[string]kpiRow {
	t.Helper()
	ts := at.UTC().Format(time.RFC3339)
	status, body := admin(t, "GET", fmt.Sprintf("/admin/api/kpi?from=%s&to=%s&granularity=%s&by=%s", ts, ts, granularity, by), cloud.AdminToken(), "", "")
	var out struct {
		Rows []kpiRow `json:"rows"`
	}
	if status != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("kpi: %d %s", status, body)
	}
	m := map[string]kpiRow{}
	for _, r := range out.Rows {
		m[r.Key] = r
	}
	return m
}

func postEvents(t *testing.T, token string, events []map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"events": events})
	status, body := admin(t, "POST", "/v1/events", token, "application/json", string(b))
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return status, out
}

func runKPI(t *testing.T, detail string) {
	t.Helper()
	if status, body := admin(t, "POST", "/_local/schedules/aggregate-kpi/run", "", "application/json", detail); status != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("run aggregate-kpi: %d %s", status, body)
	}
}

// sampleArticle waits until tracking knows the sample articles' categories
// (article.published → track-articles), then returns one of category cat.
func sampleArticle(t *testing.T, cat string) string {
	t.Helper()
	var p articlePage
	eventually(t, "a "+cat+" sample article", func() bool {
		get(t, "/v1/articles?category="+cat+"&limit=1", &p)
		return len(p.Items) > 0
	})
	id := p.Items[0].ID
	db := local.DynamoClient(cloud.DynamoURL)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(cloud.TableName("events")),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "art#" + id}}})
		if err == nil && out.Item != nil {
			return id
		}
		// The announcer relays what was stored at least 30 s ago.
		admin(t, "POST", "/_local/schedules/announce-articles/run", "", "", "")
		time.Sleep(2 * time.Second)
	}
	t.Fatal("article.published never reached the tracking catalogue")
	return ""
}

func TestTrackingToKPIs(t *testing.T) {
	sport := sampleArticle(t, "sports")
	alice, bob := register(t), register(t)
	now := time.Now().UTC()
	at := now.Format(time.RFC3339)
	mk := func(prefix string, n int, typ string) []map[string]any {
		var out []map[string]any
		for i := range n {
			out = append(out, map[string]any{"id": fmt.Sprintf("%s-%s-%04d", prefix, typ, i), "type": typ, "article_id": sport, "at": at})
		}
		return out
	}
	aliceBatch := append(append(mk("alice", 3, "impression"), mk("alice", 2, "click")...), mk("alice", 1, "read")...)
	bobBatch := append(mk("bob", 2, "impression"), mk("bob", 1, "click")...)
	before := kpi(t, "hour", "article", now)[sport]

	if status, out := postEvents(t, alice.Token, aliceBatch); status != 202 || out["accepted"] != float64(6) {
		t.Fatalf("alice: %d %v", status, out)
	}
	if status, out := postEvents(t, alice.Token, aliceBatch); status != 202 || out["duplicates"] != float64(6) || out["accepted"] != float64(0) {
		t.Fatalf("alice's retry: %d %v", status, out)
	}
	if status, _ := postEvents(t, bob.Token, bobBatch); status != 202 {
		t.Fatalf("bob: %d", status)
	}
	bad := append(mk("bob", 1, "click"), map[string]any{"id": "bob-bad-0001", "type": "like", "article_id": sport, "at": at})
	if status, out := postEvents(t, bob.Token, bad); status != 400 || !strings.Contains(fmt.Sprint(out), "events[1]") {
		t.Errorf("a batch with one bad event: %d %v", status, out)
	}
	if status, _ := postEvents(t, "", bobBatch); status != 401 {
		t.Errorf("no token: %d", status)
	}

	want := kpiRow{Impressions: before.Impressions + 5, Clicks: before.Clicks + 3, Reads: before.Reads + 1}
	check := func() bool {
		got := kpi(t, "hour", "article", now)[sport]
		return got.Impressions == want.Impressions && got.Clicks == want.Clicks && got.Reads == want.Reads
	}
	runKPI(t, "")
	eventually(t, "the KPI shards", check)
	first := kpi(t, "hour", "article", now)[sport]
	runKPI(t, "")
	time.Sleep(time.Second)
	eventually(t, "the second KPI run", check)
	if again := kpi(t, "hour", "article", now)[sport]; again != first {
		t.Errorf("running the batch twice changed the numbers: %+v then %+v", first, again)
	}
	if cat := kpi(t, "day", "category", now)["sports"]; cat.Users < 2 || cat.Clicks < 3 {
		t.Errorf("sports today = %+v; want at least alice and bob", cat)
	}
}

// TestLoad: concurrent clients post batches (each retried once); after the
// batch, what was accepted is exactly what is counted.
func TestLoad(t *testing.T) {
	sport := sampleArticle(t, "sports")
	const clients, perClient = 8, 50
	hour := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Hour) // an hour of its own
	at := hour.Add(10 * time.Minute).Format(time.RFC3339)
	var mu sync.Mutex
	accepted, duplicates := 0, 0
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := register(t)
			var evs []map[string]any
			for i := range perClient {
				evs = append(evs, map[string]any{"id": fmt.Sprintf("load-%d-%04d", c, i), "type": "impression", "article_id": sport, "at": at})
			}
			for range 2 {
				status, out := postEvents(t, u.Token, evs)
				if status != 202 {
					t.Errorf("client %d: %d %v", c, status, out)
					return
				}
				mu.Lock()
				accepted += int(out["accepted"].(float64))
				duplicates += int(out["duplicates"].(float64))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("load: %d events in %d batches (each sent twice) in %s: %.0f events/s", clients*perClient*2, clients*2, elapsed,
		float64(clients*perClient*2)/elapsed.Seconds())
	if accepted != clients*perClient || duplicates != clients*perClient {
		t.Fatalf("accepted %d, duplicates %d; want %d each", accepted, duplicates, clients*perClient)
	}
	runKPI(t, fmt.Sprintf(`{"granularity":"hour","period":"%s"}`, hour.Format("2006010215")))
	eventually(t, "the load hour's KPIs", func() bool {
		got := kpi(t, "hour", "all", hour)["all"]
		return got.Impressions == int64(accepted) && got.Users == clients
	})
}

// TestTrendingAndLearnedInterests: clicks past the threshold make an article
// trending (once); engagement in a completed hour teaches the user interests.
func TestTrendingAndLearnedInterests(t *testing.T) {
	sport := sampleArticle(t, "sports")
	u := register(t)
	prev := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
	now := time.Now().UTC()
	var evs []map[string]any
	for i := range 10 { // the trending threshold, this hour
		evs = append(evs, map[string]any{"id": fmt.Sprintf("trend-%04d", i), "type": "click", "article_id": sport, "at": now.Format(time.RFC3339)})
	}
	for i := range 3 { // engagement in the previous, completed hour
		evs = append(evs, map[string]any{"id": fmt.Sprintf("learn-%04d", i), "type": "read", "article_id": sport,
			"at": prev.Add(20 * time.Minute).Format(time.RFC3339), "dwell_ms": 60000})
	}
	if status, out := postEvents(t, u.Token, evs); status != 202 {
		t.Fatalf("post: %d %v", status, out)
	}
	runKPI(t, "") // workers compute this hour's partials
	runKPI(t, fmt.Sprintf(`{"granularity":"hour","period":"%s"}`, prev.Format("2006010215")))
	db := local.DynamoClient(cloud.DynamoURL)
	eventually(t, "the article to be marked trending", func() bool {
		runKPI(t, `{"granularity":"hour","period":"`+now.Format("2006010215")+`"}`) // a coordinator run checks trending
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(cloud.TableName("events")),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "trend#" + sport}}})
		return err == nil && out.Item != nil
	})
	eventually(t, "learned interests", func() bool {
		_, body := admin(t, "GET", "/v1/users/me", u.Token, "", "")
		var me struct {
			Learned map[string]float64 `json:"learned_interests"`
		}
		// 3 reads × (2 + 1 min), decayed by the hour or two since the learned hour (9 × 2^(−2/168) ≈ 8.93)
		return json.Unmarshal(body, &me) == nil && me.Learned["sports"] >= 8.9
	})
}

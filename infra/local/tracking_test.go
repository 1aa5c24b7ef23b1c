package local_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

type kpiRow struct {
	Period      string `json:"period"`
	Key         string `json:"key"`
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
	Reads       int64  `json:"reads"`
	Users       int64  `json:"users"`
	Viewers     int64  `json:"viewers"`
	Clickers    int64  `json:"clickers"`
	ViewerClk   int64  `json:"viewer_clicks"`
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
	runSchedule(t, "aggregate-kpi", "application/json", detail)
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
	inCatalogue(t, id)
	return id
}

// inCatalogue waits until tracking's catalogue has the article (ids outside
// it count in the unknown bucket), running the announcer meanwhile.
func inCatalogue(t *testing.T, id string) {
	t.Helper()
	db := dynalite.Client(cloud.DynamoURL)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(cloud.TableName("events")),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "art#" + id}}})
		if err == nil && out.Item != nil {
			return
		}
		// The announcer relays what was stored at least 30 s ago.
		admin(t, "POST", "/_local/schedules/announce-articles/run", "", "", "")
		time.Sleep(2 * time.Second)
	}
	t.Fatal("article.published never reached the tracking catalogue")
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
	// An operator's run of a named period (the event detail of a run now)
	// recomputes every shard of it: the same numbers again.
	runKPI(t, fmt.Sprintf(`{"granularity":"hour","period":%q}`, now.Format("2006010215")))
	eventually(t, "the run of the named hour", check)
	if again := kpi(t, "hour", "article", now)[sport]; again != first {
		t.Errorf("recomputing the named hour changed the numbers: %+v then %+v", first, again)
	}
	if cat := kpi(t, "day", "category", now)["sports"]; cat.Users < 2 || cat.Clicks < 3 {
		t.Errorf("sports today = %+v; want at least alice and bob", cat)
	}
}

// TestLoad: concurrent clients post batches (each retried once); after the
// batch, what was accepted is exactly what is counted.
//
// The load counts on an article of its own: an hour's "all" slice is shared
// with every other test whose events fall in that hour (TestClicksMoveAn…'s,
// two hours back, meet this one's three hours back when the suite runs across
// an hour's turn: CI saw 416 impressions and 16 users for 400 and 8).
func TestLoad(t *testing.T) {
	sport := catalogueArticle(t, "loadtest")
	const clients, perClient = 8, 50
	hour := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Hour)
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
	// The scheduled coordinator, not a run asked for the load's hour: the
	// marks the accepted batches left must bring it up to date.
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("the load hour %s as last read: %s", hour.Format("2006010215"), last)
			for _, inv := range cloud.InvocationsOf("aggregate-kpi") {
				if inv.Status != "ok" && inv.At.After(start) {
					t.Logf("aggregate-kpi %s %s: %s", inv.Trigger, inv.Status, inv.Error)
				}
			}
			for _, l := range cloud.Logs("aggregate-kpi", "kpi shard", 40) {
				t.Logf("log: %s", l)
			}
		}
	}()
	eventuallyLong(t, "the load hour's KPIs", 30*time.Second, func() { runKPI(t, "") }, func() bool {
		got := kpi(t, "hour", "article", hour)[sport]
		day := kpi(t, "day", "article", hour)[sport]
		last = fmt.Sprintf("the hour of %s %+v; its day %+v", sport, got, day)
		return got.Impressions == int64(accepted) && got.Users == clients && day.Impressions == int64(accepted) && day.Users == clients
	})
}

// TestTrendingAndLearnedInterests: clicks past the threshold make an article
// trending (once); engagement in a completed hour teaches the user interests.
// Trending is seen as an app sees it: in the inbox of a user who follows the
// article's category.
func TestTrendingAndLearnedInterests(t *testing.T) {
	sport := catalogueArticle(t, "trendsport")
	u, fan := register(t), register(t)
	if status, body := admin(t, "PUT", "/v1/users/me/interests", fan.Token, "application/json", `{"categories":["trendsport"]}`); status != 200 {
		t.Fatalf("the fan's interests: %d %s", status, body)
	}
	prev := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
	now := time.Now().UTC()
	var evs []map[string]any
	for i := range 10 { // one reader's clicks count once
		evs = append(evs, map[string]any{"id": fmt.Sprintf("trend-%04d", i), "type": "click", "article_id": sport, "at": now.Format(time.RFC3339)})
	}
	for i := range 3 { // engagement in the previous, completed hour
		evs = append(evs, map[string]any{"id": fmt.Sprintf("learn-%04d", i), "type": "read", "article_id": sport,
			"at": prev.Add(20 * time.Minute).Format(time.RFC3339), "dwell_ms": 60000})
	}
	if status, out := postEvents(t, u.Token, evs); status != 202 {
		t.Fatalf("post: %d %v", status, out)
	}
	notified := func() int {
		status, body := admin(t, "GET", "/v1/notifications", fan.Token, "", "")
		var in struct {
			Items []struct {
				ArticleID string `json:"article_id"`
			} `json:"items"`
		}
		if status != 200 || json.Unmarshal(body, &in) != nil {
			t.Fatalf("the fan's inbox: %d %s", status, body)
		}
		n := 0
		for _, it := range in.Items {
			if it.ArticleID == sport {
				n++
			}
		}
		return n
	}
	// settled waits until everything the runs so far published was
	// delivered, then ranks the feeds.
	settled := func() {
		settle(t)
		runNow(t, "rank-feeds")
	}
	// Only the scheduled coordinator runs: the marks bring both hours up to date.
	eventuallyLong(t, "learned interests", 30*time.Second, func() { runKPI(t, "") }, func() bool {
		_, body := admin(t, "GET", "/v1/users/me", u.Token, "", "")
		var me struct {
			Learned map[string]float64 `json:"learned_interests"`
		}
		// 3 reads × (2 + 1 min), decayed by the hour or two since the learned hour (9 × 2^(−2/168) ≈ 8.93)
		return json.Unmarshal(body, &me) == nil && me.Learned["trendsport"] >= 8.9
	})
	eventuallyLong(t, "the reader's clicks counted", 30*time.Second, func() { runKPI(t, "") }, func() bool {
		return kpi(t, "hour", "article", now)[sport].Clicks == 10
	})
	runKPI(t, "") // the coordinator checks trending from the partials just stored
	settled()
	if n, why := notified(), feedReason(t, "trendsport", sport); n != 0 || why != "fresh" {
		t.Fatalf("one reader's 10 clicks: the fan was told %d times, the feed says %q; want neither trending", n, why)
	}
	for i := range tracking.TrendingReaders - 1 { // with u, TrendingReaders distinct readers
		if status, out := postEvents(t, register(t).Token, []map[string]any{
			{"id": fmt.Sprintf("trend-other-%04d", i), "type": "click", "article_id": sport, "at": now.Format(time.RFC3339)}}); status != 202 {
			t.Fatalf("post: %d %v", status, out)
		}
	}
	eventuallyLong(t, "the trending article in the fan's inbox", 30*time.Second, func() { runKPI(t, "") }, func() bool { return notified() > 0 })
	runKPI(t, "") // later runs announce it no more
	runKPI(t, "")
	settled()
	if n, why := notified(), feedReason(t, "trendsport", sport); n != 1 || why != "trending" {
		t.Errorf("the fan was told %d times of the trending article (want once), the feed says %q", n, why)
	}
}

// feedReason is why the category's public feed shows the article ("" when
// it does not).
func feedReason(t *testing.T, category, id string) string {
	t.Helper()
	for _, it := range readFeed(t, "/v1/feed?category="+category+"&limit=50", "").Items {
		if it.ID == id {
			return it.Reason
		}
	}
	return ""
}

// catalogueArticle announces a fresh article of its own category (as the
// articles domain does) and waits until tracking's catalogue has it — seen
// through the local cloud, not tracking's table: the announcement carries a
// trace of its own, and track-articles handled an event of that trace — so a
// test's counts are then its own.
func catalogueArticle(t *testing.T, category string) string {
	t.Helper()
	a := events.ArticlePublished{ID: fmt.Sprintf("%032x", time.Now().UnixNano()), URL: "https://e2e.example/" + category,
		Title: "An e2e story about " + category, SourceID: "e2e-" + category, Category: category, Story: "e2e-" + category,
		PublishedAt: time.Now().UTC().Add(-time.Minute), SourceWeight: 1}
	root := local.NewTraceRoot()
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", "Root="+root) // the key aws-lambda-go uses; logs.TraceHeader reads it
	if err := publisherAs(t, events.SourceArticles).Publish(ctx, bus.Event{DetailType: events.ArticlePublishedType, Detail: a}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the article in tracking's catalogue", func() bool {
		_, body := admin(t, "GET", "/_local/invocations?function=track-articles", "", "", "")
		var out struct {
			Invocations []local.Invocation `json:"invocations"`
		}
		if json.Unmarshal(body, &out) != nil {
			return false
		}
		return slices.ContainsFunc(out.Invocations, func(i local.Invocation) bool { return i.Trace == root && i.Status == "ok" })
	})
	return a.ID
}

// TestLateEventsAreCountedInEveryPeriod: events 0 h, 26 h, 50 h and
// 6 d 23 h late, each batch sent twice, and one more sent while KPI runs are
// in progress, are each counted once in their hour and their day — with only
// the scheduled coordinator running.
func TestLateEventsAreCountedInEveryPeriod(t *testing.T) {
	article := catalogueArticle(t, "latenews")
	u := register(t)
	now := time.Now().UTC()
	lates := []time.Duration{0, 26 * time.Hour, 50 * time.Hour, 6*24*time.Hour + 23*time.Hour}
	runKPI(t, "")
	for i, late := range lates {
		at := now.Add(-late).Format(time.RFC3339)
		batch := []map[string]any{{"id": fmt.Sprintf("late-%d-imp", i), "type": "impression", "article_id": article, "at": at},
			{"id": fmt.Sprintf("late-%d-clk", i), "type": "click", "article_id": article, "at": at}}
		for attempt := range 2 {
			status, out := postEvents(t, u.Token, batch)
			if status != 202 || out["accepted"].(float64)+out["duplicates"].(float64) != 2 || (attempt == 1 && out["duplicates"] != float64(2)) {
				t.Fatalf("late by %s, attempt %d: %d %v", late, attempt, status, out)
			}
		}
	}
	// KPI runs in progress while one more event arrives (for the hour of now).
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 3 {
			runKPI(t, "")
		}
	}()
	if status, out := postEvents(t, u.Token, []map[string]any{{"id": "late-during-run", "type": "read", "article_id": article,
		"at": now.Format(time.RFC3339)}}); status != 202 {
		t.Fatalf("the event during a run: %d %v", status, out)
	}
	wg.Wait()
	want := func(late time.Duration) kpiRow {
		if late == 0 {
			return kpiRow{Impressions: 1, Clicks: 1, Reads: 1, Users: 1, Viewers: 1, Clickers: 1, ViewerClk: 1}
		}
		return kpiRow{Impressions: 1, Clicks: 1, Users: 1, Viewers: 1, Clickers: 1, ViewerClk: 1}
	}
	eventuallyLong(t, "every period counted", 45*time.Second, func() { runKPI(t, "") }, func() bool {
		for _, late := range lates {
			for _, g := range []string{"hour", "day"} {
				got := kpi(t, g, "article", now.Add(-late))[article]
				got.Period, got.Key = "", ""
				if got != want(late) {
					return false
				}
			}
		}
		return true
	})
	for _, late := range lates {
		for _, g := range []string{"hour", "day"} {
			if got := kpi(t, g, "article", now.Add(-late))[article]; got.Impressions != 1 || got.Clicks != 1 {
				t.Errorf("%s of events %s late = %+v, want each counted once", g, late, got)
			}
		}
	}
}

// TestRandomArticleIdsCannotStopAShard: 12 batches of 500 clicks on random
// ids (each a valid-looking article id) neither dead-letter the KPI batch nor
// stop the counting of a real reader in the same shard.
func TestRandomArticleIdsCannotStopAShard(t *testing.T) {
	article := catalogueArticle(t, "shardnews")
	mallory := register(t)
	var neighbour registration
	for range 200 {
		if r := register(t); tracking.ShardOf(r.UserID) == tracking.ShardOf(mallory.UserID) {
			neighbour = r
			break
		}
	}
	if neighbour.Token == "" {
		t.Fatal("no user of mallory's shard in 200 registrations")
	}
	before := deadLetterIDs(t)
	now := time.Now().UTC()
	at := now.Format(time.RFC3339)
	for b := range 12 {
		var batch []map[string]any
		for i := range 500 {
			id := make([]byte, 16)
			_, _ = rand.Read(id)
			batch = append(batch, map[string]any{"id": fmt.Sprintf("rnd-%02d-%04d", b, i), "type": "click", "article_id": hex.EncodeToString(id), "at": at})
		}
		if status, out := postEvents(t, mallory.Token, batch); status != 202 {
			t.Fatalf("batch %d: %d %v", b, status, out)
		}
		if b%4 == 3 {
			runKPI(t, "") // the shard recomputed as the ids pile up
		}
	}
	if status, out := postEvents(t, neighbour.Token, []map[string]any{{"id": "neighbour-imp", "type": "impression", "article_id": article, "at": at},
		{"id": "neighbour-clk", "type": "click", "article_id": article, "at": at}}); status != 202 {
		t.Fatalf("the neighbour: %d %v", status, out)
	}
	eventuallyLong(t, "the neighbour's click counted", 45*time.Second, func() { runKPI(t, "") }, func() bool {
		h, d := kpi(t, "hour", "article", now)[article], kpi(t, "day", "article", now)[article]
		return h.Clicks == 1 && d.Clicks == 1 && kpi(t, "hour", "article", now)["unknown"].Clicks >= 6000
	})
	if left := newDeadLetters(t, before); len(left) > 0 {
		t.Errorf("dead letters: %v", left)
	}
}

// TestAnEventBatchCostsAWritePerEventAndOnePerHour measures the DynamoDB
// calls of POST /v1/events from the function's access log: one conditional
// put per event, one mark per distinct hour of the batch, one for the
// per-user limit.
func TestAnEventBatchCostsAWritePerEventAndOnePerHour(t *testing.T) {
	article := catalogueArticle(t, "costnews")
	u := register(t)
	now := time.Now().UTC()
	for _, c := range []struct {
		name  string
		hours []time.Duration
	}{
		{"25 events of one hour", []time.Duration{0}},
		{"25 events over 5 hours", []time.Duration{0, time.Hour, 2 * time.Hour, 30 * time.Hour, 6 * 24 * time.Hour}},
	} {
		var batch []map[string]any
		for i := range 25 {
			batch = append(batch, map[string]any{"id": fmt.Sprintf("cost-%d-%04d", len(c.hours), i), "type": "impression", "article_id": article,
				"at": now.Add(-c.hours[i%len(c.hours)]).Format(time.RFC3339)})
		}
		b, _ := json.Marshal(map[string]any{"events": batch})
		status, out, h := call(t, "POST", "/v1/events", u.Token, string(b))
		if status != 202 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%s: %d %s", c.name, status, out)
		}
		var calls int
		eventually(t, "the access log line", func() bool {
			for _, l := range cloud.Logs("tracking-api", h.Get("X-Request-Id"), 5) {
				var rec struct {
					Calls *int `json:"dynamodb_calls"`
				}
				if i := strings.Index(l, "{"); i >= 0 && json.Unmarshal([]byte(l[i:]), &rec) == nil && rec.Calls != nil {
					calls = *rec.Calls
					return true
				}
			}
			return false
		})
		want := len(batch) + len(c.hours) + 1
		t.Logf("%s: %d DynamoDB calls", c.name, calls)
		if calls != want {
			t.Errorf("%s: %d DynamoDB calls, want %d (a put per event, a mark per hour, the limit)", c.name, calls, want)
		}
	}
}

// TestALostDynamoDBResponseDoesNotMakeANewEventADuplicate sends ten batches
// of ten new events while a fifth of DynamoDB's responses are lost after
// the write applied (the SDK then sends the same conditional put again),
// then replays all hundred with the faults off. A batch answered 202 under
// the faults accepted its ten events; the replay finds as duplicates every
// event stored; no duplicate is counted while every event was sent by one
// call only, and each event is counted accepted once.
func TestALostDynamoDBResponseDoesNotMakeANewEventADuplicate(t *testing.T) {
	user := register(t)
	if status, body := admin(t, "GET", "/v1/users/me", user.Token, "", ""); status != 200 { // the authorizer's cache
		t.Fatalf("GET /v1/users/me: %d %s", status, body)
	}
	fn := map[string]string{"function": "tracking-api"}
	accepted0, _ := metricSum(t, metrics.EventsAccepted.Name, fn)
	duplicated0, _ := metricSum(t, metrics.EventsDuplicated.Name, fn)
	at := time.Now().UTC().Format(time.RFC3339)
	batches := make([]string, 10)
	all := make([]string, 0, 100)
	for b := range batches {
		evs := make([]string, 10)
		for i := range evs {
			evs[i] = fmt.Sprintf(`{"id":"lost-%d-%02d-%02d","type":"impression","article_id":"0123456789abcdef0123456789abcdef","at":%q}`,
				time.Now().UnixNano(), b, i, at)
		}
		batches[b] = `{"events":[` + strings.Join(evs, ",") + `]}`
		all = append(all, evs...)
	}
	type result struct{ Accepted, Duplicates int }

	drops0 := cloud.SetFaults(local.Faults{DynamoDrop: 0.2}).DynamoDrop
	answered, acceptedUnderFaults := 0, 0
	for b, batch := range batches {
		status, body := admin(t, "POST", "/v1/events", user.Token, "application/json", batch)
		if status >= 500 { // three responses of one write lost: the client retries later
			continue
		}
		var r result
		if status != 202 || json.Unmarshal(body, &r) != nil || r.Accepted != 10 || r.Duplicates != 0 {
			t.Errorf("batch %d of ten new events under lost responses: %d %s, want 202 with 10 accepted", b, status, body)
		}
		answered++
		acceptedUnderFaults += r.Accepted
	}
	if drops := cloud.SetFaults(local.Faults{}).DynamoDrop - drops0; drops == 0 || answered == 0 {
		t.Fatalf("%d responses lost, %d batches answered: the case did not happen", drops, answered)
	}

	status, body := admin(t, "POST", "/v1/events", user.Token, "application/json", `{"events":[`+strings.Join(all, ",")+`]}`)
	var replay result
	if status != 202 || json.Unmarshal(body, &replay) != nil || replay.Accepted+replay.Duplicates != 100 ||
		replay.Duplicates < acceptedUnderFaults {
		t.Fatalf("the replay of all 100: %d %s; %d were accepted under faults", status, body, acceptedUnderFaults)
	}
	// Only the replay counts duplicates; a batch that failed (5xx) may have
	// stored an event it could not count, so the accepted total is exact only
	// when every batch was answered.
	waitMetric(t, metrics.EventsDuplicated.Name, fn, duplicated0+float64(replay.Duplicates))
	if answered == len(batches) {
		waitMetric(t, metrics.EventsAccepted.Name, fn, accepted0+100)
	} else if got, _ := metricSum(t, metrics.EventsAccepted.Name, fn); got-accepted0 < float64(acceptedUnderFaults+replay.Accepted) {
		t.Errorf("EventsAccepted moved by %g, want at least %d", got-accepted0, acceptedUnderFaults+replay.Accepted)
	}
	t.Logf("%d of 10 batches answered under faults; replay: %+v", answered, replay)
}

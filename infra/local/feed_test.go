package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

type feedPage struct {
	Category string    `json:"category"`
	RankedAt time.Time `json:"ranked_at"`
	Items    []struct {
		ID       string  `json:"id"`
		Title    string  `json:"title"`
		Category string  `json:"category"`
		SourceID string  `json:"source_id"`
		Score    float64 `json:"score"`
		Reason   string  `json:"reason"`
		Story    string  `json:"story"`
		Versions int     `json:"versions"`
		Also     []struct {
			ID       string `json:"id"`
			SourceID string `json:"source_id"`
			Title    string `json:"title"`
			URL      string `json:"url"`
			Category string `json:"category"`
		} `json:"also"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (p feedPage) ids() []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

func readFeed(t *testing.T, path, token string) feedPage {
	t.Helper()
	status, body := admin(t, "GET", path, token, "", "")
	var p feedPage
	if status != 200 || json.Unmarshal(body, &p) != nil {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return p
}

// eventuallyLong polls cond until it holds, running what helps it along (a
// batch) between polls and letting everything that run started finish
// before the next poll: a nudge never queues behind the previous one, so a
// busy machine slows the rounds down but cannot starve them (a KPI run fans
// out one job per marked day and shard; nudged every half second, the jobs
// piled up faster than a loaded machine ran them). It gives up once limit
// has passed and at least three settled rounds saw cond false.
func eventuallyLong(t *testing.T, what string, limit time.Duration, nudge func(), cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for round := 0; ; round++ {
		if cond() {
			return
		}
		if time.Now().After(deadline) && (nudge == nil || round >= 3) {
			t.Fatalf("timed out waiting for %s (%d rounds in %s)", what, round, limit)
		}
		if nudge == nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		nudge()
		settle(t)
	}
}

// settle waits (up to two minutes) until every delivery in flight, and every
// one those start, has finished; schedules that came due meanwhile are
// skipped, as after Quiesce.
func settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cloud.Quiesce(ctx)
	cloud.Resume()
	if err != nil {
		t.Logf("not settled: %v", err)
	}
}

func runNow(t *testing.T, fn string) {
	t.Helper()
	runSchedule(t, fn, "", "")
}

// runSchedule runs a function's schedule now. A run refused as throttled
// (every instance busy, e.g. with the KPI batch's own shard workers on a
// loaded machine) is tried again, as a caller of a throttled Lambda does,
// for up to two minutes; any other outcome than ok fails the test.
func runSchedule(t *testing.T, fn, contentType, detail string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		status, body := admin(t, "POST", "/_local/schedules/"+fn+"/run", "", contentType, detail)
		if status == 200 && strings.Contains(string(body), `"status":"ok"`) {
			return
		}
		if status != 200 || !strings.Contains(string(body), `"status":"throttled"`) || time.Now().After(deadline) {
			t.Fatalf("run %s: %d %s", fn, status, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// rankedFeed waits until the sample news is ranked into the category's feed.
// It runs only the announcer (whose 30 s lag the test cannot skip): the
// ranking run itself is requested by the feed's own events.
func rankedFeed(t *testing.T, category string, min int) feedPage {
	t.Helper()
	var p feedPage
	eventuallyLong(t, category+" feed ranked from the sample news", 90*time.Second,
		func() { admin(t, "POST", "/_local/schedules/announce-articles/run", "", "", "") },
		func() bool {
			p = readFeed(t, "/v1/feed?category="+category+"&limit=50", "")
			return len(p.Items) >= min
		})
	return p
}

func TestFeedIsRankedFromSampleNewsWithoutASchedule(t *testing.T) {
	if local.SampleAnnounceDelay != article.AnnounceLag+2*time.Second {
		t.Errorf("the local cloud announces the sample news after %s; the announcer's lag is %s", local.SampleAnnounceDelay, article.AnnounceLag)
	}
	top := rankedFeed(t, "top", 20)
	if len(top.Items) == 50 && top.NextCursor == "" {
		t.Error("a full top page has no next cursor")
	}
	reasons := map[string]bool{}
	for _, it := range top.Items {
		if it.Reason == "" || it.Score <= 0 {
			t.Errorf("item %s has reason %q, score %v", it.ID, it.Reason, it.Score)
		}
		reasons[it.Reason] = true
	}
	// The sample feeds' dates span days: fresh and older ones.
	if !reasons["fresh"] {
		t.Errorf("no fresh item in %v", reasons)
	}
	// Pages: small pages walk the feed without repeats.
	seen := map[string]bool{}
	cursor := ""
	for range 30 {
		p := readFeed(t, "/v1/feed?category=top&limit=7&cursor="+url.QueryEscape(cursor), "")
		for _, id := range p.ids() {
			if seen[id] {
				t.Fatalf("%s repeats", id)
			}
			seen[id] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) < len(top.Items) {
		t.Errorf("walked %d items, the first page alone had %d", len(seen), len(top.Items))
	}
	status, body := admin(t, "GET", "/v1/feed?cursor=forged", "", "", "")
	if status != 400 || !strings.Contains(string(body), "invalid_argument") {
		t.Errorf("forged cursor: %d %s", status, body)
	}
	if inv := invocations(t, "rank-feeds"); len(inv) == 0 {
		t.Error("rank-feeds never ran")
	}
}

func TestAFeedCursorServesOnlyTheListThatGaveItOut(t *testing.T) {
	top := rankedFeed(t, "top", 10)
	first := readFeed(t, "/v1/feed?category=top&limit=3", "")
	if first.NextCursor == "" {
		t.Fatal("a 3-item page of top has no next cursor")
	}
	other := top.Items[0].Category
	status, body := admin(t, "GET", "/v1/feed?category="+other+"&limit=3&cursor="+url.QueryEscape(first.NextCursor), "", "", "")
	if status != 400 || !strings.Contains(string(body), "invalid_argument") {
		t.Errorf("top's cursor on the %s feed: %d %s, want 400", other, status, body)
	}
	if next := readFeed(t, "/v1/feed?category=top&limit=3&cursor="+url.QueryEscape(first.NextCursor), ""); len(next.Items) == 0 {
		t.Error("top's cursor on top serves nothing")
	}
	alice, bob := register(t), register(t)
	mine := readFeed(t, "/v1/feed/me?limit=2", alice.Token)
	if mine.NextCursor == "" {
		t.Fatal("a 2-item personal page has no next cursor")
	}
	status, body = admin(t, "GET", "/v1/feed/me?limit=2&cursor="+url.QueryEscape(mine.NextCursor), bob.Token, "", "")
	if status != 400 || !strings.Contains(string(body), "invalid_argument") {
		t.Errorf("alice's cursor in bob's hands: %d %s, want 400", status, body)
	}
	status, body = admin(t, "GET", "/v1/notifications?cursor="+url.QueryEscape(mine.NextCursor), alice.Token, "", "")
	if status != 400 || !strings.Contains(string(body), "invalid_argument") {
		t.Errorf("a feed cursor on the inbox: %d %s, want 400", status, body)
	}
	if next := readFeed(t, "/v1/feed/me?limit=2&cursor="+url.QueryEscape(mine.NextCursor), alice.Token); len(next.Items) == 0 {
		t.Error("alice's cursor serves her nothing")
	}
}

func TestAPublishedArticleShowsOnceEvenWhenDeliveredTwice(t *testing.T) {
	rankedFeed(t, "top", 1)
	ctx := context.Background()
	a := events.ArticlePublished{ID: fmt.Sprintf("%032x", time.Now().UnixNano()),
		URL: "https://e2e.example/scoop", Title: "An e2e scoop about curling", SourceID: "e2e-desk", Category: "curling",
		Story: "e2e-scoop", PublishedAt: time.Now().UTC().Add(-time.Minute), SourceWeight: 1}
	articlesPub := publisherAs(t, events.SourceArticles)
	for range 2 {
		if err := articlesPub.Publish(ctx, bus.Event{DetailType: events.ArticlePublishedType, Detail: a}); err != nil {
			t.Fatal(err)
		}
	}
	var p feedPage
	eventually(t, "the published article in its category feed", func() bool {
		p = readFeed(t, "/v1/feed?category=curling", "")
		return len(p.Items) > 0
	})
	if !slices.Equal(p.ids(), []string{a.ID}) || p.Items[0].Reason != "fresh" {
		t.Errorf("curling feed %+v, want the one article once, fresh", p.Items)
	}
	eventually(t, "the published article in top", func() bool {
		return slices.Contains(readFeed(t, "/v1/feed?category=top&limit=50", "").ids(), a.ID)
	})
}

func TestClicksMoveAnArticleUpAfterRanking(t *testing.T) {
	sports := rankedFeed(t, "sports", 3)
	last := sports.Items[len(sports.Items)-1]
	first := sports.Items[0]
	// Eight readers each see both and click the last one: ranking counts
	// readers, so each counts once. Two hours ago, so they count for the
	// day's ranking numbers without making the article trending this hour
	// (which would change its reason in the other tests' feeds).
	at := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	for r := range 8 {
		batch := []map[string]any{
			{"id": fmt.Sprintf("rank-imp-%04d", r), "type": "impression", "article_id": last.ID, "at": at},
			{"id": fmt.Sprintf("rank-clk-%04d", r), "type": "click", "article_id": last.ID, "at": at},
			{"id": fmt.Sprintf("rank-top-%04d", r), "type": "impression", "article_id": first.ID, "at": at}}
		if status, out := postEvents(t, register(t).Token, batch); status != 202 {
			t.Fatalf("events: %d %v", status, out)
		}
	}
	// The KPI batch announces the day's numbers per article (article.stats);
	// the next ranking run uses them.
	eventuallyLong(t, "the clicked article to rise", 30*time.Second, func() { runKPI(t, ""); runNow(t, "rank-feeds") }, func() bool {
		p := readFeed(t, "/v1/feed?category=sports&limit=50", "")
		for _, it := range p.Items {
			if it.Reason == "pinned" {
				continue
			}
			return it.ID == last.ID
		}
		return false
	})
}

func TestPersonalFeedFollowsInterestsAndSkipsWhatWasRead(t *testing.T) {
	all := rankedFeed(t, "sports", 3)
	fan := register(t)
	if status, body := admin(t, "PUT", "/v1/users/me/interests", fan.Token, "application/json", `{"categories":["sports"]}`); status != 200 {
		t.Fatalf("interests: %d %s", status, body)
	}
	var p feedPage
	eventually(t, "a sports-first personal feed", func() bool {
		p = readFeed(t, "/v1/feed/me?limit=10", fan.Token)
		return len(p.Items) > 0 && strings.HasPrefix(p.Items[0].Reason, "interest:sports")
	})
	sports := 0
	for _, it := range p.Items {
		if it.Category == "sports" {
			sports++
		}
	}
	// 80% of a page comes from the interests, until they run out.
	if want := min(len(all.Items), 8); sports < want {
		t.Errorf("%d of %d items are sports, want %d", sports, len(p.Items), want)
	}
	opened := p.Items[0].ID
	if status, out := postEvents(t, fan.Token, []map[string]any{
		{"id": "fan-read-0001", "type": "read", "article_id": opened, "at": time.Now().UTC().Format(time.RFC3339), "dwell_ms": 30000},
	}); status != 202 {
		t.Fatalf("read: %d %v", status, out)
	}
	eventually(t, "the read article to leave the personal feed", func() bool {
		return !slices.Contains(readFeed(t, "/v1/feed/me?limit=50", fan.Token).ids(), opened)
	})
	if status, _ := admin(t, "GET", "/v1/feed/me", "", "", ""); status != 401 {
		t.Errorf("personal feed without a token: %d", status)
	}
}

func TestTrendingReachesInterestedInboxesOnce(t *testing.T) {
	business := rankedFeed(t, "business", 1)
	article := business.Items[len(business.Items)-1].ID
	fan, other := register(t), register(t)
	for tok, cat := range map[string]string{fan.Token: "business", other.Token: "science"} {
		if status, body := admin(t, "PUT", "/v1/users/me/interests", tok, "application/json", `{"categories":["`+cat+`"]}`); status != 200 {
			t.Fatalf("interests: %d %s", status, body)
		}
	}
	// TrendingReaders distinct readers click it (other, not a fan, among them).
	at := time.Now().UTC().Format(time.RFC3339)
	for r := range tracking.TrendingReaders {
		tok := other.Token
		if r > 0 {
			tok = register(t).Token
		}
		if status, out := postEvents(t, tok, []map[string]any{{"id": "trend-clk-0001", "type": "click", "article_id": article, "at": at}}); status != 202 {
			t.Fatalf("clicks: %d %v", status, out)
		}
	}
	type inbox struct {
		Items []struct {
			ID        string `json:"id"`
			ArticleID string `json:"article_id"`
			Read      bool   `json:"read"`
		} `json:"items"`
	}
	read := func(tok string) inbox {
		status, body := admin(t, "GET", "/v1/notifications", tok, "", "")
		var in inbox
		if status != 200 || json.Unmarshal(body, &in) != nil {
			t.Fatalf("inbox: %d %s", status, body)
		}
		return in
	}
	// The coordinator announces trending from the partials of the previous
	// run's workers: run it until it does.
	var got inbox
	eventuallyLong(t, "the trending article in the fan's inbox", 30*time.Second, func() { runKPI(t, "") }, func() bool {
		got = read(fan.Token)
		return slices.ContainsFunc(got.Items, func(n struct {
			ID        string `json:"id"`
			ArticleID string `json:"article_id"`
			Read      bool   `json:"read"`
		}) bool {
			return n.ArticleID == article
		})
	})
	runKPI(t, "")
	runKPI(t, "")
	n := 0
	var id string
	for _, it := range read(fan.Token).Items {
		if it.ArticleID == article {
			n++
			id = it.ID
		}
	}
	if n != 1 {
		t.Errorf("the fan has %d entries for the article, want 1", n)
	}
	for _, it := range read(other.Token).Items {
		if it.ArticleID == article {
			t.Error("a user not interested in business was notified")
		}
	}
	status, body := admin(t, "POST", "/v1/notifications/read", fan.Token, "application/json", `{"ids":["`+id+`"]}`)
	if status != 200 || !strings.Contains(string(body), `"marked":1`) {
		t.Errorf("mark read: %d %s", status, body)
	}
	if status, _ := admin(t, "POST", "/v1/notifications/read", fan.Token, "application/json", `{"ids":["x"],"user_id":"y"}`); status != 400 {
		t.Errorf("a body with an unknown field: %d", status)
	}
	// Marking it again marks nothing: it was read already.
	if status, body := admin(t, "POST", "/v1/notifications/read", fan.Token, "application/json", `{"ids":["`+id+`"]}`); status != 200 || !strings.Contains(string(body), `"marked":0`) {
		t.Errorf("marking a read entry again: %d %s; want marked 0", status, body)
	}
	// An editor hides the article after it trended: it leaves the inbox (at
	// the instance's next reload of the trending list), and comes back, still
	// read, when the editor shows it again.
	listed := func() (bool, bool) {
		for _, it := range read(fan.Token).Items {
			if it.ArticleID == article {
				return true, it.Read
			}
		}
		return false, false
	}
	moderate := func(hidden bool) {
		body := fmt.Sprintf(`{"hidden":%t,"pinned":false}`, hidden)
		if status, out := admin(t, "PUT", "/admin/api/articles/"+article+"/moderation", cloud.AdminToken(), "application/json", body); status != 200 {
			t.Fatalf("moderation %s: %d %s", body, status, out)
		}
	}
	moderate(true)
	eventuallyLong(t, "the hidden article to leave the fan's inbox", time.Minute, nil, func() bool { in, _ := listed(); return !in })
	moderate(false)
	eventuallyLong(t, "the shown article back in the fan's inbox", time.Minute, nil, func() bool { in, _ := listed(); return in })
	if _, wasRead := listed(); !wasRead {
		t.Error("the entry came back unread")
	}
}

func TestModerationReachesTheFeedWithinAMinute(t *testing.T) {
	world := rankedFeed(t, "world", 3)
	hide, pin := world.Items[0].ID, world.Items[len(world.Items)-1].ID
	moderate := func(id string, hidden, pinned bool) {
		t.Helper()
		body := fmt.Sprintf(`{"hidden":%t,"pinned":%t}`, hidden, pinned)
		if status, out := admin(t, "PUT", "/admin/api/articles/"+id+"/moderation", cloud.AdminToken(), "application/json", body); status != 200 {
			t.Fatalf("moderate: %d %s", status, out)
		}
	}
	moderate(hide, true, false)
	moderate(pin, false, true)
	defer moderate(hide, false, false)
	defer moderate(pin, false, false)
	start := time.Now()
	eventuallyLong(t, "the moderation in the world feed", time.Minute, nil, func() bool {
		p := readFeed(t, "/v1/feed?category=world&limit=50", "")
		return !slices.Contains(p.ids(), hide) && len(p.Items) > 0 && p.Items[0].ID == pin && p.Items[0].Reason == "pinned"
	})
	t.Logf("moderation reflected after %s", time.Since(start).Round(time.Millisecond))
	if status, _ := admin(t, "PUT", "/admin/api/articles/"+pin+"/moderation", "", "application/json", `{"hidden":true,"pinned":false}`); status != 401 {
		t.Errorf("moderation without the admin token: %d", status)
	}
	if status, _ := admin(t, "PUT", "/admin/api/articles/"+pin+"/moderation", cloud.AdminToken(), "application/json", `{"hidden":true}`); status != 400 {
		t.Errorf("moderation without pinned: %d", status)
	}
}

// TestOneInstallsBurstMakesNoNews: one install's 600 events on an article —
// clicks without impressions, then impressions and clicks — notify no fan of
// its category, and the clicks without impressions change nothing in the
// feed: the feed's numbers count readers, and a click without the reader's
// impression counts for no CTR.
func TestOneInstallsBurstMakesNoNews(t *testing.T) {
	business := rankedFeed(t, "business", 2)
	target := business.Items[len(business.Items)-2] // not the one TestTrendingReachesInterestedInboxesOnce makes trend
	fan, mallory := register(t), register(t)
	if status, body := admin(t, "PUT", "/v1/users/me/interests", fan.Token, "application/json", `{"categories":["business"]}`); status != 200 {
		t.Fatalf("interests: %d %s", status, body)
	}
	// Scores decay between runs alike; the order only changes with numbers.
	position := func() int {
		return slices.Index(readFeed(t, "/v1/feed?category=business&limit=50", "").ids(), target.ID)
	}
	runNow(t, "rank-feeds")
	wantAt := position()
	now := time.Now().UTC()
	at := now.Format(time.RFC3339)
	send := func(prefix string, n int, types ...string) {
		var batch []map[string]any
		for i := range n {
			for _, typ := range types {
				batch = append(batch, map[string]any{"id": fmt.Sprintf("%s-%s-%04d", prefix, typ, i), "type": typ, "article_id": target.ID, "at": at})
			}
		}
		if status, out := postEvents(t, mallory.Token, batch); status != 202 {
			t.Fatalf("burst: %d %v", status, out)
		}
	}
	send("burst", 450, "click")
	counted := func(clicks int64) func() bool {
		return func() bool { return kpi(t, "day", "article", now)[target.ID].Clicks >= clicks }
	}
	eventuallyLong(t, "the burst counted", 30*time.Second, func() { runKPI(t, "") }, counted(450))
	runKPI(t, "") // the coordinator's trending check over what the last run stored
	for range 3 {
		runNow(t, "rank-feeds")
		if at := position(); at != wantAt {
			t.Fatalf("450 clicks without an impression moved the article from #%d to #%d", wantAt, at)
		}
	}
	send("burst2", 75, "impression", "click")
	eventuallyLong(t, "the rest of the burst counted", 30*time.Second, func() { runKPI(t, "") }, counted(525))
	runKPI(t, "")
	if got := kpi(t, "day", "article", now)[target.ID]; got.Viewers != 1 || got.ViewerClk != 1 || got.Clickers != 1 {
		t.Errorf("600 events of one install = %+v; want one viewer who clicked", got)
	}
	// The KPI run's article.stats (one viewer, one click) reach the feed;
	// one reader is under feed.MinReaders, so the ranking does not move.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cloud.Quiesce(ctx); err != nil {
		t.Fatal(err)
	}
	cloud.Resume()
	runNow(t, "rank-feeds")
	if at := position(); at != wantAt {
		t.Errorf("one install's 75 impressions and clicks moved the article from #%d to #%d", wantAt, at)
	}
	// The same install dates a view and a click on each of two earlier days
	// (the API takes events up to 7 days old): a reader counts once per
	// day, and one reader on each of three days is still one reader.
	var late []map[string]any
	for d := 1; d <= 2; d++ {
		when := now.Add(-time.Duration(d)*24*time.Hour - time.Hour).Format(time.RFC3339)
		for _, typ := range []string{"impression", "click"} {
			late = append(late, map[string]any{"id": fmt.Sprintf("days-%d-%s", d, typ), "type": typ, "article_id": target.ID, "at": when})
		}
	}
	if status, out := postEvents(t, mallory.Token, late); status != 202 {
		t.Fatalf("late days: %d %v", status, out)
	}
	eventuallyLong(t, "the earlier days counted", 30*time.Second, func() { runKPI(t, "") }, func() bool {
		return kpi(t, "day", "article", now.Add(-49*time.Hour))[target.ID].Clicks >= 1 &&
			kpi(t, "day", "article", now.Add(-25*time.Hour))[target.ID].Clicks >= 1
	})
	if err := cloud.Quiesce(ctx); err != nil {
		t.Fatal(err)
	}
	cloud.Resume()
	runNow(t, "rank-feeds")
	if at := position(); at != wantAt {
		t.Errorf("one install's views and clicks dated on three days moved the article from #%d to #%d", wantAt, at)
	}
	status, body := admin(t, "GET", "/v1/notifications", fan.Token, "", "")
	if status != 200 {
		t.Fatalf("inbox: %d %s", status, body)
	}
	if strings.Contains(string(body), target.ID) {
		t.Errorf("one install's burst reached a fan's inbox: %s", body)
	}
}

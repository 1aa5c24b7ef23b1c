package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
)

// chromium finds the browser; in CI its absence fails the test (.ci/run
// installs it), on a laptop it skips with how to install it.
// browser starts headless Chromium for one test, ended with it, and
// returns the context to drive it with; the whole test is bounded by timeout.
func browser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	exe := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancel() })
	return bctx
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run must apt-get install chromium")
	}
	t.Skip("no chromium: install it (Debian: sudo apt-get update && sudo apt-get install -y chromium) to run the browser test")
	return ""
}

// TestAdminConsoleInARealBrowser drives the admin console in headless
// Chromium through the local gateway, as an editor would: accept an
// invitation, sign out and in, add a source (a bad URL first) and find it in
// the audit log, run ingestion now, see its articles, hide one and
// see it leave the public API, read a KPI chart with data, redrive a dead
// letter. Screenshots of each step go to build/screenshots/.
func TestAdminConsoleInARealBrowser(t *testing.T) {
	bctx := browser(t, 4*time.Minute)
	shots := filepath.Join(root, "build", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	step := 0
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			b, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			step++
			return os.WriteFile(filepath.Join(shots, fmt.Sprintf("%02d-%s.png", step, name)), b, 0o644)
		})
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	attr := func(sel, name string) string {
		t.Helper()
		a, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		if err != nil {
			t.Fatalf("%s of %s: %v", name, sel, err)
		}
		return a.Value
	}
	location := func() string {
		t.Helper()
		l, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	api := cloud.APIURL

	// Any console page sends a stranger to the sign-in page.
	do("sign-in page", chromedp.Navigate(api+"/admin/sources"), chromedp.WaitVisible(chromedp.CSS("#email")), shot("sign-in"))

	// The first operator: the admin token's break-glass invitation, then its
	// one-time link in the browser.
	email := fmt.Sprintf("browser-%d@kiosk.test", time.Now().UnixNano())
	status, out := admin(t, "POST", "/admin/api/editors/invitations", cloud.AdminToken(), "application/json",
		fmt.Sprintf(`{"email":%q,"role":"operator"}`, email))
	var inv struct {
		Link string `json:"link"`
	}
	if status != 201 || json.Unmarshal(out, &inv) != nil || !strings.HasPrefix(inv.Link, "/admin/join?token=") {
		t.Fatalf("invite: %d %s", status, out)
	}
	do("accept the invitation", chromedp.Navigate(api+inv.Link), chromedp.WaitVisible(chromedp.CSS("#password")), shot("invitation"),
		chromedp.SendKeys(chromedp.CSS("#password"), consolePassword), chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".logout button")))
	do("the link is spent", chromedp.Navigate(api+inv.Link), chromedp.WaitVisible(chromedp.CSS(".error")))
	if got := text(".error"); !strings.Contains(got, "not valid") {
		t.Errorf("a used invitation link reads %q", got)
	}

	// Sign out, then in with the new account.
	do("sign out after joining", chromedp.Navigate(api+"/admin/account"), chromedp.WaitVisible(chromedp.CSS(".logout button")),
		chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.CSS("#email")))
	do("sign in",
		chromedp.Navigate(api+"/admin/sources"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), consolePassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#add-source")))
	if l := location(); !strings.HasSuffix(l, "/admin/sources") {
		t.Fatalf("after sign-in at %s", l)
	}

	// Add a source: the server refuses a bad URL next to the field.
	fill := func(url string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.CSS("#f-id"), "culture-desk"),
			chromedp.SetValue(chromedp.CSS("#f-url"), url),
			chromedp.SetValue(chromedp.CSS("#f-name"), "Culture Desk"),
			chromedp.SetValue(chromedp.CSS("#f-category"), "culture"),
			chromedp.SetValue(chromedp.CSS("#f-weight"), "1.1"),
			chromedp.Click(chromedp.CSS("#add-source button[type=submit]")),
		)
	}
	do("a bad source", fill("ftp://culture.example/feed"), chromedp.WaitVisible(chromedp.CSS("#e-url")), shot("source-refused"))
	if got := text("#e-url"); !strings.Contains(got, "url must be") {
		t.Errorf("the URL error reads %q", got)
	}
	do("add the source", fill(api+"/_local/samples/culture-desk.xml"), chromedp.WaitVisible(chromedp.CSS(".notice")), shot("source-created"))
	if got := text(".notice"); !strings.Contains(got, "Source created") {
		t.Fatalf("after adding: %q", got)
	}
	// Its audit entry: who, what, after.
	do("audit", chromedp.Navigate(api+"/admin/audit?action=source.create&actor="+url.QueryEscape(email)),
		chromedp.WaitVisible(chromedp.CSS("table.audit")), shot("audit"))
	if got := text("table.audit tbody"); !strings.Contains(got, email) || !strings.Contains(got, "source.create") ||
		!strings.Contains(got, "culture-desk") || !strings.Contains(got, `"weight":1.1`) {
		t.Errorf("the source's audit entry reads %q", got)
	}

	// Run ingestion now and wait for its run to be listed.
	do("run ingestion", chromedp.Navigate(api+"/admin/batches"), chromedp.WaitVisible(chromedp.CSS("#b-ingest-feeds")),
		chromedp.Click(chromedp.CSS("#b-ingest-feeds button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	deadline := time.Now().Add(60 * time.Second)
	for runs := ""; !strings.Contains(runs, "manual") || !strings.Contains(runs, "new articles"); runs = text("#b-ingest-feeds tbody") {
		if time.Now().After(deadline) {
			t.Fatalf("no manual ingest run listed: %q", runs)
		}
		time.Sleep(500 * time.Millisecond)
		do("reload batches", chromedp.Navigate(api+"/admin/batches"), chromedp.WaitVisible(chromedp.CSS("#b-ingest-feeds")))
	}
	do("batches", shot("ingestion-ran"))

	// The new articles, then hide one.
	do("articles", chromedp.Navigate(api+"/admin/articles?category=culture"), chromedp.WaitVisible(chromedp.CSS("table.articles")), shot("articles"))
	if got := text("table.articles tbody"); !strings.Contains(got, "Museum reopens its modern art wing") {
		t.Fatalf("the culture articles are not listed: %q", got)
	}
	rowID := attr("table.articles tbody tr", "id")
	hidden := strings.TrimPrefix(rowID, "a-")
	publicIDs := func() []string {
		var public articlePage
		get(t, "/v1/articles?category=culture&limit=50", &public)
		var ids []string
		for _, a := range public.Items {
			ids = append(ids, a.ID)
		}
		return ids
	}
	if !slices.Contains(publicIDs(), hidden) {
		t.Fatal("the article is not public before hiding it")
	}
	do("hide", chromedp.Click(chromedp.CSS("#"+rowID+" button[value=hide]")), chromedp.WaitVisible(chromedp.CSS(".notice")), shot("article-hidden"))
	if got := attr("#"+rowID, "class"); got != "hidden-row" {
		t.Errorf("the hidden article's row is %q", got)
	}
	visible := publicIDs()
	if slices.Contains(visible, hidden) {
		t.Error("a hidden article is still in /v1/articles")
	}
	if len(visible) == 0 {
		t.Fatal("hiding one article hid them all")
	}

	// KPIs: an app reads and clicks a culture article; the KPI batch counts.
	shown := visible[0]
	inCatalogue(t, shown) // counted per article once tracking's catalogue has it
	u := register(t)
	at := time.Now().UTC().Format(time.RFC3339)
	var evs []map[string]any
	for i := range 6 {
		evs = append(evs, map[string]any{"id": fmt.Sprintf("browser-imp-%04d", i), "type": "impression", "article_id": shown, "at": at})
	}
	evs = append(evs, map[string]any{"id": "browser-clk-0001", "type": "click", "article_id": shown, "at": at})
	if status, out := postEvents(t, u.Token, evs); status != 202 {
		t.Fatalf("events: %d %v", status, out)
	}
	eventuallyLong(t, "the KPIs to count the clicks", 30*time.Second, func() { runKPI(t, "") }, func() bool {
		return kpi(t, "hour", "article", time.Now())[shown].Clicks > 0
	})
	do("kpi", chromedp.Navigate(api+"/admin/kpi?range=24h&granularity=hour"), chromedp.WaitVisible(chromedp.CSS("figure.chart svg")), shot("kpi"))
	charts, err := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS(".charts")))
	if err != nil {
		t.Fatal(err)
	}
	var art struct {
		Title string `json:"title"`
	}
	get(t, "/v1/articles/"+shown, &art)
	if top := text("table.top-article"); !strings.Contains(charts, "<circle") || art.Title == "" || !strings.Contains(top, art.Title) {
		t.Errorf("the KPI charts show no data point, or the clicked article is not a top article: %q", top)
	}

	// A dead letter: trending news of an article the feeds do not know yet
	// fails every delivery to notify-trending; once the article is announced,
	// a redrive from the console completes it.
	orphan := fmt.Sprintf("%032x", time.Now().UnixNano())
	trending := publisherAs(t, events.SourceTracking)
	if err := trending.Publish(context.Background(), bus.Event{DetailType: events.ArticleTrendingType,
		Detail: events.ArticleTrending{ID: orphan, Hour: time.Now().UTC().Format("2006010215"), Clicks: 12}}); err != nil {
		t.Fatal(err)
	}
	deadFor := func(article string) bool {
		var out struct {
			DeadLetters []struct {
				Function string          `json:"function"`
				Event    json.RawMessage `json:"event"`
			} `json:"dead_letters"`
		}
		get(t, "/_local/dead-letters", &out)
		for _, d := range out.DeadLetters {
			if d.Function == "notify-trending" && strings.Contains(string(d.Event), article) {
				return true
			}
		}
		return false
	}
	eventually(t, "a dead letter at notify-trending", func() bool { return deadFor(orphan) })
	if err := publisherAs(t, events.SourceArticles).Publish(context.Background(), bus.Event{DetailType: events.ArticlePublishedType,
		Detail: events.ArticlePublished{ID: orphan, URL: "https://culture.example/orphan", Title: "A late article", SourceID: "culture-desk",
			Category: "culture", Story: orphan, PublishedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	quiet(t) // feed-events has placed it (and nothing else lands during the redrive)
	do("dead letters", chromedp.Navigate(api+"/admin/dead-letters"), chromedp.WaitVisible(chromedp.CSS("table.dead-letters")), shot("dead-letters"))
	clicked, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { const tr = [...document.querySelectorAll("table.dead-letters tbody tr")]
		.find(tr => tr.textContent.includes("notify-trending") && tr.textContent.includes("article.trending"));
		if (!tr) return false; tr.querySelector("button").click(); return true })()`))
	if err != nil || !clicked {
		t.Fatalf("no notify-trending dead letter listed (%v): %q", err, text("table.dead-letters tbody"))
	}
	do("redriven", chromedp.WaitVisible(chromedp.CSS(".notice")), shot("redriven"))
	if got := text(".notice"); !strings.Contains(got, "Redriven to notify-trending") {
		t.Errorf("after redrive: %q", got)
	}
	eventually(t, "the redriven event to complete", func() bool { return !deadFor(orphan) })

	do("sign out", chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.Navigate(api+"/admin/kpi"), chromedp.WaitVisible(chromedp.CSS("#email")))
	if l := location(); !strings.Contains(l, "/admin/login") {
		t.Errorf("after signing out, /admin/kpi is at %s", l)
	}
}

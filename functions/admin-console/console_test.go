package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/article"
	web "github.com/kiosk-news/kiosk/shared/console"
	"github.com/kiosk-news/kiosk/shared/console/moderation"
	"github.com/kiosk-news/kiosk/shared/editor"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/ratelimit"
	"github.com/kiosk-news/kiosk/shared/tracking"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// password is every test account's password.
const password = "correct horse battery"

type harness struct {
	t         testing.TB
	srv       *httptest.Server
	store     *article.DynamoStore
	accounts  *editor.Store
	announced []events.ArticleModerated
	cookie    *http.Cookie
	clock     time.Time
}

// publisherFunc is an article.Publisher in a function.
type publisherFunc func(ctx context.Context, evs ...article.Event) error

func (f publisherFunc) Publish(ctx context.Context, evs ...article.Event) error {
	return f(ctx, evs...)
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, store: article.NewDynamoStore(dynamotest.Table(t, "articles")), clock: now}
	clock := func() time.Time { return h.clock }
	h.accounts = &editor.Store{Table: dynamotest.Table(t, editor.Table), Now: clock}
	c := &console{
		site:     web.New(h.accounts, &ratelimit.Limiter{Table: dynamotest.Table(t, contract.LimitsTable), Now: clock}, clock),
		accounts: h.accounts,
		articles: &article.Service{Store: h.store, Now: clock},
		kpi:      &tracking.Service{Store: tracking.NewDynamoStore(dynamotest.Table(t, "events")), Now: clock},
		now:      clock,
	}
	// The harness serves the editors' whole console, as the gateway does:
	// admin-console's routes and admin-moderation's (the article pages, the
	// only ones that announce), over the same tables.
	mux := c.routes()
	moderation.Mount(mux, web.New(h.accounts, nil, clock), &article.Service{Store: h.store, Now: clock,
		Events: publisherFunc(func(ctx context.Context, evs ...article.Event) error {
			for _, e := range evs {
				h.announced = append(h.announced, e.Detail.(events.ArticleModerated))
			}
			return nil
		})})
	h.srv = httptest.NewServer(httpapi.Wrap(mux)) // as httpapi.Start serves it: request ids, recovery
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", h.srv.URL)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if h.cookie != nil {
		req.AddCookie(h.cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (h *harness) sessionFrom(resp *http.Response) *http.Cookie {
	h.t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie && c.MaxAge > 0 {
			return c
		}
	}
	h.t.Fatalf("no session cookie (%d → %s)", resp.StatusCode, resp.Header.Get("Location"))
	return nil
}

// join creates an account through the invitation flow (invited by the
// break-glass token, as the first operator is) and returns its session.
func (h *harness) join(email, role string) *http.Cookie {
	h.t.Helper()
	inv, err := h.accounts.Invite(context.Background(), email, role, editor.AdminToken)
	if err != nil {
		h.t.Fatal(err)
	}
	saved := h.cookie
	h.cookie = nil
	defer func() { h.cookie = saved }()
	if resp, body := h.do("GET", "/admin/join?token="+inv.Token, nil, nil); resp.StatusCode != 200 || !strings.Contains(body, email) {
		h.t.Fatalf("invitation page: %d", resp.StatusCode)
	}
	resp, _ := h.do("POST", "/admin/join", url.Values{"token": {inv.Token}, "password": {password}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("join: %d", resp.StatusCode)
	}
	return h.sessionFrom(resp)
}

// signIn makes the harness an operator (op@kiosk.example), signed in.
func (h *harness) signIn() {
	h.t.Helper()
	h.cookie = h.join("op@kiosk.example", editor.RoleOperator)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (h *harness) csrf(path string) string {
	h.t.Helper()
	_, body := h.do("GET", path, nil, nil)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		h.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func TestPagesNeedASession(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/admin", "/admin/sources", "/admin/articles", "/admin/kpi", "/admin/sources/tech-daily", "/admin/audit", "/admin/editors", "/admin/account"} {
		resp, _ := h.do("GET", path, nil, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
			t.Errorf("GET %s without a session: %d → %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := h.do("POST", "/admin/sources", url.Values{"id": {"x1"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST without a session: %d", resp.StatusCode)
	}
	// A made-up session is no session; an expired one neither.
	h.cookie = &http.Cookie{Name: web.SessionCookie, Value: strings.Repeat("A", 43)}
	if resp, _ := h.do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a made-up session: %d", resp.StatusCode)
	}
	h.signIn()
	if resp, _ := h.do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a fresh session: %d", resp.StatusCode)
	}
	h.clock = now.Add(editor.SessionTTL + time.Minute)
	if resp, _ := h.do("GET", "/admin/sources", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an expired session: %d", resp.StatusCode)
	}
}

func TestSignIn(t *testing.T) {
	h := newHarness(t)
	h.join("ed@kiosk.example", editor.RoleEditor)
	for _, bad := range []url.Values{{"email": {"ed@kiosk.example"}, "password": {"wrong password!"}},
		{"email": {"nobody@kiosk.example"}, "password": {password}}, {"email": {"not an address"}, "password": {password}}} {
		resp, body := h.do("POST", "/admin/login", bad, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "do not match an account") || len(resp.Cookies()) != 0 {
			t.Errorf("%v: %d %v", bad, resp.StatusCode, resp.Cookies())
		}
	}
	resp, _ := h.do("POST", "/admin/login", url.Values{"email": {"ED@kiosk.example "}, "password": {password}, "next": {"https://evil.example/"}}, nil)
	if resp.Header.Get("Location") != "/admin" {
		t.Errorf("an off-site next: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := h.sessionFrom(resp)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/admin" {
		t.Errorf("cookie %+v", c)
	}
	resp, _ = h.do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, map[string]string{"X-Forwarded-Proto": "https"})
	if !h.sessionFrom(resp).Secure {
		t.Error("the cookie is not Secure behind https")
	}
	resp, _ = h.do("POST", "/admin/login", url.Values{"email": {"ed@kiosk.example"}, "password": {password}}, map[string]string{"Origin": "https://evil.example"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a cross-site sign-in: %d", resp.StatusCode)
	}
}

func TestFormsNeedTheCSRFTokenAndShowFieldErrors(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	resp, body := h.do("GET", "/admin/sources", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != web.CSP || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("sources page: %d %v", resp.StatusCode, resp.Header)
	}
	// The form is generated from SourceInput's tags.
	for _, want := range []string{`name="url"`, `type="url"`, `name="weight"`, `type="number"`, `max="10"`, "Feed URL"} {
		if !strings.Contains(body, want) {
			t.Errorf("the generated form lacks %s", want)
		}
	}
	token := h.csrf("/admin/sources")
	good := url.Values{"id": {"culture-desk"}, "url": {"https://culture.example/feed.xml"}, "name": {"<script>alert(1)</script>"},
		"category": {"culture"}, "weight": {"1.5"}}

	without := url.Values{}
	for k, v := range good {
		without[k] = v
	}
	if resp, _ := h.do("POST", "/admin/sources", without, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", resp.StatusCode)
	}
	withBad := url.Values{"csrf": {"forged"}}
	for k, v := range good {
		withBad[k] = v
	}
	if resp, _ := h.do("POST", "/admin/sources", withBad, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a forged CSRF token: %d", resp.StatusCode)
	}
	withGood := url.Values{"csrf": {token}}
	for k, v := range good {
		withGood[k] = v
	}
	if resp, _ := h.do("POST", "/admin/sources", withGood, map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post with the right token: %d", resp.StatusCode)
	}
	if list, _ := h.store.ListSources(context.Background()); len(list) != 0 {
		t.Fatalf("a refused form stored %d sources", len(list))
	}

	bad := url.Values{"csrf": {token}, "id": {"Bad ID"}, "url": {"ftp://x"}, "name": {"x"}, "category": {"culture"}, "weight": {"heavy"}}
	resp, body = h.do("POST", "/admin/sources", bad, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-weight"`) || !strings.Contains(body, "Weight must be a number") {
		t.Errorf("a type error: %d, no error next to weight", resp.StatusCode)
	}
	bad.Set("weight", "1")
	resp, body = h.do("POST", "/admin/sources", bad, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-url"`) || !strings.Contains(body, `id="e-id"`) ||
		!strings.Contains(body, `value="ftp://x"`) {
		t.Errorf("domain validation: %d, errors not next to url and id, or the values were lost", resp.StatusCode)
	}
	if list, _ := h.store.ListSources(context.Background()); len(list) != 0 {
		t.Fatalf("an invalid form stored %d sources", len(list))
	}

	resp, _ = h.do("POST", "/admin/sources", withGood, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/sources/culture-desk?saved=created" {
		t.Fatalf("create: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = h.do("GET", "/admin/sources?q=culture", nil, nil)
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(body, "<script>alert") {
		t.Error("a source name is not escaped")
	}
	edit := url.Values{"csrf": {token}, "url": {"https://culture.example/feed.xml"}, "name": {"Culture Desk"}, "category": {"culture"}, "weight": {"2"}}
	if resp, _ := h.do("POST", "/admin/sources/culture-desk", edit, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("update: %d", resp.StatusCode)
	}
	if s, _ := h.store.GetSource(context.Background(), "culture-desk"); s.Name != "Culture Desk" || s.Weight != 2 {
		t.Errorf("updated source %+v", s)
	}
	if resp, _ := h.do("POST", "/admin/sources/culture-desk/delete", url.Values{"csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
}

// TestAnEditorFetchesABackedOffSourceOnTheNextRun: a source backed off
// after failures shows "Fetch on the next run" (a healthy one waiting for
// its adaptive interval's next fetch, and one without a next fetch, do not); the form needs a session, the CSRF token and the same origin; an
// editor (not only an operator) sends it, is sent back to the source page
// with a notice, and the source is due at once with its failures and
// validators kept, audited under the editor's name; an unknown or malformed
// source is a 4xx that changes nothing, and a source that is not failing (an
// editor may post the form by hand) is a 409 whose page says so, its next
// fetch kept.
func TestAnEditorFetchesABackedOffSourceOnTheNextRun(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, id := range []string{"desk", "fresh", "calm"} {
		if err := h.store.PutSource(ctx, article.Source{ID: id, URL: "https://" + id + ".example/feed", Name: id, Category: "world", Weight: 1,
			CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	charged := article.FetchState{ETag: `"e"`, LastModified: "Tue, 24 Nov 2026 10:00:00 GMT", LastChecked: now, ConsecutiveFailures: 3,
		LastError: "parse: parser_failed", NextFetchAt: now.Add(time.Hour)}
	if err := h.store.RecordFetch(ctx, article.Source{ID: "desk", URL: "https://desk.example/feed"}, charged); err != nil {
		t.Fatal(err)
	}
	if err := h.store.RecordFetch(ctx, article.Source{ID: "calm", URL: "https://calm.example/feed"}, article.FetchState{LastChecked: now, LastSuccess: now, NextFetchAt: now.Add(4 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	due := func() bool {
		list, err := h.store.DueSources(ctx, now, 10)
		for _, s := range list {
			if s.ID == "desk" {
				return err == nil
			}
		}
		return false
	}
	refetches := func() []editor.Record {
		log, err := h.accounts.AuditLog(ctx, editor.AuditFilter{Action: "source.refetch"}, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		return log.Items
	}
	if resp, _ := h.do("POST", "/admin/sources/desk/refetch", url.Values{}, nil); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") || due() {
		t.Fatalf("without a session: %d → %q, due %v; want the sign-in page and nothing changed", resp.StatusCode, resp.Header.Get("Location"), due())
	}
	h.cookie = h.join("ed@kiosk.example", editor.RoleEditor)
	_, page := h.do("GET", "/admin/sources/desk", nil, nil)
	if !strings.Contains(page, `action="/admin/sources/desk/refetch"`) || !strings.Contains(page, "Fetch on the next run") {
		t.Fatalf("a backed-off source's page has no Fetch on the next run form:\n%s", page)
	}
	if _, page := h.do("GET", "/admin/sources/fresh", nil, nil); strings.Contains(page, "/refetch") {
		t.Error("a source without a next fetch offers Fetch on the next run")
	}
	if _, page := h.do("GET", "/admin/sources/calm", nil, nil); strings.Contains(page, "/refetch") || !strings.Contains(page, "Next fetch") {
		t.Errorf("a healthy source's page offers Fetch on the next run, or hides its next fetch:\n%s", page)
	}
	token := h.csrf("/admin/sources/desk")
	for _, c := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no CSRF token", url.Values{}, nil},
		{"a forged CSRF token", url.Values{"csrf": {"forged"}}, nil},
		{"another site's page", url.Values{"csrf": {token}}, map[string]string{"Origin": "https://evil.example"}},
	} {
		if resp, _ := h.do("POST", "/admin/sources/desk/refetch", c.form, c.header); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.name, resp.StatusCode)
		}
	}
	for _, path := range []string{"/admin/sources/nope/refetch", "/admin/sources/UPPER/refetch", "/admin/sources/%2e%2e/refetch"} {
		if resp, _ := h.do("POST", path, url.Values{"csrf": {token}}, nil); resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("POST %s: %d, want a 4xx", path, resp.StatusCode)
		}
	}
	for _, id := range []string{"calm", "fresh"} {
		was, _ := h.store.GetSource(ctx, id)
		resp, page := h.do("POST", "/admin/sources/"+id+"/refetch", url.Values{"csrf": {token}}, nil)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "The source is not failing: it is fetched at its next fetch, or on the next run if it has none. Nothing changed.") {
			t.Errorf("refetch %s, not failing: %d, want 409 and the notice:\n%s", id, resp.StatusCode, page)
		}
		if got, _ := h.store.GetSource(ctx, id); got != was {
			t.Errorf("refetch %s, not failing, changed it: %+v, was %+v", id, got, was)
		}
	}
	if due() || len(refetches()) != 0 {
		t.Fatalf("a refused form made the source due or was audited: %+v", refetches())
	}

	resp, _ := h.do("POST", "/admin/sources/desk/refetch", url.Values{"csrf": {token}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/sources/desk?saved=due" {
		t.Fatalf("refetch: %d → %q, want 303 to the source page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !due() {
		t.Error("the source is not due after Fetch on the next run")
	}
	want := charged
	want.NextFetchAt = time.Time{}
	if got, _ := h.store.GetSource(ctx, "desk"); got.FetchState != want {
		t.Errorf("fetch state %+v, want %+v (failures, error and validators kept)", got.FetchState, want)
	}
	_, page = h.do("GET", "/admin/sources/desk?saved=due", nil, nil)
	if !strings.Contains(page, "The source is fetched on the next run.") || strings.Contains(page, "/refetch") {
		t.Error("the source page after refetch: no notice, or the form is still offered")
	}
	log := refetches()
	if len(log) != 1 || log[0].Actor != "ed@kiosk.example" || log[0].Action != "source.refetch" || log[0].Target != "desk" ||
		!strings.Contains(log[0].Before, `"next_fetch_at"`) || strings.Contains(log[0].After, `"next_fetch_at"`) || !strings.Contains(log[0].After, `"consecutive_failures":3`) {
		t.Errorf("audit log %+v, want one source.refetch by ed@kiosk.example", log)
	}
	// A repeat (a second tab, a double click) is harmless.
	if resp, _ := h.do("POST", "/admin/sources/desk/refetch", url.Values{"csrf": {token}}, nil); resp.StatusCode != http.StatusSeeOther || !due() {
		t.Errorf("a repeat: %d, due %v", resp.StatusCode, due())
	}
}

func TestModerationFromTheArticleList(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	ctx := context.Background()
	a := article.Article{ID: article.IDFor("https://news.example/a"), URL: "javascript:alert(1)", Title: "A story", SourceID: "desk",
		Category: "world", Story: "s", PublishedAt: now.Add(-time.Hour), IngestedAt: now.Add(-time.Hour)}
	if err := h.store.PutArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	_, body := h.do("GET", "/admin/articles?category=world", nil, nil)
	if !strings.Contains(body, "A story") || strings.Contains(body, `href="javascript:`) {
		t.Fatal("the article is missing or its unsafe URL is linked")
	}
	token := h.csrf("/admin/articles")
	if resp, _ := h.do("POST", "/admin/articles/"+a.ID+"/moderation", url.Values{"csrf": {token}, "hidden": {"maybe"}, "pinned": {"false"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("hidden=maybe: %d, want 400", resp.StatusCode)
	}
	resp, _ := h.do("POST", "/admin/articles/"+a.ID+"/moderation",
		url.Values{"csrf": {token}, "hidden": {"true"}, "pinned": {"false"}, "back": {"/admin/articles?category=world"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/articles?category=world") {
		t.Fatalf("moderate: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, err := h.store.GetArticle(ctx, a.ID); err != nil || !got.Hidden {
		t.Errorf("the article is still visible: %+v, %v", got, err)
	}
	if len(h.announced) != 1 || !h.announced[0].Hidden {
		t.Errorf("announced %+v", h.announced)
	}
	_, body = h.do("GET", "/admin/articles?hidden=yes", nil, nil)
	if !strings.Contains(body, "A story") || !strings.Contains(body, "hidden-row") {
		t.Error("the hidden article is not listed as hidden")
	}
	if resp, _ := h.do("GET", "/admin/kpi?range=7d&granularity=day", nil, nil); resp.StatusCode != 200 {
		t.Errorf("KPI page: %d", resp.StatusCode)
	}
}

func TestChartsDrawTheData(t *testing.T) {
	pts := []point{{now.Add(-2 * time.Hour), 0}, {now.Add(-time.Hour), 3}, {now, 7}}
	svg := lineChart(`Clicks <b>`, pts, "%.0f")
	if strings.Count(svg, "<circle") != 2 || !strings.Contains(svg, "Clicks &lt;b&gt;") || !strings.Contains(svg, ">10<") {
		t.Errorf("line chart: want 2 points, an escaped title and a 10 tick: %s", svg)
	}
	bars := barChart("By category", []bar{{"sports", 4}, {"<x>", 2}})
	if strings.Count(bars, "<rect") != 2 || !strings.Contains(bars, "&lt;x&gt;") {
		t.Errorf("bar chart: %s", bars)
	}
	for _, c := range []struct{ in, want float64 }{{0, 1}, {0.3, 0.5}, {3, 5}, {7, 10}, {12, 20}, {99, 100}, {101, 200}} {
		if got := niceMax(c.in); got != c.want {
			t.Errorf("niceMax(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/editor"
)

// snapshot is everything the console can write: the sources, each
// article's moderation and the announcements.
func (h *harness) snapshot() string {
	h.t.Helper()
	ctx := context.Background()
	list, err := h.store.ListSources(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range list {
		b.WriteString(s.ID + "|" + s.URL + "|" + s.Name + "|" + s.Category + "|" + s.UpdatedAt.String() + "|" + strconv.FormatFloat(s.Weight, 'g', -1, 64) +
			"|" + s.NextFetchAt.String() + "\n")
	}
	p, err := h.store.AdminArticles(ctx, article.ArticleFilter{}, 100, "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range p.Items {
		b.WriteString(a.ID + "|" + a.ModeratedAt.String() + "\n")
	}
	b.WriteString(strings.Repeat("!", len(h.announced)) + "\n")
	eds, err := h.accounts.Editors(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range eds {
		b.WriteString(e.Email + "|" + e.Role + "|" + strconv.Itoa(e.Generation) + "\n")
	}
	log, err := h.accounts.AuditLog(ctx, editor.AuditFilter{}, "", 100)
	if err != nil {
		h.t.Fatal(err)
	}
	b.WriteString("audit records: " + strconv.Itoa(len(log.Items)))
	return b.String()
}

// seed stores one source and one article for the hostile requests to aim at.
func (h *harness) seed() article.Article {
	h.t.Helper()
	ctx := context.Background()
	w := 1.0
	if _, err := (&article.Service{Store: h.store, Now: func() time.Time { return now }}).CreateSource(ctx,
		article.SourceInput{ID: "desk", URL: "https://news.example/feed.xml", Name: "Desk", Category: "world", Weight: &w}); err != nil {
		h.t.Fatal(err)
	}
	// Backed off, so a refetch has something to change.
	if err := h.store.RecordFetch(ctx, article.Source{ID: "desk", URL: "https://news.example/feed.xml"}, article.FetchState{LastChecked: now, ConsecutiveFailures: 1, LastError: "timeout",
		NextFetchAt: now.Add(15 * time.Minute)}); err != nil {
		h.t.Fatal(err)
	}
	a := article.Article{ID: article.IDFor("https://news.example/a"), URL: "https://news.example/a", Title: "A story", SourceID: "desk",
		Category: "world", Story: "s", PublishedAt: now.Add(-time.Hour), IngestedAt: now.Add(-time.Hour)}
	if err := h.store.PutArticle(ctx, a); err != nil {
		h.t.Fatal(err)
	}
	return a
}

func TestAHugePageNumberIsAClientErrorNotACrash(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	h.seed()
	for _, page := range []string{"368934881474191034", "9223372036854775807", "-9223372036854775808", "0", "-1", "1e3", "abc", "10001"} {
		resp, body := h.do("GET", "/admin/sources?page="+url.QueryEscape(page), nil, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "page must be a whole number") {
			t.Errorf("page=%s: %d, want 400 with a clear message", page, resp.StatusCode)
		}
	}
	for _, page := range []string{"", "1", "10000"} {
		if resp, _ := h.do("GET", "/admin/sources?page="+page, nil, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("page=%s: %d, want 200", page, resp.StatusCode)
		}
	}
	if resp, _ := h.do("GET", "/admin/sources?q="+strings.Repeat("x", 201), nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a 201-character filter: %d, want 400", resp.StatusCode)
	}
}

func TestABadBackLinkIsRefusedBeforeTheModerationIsStored(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	a := h.seed()
	token := h.csrf("/admin/articles")
	before := h.snapshot()
	for _, back := range []string{"/admin/articles%zz", "/admin/articles?x=%zz", "https://evil.example/admin/articles", "//evil.example/admin/articles",
		"/admin/articles\\@evil.example", "/admin/sources", "/admin/articles/../../x", "javascript:alert(1)", "/admin/articles\r\nX: y",
		"/admin/articles?" + strings.Repeat("a", 3000),
		// The list itself would answer 400: refused before, not after, the change.
		"/admin/articles?category=%22%3E%3Cscript%3E", "/admin/articles?hidden=maybe", "/admin/articles?cursor=not-a-cursor"} {
		resp, _ := h.do("POST", "/admin/articles/"+a.ID+"/moderation",
			url.Values{"csrf": {token}, "hidden": {"true"}, "pinned": {"false"}, "back": {back}}, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("back=%q: %d, want 400", back, resp.StatusCode)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a refused moderation changed the store or announced:\nbefore %s\nafter  %s", before, after)
	}
	// A good back link still works, with its query kept.
	resp, _ := h.do("POST", "/admin/articles/"+a.ID+"/moderation",
		url.Values{"csrf": {token}, "hidden": {"true"}, "pinned": {"false"}, "back": {"/admin/articles?hidden=no"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/articles?hidden=no&moderated="+a.ID {
		t.Errorf("a good back link: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A back link with every filter the list takes, a cursor too, leads to a
	// page that answers.
	for i := range 26 { // a's hidden: 26 visible, one more than a page
		link := "https://news.example/more-" + strconv.Itoa(i)
		if err := h.store.PutArticle(context.Background(), article.Article{ID: article.IDFor(link), URL: link, Title: "More " + strconv.Itoa(i),
			SourceID: "desk", Category: "world", Story: "s", PublishedAt: now.Add(-time.Hour), IngestedAt: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	_, list := h.do("GET", "/admin/articles?category=world&hidden=no", nil, nil)
	next := regexp.MustCompile(`href="(/admin/articles\?[^"]*cursor=[^"]*)"`).FindStringSubmatch(list)
	if next == nil {
		t.Fatal("the article list has no next page")
	}
	back := html.UnescapeString(next[1])
	resp, _ = h.do("POST", "/admin/articles/"+a.ID+"/moderation",
		url.Values{"csrf": {token}, "hidden": {"false"}, "pinned": {"false"}, "back": {back}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("back=%q: %d, want 303", back, resp.StatusCode)
	}
	if page, _ := h.do("GET", resp.Header.Get("Location"), nil, nil); page.StatusCode != http.StatusOK {
		t.Errorf("the moderation led to %s, which answers %d", resp.Header.Get("Location"), page.StatusCode)
	}
}

func TestANonFiniteWeightIsAFieldError(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	h.seed()
	token := h.csrf("/admin/sources")
	before := h.snapshot()
	for _, weight := range []string{"NaN", "nan", "+Inf", "-Inf", "Infinity", "1e309", "0x1p-2000", "-0"} {
		resp, body := h.do("POST", "/admin/sources", url.Values{"csrf": {token}, "id": {"new-desk"}, "url": {"https://x.example/feed"},
			"name": {"X"}, "category": {"world"}, "weight": {weight}}, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-weight"`) {
			t.Errorf("create with weight %s: %d, want 400 with an error next to weight", weight, resp.StatusCode)
		}
		resp, _ = h.do("POST", "/admin/sources/desk", url.Values{"csrf": {token}, "url": {"https://x.example/feed"},
			"name": {"X"}, "category": {"world"}, "weight": {weight}}, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("update with weight %s: %d, want 400", weight, resp.StatusCode)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a refused weight changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

func TestHostileIDsAndFiltersAreClientErrors(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	a := h.seed()
	token := h.csrf("/admin/articles")
	before := h.snapshot()
	gets := []string{"/admin/sources/%00", "/admin/sources/" + strings.Repeat("a", 500), "/admin/sources/UPPER",
		"/admin/articles?cursor=" + url.QueryEscape("2026-01-01T"+strings.Repeat("9", 200)+"Z#"+a.ID), "/admin/articles?cursor=%zz",
		"/admin/articles?hidden=maybe", "/admin/articles?category=" + strings.Repeat("x", 300), "/admin/kpi?range=%00&granularity=year",
		"/admin/articles?moderated=%3Cscript%3E", "/admin/login?next=%2F%2Fevil.example", "/admin/sources/desk?saved=%zz"}
	for _, path := range gets {
		resp, body := h.do("GET", path, nil, nil)
		if resp.StatusCode >= 500 || strings.Contains(body, "<script>") {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	posts := map[string]url.Values{
		"/admin/articles/" + strings.Repeat("f", 33) + "/moderation": {"hidden": {"true"}, "pinned": {"true"}},
		"/admin/articles/" + a.ID + "/moderation":                    {"hidden": {"true"}, "pinned": {"1e400"}},
		"/admin/sources/NOPE":                                        {"url": {"https://x.example/"}, "name": {"x"}, "category": {"world"}, "weight": {"1"}},
		"/admin/sources/desk":                                        {"id": {"other"}, "url": {"https://x.example/"}, "name": {"x"}, "category": {"world"}, "weight": {"1"}},
		"/admin/sources/%2e%2e/delete":                               {},
		"/admin/sources/%2e%2e/refetch":                              {},
		"/admin/sources/NOPE/refetch":                                {},
		"/admin/sources/nope/refetch":                                {},
		"/admin/sources":                                             {"id": {"desk"}, "url": {"https://x.example/"}, "name": {strings.Repeat("n", 101)}, "category": {"world"}, "weight": {"1"}},
	}
	for path, form := range posts {
		form.Set("csrf", token)
		resp, _ := h.do("POST", path, form, nil)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("POST %s: %d, want a 4xx", path, resp.StatusCode)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a refused request changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

func TestAPrivateSourceURLIsAFieldErrorInTheForm(t *testing.T) {
	h := newHarness(t)
	h.signIn()
	h.seed()
	token := h.csrf("/admin/sources")
	before := h.snapshot()
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://0x7f.1/", "http://2130706433/", "http://[::ffff:10.0.0.1]/"} {
		resp, body := h.do("POST", "/admin/sources", url.Values{"csrf": {token}, "id": {"meta"}, "url": {u}, "name": {"M"}, "category": {"world"}, "weight": {"1"}}, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-url"`) || !strings.Contains(body, "must not point at a loopback") {
			t.Errorf("create with %s: %d, want 400 with the error next to url", u, resp.StatusCode)
		}
		resp, body = h.do("POST", "/admin/sources/desk", url.Values{"csrf": {token}, "id": {"desk"}, "url": {u}, "name": {"M"}, "category": {"world"}, "weight": {"1"}}, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="e-url"`) {
			t.Errorf("update to %s: %d, want 400 with the error next to url", u, resp.StatusCode)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a refused URL was stored:\nbefore %s\nafter  %s", before, after)
	}
}

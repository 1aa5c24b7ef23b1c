package local_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

type articlePage struct {
	Items []struct {
		ID       string `json:"id"`
		Title    string `json:"title"`
		Category string `json:"category"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// TestSampleNewsIsServed is the newcomer's first minute: the local cloud
// registered the sample sources and ingested them at start.
func TestSampleNewsIsServed(t *testing.T) {
	eventually(t, "sample world news", func() bool {
		var p articlePage
		get(t, "/v1/articles?category=world", &p)
		return len(p.Items) >= 3
	})
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; pages < 20; pages++ {
		var p articlePage
		resp := get(t, "/v1/articles?category=world&limit=2&cursor="+cursor, &p)
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: %d", pages, resp.StatusCode)
		}
		for _, a := range p.Items {
			if seen[a.ID] || a.Category != "world" {
				t.Fatalf("%q repeated or in the wrong category", a.Title)
			}
			seen[a.ID] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) < 3 {
		t.Errorf("paged through %d world articles", len(seen))
	}
	for id := range seen {
		var a struct {
			ID string `json:"id"`
		}
		if resp := get(t, "/v1/articles/"+id, &a); resp.StatusCode != 200 || a.ID != id {
			t.Errorf("GET /v1/articles/%s = %d", id, resp.StatusCode)
		}
		break
	}
	for path, status := range map[string]int{
		"/v1/articles/" + strings.Repeat("0", 32):     404,
		"/v1/articles/not-an-id":                      400,
		"/v1/articles?limit=0":                        400,
		"/v1/articles?category=World%20News":          400,
		"/v1/articles?cursor=forged":                  400,
		"/v1/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd": 404, // no route: the segments do not match
	} {
		var e httpapi.ErrorBody
		if resp := get(t, path, &e); resp.StatusCode != status || e.Error.Code == "" {
			t.Errorf("GET %s = %d %+v, want %d with the error contract", path, resp.StatusCode, e, status)
		}
	}
}

func admin(t *testing.T, method, path, token, contentType, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, cloud.APIURL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func sourceCount(t *testing.T) int {
	t.Helper()
	status, body := admin(t, "GET", "/admin/api/sources", cloud.AdminToken(), "", "")
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if status != 200 || json.Unmarshal(body, &l) != nil {
		t.Fatalf("list sources: %d %s", status, body)
	}
	return len(l.Items)
}

func TestSourcesAdminAPI(t *testing.T) {
	tok := cloud.AdminToken()
	for token, want := range map[string]int{"": 401, "wrong": 403, tok + "x": 403} {
		if status, body := admin(t, "GET", "/admin/api/sources", token, "", ""); status != want {
			t.Errorf("token %q: %d %s, want %d", token, status, body, want)
		}
	}
	before := sourceCount(t)
	bad := []struct{ name, ctype, body string }{
		{"malformed JSON", "application/json", `{"id":`},
		{"a wrong type", "application/json", `{"id":"x1","url":"https://a.example/f","name":"n","category":"tech","weight":"heavy"}`},
		{"an extra field", "application/json", `{"id":"x2","url":"https://a.example/f","name":"n","category":"tech","weight":1,"admin":true}`},
		{"a missing weight", "application/json", `{"id":"x3","url":"https://a.example/f","name":"n","category":"tech"}`},
		{"a private-scheme URL", "application/json", `{"id":"x4","url":"file:///etc/passwd","name":"n","category":"tech","weight":1}`},
		{"a huge number", "application/json", `{"id":"x5","url":"https://a.example/f","name":"n","category":"tech","weight":1e400}`},
		{"invalid UTF-8", "application/json", "{\"id\":\"x6\",\"url\":\"https://a.example/f\",\"name\":\"\xff\xfe\",\"category\":\"tech\",\"weight\":1}"},
		{"a wrong content type", "text/plain", `{"id":"x7","url":"https://a.example/f","name":"n","category":"tech","weight":1}`},
		{"an oversize body", "application/json", `{"id":"x8","name":"` + strings.Repeat("n", httpapi.MaxBody) + `"}`},
	}
	for _, c := range bad {
		t.Run("it refuses "+c.name, func(t *testing.T) {
			status, body := admin(t, "POST", "/admin/api/sources", tok, c.ctype, c.body)
			var e httpapi.ErrorBody
			if status < 400 || status >= 500 || json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
				t.Errorf("%d %s, want a 4xx JSON error", status, body)
			}
		})
	}
	// A literal private, loopback, link-local or metadata address is a field
	// error at once (the fetcher still checks every resolved address).
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://2130706433/",
		"http://0177.0.0.1/", "http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "http://10.0.0.1/", "http://[::]/"} {
		t.Run("it refuses the source URL "+u, func(t *testing.T) {
			status, body := admin(t, "POST", "/admin/api/sources", tok, "application/json",
				fmt.Sprintf(`{"id":"meta","url":%q,"name":"n","category":"tech","weight":1}`, u))
			var e httpapi.ErrorBody
			if status != 400 || json.Unmarshal(body, &e) != nil || e.Error.Code != "invalid_argument" || len(e.Error.Details) != 1 ||
				!strings.HasPrefix(e.Error.Details[0], "url must not point at") {
				t.Errorf("create: %d %s, want 400 with one detail on url", status, body)
			}
		})
	}
	if after := sourceCount(t); after != before {
		t.Errorf("refused requests changed the sources: %d → %d", before, after)
	}
	status, body := admin(t, "POST", "/admin/api/sources", tok, "application/json",
		`{"id":"e2e-source","url":"https://e2e.example/feed","name":"E2E","category":"tech","weight":2}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, body := admin(t, "PUT", "/admin/api/sources/e2e-source", tok, "application/json",
		`{"url":"http://[::ffff:169.254.169.254]/","name":"E2E 2","category":"science","weight":3}`); status != 400 {
		t.Errorf("an update to a metadata URL: %d %s, want 400", status, body)
	}
	// The fetcher's allow list (KIOSK_FETCH_ALLOW: the local gateway, which
	// serves the sample feeds) admits its host:port here too.
	if status, body := admin(t, "POST", "/admin/api/sources", tok, "application/json",
		fmt.Sprintf(`{"id":"e2e-allowed","url":%q,"name":"Allowed","category":"tech","weight":1}`, cloud.APIURL+"/_local/samples/none.xml")); status != 201 {
		t.Errorf("a source on the allow-listed local gateway: %d %s, want 201", status, body)
	}
	if status, _ := admin(t, "DELETE", "/admin/api/sources/e2e-allowed", tok, "", ""); status != 204 {
		t.Errorf("delete the allowed source: %d", status)
	}
	if status, _ := admin(t, "PUT", "/admin/api/sources/e2e-source", tok, "application/json",
		`{"url":"https://e2e.example/feed2","name":"E2E 2","category":"science","weight":3}`); status != 200 {
		t.Errorf("update: %d", status)
	}
	if status, body := admin(t, "GET", "/admin/api/sources/e2e-source", tok, "", ""); status != 200 || !strings.Contains(string(body), `"category":"science"`) {
		t.Errorf("get after update: %d %s", status, body)
	}
	if status, _ := admin(t, "DELETE", "/admin/api/sources/e2e-source", tok, "", ""); status != 204 {
		t.Errorf("delete: %d", status)
	}
	if status, _ := admin(t, "DELETE", "/admin/api/sources/e2e-source", tok, "", ""); status != 404 {
		t.Errorf("second delete: %d, want 404", status)
	}
}

// TestRefetchFetchesABackedOffSourceOnTheNextRun: a source that fails is
// backed off (the next run leaves it alone); POST
// /admin/api/sources/{id}/refetch answers 200 with the source, no
// next_fetch_at, its failures and last error kept; the very next ingestion
// run fetches it, and as it still fails it backs off further (30 minutes, not
// 15 again). A body, an unknown or malformed id, callers without the admin
// token, and a source that is not failing (409: it keeps its adaptive
// interval) are refused and change nothing.
func TestRefetchFetchesABackedOffSourceOnTheNextRun(t *testing.T) {
	tok := cloud.AdminToken()
	id := fmt.Sprintf("refetch-%d", time.Now().UnixNano()%1e9)
	// The generated feed refuses items=0 (400): the source fails on every fetch.
	if status, body := admin(t, "POST", "/admin/api/sources", tok, "application/json", fmt.Sprintf(
		`{"id":%q,"name":"Refetch","category":"load","weight":1,"url":%q}`, id, cloud.APIURL+"/_local/feeds/"+id+"?items=0")); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	t.Cleanup(func() { admin(t, "DELETE", "/admin/api/sources/"+id, tok, "", "") })
	// A feed that works: the source is fetched and not failing.
	healthy := id + "-ok"
	if status, body := admin(t, "POST", "/admin/api/sources", tok, "application/json", fmt.Sprintf(
		`{"id":%q,"name":"Healthy","category":"load","weight":1,"url":%q}`, healthy, cloud.APIURL+"/_local/feeds/"+healthy+"?items=1")); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	t.Cleanup(func() { admin(t, "DELETE", "/admin/api/sources/"+healthy, tok, "", "") })
	type state struct {
		Failures    int       `json:"consecutive_failures"`
		LastError   string    `json:"last_error"`
		LastChecked time.Time `json:"last_checked"`
		NextFetchAt time.Time `json:"next_fetch_at"`
	}
	readSource := func(id, what string) state {
		t.Helper()
		var s state
		if status, body := admin(t, "GET", "/admin/api/sources/"+id, tok, "", ""); status != 200 || json.Unmarshal(body, &s) != nil {
			t.Fatalf("%s: read the source: %d %s", what, status, body)
		}
		return s
	}
	read := func(what string) state { t.Helper(); return readSource(id, what) }
	runNow(t, "ingest-feeds")
	first := read("after the first run")
	if first.Failures != 1 || first.LastError == "" || first.NextFetchAt.Sub(first.LastChecked) != 15*time.Minute {
		t.Fatalf("after a failed fetch: %+v, want 1 failure, its error and the next fetch 15 minutes on", first)
	}
	runNow(t, "ingest-feeds")
	if s := read("after a second run"); s != first {
		t.Fatalf("a backed-off source was fetched again: %+v, was %+v", s, first)
	}
	ok := readSource(healthy, "the healthy source after two runs")
	if ok.Failures != 0 || ok.NextFetchAt.IsZero() {
		t.Fatalf("the healthy source: %+v, want fetched, no failure and a next fetch", ok)
	}
	status, body := admin(t, "POST", "/admin/api/sources/"+healthy+"/refetch", tok, "", "")
	var e httpapi.ErrorBody
	if status != 409 || json.Unmarshal(body, &e) != nil || e.Error.Code != "conflict" {
		t.Errorf("refetch a source that is not failing: %d %s, want a 409 conflict", status, body)
	}
	if s := readSource(healthy, "after its refused refetch"); s != ok {
		t.Errorf("a refused refetch changed the healthy source: %+v, was %+v", s, ok)
	}

	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"no token", "POST", "/admin/api/sources/" + id + "/refetch", "", "", 401},
		{"a user's token", "POST", "/admin/api/sources/" + id + "/refetch", register(t).Token, "", 403},
		{"a body", "POST", "/admin/api/sources/" + id + "/refetch", tok, `{}`, 400},
		{"an unknown source", "POST", "/admin/api/sources/no-such-source/refetch", tok, "", 404},
		{"a malformed id", "POST", "/admin/api/sources/Not_An_Id/refetch", tok, "", 400},
	} {
		status, body := admin(t, c.method, c.path, c.token, "application/json", c.body)
		var e httpapi.ErrorBody
		if status != c.status || json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
			t.Errorf("%s: %d %s, want %d in the error contract", c.name, status, body, c.status)
		}
	}
	if s := read("after the refused requests"); s != first {
		t.Fatalf("a refused refetch changed the source: %+v, was %+v", s, first)
	}

	for i := range 2 { // a repeat is harmless
		status, body := admin(t, "POST", "/admin/api/sources/"+id+"/refetch", tok, "", "")
		var got map[string]any
		if status != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("refetch %d: %d %s", i+1, status, body)
		}
		if _, ok := got["next_fetch_at"]; ok || got["id"] != id || got["consecutive_failures"] != 1.0 || got["last_error"] != first.LastError {
			t.Errorf("refetch %d answered %s, want the source without next_fetch_at, its failure and error kept", i+1, body)
		}
	}
	runNow(t, "ingest-feeds")
	second := read("after the run that follows the refetch")
	if second.Failures != 2 || !second.LastChecked.After(first.LastChecked) || second.NextFetchAt.Sub(second.LastChecked) != 30*time.Minute {
		t.Errorf("after refetch and a run: %+v, want it fetched (2 failures) and backed off 30 minutes", second)
	}
}

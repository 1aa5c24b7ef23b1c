package local_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

// refused checks an answer is a 4xx of the error contract with code, whose
// message names want, and that it may not be cached.
func refused(t *testing.T, what string, status int, body []byte, h http.Header, code, want string) {
	t.Helper()
	var e httpapi.ErrorBody
	if json.Unmarshal(body, &e) != nil || e.Error.Code != code || !strings.Contains(e.Error.Message, want) {
		t.Errorf("%s: got %d %s, want %s naming %q", what, status, body, code, want)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store on an error", what, h.Get("Cache-Control"))
	}
}

func TestABodyKeyMustBeItsFieldsExactNameGivenOnceAndNeverNull(t *testing.T) {
	u := register(t)
	const ev = `"id":"0b7f6c1e-5d7a-4f7e-9a51-aaaaaaaaaaaa","article_id":"00000000000000000000000000000001","at":"2026-12-01T10:00:00Z"`
	for _, c := range []struct{ method, path, token, body, want string }{
		{"POST", "/v1/events", u.Token, `{"Events":[]}`, `unknown field "Events"`},
		{"POST", "/v1/events", u.Token, `{"events":[{` + ev + `,"type":"click","Type":"share"}]}`, `"events[0].Type"`},
		{"POST", "/v1/events", u.Token, `{"events":[{` + ev + `,"type":"click","type":"share"}]}`, `duplicate key "events[0].type"`},
		{"POST", "/v1/events", u.Token, `{"events":[{` + ev + `,"type":"dwell","dwell_ms":null}]}`, `"events[0].dwell_ms" must not be null`},
		{"PUT", "/v1/users/me/interests", u.Token, `{"CATEGORIES":["science"]}`, `unknown field "CATEGORIES"`},
		{"PUT", "/v1/users/me/interests", u.Token, `{"categories":["tech"],"Categories":["world"]}`, `"Categories"`},
		{"PUT", "/v1/users/me/interests", u.Token, `{"categories":["tech"],"categories":["world"]}`, `duplicate key "categories"`},
		{"POST", "/v1/users/token/refresh", "", `{"Refresh_Token":"` + u.RefreshToken + `"}`, `unknown field "Refresh_Token"`},
	} {
		status, body, h := call(t, c.method, c.path, c.token, c.body)
		refused(t, c.method+" "+c.path+" "+c.body[:min(len(c.body), 60)], status, body, h, kiosk.EINVALID, c.want)
	}
	// Nothing of it was applied: the interests are still none, the refresh
	// token still works.
	if status, body := admin(t, "GET", "/v1/users/me", u.Token, "", ""); status != 200 || strings.Contains(string(body), "world") || strings.Contains(string(body), "science") {
		t.Errorf("profile after refused bodies: %d %s", status, body)
	}
	if status, body, _ := call(t, "POST", "/v1/users/token/refresh", "", `{"refresh_token":"`+u.RefreshToken+`"}`); status != 200 {
		t.Errorf("refresh with the exact key: %d %s", status, body)
	}
}

func TestALimitOverTheRoutesMaximumIsRefusedNotShortened(t *testing.T) {
	for _, path := range []string{"/v1/feed?limit=51", "/v1/articles?limit=101"} {
		status, body, h := call(t, "GET", path, "", "")
		refused(t, path, status, body, h, kiosk.EINVALID, "limit")
	}
	u := register(t)
	for _, path := range []string{"/v1/feed/me?limit=51", "/v1/notifications?limit=51"} {
		status, body, h := call(t, "GET", path, u.Token, "")
		refused(t, path, status, body, h, kiosk.EINVALID, "limit")
	}
	if status, body, _ := call(t, "GET", "/v1/feed?limit=50", "", ""); status != 200 {
		t.Errorf("limit=50: %d %s", status, body)
	}
}

// TestABrokenEscapeInTheQueryIsA400OnEveryRoute: a query string that does
// not parse is refused on every declared route, the parameters an outsider
// tried first included, rather than read as if the broken pair were absent
// (?category=%zz serving top, ?cursor=%zz the first page); and a write with
// one changes nothing.
func TestABrokenEscapeInTheQueryIsA400OnEveryRoute(t *testing.T) {
	u := register(t)
	tokens := map[topology.Auth]string{topology.User: u.Token, topology.Admin: cloud.AdminToken()}
	param := regexp.MustCompile(`\{[^}]+\}`)
	routes := 0
	for _, r := range cloud.Topology.Routes() {
		path := param.ReplaceAllString(r.Path, "x")
		routes++
		status, body, h := call(t, r.Method, path+"?x=%zz", tokens[r.Auth], "")
		if status == 429 && h.Get("Retry-After") != "" {
			// The route's per-client limit (e.g. POST /admin/login, spent by
			// earlier tests) answers before any handler, changing nothing.
			continue
		}
		if status != 400 {
			t.Errorf("%s ?x=%%zz: %d %s, want 400", r.Key(), status, body)
			continue
		}
		refused(t, r.Key()+" ?x=%zz", status, body, h, kiosk.EINVALID, `invalid URL escape "%zz"`)
	}
	if routes == 0 {
		t.Fatal("the topology declares no route")
	}
	for _, c := range []struct{ path, token string }{
		{"/v1/feed?category=%zz", ""}, {"/v1/feed?cursor=%zz", ""}, {"/v1/feed?limit=%zz", ""},
		{"/v1/feed?limit=5&category=tech%", ""}, {"/v1/feed?limit=5;category=tech", ""},
		{"/v1/articles?cursor=%zz", ""}, {"/v1/articles?limit=%2", ""},
		{"/v1/feed/me?cursor=%zz", u.Token}, {"/v1/notifications?limit=%zz", u.Token},
	} {
		status, body, h := call(t, "GET", c.path, c.token, "")
		refused(t, c.path, status, body, h, kiosk.EINVALID, "malformed query string")
		if status != 400 {
			t.Errorf("%s: %d %s, want 400", c.path, status, body)
		}
	}
	// A write with a broken query is not applied.
	status, body, h := call(t, "PUT", "/v1/users/me/interests?x=%zz", u.Token, `{"categories":["science"]}`)
	refused(t, "PUT /v1/users/me/interests?x=%zz", status, body, h, kiosk.EINVALID, "malformed query string")
	if status, body := admin(t, "GET", "/v1/users/me", u.Token, "", ""); status != 200 || strings.Contains(string(body), "science") {
		t.Errorf("the profile after a refused write: %d %s", status, body)
	}
}

func TestAnUncleanPathIsA404NotARedirect(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"GET", "//v1/health"}, {"GET", "/v1//health"}, {"GET", "/v1/articles/../health"}, {"GET", "/v1/./health"},
		{"POST", "//v1/users"},
	} {
		status, body, h := call(t, c.method, c.path, "", "")
		if status != 404 {
			t.Errorf("%s %s: %d %s, want 404", c.method, c.path, status, body)
			continue
		}
		refused(t, c.method+" "+c.path, status, body, h, kiosk.ENOTFOUND, "no route")
	}
}

func TestHeadersOverAPIGatewaysQuotaAreRefused(t *testing.T) {
	// Past the quota (and net/http's slack): the transport's own 431, which
	// the contract's checker does not see (no function or gateway answer).
	c := &http.Client{Transport: local.ManyClients()}
	req, _ := http.NewRequest("GET", cloud.APIURL+"/v1/health", nil)
	req.Header.Set("X-Big", strings.Repeat("a", local.MaxHeaderBytes+8<<10))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte header: %d, want 431", local.MaxHeaderBytes+8<<10, resp.StatusCode)
	}
	req.Header.Set("X-Big", strings.Repeat("a", local.MaxHeaderBytes-2<<10))
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("headers within the quota: %d", resp.StatusCode)
	}
}

func TestEveryErrorOfTheUsersRoutesMayNotBeCached(t *testing.T) {
	big := `{"refresh_token":"` + strings.Repeat("a", 8<<10) + `"}`
	for _, c := range []struct {
		method, path, token, body, code string
	}{
		{"POST", "/v1/users", "", big, kiosk.ETOOLARGE},
		{"POST", "/v1/users/token/refresh", "", big, kiosk.ETOOLARGE},
		{"GET", "/v1/users/me", "", "", kiosk.EUNAUTHORIZED},
		{"GET", "/v1/users/me", "not-a-token", "", kiosk.EFORBIDDEN},
	} {
		status, body, h := call(t, c.method, c.path, c.token, c.body)
		refused(t, c.method+" "+c.path, status, body, h, c.code, "")
	}
}

func TestWhatTheSpecCallsValidIsAccepted(t *testing.T) {
	tok := cloud.AdminToken()
	run := time.Now().UnixNano()
	// Names of 100 characters of two and four bytes (maxLength counts
	// characters), the weight's bounds.
	for i, c := range []struct {
		name, weight string
	}{{strings.Repeat("é", 100), "0.1"}, {strings.Repeat("😀", 100), "10"}} {
		body := fmt.Sprintf(`{"id":"chars-%d-%d","url":"https://chars%d.example.com/feed.xml","name":%q,"category":"tech","weight":%s}`, run%1e9, i, i, c.name, c.weight)
		if status, out := admin(t, "POST", "/admin/api/sources", tok, "application/json", body); status != 201 {
			t.Errorf("a source named %d× %q weighing %s: %d %s", 100, c.name[:2], c.weight, status, out)
		}
	}
	// A weight past its bounds is a 400 naming it, never a 500 (1e-131 is
	// below what DynamoDB stores).
	for _, w := range []string{"1e-131", "0.09", "10.5"} {
		status, out, h := call(t, "POST", "/admin/api/sources", tok,
			fmt.Sprintf(`{"id":"tiny-%d","url":"https://tiny.example.com/feed.xml","name":"t","category":"tech","weight":%s}`, run%1e9, w))
		refused(t, "weight "+w, status, out, h, kiosk.EINVALID, "weight must be a number from 0.1 to 10")
	}
	// RFC 3339 allows a lower-case t and z.
	u := register(t)
	at := strings.ToLower(time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
	ev := fmt.Sprintf(`{"events":[{"id":"lower-%d","type":"click","article_id":"00000000000000000000000000000001","at":%q}]}`, run, at)
	if status, out, _ := call(t, "POST", "/v1/events", u.Token, ev); status != 202 {
		t.Errorf("an event at %s: %d %s", at, status, out)
	}
	// A bad time says what a time is, not Go's layout.
	status, out, h := call(t, "POST", "/v1/events", u.Token, strings.Replace(ev, at, "2026-12-01 10:00", 1))
	refused(t, "a bad time", status, out, h, kiosk.EINVALID, "RFC 3339 time")
	if strings.Contains(string(out), "2006") {
		t.Errorf("the error leaks Go's layout: %s", out)
	}
	// An address of 100 characters with a 64-character local part is one;
	// a 65-character local part is not (RFC 5321), as the spec says.
	local64 := strings.Repeat("x", 64)
	email := local64 + "@" + strings.Repeat("b", 100-64-1-4) + ".com"
	if status, out := admin(t, "POST", "/admin/api/editors/invitations", tok, "application/json", fmt.Sprintf(`{"email":%q,"role":"editor"}`, email)); status != 201 {
		t.Errorf("invite %s (%d characters): %d %s", email, len(email), status, out)
	}
	status, out, h = call(t, "POST", "/admin/api/editors/invitations", tok, fmt.Sprintf(`{"email":%q,"role":"editor"}`, "x"+local64+"@b.co"))
	refused(t, "a 65-character local part", status, out, h, kiosk.EINVALID, "email")
}

// TestABrowserAppPassesCORSAsOnTheStage: the local gateway answers a
// preflight as API Gateway does with the topology's CORS, so the TS client's
// register (Idempotency-Key) is allowed, and an answer's headers are readable.
func TestABrowserAppPassesCORSAsOnTheStage(t *testing.T) {
	origin := topology.Kiosk().CORS.Origins[0]
	// The preflight is the stage's answer, not an operation: no contract
	// check on it.
	c := &http.Client{Transport: local.ManyClients()}
	preflight := func(origin, headers string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", cloud.APIURL+"/v1/users", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(origin, "content-type,idempotency-key")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "idempotency-key") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") || resp.Header.Get("Access-Control-Max-Age") != "3600" {
		t.Errorf("preflight from %s: %d %v", origin, resp.StatusCode, resp.Header)
	}
	if resp := preflight("https://evil.example", "content-type"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	// The actual request, through the contract check.
	req, _ := http.NewRequest("GET", cloud.APIURL+"/v1/feed?limit=51", nil)
	req.Header.Set("Origin", origin)
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	expose := got.Header.Get("Access-Control-Expose-Headers")
	if got.Header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(expose, "retry-after") || !strings.Contains(expose, "x-request-id") {
		t.Errorf("answer to %s: %v", origin, got.Header)
	}
}

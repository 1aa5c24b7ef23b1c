package openapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func load(t *testing.T) *Spec {
	t.Helper()
	s, err := Load(filepath.Join("..", "topology", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const article = `{"id":"d09385acdedb6eedf25a8d90b04005cc","url":"https://globaltimes.example.net/life/cafe-culture",` +
	`"title":"Café culture returns to the old town","summary":"Terraces are full again.","source_id":"global-times",` +
	`"category":"world","story":"d09385acdedb6eedf25a8d90b04005cc","language":"en",` +
	`"published_at":"2026-12-01T09:35:18Z","ingested_at":"2026-12-01T09:35:18.530605835Z"}`

func headers(kv ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"HA9XVmKgCUCvpw=="}, "Apigw-Requestid": {"HA9XVmKgCUCvpw=="}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

var websubQuery = url.Values{"hub.mode": {"subscribe"}, "hub.topic": {"https://a.example/feed"}, "hub.challenge": {"4de5d85f3d5e"}, "hub.lease_seconds": {"864000"}}

const errorBody = `{"error":{"code":"invalid_argument","message":"bad","request_id":"x"}}`

// TestTheValidatorRefusesWhatTheSpecDoesNotSay plants one departure from the
// contract per case — an undocumented status, header or field, a missing
// required header, an accepted request the spec refuses — and expects the
// check to name it; the documented exchanges beside them pass.
func TestTheValidatorRefusesWhatTheSpecDoesNotSay(t *testing.T) {
	s := load(t)
	cases := []struct {
		name string
		x    Exchange
		want string // "" when the exchange keeps the contract
	}{
		{"a documented article passes",
			Exchange{Method: "GET", Path: "/v1/articles/d09385acdedb6eedf25a8d90b04005cc", Status: 200,
				RespHeader: headers("Cache-Control", "public, max-age=300"), RespBody: []byte(article)}, ""},
		{"an undocumented status is refused",
			Exchange{Method: "GET", Path: "/v1/articles/d09385acdedb6eedf25a8d90b04005cc", Status: 418,
				RespHeader: headers(), RespBody: []byte(errorBody)}, "status 418 is not documented"},
		{"an undocumented header is refused",
			Exchange{Method: "GET", Path: "/v1/articles/d09385acdedb6eedf25a8d90b04005cc", Status: 200,
				RespHeader: headers("X-Debug", "1"), RespBody: []byte(article)}, "header X-Debug is not documented"},
		{"an undocumented field is refused",
			Exchange{Method: "GET", Path: "/v1/articles/d09385acdedb6eedf25a8d90b04005cc", Status: 200,
				RespHeader: headers(), RespBody: []byte(strings.Replace(article, `{"id"`, `{"debug":true,"id"`, 1))}, "additional properties 'debug' not allowed"},
		{"a field of the wrong shape is refused",
			Exchange{Method: "GET", Path: "/v1/articles/d09385acdedb6eedf25a8d90b04005cc", Status: 200,
				RespHeader: headers(), RespBody: []byte(strings.Replace(article, `"language":"en"`, `"language":"English"`, 1))}, "/language"},
		{"an error outside the error contract is refused",
			Exchange{Method: "GET", Path: "/v1/articles/nope", Status: 404,
				RespHeader: headers(), RespBody: []byte(`{"message":"Not Found"}`)}, "body:"},
		{"a header value outside its schema is refused",
			Exchange{Method: "GET", Path: "/v1/articles", Status: 429,
				RespHeader: headers("Retry-After", "soon"), RespBody: []byte(`{"error":{"code":"rate_limited","message":"slow down","request_id":"x"}}`)}, "header Retry-After"},
		{"an error without Cache-Control: no-store is refused",
			Exchange{Method: "GET", Path: "/v1/users/me", ReqHeader: http.Header{"Authorization": {"Bearer x"}}, Status: 403,
				RespHeader: headers(), RespBody: []byte(errorBody)}, "header Cache-Control is required"},
		{"an error that may be cached is refused",
			Exchange{Method: "GET", Path: "/v1/articles/nope", Status: 404,
				RespHeader: headers("Cache-Control", "public, max-age=300"), RespBody: []byte(errorBody)}, "header Cache-Control"},
		{"a 201 without its required Location is refused",
			Exchange{Method: "POST", Path: "/admin/api/sources", ReqHeader: http.Header{"Authorization": {"Bearer x"}, "Content-Type": {"application/json"}},
				ReqBody: []byte(`{"url":"https://a.example.com/feed.xml","name":"A","category":"tech","weight":1}`), Status: 201,
				RespHeader: headers(), RespBody: []byte(`{"id":"a","url":"https://a.example.com/feed.xml","name":"A","category":"tech","weight":1,"consecutive_failures":0,"created_at":"2026-12-01T09:35:18Z","updated_at":"2026-12-01T09:35:18Z"}`)},
			"header Location is required"},
		{"a body accepted where the spec takes none is refused",
			Exchange{Method: "POST", Path: "/v1/users", ReqHeader: http.Header{"Content-Type": {"application/json"}}, ReqBody: []byte(`{"name":"x"}`),
				Status: 201, RespHeader: headers("Location", "/v1/users/me", "Cache-Control", "no-store"),
				RespBody: []byte(`{"user_id":"46a52f379e178f3e7fe33c4dfa2eb71e","token":"t","expires_at":"2026-12-01T10:35:55Z","refresh_token":"r","refresh_expires_at":"2026-12-31T10:35:55Z"}`)},
			"answered 201 to a request the spec calls invalid"},
		{"the same body refused with a 400 keeps the contract",
			Exchange{Method: "POST", Path: "/v1/users", ReqHeader: http.Header{"Content-Type": {"application/json"}}, ReqBody: []byte(`{"name":"x"}`),
				Status: 400, RespHeader: headers("Cache-Control", "no-store"), RespBody: []byte(errorBody)}, ""},
		{"an accepted limit past the maximum is refused: a bound is a bound",
			Exchange{Method: "GET", Path: "/v1/articles", Query: url.Values{"limit": {"5000"}}, Status: 200,
				RespHeader: headers(), RespBody: []byte(`{"items":[]}`)}, "query parameter limit"},
		{"an accepted limit that is no number is refused",
			Exchange{Method: "GET", Path: "/v1/articles", Query: url.Values{"limit": {"ten"}}, Status: 200,
				RespHeader: headers(), RespBody: []byte(`{"items":[]}`)}, "query parameter limit"},
		{"a 405 with Allow keeps the contract",
			Exchange{Method: "DELETE", Path: "/v1/articles", Status: 405, RespHeader: headers("Allow", "GET", "Cache-Control", "no-store"),
				RespBody: []byte(`{"error":{"code":"method_not_allowed","message":"no","request_id":"x"}}`)}, ""},
		{"a 405 without Allow is refused",
			Exchange{Method: "DELETE", Path: "/v1/articles", Status: 405, RespHeader: headers(),
				RespBody: []byte(`{"error":{"code":"method_not_allowed","message":"no","request_id":"x"}}`)}, "header Allow is required"},
		{"a text/plain body is checked as a string (a WebSub challenge)",
			Exchange{Method: "GET", Path: "/v1/websub/d09385acdedb6eedf25a8d90b04005cc", Query: websubQuery, Status: 200,
				RespHeader: headers("Content-Type", "text/plain; charset=utf-8", "X-Content-Type-Options", "nosniff"), RespBody: []byte("4de5d85f3d5e")}, ""},
		{"a text/plain body past its schema is refused",
			Exchange{Method: "GET", Path: "/v1/websub/d09385acdedb6eedf25a8d90b04005cc", Query: websubQuery, Status: 200,
				RespHeader: headers("Content-Type", "text/plain; charset=utf-8"), RespBody: []byte(strings.Repeat("x", 1025))}, "body:"},
		{"an XML request body is checked as a string, not as JSON",
			Exchange{Method: "POST", Path: "/v1/websub/d09385acdedb6eedf25a8d90b04005cc",
				ReqHeader: http.Header{"Content-Type": {"application/rss+xml"}, "X-Hub-Signature": {"sha256=00"}}, ReqBody: []byte(`<rss version="2.0"/>`),
				Status: 202, RespHeader: headers(), RespBody: []byte(`{"new":0,"duplicates":0,"bad_items":0,"ignored":0,"announced":0}`)}, ""},
		{"an unknown path must be a 404",
			Exchange{Method: "GET", Path: "/v1/nothing-here", Status: 200, RespHeader: headers(), RespBody: []byte(`{}`)}, "answered 200 where the spec has only 404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.x.Query == nil {
				c.x.Query = url.Values{}
			}
			if c.x.ReqHeader == nil {
				c.x.ReqHeader = http.Header{}
			}
			_, got := s.Check(c.x)
			all := strings.Join(got, "; ")
			switch {
			case c.want == "" && len(got) > 0:
				t.Errorf("want no violation, got %s", all)
			case c.want != "" && !strings.Contains(all, c.want):
				t.Errorf("want a violation naming %q, got %q", c.want, all)
			}
		})
	}
}

// TestTheTransportFailsARequestWhoseAnswerBreaksTheContract plants an
// undocumented header in a live answer: the checking transport turns the
// exchange into an error the test sees, and keeps it for the run's summary.
func TestTheTransportFailsARequestWhoseAnswerBreaksTheContract(t *testing.T) {
	c, err := NewConformance(filepath.Join("..", "topology", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	planted := "X-Powered-By"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "abc")
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("plant") != "" {
			w.Header().Set(planted, "kiosk")
		}
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	defer srv.Close()
	client := &http.Client{Transport: c.Transport(nil)}

	resp, err := client.Get(srv.URL + "/v1/articles")
	if err != nil {
		t.Fatalf("a documented answer: %v", err)
	}
	resp.Body.Close()
	if _, err := client.Get(srv.URL + "/v1/articles?plant=1"); err == nil || !strings.Contains(err.Error(), planted) {
		t.Fatalf("an answer with %s: err = %v, want the contract broken", planted, err)
	}
	if v := c.Violations(); len(v) != 1 || !strings.Contains(v[0], planted) {
		t.Errorf("violations = %q, want the planted header once", v)
	}
	if n, _ := c.Counts(); n != 2 {
		t.Errorf("%d exchanges checked, want 2", n)
	}
	// Outside the contract (the console, /_local/), nothing is checked.
	if resp, err := client.Get(srv.URL + "/_local/anything?plant=1"); err != nil {
		t.Errorf("out of scope: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestCountsAreByDocumentedOperationAndStatus(t *testing.T) {
	c, err := NewConformance(filepath.Join("..", "topology", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	all := len(c.Unexercised())
	for _, id := range []string{"d09385acdedb6eedf25a8d90b04005cc", "c6c8b4f6939a88bbe3331c2c65b5cde8"} {
		c.Record(Exchange{Method: "GET", Path: "/v1/articles/" + id, Query: url.Values{}, ReqHeader: http.Header{}, Status: 200,
			RespHeader: headers(), RespBody: []byte(strings.Replace(article, "d09385acdedb6eedf25a8d90b04005cc", id, 1))})
	}
	if n, kinds := c.Counts(); n != 2 || kinds != 1 {
		t.Errorf("counts = %d exchanges, %d pairs; want 2 and 1 (GET /v1/articles/{id} 200)", n, kinds)
	}
	left := c.Unexercised()
	if len(left) != all-1 || slices.Contains(left, "GET /v1/articles/{id} 200") {
		t.Errorf("%d of %d pairs left, want %d without GET /v1/articles/{id} 200", len(left), all, all-1)
	}
}

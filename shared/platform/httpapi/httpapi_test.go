package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			Error(w, r, kiosk.Errorf(kiosk.ENOTFOUND, "thing %s not found", r.PathValue("id")))
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /v1/things", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name  string `json:"name"`
			Count int    `json:"count"`
		}
		if err := Decode(r, &in); err != nil {
			Error(w, r, err)
			return
		}
		WriteJSON(w, http.StatusCreated, in)
	})
	mux.HandleFunc("GET /v1/panic", func(w http.ResponseWriter, r *http.Request) { panic("secret detail") })
	mux.HandleFunc("GET /v1/fail", func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, context.DeadlineExceeded) // a raw internal error
	})
	return mux
}

// call sends an API Gateway v2 event through the real proxy adapter.
func call(t *testing.T, method, path, contentType, body string) (events.APIGatewayV2HTTPResponse, ErrorBody) {
	t.Helper()
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: method + " " + path, RawPath: path, Body: body,
		Headers: map[string]string{"content-type": contentType},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-1", RouteKey: method + " " + path, DomainName: "example.com", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
		},
	}
	resp, err := httpadapter.NewV2(Wrap(testMux())).ProxyWithContext(context.Background(), req)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	var eb ErrorBody
	_ = json.Unmarshal([]byte(resp.Body), &eb)
	return resp, eb
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"an unknown path is a JSON 404", "GET", "/v1/nope", "", "", 404, kiosk.ENOTFOUND},
		{"a wrong method is a JSON 405", "DELETE", "/v1/things", "", "", 405, kiosk.EMETHOD},
		{"a domain not-found is a 404", "GET", "/v1/things/missing", "", "", 404, kiosk.ENOTFOUND},
		{"a panic is a 500 without details", "GET", "/v1/panic", "", "", 500, kiosk.EINTERNAL},
		{"an internal error is a 500 without details", "GET", "/v1/fail", "", "", 500, kiosk.EINTERNAL},
		{"malformed JSON is a 400", "POST", "/v1/things", "application/json", `{"name":`, 400, kiosk.EINVALID},
		{"broken JSON syntax is a 400", "POST", "/v1/things", "application/json", `{"name" "x"}`, 400, kiosk.EINVALID},
		{"an unknown field is a 400", "POST", "/v1/things", "application/json", `{"name":"x","admin":true}`, 400, kiosk.EINVALID},
		{"a wrong type is a 400", "POST", "/v1/things", "application/json", `{"count":"many"}`, 400, kiosk.EINVALID},
		{"trailing data is a 400", "POST", "/v1/things", "application/json", `{"name":"x"}{}`, 400, kiosk.EINVALID},
		{"an empty body is a 400", "POST", "/v1/things", "application/json", ``, 400, kiosk.EINVALID},
		{"a wrong content type is a 415", "POST", "/v1/things", "text/plain", `{"name":"x"}`, 415, kiosk.EUNSUPPORTED},
		{"an unclean path is a JSON 404, not ServeMux's redirect", "GET", "//v1/things/abc", "", "", 404, kiosk.ENOTFOUND},
		{"a path with an empty segment is a JSON 404", "GET", "/v1//things/abc", "", "", 404, kiosk.ENOTFOUND},
		{"a path with dot segments is a JSON 404", "GET", "/v1/nope/../things/abc", "", "", 404, kiosk.ENOTFOUND},
		{"a key matched only ignoring case is a 400", "POST", "/v1/things", "application/json", `{"Name":"x"}`, 400, kiosk.EINVALID},
		{"a duplicate key is a 400", "POST", "/v1/things", "application/json", `{"count":1,"count":2}`, 400, kiosk.EINVALID},
		{"an oversize body is a 413", "POST", "/v1/things", "application/json", `{"name":"` + strings.Repeat("x", MaxBody) + `"}`, 413, kiosk.ETOOLARGE},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, eb := call(t, c.method, c.path, c.ctype, c.body)
			if resp.StatusCode != c.status || eb.Error.Code != c.code {
				t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, eb.Error.Code, resp.Body, c.status, c.code)
			}
			if eb.Error.RequestID != "req-1" || eb.Error.Message == "" {
				t.Errorf("error body %s lacks the message or API Gateway's request id", resp.Body)
			}
			if strings.Contains(resp.Body, "secret detail") || strings.Contains(resp.Body, "goroutine") || strings.Contains(resp.Body, "deadline") {
				t.Errorf("error body leaks internals: %s", resp.Body)
			}
			if resp.Headers["Content-Type"] != "application/json" {
				t.Errorf("Content-Type = %q", resp.Headers["Content-Type"])
			}
			if resp.Headers["Cache-Control"] != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store on every error", resp.Headers["Cache-Control"])
			}
		})
	}
}

func TestSuccess(t *testing.T) {
	resp, _ := call(t, "POST", "/v1/things", "application/json; charset=utf-8", `{"name":"x","count":2}`)
	if resp.StatusCode != 201 || !strings.Contains(resp.Body, `"count":2`) {
		t.Errorf("got %d %s", resp.StatusCode, resp.Body)
	}
	if resp.Headers["X-Request-Id"] != "req-1" {
		t.Errorf("X-Request-Id = %q, want API Gateway's request id", resp.Headers["X-Request-Id"])
	}
	resp, _ = call(t, "GET", "/v1/things/abc", "", "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"id":"abc"`) {
		t.Errorf("got %d %s", resp.StatusCode, resp.Body)
	}
	if resp.Headers["Allow"] != "" {
		t.Errorf("unexpected Allow header")
	}
}

func TestMethodNotAllowedListsAllowed(t *testing.T) {
	resp, _ := call(t, "DELETE", "/v1/things", "", "")
	if !strings.Contains(resp.Headers["Allow"], "POST") {
		t.Errorf("Allow = %q, want POST in it", resp.Headers["Allow"])
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"name":"x","count":1}`)
	f.Add(`{"name":`)
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, body string) {
		resp, eb := call(t, "POST", "/v1/things", "application/json", body)
		if resp.StatusCode >= 500 {
			t.Fatalf("body %q gave %d %s", body, resp.StatusCode, resp.Body)
		}
		if resp.StatusCode >= 400 && eb.Error.Code == "" {
			t.Fatalf("body %q gave %d without the error contract: %s", body, resp.StatusCode, resp.Body)
		}
	})
}

func TestServerErrorsKeepTheirCauseOutOfTheResponse(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/down", func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE, "try later"), errors.New("dial tcp 10.0.0.1: secret detail")))
	})
	req := events.APIGatewayV2HTTPRequest{RawPath: "/v1/down", RequestContext: events.APIGatewayV2HTTPRequestContext{
		RequestID: "req-2", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/down"}}}
	resp, err := httpadapter.NewV2(Wrap(mux)).ProxyWithContext(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || !strings.Contains(resp.Body, "try later") || strings.Contains(resp.Body, "secret detail") {
		t.Errorf("got %d %s", resp.StatusCode, resp.Body)
	}
}

// TestRouteBodyCaps: the topology's cap for the route key, through the real
// proxy adapter; routes the limits do not name keep MaxBody.
func TestRouteBodyCaps(t *testing.T) {
	h := httpadapter.NewV2(WrapLimits(testMux(), Limits{Routes: map[string]contract.RouteLimits{"POST /v1/things": {MaxBody: 20}}}))
	for _, c := range []struct {
		body   string
		status int
	}{
		{`{"name":"0123456"}`, 201},    // 18 bytes
		{`{"name":"012345678"}`, 201},  // exactly 20
		{`{"name":"0123456789"}`, 413}, // 21
	} {
		req := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /v1/things", RawPath: "/v1/things", Body: c.body,
			Headers: map[string]string{"content-type": "application/json"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r", RouteKey: "POST /v1/things",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/v1/things"}}}
		resp, err := h.ProxyWithContext(context.Background(), req)
		if err != nil || resp.StatusCode != c.status {
			t.Errorf("%d-byte body: %d %s %v, want %d", len(c.body), resp.StatusCode, resp.Body, err, c.status)
		}
	}
}

func TestDecodeErrorsSpeakJSONNotGo(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	var v struct {
		Name  string   `json:"name"`
		Count int      `json:"count"`
		Tags  []string `json:"tags"`
		In    inner    `json:"in"`
	}
	cases := []struct{ body, want string }{
		{`[]`, "the body must be a JSON object, not a JSON array"},
		{`"x"`, "the body must be a JSON object, not a JSON string"},
		{`{"name":1}`, `field "name" must be a string`},
		{`{"count":1.5}`, `field "count" must be a whole number`},
		{`{"tags":{}}`, `field "tags" must be an array`},
		{`{"in":[]}`, `field "in" must be an object`},
	}
	for _, c := range cases {
		t.Run(c.body+" says "+c.want, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			err := Decode(r, &v)
			if err == nil || kiosk.ErrorMessage(err) != c.want {
				t.Fatalf("Decode(%s) = %v, want %q", c.body, err, c.want)
			}
			if strings.Contains(err.Error(), "json:\"") || strings.Contains(err.Error(), "struct") {
				t.Errorf("the message shows Go's types: %v", err)
			}
		})
	}
}

func TestAnEscapedSlashStaysInsideItsSegment(t *testing.T) {
	resp, _ := call(t, "GET", "/v1/things/..%2fx", "", "")
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"id":"../x"`) {
		t.Errorf("got %d %s, want the route with its id (the handler validates it)", resp.StatusCode, resp.Body)
	}
}

func TestAQueryStringThatDoesNotParseIsA400BeforeAnyHandlerRuns(t *testing.T) {
	ran := 0
	mux := http.NewServeMux()
	for _, route := range []string{"GET /v1/list", "POST /v1/list", "GET /v1/list/{id}"} {
		mux.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			ran++
			WriteJSON(w, http.StatusOK, r.URL.Query())
		})
	}
	proxy := httpadapter.NewV2(Wrap(mux)).ProxyWithContext
	for _, c := range []struct{ name, method, path, query, want string }{
		{"a broken escape in a value", "GET", "/v1/list", "category=%zz", `invalid URL escape "%zz"`},
		{"a broken escape in a key", "GET", "/v1/list", "%zzcursor=abc", `invalid URL escape "%zz"`},
		{"a truncated escape after a good pair", "GET", "/v1/list", "limit=5&cursor=ab%2", `invalid URL escape "%2"`},
		{"a broken escape on a route with a path value", "GET", "/v1/list/a", "x=%", `invalid URL escape "%"`},
		{"a broken escape on a POST", "POST", "/v1/list", "limit=%G1", `invalid URL escape "%G1"`},
		{"a semicolon separator", "GET", "/v1/list", "limit=5;cursor=abc", "semicolon"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := ran
			resp, err := proxy(context.Background(), events.APIGatewayV2HTTPRequest{
				Version: "2.0", RouteKey: c.method + " " + c.path, RawPath: c.path, RawQueryString: c.query,
				RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "req-q", RouteKey: c.method + " " + c.path,
					DomainName: "example.com", Stage: "$default",
					HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: c.method, Path: c.path}},
			})
			if err != nil {
				t.Fatalf("proxy: %v", err)
			}
			var eb ErrorBody
			if resp.StatusCode != 400 || json.Unmarshal([]byte(resp.Body), &eb) != nil || eb.Error.Code != kiosk.EINVALID ||
				eb.Error.RequestID != "req-q" || !strings.Contains(eb.Error.Message, c.want) {
				t.Errorf("?%s: got %d %s, want 400 invalid_argument naming %q", c.query, resp.StatusCode, resp.Body, c.want)
			}
			if resp.Headers["Cache-Control"] != "no-store" {
				t.Errorf("?%s: Cache-Control %q, want no-store", c.query, resp.Headers["Cache-Control"])
			}
			if ran != before {
				t.Errorf("?%s: the handler ran", c.query)
			}
		})
	}
	// A well-escaped query still reaches the handler whole.
	resp, err := proxy(context.Background(), events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET /v1/list", RawPath: "/v1/list", RawQueryString: "category=a%25b&cursor=x%2By+z",
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "req-ok", RouteKey: "GET /v1/list", DomainName: "example.com",
			Stage: "$default", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/list"}},
	})
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"category":["a%b"]`) || !strings.Contains(resp.Body, `"cursor":["x+y z"]`) {
		t.Errorf("a well-escaped query: %d %s %v", resp.StatusCode, resp.Body, err)
	}
}

// BenchmarkProxy is the wrapper's share of a warm request: an API Gateway v2
// event for GET /v1/things/{id}, with the headers a mobile client sends
// through API Gateway, through the proxy adapter, the contract wrapper (request
// id, limits, access line to /dev/null) and ServeMux to a handler writing a
// small JSON object. Reproduce:
// go test -run '^$' -bench Proxy -benchmem ./shared/platform/httpapi
func BenchmarkProxy(b *testing.B) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = null
	b.Cleanup(func() { os.Stdout = stdout; null.Close() })
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "GET /v1/things/{id}", RawPath: "/v1/things/0123456789abcdef", RawQueryString: "lang=en",
		Headers: map[string]string{"accept": "application/json", "accept-encoding": "gzip, deflate, br", "accept-language": "en-GB,en;q=0.9",
			"content-length": "0", "host": "api.example.com", "user-agent": "Kiosk/3.1 (iPhone; iOS 18.1)", "x-amzn-trace-id": "Root=1-67a0b1c2-0123456789abcdef01234567",
			"x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443", "x-forwarded-proto": "https"},
		QueryStringParameters: map[string]string{"lang": "en"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "Xb3rTgJLoAMEVJg=", RouteKey: "GET /v1/things/{id}", DomainName: "api.example.com", Stage: "$default", AccountID: "123456789012", APIID: "abcdef1234",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/things/0123456789abcdef", Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: "Kiosk/3.1 (iPhone; iOS 18.1)"},
		},
	}
	routes := map[string]contract.RouteLimits{"GET /v1/things/{id}": {MaxBody: 1 << 10}}
	proxy := httpadapter.NewV2(WrapLimits(testMux(), Limits{Routes: routes})).ProxyWithContext
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := proxy(ctx, req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%d %v", resp.StatusCode, err)
		}
	}
}

// TestAHandlerAnswersBeforeTheInvocationsDeadline: under the reliability
// run's DynamoDB throttling on a busy machine, a 5-second function was killed
// at its timeout (a bare 504) while the SDK was still retrying. The wrapper
// keeps a tenth of the time left (250 ms to 1 s) for the answer, so the
// handler's calls end in time for a 503 with Retry-After.
func TestAHandlerAnswersBeforeTheInvocationsDeadline(t *testing.T) {
	now := time.Now()
	for left, reserve := range map[time.Duration]time.Duration{
		5 * time.Second: 500 * time.Millisecond, time.Minute: time.Second, time.Second: 250 * time.Millisecond} {
		parent, cancel := context.WithDeadline(context.Background(), now.Add(left))
		ctx, stop := Reserve(parent, now)
		got, _ := ctx.Deadline()
		if want := now.Add(left - reserve); !got.Equal(want) {
			t.Errorf("%v left: the handler's deadline is %v after now, want %v", left, got.Sub(now), want.Sub(now))
		}
		stop()
		cancel()
	}
	if ctx, stop := Reserve(context.Background(), now); ctx != context.Background() {
		t.Error("a context without a deadline was given one")
	} else {
		stop()
	}

	var seen time.Time
	h := Wrap(func() *http.ServeMux {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) {
			seen, _ = r.Context().Deadline()
			WriteJSON(w, 200, map[string]string{})
		})
		return mux
	}())
	parent, cancel := context.WithDeadline(context.Background(), time.Now().Add(5*time.Second))
	defer cancel()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil).WithContext(parent))
	if end, _ := parent.Deadline(); seen.IsZero() || end.Sub(seen) < 400*time.Millisecond {
		t.Errorf("the handler's deadline %v leaves %v before the invocation's, want about 500 ms", seen, end.Sub(seen))
	}
}

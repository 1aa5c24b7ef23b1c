package local

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

// Local identity of the emulated account and API.
const (
	Region  = "us-east-1"
	Account = "123456789012"
	APIID   = "kioskapi"
)

// MaxPayload is API Gateway's HTTP API request payload limit.
const MaxPayload = 10 << 20

// gateway emulates an API Gateway HTTP API with payload format 2.0: it routes
// by the declared routes, builds the same APIGatewayV2HTTPRequest as AWS,
// invokes the function and maps its response or failure to HTTP.
type gateway struct {
	now        func() time.Time
	routes     []compiledRoute
	host       *Host
	authorizer string
	cors       topology.CORS

	mu    sync.Mutex
	cache map[string]authDecision // by auth mode + Authorization header, as API Gateway caches per authorizer
}

type authDecision struct {
	allowed bool
	context map[string]any
	expires time.Time
}

type compiledRoute struct {
	topology.FunctionRoute
	segs   []string
	bucket *bucket
}

// bucket is API Gateway's throttle for one route: a token bucket holding
// Burst requests, refilled at Rate per second, shared by every caller (HTTP
// API stages throttle per route, not per client).
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(t topology.Throttle) *bucket {
	return &bucket{rate: t.Rate, burst: float64(t.Burst), tokens: float64(t.Burst), last: time.Now()}
}

// take spends a token, or says how long until one is there.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

func newGateway(cloud topology.Cloud, host *Host) *gateway {
	g := &gateway{now: time.Now, host: host, authorizer: cloud.Authorizer, cors: cloud.CORS, cache: map[string]authDecision{}}
	for _, r := range cloud.Routes() {
		t := cloud.Throttle // the stage's default route throttle, as the stack sets it
		if r.Throttle != nil {
			t = *r.Throttle
		}
		cr := compiledRoute{FunctionRoute: r, segs: strings.Split(strings.TrimPrefix(r.Path, "/"), "/")}
		if t.Rate > 0 && t.Burst > 0 {
			cr.bucket = newBucket(t)
		}
		g.routes = append(g.routes, cr)
	}
	return g
}

// match returns the most specific route for method and path (literal segments
// beat {param}, which beats {greedy+}), its path parameters, and the methods
// allowed on the path when no route takes this method.
func (g *gateway) match(method, path string) (*compiledRoute, map[string]string, []string) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *compiledRoute
	var bestParams map[string]string
	var bestScore []int
	allowed := map[string]bool{}
	for i := range g.routes {
		r := &g.routes[i]
		params, score, ok := matchSegs(r.segs, segs)
		if !ok {
			continue
		}
		if r.Method != method {
			allowed[r.Method] = true
			continue
		}
		if best == nil || better(score, bestScore) {
			best, bestParams, bestScore = r, params, score
		}
	}
	var allow []string
	for m := range allowed {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	return best, bestParams, allow
}

func matchSegs(route, path []string) (map[string]string, []int, bool) {
	params := map[string]string{}
	var score []int
	for i, rs := range route {
		if strings.HasSuffix(rs, "+}") {
			if i >= len(path) || strings.Join(path[i:], "") == "" {
				return nil, nil, false
			}
			params[strings.Trim(rs, "{}+")] = strings.Join(path[i:], "/")
			return params, append(score, 0), true
		}
		if i >= len(path) || path[i] == "" {
			return nil, nil, false
		}
		if strings.HasPrefix(rs, "{") {
			params[strings.Trim(rs, "{}")] = path[i]
			score = append(score, 1)
			continue
		}
		if rs != path[i] {
			return nil, nil, false
		}
		score = append(score, 2)
	}
	if len(route) != len(path) {
		return nil, nil, false
	}
	return params, score, true
}

func better(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return len(a) > len(b)
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	id := requestID()
	w.Header().Set("Apigw-Requestid", id)
	fail := func(code, msg string) { httpapi.WriteErrorCode(w, code, msg, id) }

	// CORS, as API Gateway does with the API's CorsConfiguration: it answers
	// a preflight itself, on any path (204; CORS headers only when the
	// origin, method and headers are allowed), and adds the headers to every
	// answer to an allowed origin.
	origin := r.Header.Get("Origin")
	if method := r.Header.Get("Access-Control-Request-Method"); r.Method == http.MethodOptions && origin != "" && method != "" {
		for k, v := range g.cors.Preflight(g.cors.Origins, origin, method, r.Header.Get("Access-Control-Request-Headers")) {
			w.Header().Set(k, v)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	for k, v := range g.cors.Actual(g.cors.Origins, origin) {
		w.Header().Set(k, v)
	}

	route, params, allow := g.match(r.Method, r.URL.Path)
	if route == nil {
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			fail(kiosk.EMETHOD, fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		fail(kiosk.ENOTFOUND, "no route for "+r.Method+" "+r.URL.Path)
		return
	}
	if route.bucket != nil {
		if ok, wait := route.bucket.take(time.Now()); !ok {
			// API Gateway answers 429 itself ({"message":"Too Many Requests"}
			// in AWS); here in the error contract, with a hint when to retry.
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			fail(kiosk.ERATELIMITED, "too many requests to "+route.Key()+"; retry after the Retry-After seconds")
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		fail(kiosk.EINVALID, "could not read the request body")
		return
	}
	if len(body) > MaxPayload {
		fail(kiosk.ETOOLARGE, "the request body is larger than API Gateway's 10 MB limit")
		return
	}
	event := buildRequest(r, route.Key(), params, body, id, start)
	// One trace per request, as API Gateway's X-Ray header: every invocation
	// the request causes, through the bus, carries it.
	ctx := WithTrace(r.Context(), ParseTraceHeader(event.Headers["x-amzn-trace-id"]))
	if route.Auth.Authorized() {
		// API Gateway answers 401 itself when the identity source is missing,
		// and 403 when the authorizer says no.
		if r.Header.Get("Authorization") == "" {
			fail(kiosk.EUNAUTHORIZED, "this route needs an Authorization header")
			return
		}
		d, err := g.authorize(r.WithContext(ctx), route, event)
		if err != nil {
			fail(kiosk.EINTERNAL, "internal error")
			return
		}
		if !d.allowed {
			fail(kiosk.EFORBIDDEN, "the token does not grant "+string(route.Auth)+" access to this route")
			return
		}
		event.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: d.context}
	}
	payload, err := json.Marshal(event)
	if err != nil {
		fail(kiosk.EINTERNAL, "internal error")
		return
	}
	if len(payload) > contract.MaxSyncPayload {
		// Lambda refuses the invocation (413 RequestEntityTooLargeException)
		// and API Gateway answers 413 itself: the function never sees it.
		fail(kiosk.ETOOLARGE, "the request is larger than Lambda's 6 MB invocation payload")
		return
	}
	res, err := g.host.Invoke(ctx, route.Function, route.Key(), payload)
	switch {
	case errors.Is(err, ErrThrottled):
		fail(kiosk.EUNAVAILABLE, "the function is at its concurrency limit; retry later")
		return
	case errors.Is(err, ErrTimeout):
		fail(kiosk.ETIMEOUT, "the function timed out")
		return
	case err != nil || res.FunctionError != "":
		fail(kiosk.EINTERNAL, "internal error")
		return
	}
	writeResponse(w, res.Payload, id)
}

// buildRequest builds the payload API Gateway sends a Lambda integration.
func buildRequest(r *http.Request, routeKey string, params map[string]string, body []byte, id string, at time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		name := strings.ToLower(k)
		if name == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(vs, ",")
	}
	host := r.Host
	headers["host"] = host
	if _, ok := headers["content-length"]; !ok && len(body) > 0 {
		headers["content-length"] = fmt.Sprint(len(body))
	}
	headers["x-forwarded-proto"] = "http"
	sourceIP, port, _ := net.SplitHostPort(r.RemoteAddr)
	headers["x-forwarded-for"] = sourceIP
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers["x-forwarded-port"] = port
	headers["x-amzn-trace-id"] = "Root=" + NewTraceRoot()

	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	if len(params) == 0 {
		params = nil
	}
	domain := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		domain = h
	}
	prefix, _, _ := strings.Cut(domain, ".")
	req := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     routeKey,
			AccountID:    Account,
			Stage:        "$default",
			RequestID:    id,
			APIID:        APIID,
			DomainName:   domain,
			DomainPrefix: prefix,
			Time:         at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type"), body) {
			req.Body = string(body)
		} else {
			req.Body = base64.StdEncoding.EncodeToString(body)
			req.IsBase64Encoded = true
		}
	}
	return req
}

// isText follows API Gateway: text media types pass as text, anything else is
// base64-encoded.
func isText(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return contentType == ""
	}
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "json") || strings.HasSuffix(mt, "xml") ||
		mt == "application/x-www-form-urlencoded" || mt == "application/javascript"
}

// writeResponse maps a payload 2.0 response: a JSON object with statusCode is
// a full response; anything else valid is a 200 JSON body, as API Gateway does.
func writeResponse(w http.ResponseWriter, payload []byte, id string) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) == nil {
		if _, ok := probe["statusCode"]; ok {
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(payload, &resp); err != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
				httpapi.WriteErrorCode(w, kiosk.EINTERNAL, "internal error", id)
				return
			}
			for k, v := range resp.Headers {
				w.Header().Set(k, v)
			}
			for k, vs := range resp.MultiValueHeaders {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			for _, c := range resp.Cookies {
				w.Header().Add("Set-Cookie", c)
			}
			body := []byte(resp.Body)
			if resp.IsBase64Encoded {
				b, err := base64.StdEncoding.DecodeString(resp.Body)
				if err != nil {
					httpapi.WriteErrorCode(w, kiosk.EINTERNAL, "internal error", id)
					return
				}
				body = b
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = w.Write(body)
			return
		}
	}
	if !json.Valid(payload) {
		httpapi.WriteErrorCode(w, kiosk.EINTERNAL, "internal error", id)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(payload)
}

// requestID looks like API Gateway's: 16 random characters ending in "=".
func requestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:15] + "="
}

// authorize runs the Lambda authorizer as API Gateway does (payload 2.0, simple
// responses), caching its decision for AuthorizerCacheTTL of the (virtual)
// clock, so a test can move past the cache as time passes in AWS.
func (g *gateway) authorize(r *http.Request, route *compiledRoute, ev events.APIGatewayV2HTTPRequest) (authDecision, error) {
	header := r.Header.Get("Authorization")
	key := string(route.Auth) + "\x00" + header
	g.mu.Lock()
	d, ok := g.cache[key]
	g.mu.Unlock()
	if ok && g.now().Before(d.expires) {
		return d, nil
	}
	req := events.APIGatewayV2CustomAuthorizerV2Request{
		Version: "2.0", Type: "REQUEST",
		RouteArn:              fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/$default/%s%s", Region, Account, APIID, r.Method, r.URL.Path),
		IdentitySource:        []string{header},
		RouteKey:              route.Key(),
		RawPath:               ev.RawPath,
		RawQueryString:        ev.RawQueryString,
		Cookies:               ev.Cookies,
		Headers:               ev.Headers,
		QueryStringParameters: ev.QueryStringParameters,
		RequestContext:        ev.RequestContext,
		PathParameters:        ev.PathParameters,
		StageVariables:        ev.StageVariables,
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return d, err
	}
	res, err := g.host.Invoke(r.Context(), g.authorizer, "authorizer:"+route.Key(), payload)
	if err != nil {
		return d, err
	}
	if res.FunctionError != "" {
		return d, fmt.Errorf("authorizer failed: %s", res.ErrorMessage)
	}
	var out events.APIGatewayV2CustomAuthorizerSimpleResponse
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		return d, fmt.Errorf("authorizer answered %q: %w", truncate(res.Payload, 100), err)
	}
	d = authDecision{allowed: out.IsAuthorized, context: out.Context, expires: g.now().Add(topology.AuthorizerCacheTTL)}
	g.mu.Lock()
	g.cache[key] = d
	g.mu.Unlock()
	return d, nil
}

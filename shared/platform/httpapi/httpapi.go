// Package httpapi serves a plain net/http handler as an API Gateway HTTP API
// (payload v2) Lambda through aws-lambda-go-api-proxy, and owns the HTTP side of
// Kiosk's contract: request ids, the JSON error shape, body limits, panics
// turned into 500s without a stack trace, and one access-log line per request.
package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"runtime/debug"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/boot"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/logs"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
	"github.com/kiosk-news/kiosk/shared/platform/ratelimit"
)

// MaxBody is the body cap of a route the limits do not name (the topology
// names every route; its default is contract.DefaultMaxBody).
const MaxBody = contract.DefaultMaxBody

// Start runs mux as the Lambda entry point, with the route limits the
// topology gives the function (boot.Env.RouteLimits).
func Start(env *boot.Env, mux *http.ServeMux) {
	routes, limiter := env.RouteLimits()
	lambda.Start(Handler(mux, Limits{Routes: routes, Limiter: limiter}))
}

// Handler is the Lambda handler Start runs: an API Gateway v2 event through
// the proxy adapter and the contract wrapper (WrapLimits) to mux, and the
// invocation's business metrics flushed after the response is built.
func Handler(mux *http.ServeMux, limits Limits) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	proxy := httpadapter.NewV2(WrapLimits(mux, limits)).ProxyWithContext
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		// The request's business metrics, one EMF line after the response is built.
		ctx, set := metrics.Start(ctx)
		defer metrics.Flush(set)
		return proxy(ctx, req)
	}
}

// Limits are what a wrapped handler enforces per route key.
type Limits struct {
	Routes map[string]contract.RouteLimits
	// Limiter counts requests for the routes with a per-client limit.
	Limiter *ratelimit.Limiter
}

// statuses maps application error codes to HTTP statuses, in one place.
var statuses = map[string]int{
	kiosk.EINVALID:      http.StatusBadRequest,
	kiosk.EUNAUTHORIZED: http.StatusUnauthorized,
	kiosk.EFORBIDDEN:    http.StatusForbidden,
	kiosk.ENOTFOUND:     http.StatusNotFound,
	kiosk.EMETHOD:       http.StatusMethodNotAllowed,
	kiosk.ECONFLICT:     http.StatusConflict,
	kiosk.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	kiosk.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	kiosk.ERATELIMITED:  http.StatusTooManyRequests,
	kiosk.EINTERNAL:     http.StatusInternalServerError,
	kiosk.EUNAVAILABLE:  http.StatusServiceUnavailable,
	kiosk.EREUSED:       http.StatusConflict,
	kiosk.ETIMEOUT:      http.StatusGatewayTimeout,
}

// Status returns the HTTP status of an application error code.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON error contract.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	RequestID string   `json:"request_id"`
	Details   []string `json:"details,omitempty"`
}

// WriteErrorCode writes the JSON error contract with the code's status. An
// error answer is never cached (Cache-Control: no-store), whatever the route
// set before it failed.
func WriteErrorCode(w http.ResponseWriter, code, message, requestID string) {
	noteCode(w, code)
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, Status(code), ErrorBody{ErrorDetail{Code: code, Message: message, RequestID: requestID}})
}

// Error writes err as the JSON error contract. Server errors (5xx) are logged
// with their cause and the request id; internal ones reach the client only as
// "internal error".
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := kiosk.ErrorCode(err)
	msg := kiosk.ErrorMessage(err)
	if code == kiosk.EINTERNAL && awsenv.Transient(err) {
		// A dependency that is throttling or failing after the SDK's retries:
		// the client may retry, so say so rather than "internal error".
		code, msg = kiosk.EUNAVAILABLE, "a service Kiosk depends on is busy or failing; retry shortly"
	}
	if code == kiosk.EUNAVAILABLE || code == kiosk.ERATELIMITED {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store") // as WriteErrorCode
	if Status(code) >= 500 {
		// The client sees only the safe message; the cause goes to the log.
		slog.ErrorContext(r.Context(), "server error", "code", code, "request_id", RequestID(r.Context()), "error", err.Error())
	}
	noteCode(w, code)
	WriteJSON(w, Status(code), ErrorBody{ErrorDetail{Code: code, Message: msg,
		RequestID: RequestID(r.Context()), Details: kiosk.Details(err)}})
}

// noteCode tells the wrapper's recorder the error code it answers with (for
// RequestsRefused), without the wrapper reading the body.
func noteCode(w http.ResponseWriter, code string) {
	if rec, ok := w.(*recorder); ok && !rec.wrote {
		rec.code = code
	}
}

// codes is the application error code of each 4xx status, for an answer
// written without the error writers (the first code of the status).
var codes = func() map[int]string {
	m := map[int]string{}
	for _, code := range []string{kiosk.EINVALID, kiosk.EUNAUTHORIZED, kiosk.EFORBIDDEN, kiosk.ENOTFOUND, kiosk.EMETHOD,
		kiosk.ECONFLICT, kiosk.ETOOLARGE, kiosk.EUNSUPPORTED, kiosk.ERATELIMITED} {
		m[statuses[code]] = code
	}
	return m
}()

// refusedReason is the RequestsRefused reason of a 4xx answer: the code the
// error writer gave, else the status's code, else "other" (a closed set).
func refusedReason(rec *recorder) string {
	if rec.code != "" {
		return rec.code
	}
	if code, ok := codes[rec.status]; ok {
		return code
	}
	return "other"
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error","request_id":""}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Decode reads a JSON request body strictly into v: application/json only, no
// unknown fields, keys spelled exactly as the fields' json names, no key twice
// in one object, no null for a field, no trailing data, valid UTF-8, within
// the route's body cap. Its errors are
// application errors ready for Error.
func Decode(r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return kiosk.Errorf(kiosk.EUNSUPPORTED, "the body must be application/json")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(body) {
		return kiosk.Errorf(kiosk.EINVALID, "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var bad *time.ParseError
		if !errors.As(err, &bad) {
			return decodeError(err)
		}
		// A time RFC 3339 allows but time.Time refuses ("…t10:00:00z"),
		// or none: the value is valid JSON (Decode read it whole first).
		if err := fixTimes(body, reflect.TypeOf(v)); err != nil {
			return err
		}
		dec = json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return decodeError(err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return kiosk.Errorf(kiosk.EINVALID, "the body must hold one JSON value")
	}
	// What encoding/json v1 accepts but the spec does not: keys matched
	// ignoring case, duplicate keys, null for a field (strict.go).
	return strictCheck(body, reflect.TypeOf(v))
}

// Body reads a raw request body (a webhook's, whatever its media type)
// within the route's body cap; over the cap is a 413 application error.
func Body(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, decodeError(err)
	}
	return body, nil
}

// jsonKind names a Go type as a JSON client knows it, never Go's own spelling
// (a struct's type would print its fields and tags).
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another type"
}

func decodeError(err error) error {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tm *time.ParseError
	switch {
	case errors.As(err, &tm):
		return kiosk.Errorf(kiosk.EINVALID, "a time must be an RFC 3339 time, like 2026-12-01T10:00:00Z")
	case errors.As(err, &tooBig):
		return kiosk.Errorf(kiosk.ETOOLARGE, "the body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &syntax):
		return kiosk.Errorf(kiosk.EINVALID, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return kiosk.Errorf(kiosk.EINVALID, "the body must be a JSON object, not a JSON %s", typ.Value)
	case errors.As(err, &typ):
		return kiosk.Errorf(kiosk.EINVALID, "field %q must be %s", typ.Field, jsonKind(typ.Type))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return kiosk.Errorf(kiosk.EINVALID, "the body is empty or truncated")
	}
	return kiosk.Errorf(kiosk.EINVALID, "bad body: %v", err)
}

type requestIDKey struct{}

// RequestID returns the request id: API Gateway's, or one made up when absent.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Wrap adds the contract around a mux: request id, body limit, JSON 404/405,
// a JSON 400 for a query string that does not parse, panic recovery, the access log line and RequestsRefused{reason} for every
// 4xx answer.
func Wrap(mux *http.ServeMux) http.Handler { return WrapLimits(mux, Limits{}) }

// WrapLimits is Wrap with each route's body cap and per-client limit.
func WrapLimits(mux *http.ServeMux, limits Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, calls := awsenv.WithCounter(r.Context())
		ctx, cancel := Reserve(ctx, start)
		defer cancel()
		var route, id string
		if gw, ok := core.GetAPIGatewayV2ContextFromContext(ctx); ok {
			id, route = gw.RequestID, gw.RouteKey
		} else {
			route = r.Method + " " + r.URL.Path
		}
		if id == "" {
			id = newID()
		}
		ctx = context.WithValue(ctx, requestIDKey{}, id)
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w}
		rec.Header()["X-Request-Id"] = []string{id} // canonical already: no Set's canonicalisation per request
		_, pattern := mux.Handler(r)
		limit, named := limits.Routes[route]
		if !named {
			limit, named = limits.Routes[pattern]
		}
		if !named {
			limit = contract.RouteLimits{MaxBody: MaxBody}
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit.MaxBody)

		func() {
			defer func() {
				if p := recover(); p != nil {
					slog.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if !rec.wrote {
						WriteErrorCode(rec, kiosk.EINTERNAL, "internal error", id)
					}
				}
			}()
			if pattern == "" || unclean(r.URL.EscapedPath()) {
				muxError(rec, r, mux)
				return
			}
			if r.ContentLength > limit.MaxBody {
				WriteErrorCode(rec, kiosk.ETOOLARGE, fmt.Sprintf("the body is larger than %d bytes", limit.MaxBody), id)
				return
			}
			if p := limit.PerClient; p != nil && limits.Limiter != nil {
				d, err := limits.Limiter.Allow(ctx, route, ClientOf(r), p.Requests, time.Duration(p.WindowSeconds)*time.Second)
				if err != nil {
					// A broken limiter must not take the API down: let it through.
					slog.WarnContext(ctx, "rate limiter unavailable", "route", route, "error", err.Error(), "request_id", id)
				}
				if !d.Allowed {
					rec.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.RetryAfter.Seconds())))))
					WriteErrorCode(rec, kiosk.ERATELIMITED, fmt.Sprintf("at most %d requests per %d s from one client; try again later", p.Requests, p.WindowSeconds), id)
					return
				}
			}
			// r.URL.Query() drops a pair it cannot parse (a broken escape,
			// a semicolon) without a word: ?category=%zz would serve top.
			// Refused here, once for every route, before a handler runs.
			if q := r.URL.RawQuery; q != "" {
				if _, err := url.ParseQuery(q); err != nil {
					WriteErrorCode(rec, kiosk.EINVALID, "malformed query string: "+err.Error(), id)
					return
				}
			}
			mux.ServeHTTP(rec, r)
		}()
		if !rec.wrote {
			rec.WriteHeader(http.StatusOK)
		}
		if rec.status >= 400 && rec.status < 500 {
			metrics.AddBy(ctx, metrics.RequestsRefused, refusedReason(rec), 1)
		}
		logs.Access(ctx, logs.Request{Route: route, Method: r.Method, Path: r.URL.Path, Status: rec.status,
			Duration: time.Since(start), DynamoDBCalls: calls.Count("DynamoDB"), EventBridgeCalls: calls.Count("EventBridge"),
			RequestID: id})
	})
}

// unclean reports an escaped path ServeMux would redirect to its clean form
// (an empty or dot segment; a trailing slash is clean). An escaped slash
// ("..%2fx") is inside one segment, as for ServeMux and API Gateway.
func unclean(p string) bool {
	c := path.Clean(p)
	return p != "" && c != p && c+"/" != p
}

// muxError turns ServeMux's plain-text 404/405 into the JSON contract.
func muxError(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	probe := &probeWriter{header: http.Header{}}
	mux.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		WriteErrorCode(w, kiosk.EMETHOD, fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path), RequestID(r.Context()))
	case http.StatusNotFound:
		WriteErrorCode(w, kiosk.ENOTFOUND, "no route for "+r.URL.Path, RequestID(r.Context()))
	default:
		// A redirect ServeMux makes for an unclean path (//v1/health,
		// /v1/a/../health): API Gateway does not clean paths, so such a path
		// matches no route there; no redirect here either.
		WriteErrorCode(w, kiosk.ENOTFOUND, "no route for "+r.URL.Path, RequestID(r.Context()))
	}
}

type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	code   string // the error code, when an error writer answered
}

func (r *recorder) WriteHeader(status int) {
	if r.wrote {
		return
	}
	r.status, r.wrote = status, true
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

type probeWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(s int) {
	if p.status == 0 {
		p.status = s
	}
}
func (p *probeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return p.body.Write(b)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RequireRole refuses, with a JSON 403, a request the authorizer did not let
// through with the given role: defence in depth behind the gateway's check.
func RequireRole(role string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := CallerOf(r); !ok || c.Role != role {
			WriteErrorCode(w, kiosk.EFORBIDDEN, "this route needs the "+role+" role", RequestID(r.Context()))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientOf names the client of a request, as per-client limits and
// idempotency keys count it: the caller the authorizer let through, else the
// source address API Gateway saw.
func ClientOf(r *http.Request) string {
	if c, ok := CallerOf(r); ok {
		return c.Role + ":" + c.UserID
	}
	if gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && gw.HTTP.SourceIP != "" {
		return "ip:" + gw.HTTP.SourceIP
	}
	return "ip:unknown"
}

// Caller is who the Lambda authorizer let through.
type Caller struct {
	UserID string
	Role   string
}

// CallerOf returns the authorizer context of the request; ok is false on a
// public route.
func CallerOf(r *http.Request) (Caller, bool) {
	gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || gw.Authorizer == nil || gw.Authorizer.Lambda == nil {
		return Caller{}, false
	}
	str := func(k string) string { s, _ := gw.Authorizer.Lambda[k].(string); return s }
	return Caller{UserID: str("user_id"), Role: str("role")}, str("role") != ""
}

// UserOf returns the calling user's id, or writes a 401 and returns false: a
// user route behind the authorizer always has one.
func UserOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	c, ok := CallerOf(r)
	if !ok || c.Role != contract.RoleUser || c.UserID == "" {
		WriteErrorCode(w, kiosk.EUNAUTHORIZED, "a user token is required", RequestID(r.Context()))
		return "", false
	}
	return c.UserID, true
}

// Reserve shortens a context that ends with the invocation (Lambda's
// deadline) by a tenth of the time left, between 250 ms and 1 s, so that a
// dependency still retrying (DynamoDB throttling) makes the handler answer
// 503 unavailable with Retry-After instead of the platform killing it at its
// timeout (API Gateway's bare 504). Without a deadline it changes nothing.
func Reserve(ctx context.Context, now time.Time) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	reserve := min(max(deadline.Sub(now)/10, 250*time.Millisecond), time.Second)
	return context.WithDeadline(ctx, deadline.Add(-reserve))
}

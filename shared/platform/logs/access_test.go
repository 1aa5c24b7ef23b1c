package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"
)

// slogLine is the access line as httpapi wrote it before Access: slog's JSON
// handler as Setup builds it, the same attributes in the same order.
func slogLine(w io.Writer, ctx context.Context, now time.Time, fn string, r Request) {
	var h slog.Handler = traced{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})}
	if fn != "" { // Setup names the function; a test process never called it
		h = h.WithAttrs([]slog.Attr{slog.String("function", fn)})
	}
	rec := slog.NewRecord(now, slog.LevelInfo, "request", 0)
	rec.Add("route", r.Route, "method", r.Method, "path", r.Path, "status", r.Status,
		"duration_ms", float64(r.Duration.Microseconds())/1000,
		"dynamodb_calls", r.DynamoDBCalls, "eventbridge_calls", r.EventBridgeCalls,
		"request_id", r.RequestID)
	_ = h.Handle(ctx, rec)
}

func withTrace(header string) context.Context {
	return context.WithValue(context.Background(), "x-amzn-trace-id", header) //nolint:staticcheck // aws-lambda-go's key
}

// TestTheAccessLineIsTheLineSlogWrote: operators' queries and the local cloud
// read the access line's fields; the cheap writer must write the very bytes
// slog did, for any path a client can send.
func TestTheAccessLineIsTheLineSlogWrote(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 30, 5, 123456789, time.UTC)
	cases := []struct {
		name  string
		ctx   context.Context
		fn    string
		r     Request
		check func(t *testing.T, line map[string]any)
	}{
		{"a plain request", withTrace("Root=1-67a0-abc;Parent=53995c3f42cd8ad8;Sampled=1"), "articles-api",
			Request{Route: "GET /v1/articles/{id}", Method: "GET", Path: "/v1/articles/abc", Status: 200, Duration: 1234567 * time.Nanosecond,
				DynamoDBCalls: 1, RequestID: "req-1"}, nil},
		{"no trace, no function, no time spent", context.Background(), "",
			Request{Route: "GET /v1/health", Method: "GET", Path: "/v1/health", Status: 503}, nil},
		{"a hostile path", withTrace("Root=1-2-3"), "feed-api",
			Request{Route: "GET /v1/feed", Method: "GET", Path: "/v1/\"quoted\"\\back\nline\r\t\x00\x1f\x7f<script>&\u2028\u2029é日本\xff\xfe",
				Status: 404, Duration: 3 * time.Microsecond, DynamoDBCalls: 7, EventBridgeCalls: 2, RequestID: "\"}"},
			func(t *testing.T, line map[string]any) {
				if line["request_id"] != "\"}" || line["eventbridge_calls"] != 2.0 {
					t.Errorf("the hostile request's fields: %v", line)
				}
			}},
		{"a slow request and a trace header with spaces", withTrace("Parent=1; Root=1-5f-xyz ;Sampled=0"), "tracking-api",
			Request{Route: "POST /v1/events", Method: "POST", Path: "/v1/events", Status: 202, Duration: 90*time.Second + 7*time.Microsecond}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want bytes.Buffer
			slogLine(&want, c.ctx, at, c.fn, c.r)
			got := appendAccess(nil, at, c.fn, TraceID(c.ctx), c.r)
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("access line\n got %s\nwant %s", got, want.Bytes())
			}
			var line map[string]any
			if err := json.Unmarshal(got, &line); err != nil {
				t.Fatalf("not JSON: %v: %s", err, got)
			}
			if c.check != nil {
				c.check(t, line)
			}
		})
	}
}

// TestAccessWritesOneLine: what Access writes is one line per request, with
// the function's name Setup was given.
func TestAccessWritesOneLine(t *testing.T) {
	var out bytes.Buffer
	was, wasFn := accessOut, function
	accessOut, function = &out, "health-api"
	t.Cleanup(func() { accessOut, function = was, wasFn })
	Access(withTrace("Root=1-a-b"), Request{Route: "GET /v1/health", Method: "GET", Path: "/v1/health", Status: 200})
	Access(context.Background(), Request{Route: "GET /v1/health", Method: "GET", Path: "/v1/health", Status: 200})
	lines := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2: %s", len(lines), out.Bytes())
	}
	var first struct {
		Function, Trace, Msg string
	}
	if err := json.Unmarshal(lines[0], &first); err != nil || first.Function != "health-api" || first.Trace != "1-a-b" || first.Msg != "request" {
		t.Errorf("first line %s: %+v %v", lines[0], first, err)
	}
}

// BenchmarkAccessLine is the access line's cost per request, slog's (as
// httpapi wrote it before) against Access's, in the same run. Reproduce:
// go test -run '^$' -bench AccessLine -benchmem ./shared/platform/logs
func BenchmarkAccessLine(b *testing.B) {
	ctx := withTrace("Root=1-67a0b1c2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
	r := Request{Route: "GET /v1/articles/{id}", Method: "GET", Path: "/v1/articles/0123456789abcdef", Status: 200,
		Duration: 1234 * time.Microsecond, DynamoDBCalls: 1, RequestID: "Xb3rTgJLoAMEVJg="}
	b.Run("slog", func(b *testing.B) {
		h := traced{slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})}
		log := slog.New(h).With("function", "articles-api")
		b.ReportAllocs()
		for b.Loop() {
			log.InfoContext(ctx, "request",
				"route", r.Route, "method", r.Method, "path", r.Path, "status", r.Status,
				"duration_ms", float64(r.Duration.Microseconds())/1000,
				"dynamodb_calls", r.DynamoDBCalls, "eventbridge_calls", r.EventBridgeCalls,
				"request_id", r.RequestID)
		}
	})
	b.Run("access", func(b *testing.B) {
		was, wasFn := accessOut, function
		accessOut, function = io.Discard, "articles-api"
		b.Cleanup(func() { accessOut, function = was, wasFn })
		b.ReportAllocs()
		for b.Loop() {
			Access(ctx, r)
		}
	})
}

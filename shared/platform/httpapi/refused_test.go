package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// refusedCounts serves each request through the wrapper in an invocation's
// metrics Set and reads RequestsRefused by reason from the flushed lines.
func refusedCounts(t testing.TB, h http.Handler, reqs ...*http.Request) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for _, r := range reqs {
		ctx, set := metrics.Start(context.Background())
		h.ServeHTTP(httptest.NewRecorder(), r.WithContext(ctx))
		var buf bytes.Buffer
		metrics.NewWriter(&buf, "test", "Test").Flush(set, time.Now())
		for line := range strings.Lines(buf.String()) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if v, ok := m[metrics.RequestsRefused.Name].(float64); ok {
				got[m["reason"].(string)] += v
			}
		}
	}
	return got
}

func TestEveryFourHundredAnswerIsCountedInRequestsRefusedByItsCode(t *testing.T) {
	mux := testMux()
	mux.HandleFunc("GET /v1/teapot", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusConflict, map[string]string{"note": "written without the error writers"})
	})
	h := WrapLimits(mux, Limits{Routes: map[string]contract.RouteLimits{"POST /v1/things": {MaxBody: 20}}})
	post := func(contentType, body string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/things", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		return r
	}
	got := refusedCounts(t, h,
		httptest.NewRequest("GET", "/v1/things/a", nil),            // 200: not counted
		httptest.NewRequest("GET", "/v1/things/missing", nil),      // 404 not_found
		httptest.NewRequest("GET", "/v1/nowhere", nil),             // 404 from the mux
		httptest.NewRequest("DELETE", "/v1/things/a", nil),         // 405
		post("application/json", `{"name":1}`),                     // 400
		post("text/plain", `{}`),                                   // 415
		post("application/json", `{"name":"0123456789012345678"}`), // 413
		httptest.NewRequest("GET", "/v1/teapot", nil),              // 409 by status
		httptest.NewRequest("GET", "/v1/fail", nil),                // 5xx: not a refusal
	)
	want := map[string]float64{"not_found": 2, "method_not_allowed": 1, "invalid_argument": 1,
		"unsupported_media_type": 1, "payload_too_large": 1, "conflict": 1}
	if len(got) != len(want) {
		t.Errorf("RequestsRefused = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("RequestsRefused{reason=%s} = %g, want %g (all: %v)", k, got[k], v, got)
		}
	}
}

// BenchmarkWrappedOK is a 2xx through the wrapper in an invocation's Set:
// RequestsRefused costs it nothing (compare allocs/op with the 4xx).
func BenchmarkWrappedOK(b *testing.B) { benchWrapped(b, "/v1/things/a") }

// BenchmarkWrappedNotFound is a 404 through the wrapper: one RequestsRefused.
func BenchmarkWrappedNotFound(b *testing.B) { benchWrapped(b, "/v1/things/missing") }

func benchWrapped(b *testing.B, path string) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0) // the access lines
	if err != nil {
		b.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = null
	b.Cleanup(func() { os.Stdout = stdout; null.Close() })
	h := Wrap(testMux())
	r := httptest.NewRequest("GET", path, nil)
	b.ReportAllocs()
	for b.Loop() {
		ctx, _ := metrics.Start(context.Background())
		h.ServeHTTP(httptest.NewRecorder(), r.WithContext(ctx))
	}
}

package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var cfg = aws.Config{Region: "eu-west-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "local-ingest-feeds", SecretAccessKey: "s"}, nil
})}

// lambdaAPI answers Invoke as Lambda does, with the statuses given in turn
// (the last repeats), and counts the calls.
func lambdaAPI(t *testing.T, calls *atomic.Int32, answers ...func(w http.ResponseWriter)) *Function {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if r.Method != http.MethodPost || r.URL.EscapedPath() != "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Akiosk-parse-feed%3Alive/invocations" ||
			r.Header.Get("X-Amz-Invocation-Type") != "RequestResponse" ||
			!strings.Contains(r.Header.Get("Authorization"), "Credential=local-ingest-feeds/") || !strings.Contains(r.Header.Get("Authorization"), "/eu-west-1/lambda/aws4_request") {
			t.Errorf("request %s %s, headers %v: not a signed synchronous Invoke", r.Method, r.URL.EscapedPath(), r.Header)
		}
		if b, _ := io.ReadAll(r.Body); string(b) != `{"n":1}` {
			t.Errorf("payload %s", b)
		}
		answers[min(n, len(answers))-1](w)
	}))
	t.Cleanup(srv.Close)
	f := New(cfg, srv.URL, "parse-feed", "arn:aws:lambda:eu-west-1:1:function:kiosk-parse-feed:live")
	f.backoff = time.Millisecond
	return f
}

func ok(w http.ResponseWriter) { _, _ = w.Write([]byte(`{"n":2}`)) }

func status(code int, typ string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("X-Amzn-ErrorType", typ)
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": "no: " + typ})
	}
}

func TestCall(t *testing.T) {
	in := map[string]int{"n": 1}
	t.Run("the answer is decoded", func(t *testing.T) {
		var calls atomic.Int32
		var out map[string]int
		if err := lambdaAPI(t, &calls, ok).Call(context.Background(), in, &out); err != nil || out["n"] != 2 || calls.Load() != 1 {
			t.Errorf("Call: %v, %v after %d calls", out, err, calls.Load())
		}
	})
	t.Run("a function error is the function's, not tried again", func(t *testing.T) {
		var calls atomic.Int32
		f := lambdaAPI(t, &calls, func(w http.ResponseWriter) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			_, _ = w.Write([]byte(`{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 10.00 seconds"}`))
		})
		var fe *Error
		err := f.Call(context.Background(), in, &struct{}{})
		if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" || fe.Function != "parse-feed" || calls.Load() != 1 {
			t.Errorf("Call: %v after %d calls; want the function's timeout, once", err, calls.Load())
		}
	})
	t.Run("throttling is tried again", func(t *testing.T) {
		var calls atomic.Int32
		var out map[string]int
		f := lambdaAPI(t, &calls, status(429, "TooManyRequestsException"), status(503, "ServiceException"), ok)
		if err := f.Call(context.Background(), in, &out); err != nil || out["n"] != 2 || calls.Load() != 3 {
			t.Errorf("Call: %v, %v after %d calls; want the third to answer", out, err, calls.Load())
		}
	})
	t.Run("throttling past the attempts is Lambda's error", func(t *testing.T) {
		var calls atomic.Int32
		var api *APIError
		err := lambdaAPI(t, &calls, status(429, "TooManyRequestsException")).Call(context.Background(), in, &struct{}{})
		if !errors.As(err, &api) || api.Status != 429 || api.Code != "TooManyRequestsException" || calls.Load() != Attempts {
			t.Errorf("Call: %v after %d calls; want a 429 after %d", err, calls.Load(), Attempts)
		}
	})
	t.Run("a refusal is not tried again", func(t *testing.T) {
		var calls atomic.Int32
		var api *APIError
		err := lambdaAPI(t, &calls, status(403, "AccessDeniedException")).Call(context.Background(), in, &struct{}{})
		if !errors.As(err, &api) || api.Status != 403 || api.Code != "AccessDeniedException" || api.Message != "no: AccessDeniedException" || calls.Load() != 1 {
			t.Errorf("Call: %v after %d calls; want the 403, once", err, calls.Load())
		}
	})
}

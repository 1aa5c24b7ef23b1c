package invoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// eventAPI answers asynchronous Invokes as Lambda does, with the answers
// given in turn (the last repeats), and checks each is an Event invocation of
// its target signed over its very bytes.
func eventAPI(t *testing.T, calls *atomic.Int32, answers ...func(w http.ResponseWriter)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.EscapedPath() != "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Akiosk-heartbeat%3Alive/invocations" ||
			r.Header.Get("X-Amz-Invocation-Type") != "Event" {
			t.Errorf("request %s %s, headers %v: not an asynchronous Invoke of heartbeat", r.Method, r.URL.EscapedPath(), r.Header)
		}
		if string(body) != `{"source": "kiosk.manual"}` {
			t.Errorf("payload %s, want the event's bytes as given", body)
		}
		// The signature, recomputed over what arrived, is the one sent.
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Errorf("X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
		}
		// The transport adds headers after signing (Accept-Encoding): only
		// the signed ones, which must include the invocation type, count.
		_, signed, _ := strings.Cut(r.Header.Get("Authorization"), "SignedHeaders=")
		signed, _, _ = strings.Cut(signed, ",")
		if !slices.Contains(strings.Split(signed, ";"), "x-amz-invocation-type") {
			t.Errorf("signed headers %q: the invocation type is not signed", signed)
		}
		check, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.EscapedPath(), bytes.NewReader(body))
		for _, k := range strings.Split(signed, ";") {
			if k != "host" && k != "x-amz-date" && k != "content-length" {
				check.Header[http.CanonicalHeaderKey(k)] = r.Header.Values(k)
			}
		}
		creds, _ := cfg.Credentials.Retrieve(context.Background())
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, check, hex.EncodeToString(sum[:]), "lambda", "eu-west-1", at); err != nil {
			t.Fatal(err)
		}
		if got, want := r.Header.Get("Authorization"), check.Header.Get("Authorization"); got == "" || got != want {
			t.Errorf("Authorization %q, want %q (SigV4 over the request as sent)", got, want)
		}
		answers[min(n, len(answers))-1](w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func accepted(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }

func TestStart(t *testing.T) {
	event := []byte(`{"source": "kiosk.manual"}`)
	targets := map[string]string{"heartbeat": "arn:aws:lambda:eu-west-1:1:function:kiosk-heartbeat:live"}
	open := func(t *testing.T, url string) *Function {
		t.Helper()
		t.Setenv("AWS_ENDPOINT_URL_LAMBDA", url)
		f := Targets(cfg, targets)["heartbeat"]
		f.backoff = time.Millisecond
		return f
	}
	t.Run("Lambda's 202 is an accepted event", func(t *testing.T) {
		var calls atomic.Int32
		if err := open(t, eventAPI(t, &calls, accepted)).Start(context.Background(), event); err != nil || calls.Load() != 1 {
			t.Errorf("Start: %v after %d calls; want nil after 1", err, calls.Load())
		}
	})
	t.Run("a 200 is not what Lambda answers an Event", func(t *testing.T) {
		var calls atomic.Int32
		if err := open(t, eventAPI(t, &calls, ok)).Start(context.Background(), event); err == nil {
			t.Errorf("Start answered 200: nil error")
		}
	})
	t.Run("throttling is tried again", func(t *testing.T) {
		var calls atomic.Int32
		f := open(t, eventAPI(t, &calls, status(429, "TooManyRequestsException"), accepted))
		if err := f.Start(context.Background(), event); err != nil || calls.Load() != 2 {
			t.Errorf("Start: %v after %d calls; want the second accepted", err, calls.Load())
		}
	})
	t.Run("an unknown function is Lambda's refusal, once", func(t *testing.T) {
		var calls atomic.Int32
		var api *APIError
		err := open(t, eventAPI(t, &calls, status(404, "ResourceNotFoundException"))).Start(context.Background(), event)
		if !errors.As(err, &api) || api.Status != 404 || api.Code != "ResourceNotFoundException" || calls.Load() != 1 ||
			!strings.HasPrefix(err.Error(), "invoke heartbeat: ") {
			t.Errorf("Start: %v after %d calls; want heartbeat's 404, once", err, calls.Load())
		}
	})
}

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

func TestDeadLettersOfBothShapes(t *testing.T) {
	// Lambda's on-failure destination record (what the local cloud serves too).
	d := parseDeadLetter("feed-events", "m1", "r1", `{"version":"1.0","timestamp":"2026-11-25T10:00:00Z",
		"requestContext":{"condition":"RetriesExhausted","approximateInvokeCount":3},
		"requestPayload":{"detail-type":"article.published","source":"kiosk.articles","time":"2026-11-25T09:59:00Z","detail":{}},
		"responsePayload":{"errorType":"errorString","errorMessage":"boom"}}`, nil)
	if d.DetailType != "article.published" || d.Source != "kiosk.articles" || d.Attempts != 3 || d.Error != "errorString: boom" ||
		!d.At.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)) || string(d.Event)[0] != '{' {
		t.Errorf("on-failure record: %+v", d)
	}
	// An EventBridge target's dead letter: the event itself, the error in attributes.
	d = parseDeadLetter("heartbeat", "m2", "r2", `{"detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-25T10:05:00Z","detail":{}}`,
		map[string]string{"ERROR_CODE": "Throttled", "ERROR_MESSAGE": "rate exceeded"})
	if d.DetailType != "Scheduled Event" || d.Error != "Throttled rate exceeded" || !d.At.Equal(time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)) {
		t.Errorf("target record: %+v", d)
	}
}

// TestStartingAFunctionFailsAsTheConsoleShowsIt: Run now and redrive start a
// function with an Event invoke (shared/platform/invoke); Lambda's 202 is
// success, a function the topology does not list is a 404 page, and Lambda
// refusing the call (access denied, an unknown function) an internal error,
// its message not shown — as with the SDK's lambda client before.
func TestStartingAFunctionFailsAsTheConsoleShowsIt(t *testing.T) {
	answer := http.StatusAccepted
	var invocationType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		invocationType = r.Header.Get("X-Amz-Invocation-Type")
		if answer != http.StatusAccepted {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		}
		w.WriteHeader(answer)
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", srv.URL)
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "local-admin-ops", SecretAccessKey: "s"}, nil
	})}
	ops := newOperations(cfg, contract.Operations{Functions: map[string]string{"heartbeat": "arn:aws:lambda:eu-west-1:1:function:kiosk-heartbeat:live"}},
		dynamo.Table{}, time.Now)
	ctx := context.Background()
	if err := ops.invoke(ctx, "heartbeat", []byte(`{}`)); err != nil || invocationType != "Event" {
		t.Errorf("starting heartbeat: %v (invocation type %q); want it accepted as an Event", err, invocationType)
	}
	if err := ops.invoke(ctx, "health-api", []byte(`{}`)); kiosk.ErrorCode(err) != kiosk.ENOTFOUND {
		t.Errorf("starting a function the topology does not list: %v, want %s", err, kiosk.ENOTFOUND)
	}
	for _, answer = range []int{http.StatusForbidden, http.StatusNotFound} {
		if err := ops.invoke(ctx, "heartbeat", []byte(`{}`)); err == nil || kiosk.ErrorCode(err) != kiosk.EINTERNAL || kiosk.ErrorMessage(err) != "internal error" {
			t.Errorf("Lambda answering %d: %v, want an internal error", answer, err)
		}
	}
}

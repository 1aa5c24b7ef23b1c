package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/invoke"
)

// failingParser answers every document as parse-feed would have, or fails as
// an invoke that did not reach it does.
type failingParser struct{ err error }

func (p failingParser) Parse(context.Context, feeddoc.Request) (feeddoc.Result, error) {
	return feeddoc.Result{}, p.err
}

// A push parse-feed classifies is answered as before the split (a 400 for
// what is not a feed); parse-feed failing is not the hub's fault: no 4xx, so
// the hub sends it again.
func TestAPushMapsParseFeedsAnswersToTheCallbacksStatuses(t *testing.T) {
	src := article.Source{ID: "wire", URL: "https://wire.example/feed", Category: "world", Weight: 1}
	for _, c := range []struct {
		name     string
		err      error
		code     string
		contains string
	}{
		{"not a feed is a 400, with the same message", feeddoc.Errorf(feeddoc.NotAFeed, "Failed to detect feed type"), kiosk.EINVALID,
			"the pushed content is not a feed: Failed to detect feed type"},
		{"too large is a 413", feeddoc.Errorf(feeddoc.TooLarge, "feed too large"), kiosk.ETOOLARGE, "too large"},
		{"too complex is a 400 that says why", feeddoc.Errorf(feeddoc.TooComplex, "elements nested more than 64 deep, beyond any feed's"), kiosk.EINVALID,
			"the pushed content is refused: elements nested more than 64 deep"},
		{"a failed invoke is no client error", errors.New("parse-feed: invoke parse-feed: connection refused"), kiosk.EINTERNAL, "connection refused"},
		// Through Remote: parse-feed failing on the document is classified
		// for a poll, but a push still gets a 5xx, so the hub sends again.
		{"parse-feed failing on the document is no client error", &invoke.Error{Function: "parse-feed", Type: "Sandbox.Timedout", Message: "Task timed out after 30.00 seconds"},
			kiosk.EINTERNAL, "Task timed out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := &Ingester{Parser: parserFailing(c.err), Store: article.NewMemoryStore(), Now: func() time.Time { return t0 }}
			_, _, err := in.Push(context.Background(), src, "application/rss+xml", []byte("<rss/>"))
			if kiosk.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.contains) {
				t.Errorf("Push: %v (code %q); want code %q with %q", err, kiosk.ErrorCode(err), c.code, c.contains)
			}
		})
	}
}

// A poll whose document parse-feed calls not a feed fails the source, as a
// broken feed always did; one parse-feed did not answer for leaves the source
// as it was (no failure, no backoff, fetched in full next run) and fails the
// run, so it is retried.
func TestAPollTellsABrokenFeedFromAParserThatDidNotAnswer(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		failed bool
	}{
		{"not a feed fails the source", feeddoc.Errorf(feeddoc.NotAFeed, "Failed to detect feed type"), true},
		{"a document beyond any feed's shape fails the source", feeddoc.Errorf(feeddoc.TooComplex, "more than 10000 items"), true},
		{"no answer leaves the source alone", errors.New("parse-feed: invoke parse-feed: connection reset by peer"), false},
		// What the invoke answers, through Remote: a refusal that will not
		// change on retry is the document's, not parse-feed's.
		{"a request Lambda refuses as too large fails the source", &invoke.APIError{Status: http.StatusRequestEntityTooLarge,
			Code: "RequestEntityTooLargeException", Message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation"}, true},
		{"throttling past the retries leaves the source alone", &invoke.APIError{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException"}, false},
		{"Lambda failing past the retries leaves the source alone", &invoke.APIError{Status: http.StatusServiceUnavailable, Code: "ServiceException"}, false},
		// parse-feed failing on the document (a function error) meets it
		// again on every retry: charged and backed off, not a run that fails
		// every 5 minutes forever.
		{"parse-feed timing out on the document fails the source", &invoke.Error{Function: "parse-feed", Type: "Sandbox.Timedout", Message: "Task timed out after 30.00 seconds"}, true},
		{"parse-feed running out of memory fails the source", &invoke.Error{Function: "parse-feed", Type: "Runtime.ExitError", Message: "Runtime exited with error: signal: killed"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := article.NewMemoryStore()
			now := t0
			in := feedSetup(t, s, &growingFeed{}, &now)
			before, _ := s.GetSource(context.Background(), "wire")
			in.Parser = parserFailing(c.err)
			r, err := in.Run(context.Background())
			after, _ := s.GetSource(context.Background(), "wire")
			if c.failed {
				if err != nil || r.Failed != 1 || r.Unparsed != 0 || after.ConsecutiveFailures != 1 || !strings.HasPrefix(after.LastError, "parse: ") {
					t.Errorf("run %+v, %v; source %+v; want the source failed with parse: …", r, err, after.FetchState)
				}
				return
			}
			if err == nil || r.Failed != 0 || r.Unparsed != 1 || after.FetchState != before.FetchState {
				t.Errorf("run %+v, %v; source %+v (was %+v); want the run failed and the source untouched", r, err, after.FetchState, before.FetchState)
			}
		})
	}
}

// parserFailing answers every document with err: what the invoke answers
// (an *invoke.APIError or *invoke.Error) through Remote, as Lambda's would
// reach it; any other error as parse-feed's own answer.
func parserFailing(err error) Parser {
	var api *invoke.APIError
	var fe *invoke.Error
	if errors.As(err, &api) || errors.As(err, &fe) {
		return Remote{Fn: callerFunc(func(context.Context, any, any) error { return fmt.Errorf("invoke parse-feed: %w", err) })}
	}
	return failingParser{err}
}

// callerFunc is a Caller made of a function: the invoke, as a test answers it.
type callerFunc func(ctx context.Context, in, out any) error

func (f callerFunc) Call(ctx context.Context, in, out any) error { return f(ctx, in, out) }

// lambdaSized is parse-feed behind Lambda's synchronous payload limit: the
// request as JSON, refused over contract.MaxSyncPayload with the 413 Lambda
// answers, else parsed in-process and the answer decoded as Remote decodes it.
var lambdaSized = callerFunc(func(ctx context.Context, in, out any) error {
	payload, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if len(payload) > contract.MaxSyncPayload {
		return fmt.Errorf("invoke parse-feed: %w", &invoke.APIError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLargeException"})
	}
	var req feeddoc.Request
	if err := json.Unmarshal(payload, &req); err != nil {
		return err
	}
	answer, _ := json.Marshal(feedparse.Parse(req))
	return json.Unmarshal(answer, out)
})

// A feed server answering a valid document just under the fetch cap with a
// 1 MB Content-Type header: the header once went into parse-feed's request
// whole, over Lambda's 6 MB, and the source failed every run, forever. The
// request carries it cut (feeddoc.NewRequest): the document is parsed and
// the source stays healthy.
func TestAHugeContentTypeDoesNotTakeTheParseRequestOverLambdasLimit(t *testing.T) {
	item := `<item><title>Near four mebibytes, valid</title><link>https://wire.example/n4</link></item>`
	doc := `<rss version="2.0"><channel><title>wire</title>` + item + `</channel></rss>`
	doc = strings.Replace(doc, "<channel>", "<channel><description>"+strings.Repeat("word ", (MaxFeedBytes-len(doc)-100)/5)+"</description>", 1)
	ct := "application/rss+xml; x=" + strings.Repeat("a", 1_000_000)
	s := article.NewMemoryStore()
	now := t0
	in := feedSetup(t, s, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ct)
		fmt.Fprint(w, doc)
	}), &now)
	in.Parser = Remote{Fn: lambdaSized}
	r, err := in.Run(context.Background())
	src, _ := s.GetSource(context.Background(), "wire")
	if err != nil || r.Fetched != 1 || r.New != 1 || r.Unparsed != 0 || r.Failed != 0 || src.ConsecutiveFailures != 0 {
		t.Errorf("a %d-byte document with a %d-byte Content-Type: run %+v, %v; source %+v; want it fetched and its item stored",
			len(doc), len(ct), r, err, src.FetchState)
	}
}

// An instance killed under a document that is not the cause (a crash the
// next instance does not meet) once charged the source with 15 minutes'
// backoff, as if the document had crashed parse-feed. A crash is invoked once
// more: a document parsed the second time is ingested and the source stays
// healthy; one that fails both is the document's; a timeout is not tried
// again (it would cost parse-feed's whole timeout twice), nor is a panic or
// an answer too large (the same document meets them again), nor a crash with
// less than parse-feed's timeout left (websub-callback's 20 s is two of them).
func TestParseFeedCrashingOnceIsTriedAgainBeforeTheSourceIsCharged(t *testing.T) {
	crash := &invoke.Error{Function: "parse-feed", Type: "Runtime.ExitError", Message: "Runtime exited with error: signal: killed"}
	timeout := &invoke.Error{Function: "parse-feed", Type: "Sandbox.Timedout", Message: "Task timed out after 10.00 seconds"}
	panicked := &invoke.Error{Function: "parse-feed", Type: "runtime.Error", Message: "index out of range [3] with length 3"}
	tooLarge := &invoke.Error{Function: "parse-feed", Type: "Function.ResponseSizeTooLarge", Message: "Response payload size exceeded maximum allowed payload size (6291456 bytes)."}
	for _, c := range []struct {
		name     string
		failures []error // the first invokes' answers; then parsed
		left     time.Duration
		calls    int
		charged  bool
	}{
		{"a crash then a parse stores the items", []error{crash}, 0, 2, false},
		{"two crashes charge the source", []error{crash, crash}, 0, 2, true},
		{"a crash with parse-feed's timeout left is tried again", []error{crash}, contract.ParseFeedTimeout + time.Minute, 2, false},
		{"a crash with less than parse-feed's timeout left charges the source", []error{crash}, contract.ParseFeedTimeout - time.Millisecond, 1, true},
		{"a timeout charges the source at once", []error{timeout}, 0, 1, true},
		{"a panic charges the source at once", []error{panicked}, 0, 1, true},
		{"an answer too large charges the source at once", []error{tooLarge}, 0, 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.left > 0 {
				ctx = deadlineOnly{ctx, time.Now().Add(c.left)}
			}
			s := article.NewMemoryStore()
			now := t0
			feed := &growingFeed{}
			feed.add("Harbour reopens", "https://wire.example/harbour", t0.Add(-time.Hour))
			in := feedSetup(t, s, feed, &now)
			calls := 0
			in.Parser = Remote{Fn: callerFunc(func(ctx context.Context, req, out any) error {
				calls++
				if calls <= len(c.failures) {
					return fmt.Errorf("invoke parse-feed: %w", c.failures[calls-1])
				}
				return lambdaSized(ctx, req, out)
			})}
			r, err := in.Run(ctx)
			src, _ := s.GetSource(context.Background(), "wire")
			if calls != c.calls {
				t.Errorf("parse-feed invoked %d times; want %d", calls, c.calls)
			}
			if c.charged {
				if err != nil || r.Failed != 1 || src.ConsecutiveFailures != 1 || !strings.Contains(src.LastError, "parse-feed failed on the document") {
					t.Errorf("run %+v, %v; source %+v; want the source charged: parse-feed failed on the document", r, err, src.FetchState)
				}
				return
			}
			if err != nil || r.Failed != 0 || r.New != 1 || src.ConsecutiveFailures != 0 {
				t.Errorf("run %+v, %v; source %+v; want the item stored and the source healthy", r, err, src.FetchState)
			}
		})
	}
}

// deadlineOnly is a context with a deadline that never ends it: what time
// is left is what the code under test reads, while a loaded machine cannot
// run past it.
type deadlineOnly struct {
	context.Context
	at time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.at, true }

package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/kiosk"
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
		{"a failed invoke is no client error", errors.New("parse-feed: invoke parse-feed: connection refused"), kiosk.EINTERNAL, "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := &Ingester{Parser: failingParser{c.err}, Store: article.NewMemoryStore(), Now: func() time.Time { return t0 }}
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
		{"no answer leaves the source alone", errors.New("parse-feed: Sandbox.Timedout"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := article.NewMemoryStore()
			now := t0
			in := feedSetup(t, s, &growingFeed{}, &now)
			before, _ := s.GetSource(context.Background(), "wire")
			in.Parser = failingParser{c.err}
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

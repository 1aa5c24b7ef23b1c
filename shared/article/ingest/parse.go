package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Parser parses a fetched or pushed feed document: in the functions, the
// parse-feed function through a synchronous Lambda Invoke (Remote); in tests,
// feedparse.Local. Ingestion does not link the feed parsers: every document
// goes to parse-feed, which has no credentials to any table, so the one place
// hostile feed bytes meet a complex XML parser can reach nothing. A document that is not a feed, or that parse-feed
// failed on, is a *feeddoc.Error (feeddoc.Code tells it); any other error is an invoke that did not reach the parser.
type Parser interface {
	Parse(ctx context.Context, req feeddoc.Request) (feeddoc.Result, error)
}

// Caller calls a function synchronously, JSON in and out
// (shared/platform/invoke.Function).
type Caller interface {
	Call(ctx context.Context, in, out any) error
}

// crashed is the function error Lambda reports for a runtime that exited
// mid-invocation: killed, or out of memory.
const crashed = "Runtime.ExitError"

// Remote is the Parser that invokes parse-feed.
type Remote struct{ Fn Caller }

// Parse invokes parse-feed with req; a document it classified as not a feed
// comes back as its *feeddoc.Error. So does a request Lambda refuses as too
// large (413): the same document is refused again on every retry, so it is
// the document's failure (feeddoc.TooLarge: a poll charges the source, a
// push is answered 413), not parse-feed's, which would fail every run. And so
// does parse-feed failing on the document (a function error: a timeout, a
// crash, out of memory), which the same document meets again too
// (feeddoc.ParserFailed: a poll charges the source, a push is answered 5xx);
// but an instance can also die under a document that is not the cause, so a
// crash (Runtime.ExitError) is invoked once more first, on a fresh instance,
// if parse-feed's whole timeout is left, and only failing twice is the
// document's. Other function errors (a timeout, a panic, an answer too large)
// are the document's at once: trying again costs as much and fails the same.
// Only an invoke that did not reach parse-feed (throttling, Lambda's 5xx, a
// lost connection, past the invoke's retries) stays unclassified.
func (r Remote) Parse(ctx context.Context, req feeddoc.Request) (feeddoc.Result, error) {
	var res feeddoc.Result
	err := r.Fn.Call(ctx, req, &res)
	var failed interface{ FunctionError() string }
	if errors.As(err, &failed) && failed.FunctionError() == crashed && timeFor(ctx, contract.ParseFeedTimeout) {
		err = r.Fn.Call(ctx, req, &res)
	}
	if err != nil {
		var refused interface{ HTTPStatus() int }
		if errors.As(err, &refused) && refused.HTTPStatus() == http.StatusRequestEntityTooLarge {
			return feeddoc.Result{}, feeddoc.Errorf(feeddoc.TooLarge, "parse-feed refused the document's request as too large: %v", err)
		}
		if errors.As(err, &failed) {
			return feeddoc.Result{}, feeddoc.Errorf(feeddoc.ParserFailed, "parse-feed failed on the document: %v", err)
		}
		return feeddoc.Result{}, fmt.Errorf("parse-feed: %w", err)
	}
	if res.Error != nil {
		return res, res.Error
	}
	if len(res.Items) > feeddoc.MaxItems {
		return feeddoc.Result{}, fmt.Errorf("parse-feed: %d items, over %d", len(res.Items), feeddoc.MaxItems)
	}
	return res, nil
}

// Article turns a parsed item into an article of source s, ingested at now.
func Article(it feeddoc.Item, s article.Source, now time.Time) article.Article {
	a := article.Article{
		ID:           article.IDFor(it.URL),
		URL:          it.URL,
		Title:        it.Title,
		Summary:      it.Summary,
		ImageURL:     it.ImageURL,
		SourceID:     s.ID,
		SourceWeight: s.Weight,
		Category:     s.Category,
		Language:     it.Language,
		PublishedAt:  it.PublishedAt.UTC(),
		IngestedAt:   now.UTC(),
		Fingerprint:  article.Fingerprint(it.Title),
	}
	a.Story = a.ID
	return a
}

// parsed is a document's articles of src, what it left out and its WebSub links.
type parsed struct {
	articles     []article.Article
	bad, ignored int
	hub, self    string
}

// parse hands a document of src (fetched from or pushed for src.URL) to the
// Parser and turns its items into articles of src.
func (in *Ingester) parse(ctx context.Context, src article.Source, contentType string, body []byte, now time.Time) (parsed, error) {
	if in.Parser == nil {
		return parsed{}, fmt.Errorf("no parser: the Ingester needs one (ingest.Remote)")
	}
	res, err := in.Parser.Parse(ctx, feeddoc.NewRequest(src.URL, contentType, body, now))
	if err != nil {
		return parsed{}, err
	}
	p := parsed{bad: res.Bad, ignored: res.Ignored, hub: res.Hub, self: res.Self}
	for _, it := range res.Items {
		p.articles = append(p.articles, Article(it, src, now))
	}
	return p, nil
}

// Package feeddoc is what ingestion and the parse-feed function agree on: a
// fetched feed document to parse (Request), the normalized items parsing gives
// back (Result), its classified errors — and the article rules the parse side
// applies (Canonicalize, Invisible, the caps on stored text), which live here
// so that parse-feed links them without the article store and its AWS SDK
// client (shared/article re-exports them). It links no feed parser: the
// parser (gofeed) is feedparse's, and only parse-feed links it.
package feeddoc

import (
	"errors"
	"fmt"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// MaxBody is the largest document parse-feed takes, the fetcher's cap
// (ingest.MaxFeedBytes). A request carries the body base64-encoded in JSON
// (4/3 of it: 5.33 MiB for 4 MiB), which stays below Lambda's 6 MB
// synchronous payload (contract.MaxSyncPayload) with the rest of the
// request. Tests hold the largest request and the largest result (MaxItems
// items with every field at its cap: about 3 MB) below it.
const MaxBody = 4 << 20

// MaxItems bounds the items one document gives: the newest MaxItems by
// publication date; the rest are counted (Result.Ignored). A feed carries its
// latest few dozen items; a document of thousands is a mistake or an attack,
// and storing (and announcing) them all would outlast the callback's timeout
// and flood top. It also bounds the result's size (contract.MaxSyncPayload).
const MaxItems = 100

// MaxContentType bounds the Content-Type a request carries, which only the
// log line reads: a media type and a charset parameter take a few dozen
// bytes (RFC 6838 caps a type and a subtype at 127 characters each).
const MaxContentType = 256

// NewRequest is the request for a document, its fields besides the body cut
// to their bounds (URL to MaxURL, ContentType to MaxContentType), so that
// with a body of at most MaxBody it is always within Lambda's
// contract.MaxSyncPayload,
// whatever a feed server answers: a 1 MB Content-Type header took a valid
// 4 MiB document's request over 6 MB, and Lambda refused it on every run.
func NewRequest(url, contentType string, body []byte, now time.Time) Request {
	return Request{URL: kiosk.Truncate(url, MaxURL), ContentType: kiosk.Truncate(contentType, MaxContentType), Body: body, Now: now}
}

// Request is one fetched (or pushed) feed document to parse (NewRequest
// bounds it).
type Request struct {
	// URL is the feed's URL, for the log line.
	URL string `json:"url"`
	// ContentType is the response's (or the push's) Content-Type, for the log
	// line: gofeed tells the format and the charset from the document itself,
	// as it did when ingestion parsed in-process.
	ContentType string `json:"content_type,omitempty"`
	// Body is the document (base64 in the JSON), at most MaxBody bytes.
	Body []byte `json:"body"`
	// Now is the caller's clock: an item dated after it (or before 1990), or
	// not dated, is published at Now.
	Now time.Time `json:"now"`
}

// Result is a parsed document: its newest MaxItems articles-to-be, what it
// left out, its WebSub links, or the classified reason it is not a feed. An
// Error is a successful invocation's answer, not a function error: a
// publisher's broken feed is not parse-feed failing (its errors alarm).
type Result struct {
	Items []Item `json:"items"`
	// Bad counts items that are not articles (no usable link or title).
	Bad int `json:"bad"`
	// Ignored counts items beyond MaxItems.
	Ignored int `json:"ignored"`
	// Hub and Self are the WebSub links found in the document's head
	// (<link rel="hub">, rel="self"), if any.
	Hub  string `json:"hub,omitempty"`
	Self string `json:"self,omitempty"`
	// Error, when set, says why the document gave no items.
	Error *Error `json:"error,omitempty"`
}

// Item is a feed item normalized for the article store: a canonical URL,
// plain text within the caps, a date clamped to the request's Now. The
// caller adds what it knows of the source (ingest.Article).
type Item struct {
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Summary     string    `json:"summary,omitempty"`
	ImageURL    string    `json:"image_url,omitempty"`
	Language    string    `json:"language,omitempty"`
	PublishedAt time.Time `json:"published_at"`
}

// Error codes of a document that gives no items.
const (
	// NotAFeed: no parser took it (not XML, not JSON Feed, a parser panic).
	NotAFeed = "not_a_feed"
	// TooLarge: over MaxBody.
	TooLarge = "too_large"
	// TooComplex: nested deeper, or holding more elements or items, than any
	// feed (feedparse's MaxDepth, MaxElements, MaxDocumentItems), refused before the
	// parser spends its memory and time on it.
	TooComplex = "too_complex"
	// ParserFailed: parse-feed itself failed on the document (a timeout, a
	// crash, out of memory: a function error, as Lambda reports it). Not
	// parse-feed's answer but its caller's (ingest.Remote) classification:
	// the same document fails it again on every retry, so a poll charges the
	// source (backoff) rather than failing every run; a push is still
	// answered 5xx, so the hub sends it again (a bounded number of times).
	ParserFailed = "parser_failed"
)

// Error is a classified parse failure; its message is at most MaxMessage bytes.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// MaxMessage bounds an Error's message.
const MaxMessage = 1000

func (e *Error) Error() string { return e.Message }

// Errorf makes a classified error, its message cut to MaxMessage bytes
// without splitting a character.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: kiosk.Truncate(fmt.Sprintf(format, args...), MaxMessage)}
}

// Code is the classified code of err, "" when err is not a classified parse
// failure (an invoke that did not reach parse-feed: throttling, Lambda's 5xx,
// a lost connection; not the feed's fault).
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Package feedparse is the parse-feed function's work: a fetched feed
// document (RSS, Atom, JSON Feed; gofeed, any charset its XML declares) in,
// its newest items normalized for the article store out (feeddoc). Only
// parse-feed links it: gofeed links golang.org/x/net/html/charset and with it
// every encoding of golang.org/x/text (+1.3 MiB), and the one place hostile
// feed bytes meet a complex parser runs with no credentials to any table.
package feedparse

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"sort"
	"strings"

	"github.com/mmcdole/gofeed"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// Parse parses one document. It never panics and never fails: a document
// that gives no items says why in Result.Error.
func Parse(req feeddoc.Request) (res feeddoc.Result) {
	if len(req.Body) > feeddoc.MaxBody {
		return feeddoc.Result{Error: feeddoc.Errorf(feeddoc.TooLarge, "feed too large: %d bytes, over %d", len(req.Body), feeddoc.MaxBody)}
	}
	defer func() {
		if p := recover(); p != nil {
			res = feeddoc.Result{Error: feeddoc.Errorf(feeddoc.NotAFeed, "parser panic: %v", p)}
		}
	}()
	body, cerr := declaredCharset(req.Body)
	if cerr != nil {
		return feeddoc.Result{Error: cerr}
	}
	// The shape of what gofeed reads: a document in any encoding but UTF-8
	// comes back decoded (in the raw bytes an ISO-2022-JP kanji "<?" once
	// hid the rest of the document from the pass as a processing
	// instruction, and a GBK "\x81]]>" ended a CDATA section early).
	if err := shape(body); err != nil {
		return feeddoc.Result{Error: err}
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return feeddoc.Result{Error: feeddoc.Errorf(feeddoc.NotAFeed, "%s", err.Error())}
	}
	res.Items = []feeddoc.Item{}
	for _, it := range feed.Items {
		item, err := FromItem(it, feed.Language, req.Now)
		if err != nil {
			res.Bad++
			continue
		}
		res.Items = append(res.Items, item)
	}
	if len(res.Items) > feeddoc.MaxItems {
		// The newest by date; the document's order among equal dates.
		// (sort.SliceStable: a generic sort costs the bootstrap ~8 KB.)
		sort.SliceStable(res.Items, func(i, j int) bool { return res.Items[i].PublishedAt.After(res.Items[j].PublishedAt) })
		res.Items, res.Ignored = res.Items[:feeddoc.MaxItems], len(res.Items)-feeddoc.MaxItems
	}
	res.Hub, res.Self = discoverHub(body)
	return res
}

// Local is Parse in-process, for tests and tools: the same answers as the
// parse-feed function, without the invoke (it satisfies ingest.Parser).
type Local struct{}

// Parse parses req; a classified failure is returned as the *feeddoc.Error,
// as ingest.Remote returns parse-feed's.
func (Local) Parse(_ context.Context, req feeddoc.Request) (feeddoc.Result, error) {
	res := Parse(req)
	if res.Error != nil {
		return res, res.Error
	}
	return res, nil
}

// discoverHub finds the WebSub links inside a feed document (W3C WebSub §4:
// an Atom or RSS feed's <link rel="hub" href> / <atom:link rel="hub" href>,
// and rel="self" for the topic). It reads at most the document's first
// 64 KiB: the links belong in the feed's head, before the items. A link
// longer than feeddoc.MaxURL is no link (ingestion would drop it: its
// subscription's item may not hold it), which also keeps the result's size
// within the caps (TestTheLargestResultFitsLambdasResponse).
func discoverHub(body []byte) (hub, self string) {
	d := xml.NewDecoder(io.LimitReader(bytes.NewReader(body), 64<<10))
	d.Strict = false
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	for hub == "" || self == "" {
		tok, err := d.Token()
		if err != nil {
			break
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if el.Name.Local == "item" || el.Name.Local == "entry" {
			break // past the feed's head
		}
		if el.Name.Local != "link" {
			continue
		}
		var rel, href string
		for _, a := range el.Attr {
			switch a.Name.Local {
			case "rel":
				rel = strings.ToLower(strings.TrimSpace(a.Value))
			case "href":
				href = strings.TrimSpace(a.Value)
			}
		}
		switch {
		case href == "" || len(href) > feeddoc.MaxURL:
		case rel == "hub" && hub == "":
			hub = href
		case rel == "self" && self == "":
			self = href
		}
	}
	return hub, self
}

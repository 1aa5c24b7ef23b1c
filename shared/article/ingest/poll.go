package ingest

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Adaptive polling bounds: a source is polled at most every MinInterval and at
// least every MaxInterval (a source with a live WebSub subscription too, as a
// safety net for pushes a hub never sent).
const (
	MinInterval = 5 * time.Minute
	MaxInterval = 4 * time.Hour
)

// PollInterval is how long a source waits for its next poll, from its own
// update rate:
//   - a fetched feed (200): half the mean gap between its newest (up to 10)
//     items' publication times, so a feed updating every gap is seen on
//     average a quarter gap after each update; a feed gone quiet for longer
//     than that waits half its silence;
//   - not modified (304, published empty): the previous interval × 1.5;
//   - never below the publisher's Cache-Control max-age;
//   - between MinInterval and MaxInterval.
func PollInterval(now time.Time, published []time.Time, prev, maxAge time.Duration) time.Duration {
	var d time.Duration
	if len(published) == 0 {
		d = prev * 3 / 2
	} else {
		ts := slices.Clone(published)
		// Newest first. (sort.Slice: a generic sort of time.Time costs the
		// bootstrap ~8 KB.)
		sort.Slice(ts, func(i, j int) bool { return ts[i].After(ts[j]) })
		ts = slices.CompactFunc(ts, func(a, b time.Time) bool { return a.Equal(b) })
		ts = ts[:min(len(ts), 10)]
		if len(ts) >= 2 {
			d = ts[0].Sub(ts[len(ts)-1]) / time.Duration(len(ts)-1) / 2
		} else {
			d = MaxInterval
		}
		if quiet := now.Sub(ts[0]) / 2; quiet > d {
			d = quiet
		}
	}
	d = max(d, maxAge)
	return min(max(d, MinInterval), MaxInterval)
}

// discoverHub finds the WebSub links inside a feed document (W3C WebSub §4:
// an Atom or RSS feed's <link rel="hub" href> / <atom:link rel="hub" href>,
// and rel="self" for the topic). It reads at most the document's first
// 64 KiB: the links belong in the feed's head, before the items.
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
		case rel == "hub" && hub == "" && href != "":
			hub = href
		case rel == "self" && self == "" && href != "":
			self = href
		}
	}
	return hub, self
}

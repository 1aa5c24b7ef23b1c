// Package events is Kiosk's event catalogue: the language domains speak to each
// other on the bus. Each detail type has a Go struct here, a JSON Schema under
// schemas/ (generated from the struct; `go test ./events -update` rewrites it) and
// a sample under samples/.
package events

import (
	"reflect"
	"sort"
	"time"
)

// Sources: every event's source is kiosk.<domain>.
const (
	SourcePlatform = "kiosk.platform"
	SourceArticles = "kiosk.articles"
)

// Detail types.
const (
	HeartbeatType        = "platform.heartbeat"
	ArticlePublishedType = "article.published"
)

// Heartbeat is published by the heartbeat batch on every run; the
// record-heartbeat consumer stores it so /v1/health can prove that schedules,
// the bus and the rules deliver end to end.
type Heartbeat struct {
	// Run identifies the batch run that emitted it.
	Run string `json:"run"`
	// At is when the batch ran.
	At time.Time `json:"at"`
}

// ArticlePublished is published once per new article by the ingestion batch
// (at least once: a run that crashed after storing an article republishes it,
// so consumers must be idempotent by article id).
type ArticlePublished struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	SourceID    string    `json:"source_id"`
	Category    string    `json:"category"`
	Story       string    `json:"story"` // the story cluster: near-duplicates share it
	PublishedAt time.Time `json:"published_at"`
	Language    string    `json:"language,omitempty"`
	ImageURL    string    `json:"image_url,omitempty"`
}

// Type describes one detail type of the catalogue.
type Type struct {
	DetailType  string
	Source      string
	Description string
	Go          reflect.Type
}

// Catalog lists every detail type Kiosk publishes.
var Catalog = []Type{
	{HeartbeatType, SourcePlatform, "The heartbeat batch ran; proves schedule → bus → rule → consumer.", reflect.TypeFor[Heartbeat]()},
	{ArticlePublishedType, SourceArticles, "A new article was stored; feed, notifications and others react on their own.", reflect.TypeFor[ArticlePublished]()},
}

// Lookup finds a detail type in the catalogue.
func Lookup(detailType string) (Type, bool) {
	for _, t := range Catalog {
		if t.DetailType == detailType {
			return t, true
		}
	}
	return Type{}, false
}

// Sources returns the distinct sources of the catalogue, sorted.
func Sources() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Catalog {
		if !seen[t.Source] {
			seen[t.Source] = true
			out = append(out, t.Source)
		}
	}
	sort.Strings(out)
	return out
}

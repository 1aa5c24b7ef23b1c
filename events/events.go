// Package events is Kiosk's event catalogue: the language domains speak to each
// other on the bus. Each detail type has a Go struct here, a JSON Schema under
// schemas/ (generated from the struct; `go test ./events -update` rewrites it) and
// a sample under samples/.
package events

import (
	"reflect"
	"time"
)

// Sources: every event's source is kiosk.<domain>.
const (
	SourcePlatform = "kiosk.platform"
	SourceArticles = "kiosk.articles"
	SourceTracking = "kiosk.tracking"
)

// Detail types.
const (
	HeartbeatType        = "platform.heartbeat"
	ArticlePublishedType = "article.published"
	ArticleTrendingType  = "article.trending"
	KPIShardType         = "kpi.shard.requested"
	UserEngagedType      = "user.engaged"
)

// ArticleTrending is published once per article when its clicks within an
// hour reach the trending threshold.
type ArticleTrending struct {
	ID     string `json:"id"`
	Hour   string `json:"hour"` // YYYYMMDDHH
	Clicks int64  `json:"clicks"`
}

// KPIShardRequested asks the KPI batch to compute one shard of one period; the
// coordinator run fans a period out into one event per shard.
type KPIShardRequested struct {
	Granularity string `json:"granularity"` // hour or day
	Period      string `json:"period"`      // YYYYMMDDHH or YYYYMMDD
	Shard       int    `json:"shard"`
}

// UserEngaged carries, for one completed hour, what each user of a shard
// engaged with, per category; the users domain learns interests from it.
type UserEngaged struct {
	Hour  string           `json:"hour"`
	Users []UserEngagement `json:"users"`
}

// UserEngagement is one user's weighted engagement per category.
type UserEngagement struct {
	UserID  string             `json:"user_id"`
	Weights map[string]float64 `json:"weights"`
}

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

// new-domain:types (make new-domain adds event types above this line)

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
	{ArticleTrendingType, SourceTracking, "An article's clicks in an hour reached the trending threshold (once per article).", reflect.TypeFor[ArticleTrending]()},
	{KPIShardType, SourceTracking, "The KPI batch's fan-out: compute one shard of one period.", reflect.TypeFor[KPIShardRequested]()},
	{UserEngagedType, SourceTracking, "What users of one shard engaged with in a completed hour, per category.", reflect.TypeFor[UserEngaged]()},
	// new-domain:catalog (make new-domain adds entries above this line)
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

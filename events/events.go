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
	SourceUsers    = "kiosk.users"
	SourceFeed     = "kiosk.feed"
)

// Layouts of the catalogue's period fields (UTC): an hour is YYYYMMDDHH, a
// day YYYYMMDD.
const (
	HourLayout = "2006010215"
	DayLayout  = "20060102"
)

// Detail types.
const (
	HeartbeatType         = "platform.heartbeat"
	ArticlePublishedType  = "article.published"
	ArticleTrendingType   = "article.trending"
	KPIShardRequestedType = "kpi.shard.requested"
	UserEngagedType       = "user.engaged"
	ArticleModeratedType  = "article.moderated"
	ArticleStatsType      = "article.stats"
	UserReadType          = "user.read"
	InterestsChangedType  = "user.interests.changed"
	RankRequestedType     = "feed.rank.requested"
)

// ArticleTrending is published once per article when enough distinct readers
// clicked it within an hour (tracking.TrendingReaders); Clicks is the raw
// click count of that hour.
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
	// SourceWeight is the editor-set weight of the source (1 = neutral).
	SourceWeight float64 `json:"source_weight,omitempty"`
}

// ArticleModerated is published when an editor changes an article's
// editorial state: hides or shows it, pins or unpins it, makes it the lead
// of its story, or moves it to another story (splits it out: Story is its own
// id; merges it: another story's id). It carries the whole state as of At:
// a consumer keeps the latest. Story "" (an older producer) leaves the
// article's story as ingestion clustered it.
type ArticleModerated struct {
	ID     string    `json:"id"`
	Hidden bool      `json:"hidden"`
	Pinned bool      `json:"pinned"`
	Lead   bool      `json:"lead,omitempty"`
	Story  string    `json:"story,omitempty"`
	At     time.Time `json:"at"`
}

// ArticleStats is one user shard's impressions and clicks per article for one
// day, recomputed by every KPI run: a later ComputedAt replaces an earlier one.
// A shard with many articles is sent in parts (Part of Parts).
type ArticleStats struct {
	Day        string         `json:"day"` // YYYYMMDD
	Shard      int            `json:"shard"`
	Part       int            `json:"part"`
	Parts      int            `json:"parts"`
	ComputedAt time.Time      `json:"computed_at"`
	Articles   []ArticleCount `json:"articles"`
}

// ArticleCount is one article's numbers in ArticleStats, in distinct readers
// (each counts once however many events they sent): Impressions readers saw
// it, Clicks of them also clicked it (so Clicks ≤ Impressions).
type ArticleCount struct {
	ID          string `json:"id"`
	Impressions int64  `json:"impressions"`
	Clicks      int64  `json:"clicks"`
}

// UserRead says a user opened (clicked or read) articles; published by the
// tracking API for every accepted batch that has any, retries included.
type UserRead struct {
	UserID     string    `json:"user_id"`
	ArticleIDs []string  `json:"article_ids"`
	At         time.Time `json:"at"`
}

// InterestsChanged carries a user's whole interest profile after a change:
// the explicit categories and the learned weights. At orders the changes.
//
// Learned weights are as of At: the users domain decays them by elapsed time,
// halving every LearnedHalfLife, and a reader later than At decays them the
// same way.
type InterestsChanged struct {
	UserID    string             `json:"user_id"`
	Interests []string           `json:"interests"`
	Learned   map[string]float64 `json:"learned_interests"`
	At        time.Time          `json:"at"`
}

// LearnedHalfLife is how long a learned interest weight takes to halve when
// nothing adds to it.
const LearnedHalfLife = 7 * 24 * time.Hour

// RankRequested asks the ranking batch to run now (new or moderated articles).
type RankRequested struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
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
	{ArticleTrendingType, SourceTracking, "Enough distinct readers clicked an article within an hour (once per article).", reflect.TypeFor[ArticleTrending]()},
	{KPIShardRequestedType, SourceTracking, "The KPI batch's fan-out: compute one shard of one period.", reflect.TypeFor[KPIShardRequested]()},
	{UserEngagedType, SourceTracking, "What users of one shard engaged with in a completed hour, per category.", reflect.TypeFor[UserEngaged]()},
	{ArticleModeratedType, SourceArticles, "An editor hid, showed, pinned or unpinned an article, made it its story's lead or moved it to another story; carries the whole editorial state, the latest At wins.", reflect.TypeFor[ArticleModerated]()},
	{ArticleStatsType, SourceTracking, "One shard's distinct readers per article for a day: who saw it, and who saw and clicked it (recomputed; latest wins).", reflect.TypeFor[ArticleStats]()},
	{UserReadType, SourceTracking, "A user opened articles (clicks and reads of an accepted batch).", reflect.TypeFor[UserRead]()},
	{InterestsChangedType, SourceUsers, "A user's interest profile changed (explicit or learned); carries the whole profile.", reflect.TypeFor[InterestsChanged]()},
	{RankRequestedType, SourceFeed, "Feeds changed (new or moderated articles): rank them now rather than at the next schedule.", reflect.TypeFor[RankRequested]()},
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

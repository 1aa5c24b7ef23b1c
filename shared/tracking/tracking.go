// Package tracking is the tracking domain: the app's engagement events
// (impressions, clicks, reads, shares), stored exactly once each, and the KPIs
// computed from them — per hour and day, overall and per article, category and
// source — by a batch that splits each period into user shards.
package tracking

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Event types.
const (
	Impression = "impression"
	Click      = "click"
	Read       = "read"
	Share      = "share"
)

// Limits.
const (
	MaxBatch   = 500
	MaxSkew    = 5 * time.Minute     // how far in the future a device clock may be
	MaxAge     = 7 * 24 * time.Hour  // older events are refused
	MaxDwell   = 24 * 60 * 60 * 1000 // a day, in ms
	Shards     = 16                  // users are split into this many shards per hour
	Retention  = 35 * 24 * time.Hour // raw events expire after this; KPIs stay
	hourLayout = events.HourLayout
	dayLayout  = events.DayLayout
)

// Event is one engagement event as the app sends it.
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	ArticleID string    `json:"article_id"`
	At        time.Time `json:"at"`
	DwellMS   *int64    `json:"dwell_ms,omitempty"`
}

// Stored is an accepted event with its user and the A/B variants the user
// was in at the event's time (experiment.Tags: "<experiment>=<variant>").
type Stored struct {
	Event
	UserID     string
	ReceivedAt time.Time
	Variants   []string
	// Attempt identifies the call that stores it (one per Track): the same
	// write sent again by the SDK, its first response lost after it applied,
	// finds its own attempt and is not a duplicate of itself; any other
	// call's write of the id is. Empty: no attempt, every rewrite is a
	// duplicate.
	Attempt string
}

// Article is what tracking knows of an article, from article.published.
type Article struct {
	ID       string
	Category string
	SourceID string
}

var (
	eventIDRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)
	articleIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// ShardOf puts a user in a shard: each user's events of an hour are in one
// shard, so distinct-user counts of shards add up exactly.
func ShardOf(userID string) int {
	h := fnv.New32a()
	h.Write([]byte(userID))
	return int(h.Sum32() % Shards)
}

// Validate checks a batch; every problem is reported, by index.
func Validate(events []Event, now time.Time) error {
	if len(events) == 0 || len(events) > MaxBatch {
		return kiosk.Errorf(kiosk.EINVALID, "a batch holds 1 to %d events, got %d", MaxBatch, len(events))
	}
	var details []string
	badEvents := map[int]bool{}
	ids := map[string]int{}
	for i, e := range events {
		bad := func(format string, args ...any) {
			badEvents[i] = true
			details = append(details, fmt.Sprintf("events[%d]: ", i)+fmt.Sprintf(format, args...))
		}
		if !eventIDRe.MatchString(e.ID) {
			bad("id must be 8-64 letters, digits, '-' or '_'")
		} else if j, dup := ids[e.ID]; dup {
			bad("id repeats events[%d]", j)
		} else {
			ids[e.ID] = i
		}
		switch e.Type {
		case Impression, Click, Read, Share:
		default:
			bad("unknown type %q (impression, click, read, share)", kiosk.Truncate(e.Type, 20))
		}
		if !articleIDRe.MatchString(e.ArticleID) {
			bad("article_id must be 32 lower-case hex characters")
		}
		switch {
		case e.At.IsZero():
			bad("at is required (RFC 3339)")
		case e.At.After(now.Add(MaxSkew)):
			bad("at is in the future")
		case e.At.Before(now.Add(-MaxAge)):
			bad("at is more than 7 days old")
		}
		if e.DwellMS != nil && (*e.DwellMS < 0 || *e.DwellMS > MaxDwell) {
			bad("dwell_ms must be 0 to %d", MaxDwell)
		}
		if e.DwellMS != nil && e.Type != Read {
			bad("dwell_ms is for read events only")
		}
	}
	if len(details) > 0 {
		err := kiosk.Errorf(kiosk.EINVALID, "%d of %d events are invalid; nothing was stored", len(badEvents), len(events))
		err.Details = details
		return err
	}
	return nil
}

// Result is the answer to a batch.
type Result struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

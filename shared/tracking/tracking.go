// Package tracking is the tracking domain: the app's engagement events
// (impressions, clicks, reads, shares), stored exactly once each, and the KPIs
// computed from them — per hour and day, overall and per article, category and
// source — by a batch that splits each period into user shards.
package tracking

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
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
	hourLayout = "2006010215"
	dayLayout  = "20060102"
)

// Event is one engagement event as the app sends it.
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	ArticleID string    `json:"article_id"`
	At        time.Time `json:"at"`
	DwellMS   *int64    `json:"dwell_ms,omitempty"`
}

// Stored is an accepted event with its user.
type Stored struct {
	Event
	UserID     string
	ReceivedAt time.Time
}

// Article is what tracking knows of an article, from article.published.
type Article struct {
	ID       string
	Category string
	SourceID string
}

// Store keeps events, the article catalogue and KPI partials.
type Store interface {
	// PutEvent stores an event once; ErrDuplicate if its id was stored for
	// this user before.
	PutEvent(ctx context.Context, e Stored) error
	// EventsOf returns every event of one hour and shard.
	EventsOf(ctx context.Context, hour time.Time, shard int) ([]Stored, error)
	PutArticle(ctx context.Context, a Article) error
	Articles(ctx context.Context, ids []string) (map[string]Article, error)
	// PutPartial replaces one shard's partial of a period.
	PutPartial(ctx context.Context, p Partial) error
	// Partials reads every shard's partial of the periods; the per-article
	// slices only when articles is true.
	Partials(ctx context.Context, granularity string, periods []string, articles bool) ([]Partial, error)
	// Mark records that events of an hour and shard were accepted (setting
	// it again moves its SetAt).
	Mark(ctx context.Context, m Mark) error
	// Marks lists one shard's marks.
	Marks(ctx context.Context, shard int) ([]Mark, error)
	// ClearMark deletes a mark unless it was set again since m was read;
	// false when it was (or is gone).
	ClearMark(ctx context.Context, m Mark) (bool, error)
	// MarkTrending records an article as trending; false if it already was.
	MarkTrending(ctx context.Context, articleID string, at time.Time) (bool, error)
	IsTrending(ctx context.Context, articleID string) (bool, error)
}

// ErrDuplicate means an event id was already stored.
var ErrDuplicate = errors.New("duplicate event")

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

// Service holds the tracking use cases.
type Service struct {
	Store Store
	Now   func() time.Time
	// Opened announces the articles a user clicked or read in a stored batch
	// (user.read), duplicates included, so a retried batch announces again
	// what a failed announcement lost. Nil announces nothing.
	Opened func(ctx context.Context, userID string, articleIDs []string, at time.Time) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Track validates a whole batch, then stores each event once (16 writes at a
// time), then marks each hour the batch touched (one write per distinct
// hour: the user's shard is the same for the whole batch) so the KPI batch
// recomputes it however late the events are. A failure part-way is returned
// for the client to retry the batch: what was stored counts as duplicates
// then, and the retry marks again.
func (s *Service) Track(ctx context.Context, userID string, events []Event) (Result, error) {
	now := s.now()
	if err := Validate(events, now); err != nil {
		return Result{}, err
	}
	var (
		mu   sync.Mutex
		res  Result
		errs []error
	)
	parallel.Each(events, 16, func(_ int, e Event) {
		err := s.Store.PutEvent(ctx, Stored{Event: e, UserID: userID, ReceivedAt: now})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			res.Accepted++
		case errors.Is(err, ErrDuplicate):
			res.Duplicates++
		default:
			errs = append(errs, err)
		}
	})
	// The marks come after the events (a recomputation that clears a mark
	// has read every event stored before it) and before the answer, for
	// duplicates too: a retry must mark what a failed attempt did not.
	hours := map[time.Time]bool{}
	for _, e := range events {
		hours[e.At.UTC().Truncate(time.Hour)] = true
	}
	marks := make([]Mark, 0, len(hours))
	setAt := s.now()
	for h := range hours {
		marks = append(marks, Mark{Hour: h, Shard: ShardOf(userID), SetAt: setAt})
	}
	parallel.Each(marks, 16, func(_ int, m Mark) {
		if err := s.Store.Mark(ctx, m); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	if len(errs) > 0 {
		// The application error first: it decides the status and message; the
		// causes follow for the log.
		return res, errors.Join(append([]error{kiosk.Errorf(kiosk.EUNAVAILABLE,
			"%d events could not be stored; retry the batch (stored ones count once)", len(errs))}, errs...)...)
	}
	if s.Opened != nil {
		var opened []string
		seen := map[string]bool{}
		for _, e := range events {
			if (e.Type == Click || e.Type == Read) && !seen[e.ArticleID] {
				seen[e.ArticleID] = true
				opened = append(opened, e.ArticleID)
			}
		}
		if len(opened) > 0 {
			if err := s.Opened(ctx, userID, opened, now); err != nil {
				return res, errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE,
					"the events are stored but could not be announced; retry the batch (stored ones count once)"), err)
			}
		}
	}
	return res, nil
}

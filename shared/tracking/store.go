package tracking

import (
	"context"
	"errors"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Store keeps events, the article catalogue and KPI partials.
type Store interface {
	// PutEvent stores an event once; ErrDuplicate if its id was stored for
	// this user before.
	PutEvent(ctx context.Context, e Stored) error
	// EventsOf returns every event of one hour and shard alive at now (an
	// event past its ReceivedAt plus Retention is invisible, whether or not
	// TTL deleted it yet).
	EventsOf(ctx context.Context, hour time.Time, shard int, now time.Time) ([]Stored, error)
	PutArticle(ctx context.Context, a Article) error
	Articles(ctx context.Context, ids []string) (map[string]Article, error)
	// PutPartial replaces one shard's partial of a period unless one whose
	// ComputedAt (its recomputation's start) is later is stored (then
	// false: superseded, nothing written).
	PutPartial(ctx context.Context, p Partial) (bool, error)
	// Partials reads every shard's partial of the periods; the per-article
	// slices only when articles is true. A partial is read whole, never
	// part of one and part of its replacement.
	Partials(ctx context.Context, granularity string, periods []string, articles bool) ([]Partial, error)
	// PutRoster replaces one shard's roster of a period unless a roster
	// started later is stored (then false: superseded, nothing written).
	// Readers never see part of one roster and part of another.
	PutRoster(ctx context.Context, r Roster) (bool, error)
	// Rosters reads one shard's rosters of the periods, strongly
	// consistent (a roster stored before the call is read), leaving out
	// the periods without one and the rosters expired at now
	// (rosterExpires). A roster is read whole, as the head read names it,
	// in one pass, whatever replaces it meanwhile.
	Rosters(ctx context.Context, granularity string, periods []string, shard int, now time.Time) (map[string]Roster, error)
	// Mark records that events of an hour and shard were accepted (setting
	// it again moves its SetAt).
	Mark(ctx context.Context, m Mark) error
	// Marks lists one shard's marks alive at now (a mark past its hour
	// plus Retention is invisible, whether or not TTL deleted it yet).
	Marks(ctx context.Context, shard int, now time.Time) ([]Mark, error)
	// ClearMark deletes a mark unless it was set again since m was read;
	// false when it was (or is gone).
	ClearMark(ctx context.Context, m Mark) (bool, error)
	// MarkTrending records an article as trending; false if it already was.
	MarkTrending(ctx context.Context, articleID string, at time.Time) (bool, error)
	IsTrending(ctx context.Context, articleID string) (bool, error)
}

// ErrDuplicate means an event id was already stored for this user.
var ErrDuplicate = errors.New("duplicate event")

// codes maps the store's sentinels to application codes: the service
// translates store errors through it, and only through it.
var codes = kiosk.Codes{ErrDuplicate: kiosk.ECONFLICT}

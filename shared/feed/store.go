package feed

import (
	"context"
	"errors"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Store is what the feed service needs of persistence: conditional writes
// (each reporting whether it changed anything), reads that leave expired
// items out, and nothing that decides. DynamoStore keeps it in the feed
// table; MemoryStore in maps, for the service's tests. RecentArticles and
// DayStats are only ever asked for what lies inside the ranking window, which
// ends well inside an article's and a day's retention (ArticleRetention,
// StatsRetention; TestTheRankingWindowEndsInsideWhatItReads), so those two
// reads need not check expiry. GetArticle is asked for any id (a trending
// announcement of an old article) and does.
type Store interface {
	// PlaceArticle stores an announced article's fields, leaving its
	// moderation and trending flags alone (they may have arrived first); it
	// reports whether the article is new to the feeds (a redelivery writes
	// the same values and reports false). The item expires at expires.
	PlaceArticle(ctx context.Context, a Article, expires time.Time) (bool, error)
	// Moderate applies a moderation unless one at or after at is stored; it
	// reports whether it did. It may come before the article it moderates (or
	// after the article expired): the flags-only item it then writes expires
	// at expires, until a placement sets the article's own expiry.
	Moderate(ctx context.Context, m Moderation, expires time.Time) (bool, error)
	// MarkTrending flags an article trending; it reports whether it was not.
	// A flags-only item expires at expires, as Moderate's.
	MarkTrending(ctx context.Context, id string, expires time.Time) (bool, error)
	// GetArticle reads a placed article alive at now (ErrArticleNotFound if
	// never placed, or expired: whether or not TTL deleted it yet).
	GetArticle(ctx context.Context, id string, now time.Time) (Article, error)
	// RecentArticles lists the articles published since, newest first.
	RecentArticles(ctx context.Context, since time.Time) ([]Article, error)

	// PutStats stores a shard's part unless a later computation of that part
	// is stored; expires is when it may go.
	PutStats(ctx context.Context, d DayStats, expires time.Time) error
	// DayStats lists the stored parts of the given days, by day, shard and
	// part.
	DayStats(ctx context.Context, days []string) ([]DayStats, error)

	// RequestRank sets the pending rank request to now unless one newer than
	// staleBefore is pending; it reports whether it set it.
	RequestRank(ctx context.Context, now, staleBefore time.Time) (bool, error)
	// CancelRankRequest removes the pending request if it is the one made at.
	CancelRankRequest(ctx context.Context, at time.Time) error
	// Touch records that articles' flags changed (a moderation, a trending
	// flag) for the next ranking run to read them fresh: the by-time index
	// RecentArticles reads may not show a change yet.
	Touch(ctx context.Context, ids []string) error
	// BeginRank removes the pending request and returns the categories the
	// last finished run wrote and the articles touched since the last begin.
	BeginRank(ctx context.Context) (categories, touched []string, err error)
	// Articles reads placed articles by id, consistently (not through an
	// index); unknown and expired ones are left out.
	Articles(ctx context.Context, ids []string, now time.Time) ([]Article, error)
	// EndRank records a finished run and the categories it wrote.
	EndRank(ctx context.Context, run string, categories []string) error
	// PutChunks stores every feed's chunks (expiring at expires), then each
	// feed's head, its chunk 0, which only a later run's head replaces.
	PutChunks(ctx context.Context, feeds map[string][]Chunk, expires time.Time) error
	// Chunk reads one chunk, a head when ref.Run is "" (ErrPageNotFound if
	// absent or expired). One read.
	Chunk(ctx context.Context, ref ChunkRef, now time.Time) (Chunk, error)
	// Chunks reads the chunks refs name (one of each category at most),
	// keyed by category; absent or expired ones are left out. One read.
	Chunks(ctx context.Context, refs []ChunkRef, now time.Time) (map[string]Chunk, error)

	// Profile reads a user's interests as stored and the newest maxReads
	// unexpired reads. One read.
	Profile(ctx context.Context, userID string, maxReads int, now time.Time) (Profile, error)
	// SetProfile stores a user's interests unless a later change is stored,
	// in the profile (Profile) and in the copy the inbox reads (Inbox).
	SetProfile(ctx context.Context, p Profile) error
	// CopyInterests stores p as the inbox's copy of the user's interests
	// (the second half of SetProfile) unless a copy of a change as late is
	// stored: the inbox's fill for a user whose interests were stored before
	// the copy was kept. A p with a zero At (no profile stored) is replaced by
	// any change. It reports whether it wrote the copy.
	CopyInterests(ctx context.Context, p Profile) (bool, error)
	// AddRead records articles a user opened at at, one entry each, expiring
	// at expires; the same call again writes the same entries.
	AddRead(ctx context.Context, userID string, ids []string, at, expires time.Time) error

	// TrendHour records hour as the hour story first trended unless one is
	// recorded (kept until expires), and returns the recorded one.
	TrendHour(ctx context.Context, story, hour string, expires time.Time) (string, error)
	// PutTrending records a trending story's inbox entry under its category
	// unless one of the story is recorded there (the first version to trend
	// in a category stays), with its ModeratedAt; it reports whether it wrote
	// it. Entries are the same for everyone, so Read is not kept.
	PutTrending(ctx context.Context, n Notification, expires time.Time) (bool, error)
	// ModerateTrending gives a recorded trending entry (n.ID and n.Category
	// name it) an editor's state as of n.ModeratedAt: n.Hidden, and n.Story
	// unless "", unless the entry follows a moderation at or after it, or is
	// not recorded; it reports whether it did.
	ModerateTrending(ctx context.Context, n Notification) (bool, error)
	// Trending lists the recorded entries with ids at or after since, alive
	// at now, newest id first. Its size grows with the stories that trend,
	// never with readers; an instance reads it once per TrendingRefresh.
	Trending(ctx context.Context, since string, now time.Time) ([]Notification, error)
	// Inbox reads a user's inbox partition: the copy of the user's
	// interests, the read marks and the entries written for the user alone
	// with ids at or after since, the expired ones left out. One read.
	Inbox(ctx context.Context, userID, since string, now time.Time) (InboxState, error)
	// MarkRead records that a user read an entry, kept until expires (at
	// least as long as the entry lives): a read mark, or the read flag of an
	// entry written for the user alone. It is a conditional write: it
	// reports whether the entry was not marked read yet, so of concurrent
	// calls one reports true; marking again writes nothing.
	MarkRead(ctx context.Context, userID, id string, expires time.Time) (bool, error)
}

// The store's sentinel errors; their messages are what a client may read.
var (
	ErrArticleNotFound = errors.New("article is not in the feeds")
	ErrPageNotFound    = errors.New("feed page not found")
)

// codes translates the store's sentinels for clients, in one place.
var codes = kiosk.Codes{ErrArticleNotFound: kiosk.ENOTFOUND, ErrPageNotFound: kiosk.ENOTFOUND}

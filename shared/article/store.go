package article

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Store keeps sources and articles: persistence only, no rules. It reports
// what went wrong with the sentinel errors below (wrapped in a message a
// client may read, "no article 0a1b…"). Implementations: DynamoStore,
// MemoryStore.
type Store interface {
	// PutArticle stores a new article; ErrExists when its id is already stored.
	// It also posts the article's title under each of its tokens (Postings),
	// for the story decision of the articles that come after it.
	PutArticle(ctx context.Context, a Article) error
	// GetArticle reads an article, hidden or not; ErrNotFound when there is none.
	GetArticle(ctx context.Context, id string) (Article, error)
	// GetArticles reads the stored articles among ids, hidden or not, in no
	// particular order; an id with no article is left out.
	GetArticles(ctx context.Context, ids []string) ([]Article, error)
	// Postings lists the articles ingested at or after since whose title has
	// the token (see Tokens), newest ingested first, at most limit of them.
	Postings(ctx context.Context, token uint64, since time.Time, limit int) ([]Posting, error)
	// IndexPostings posts the titles of the articles ingested at or after
	// since that were stored before postings existed and reports how many;
	// once done it leaves a marker, after which it costs one read.
	IndexPostings(ctx context.Context, since time.Time) (int, error)
	// ListArticles returns visible articles newest first (by published time,
	// then id); category "" lists every category. after is the previous
	// page's NextCursor as the store gave it ("" for the first page).
	ListArticles(ctx context.Context, category string, limit int, after string) (Page, error)
	// RecentArticles returns articles ingested at or after since (for story
	// clustering and event recovery), oldest first.
	RecentArticles(ctx context.Context, since time.Time) ([]Article, error)
	// AdminArticles lists every article, hidden ones included, newest
	// ingested first, optionally of one category or hidden state.
	AdminArticles(ctx context.Context, f ArticleFilter, limit int, after string) (Page, error)
	// SaveEditorial stores the editorial state of a — Hidden, Pinned, Lead,
	// Story, StoryByEditor and ModeratedAt — on the stored article a.ID, in one
	// write conditioned on its stored ModeratedAt still being was (zero: never
	// changed by an editor); the rest of a is only read to place it in the
	// lists. ErrNotFound if there is no such article, ErrConflict if another
	// editorial change landed meanwhile.
	SaveEditorial(ctx context.Context, a Article, was time.Time) error
	// StoryArticles lists the articles of a story, hidden ones too, oldest
	// published first (then by id), at most limit of them.
	StoryArticles(ctx context.Context, story string, limit int) ([]Article, error)

	PutSource(ctx context.Context, s Source) error              // create; ErrExists if the id is taken
	UpdateSource(ctx context.Context, s Source) (Source, error) // replace the editable fields; ErrNotFound
	DeleteSource(ctx context.Context, id string) error          // ErrNotFound
	GetSource(ctx context.Context, id string) (Source, error)   // ErrNotFound
	ListSources(ctx context.Context) ([]Source, error)          // by id
	// RecordFetch stores the fetch state of source was (as the run read it,
	// before fetching), without a validator over MaxValidator and with the
	// error cut to MaxLastError — only while the source still has was's
	// URL, next fetch and refetch count. A source deleted, re-pointed
	// (UpdateSource forgot the old URL's state) or made due (MakeSourceDue)
	// meanwhile is left as it is, and the answer is ErrSuperseded: the fetch
	// answered for a URL or a schedule it no longer has, and its next run
	// fetches it.
	RecordFetch(ctx context.Context, was Source, st FetchState) error
	// MakeSourceDue makes a failing source due now; its next fetch forgotten
	// (the by-due index lists it first) and the rest of its fetch state —
	// failures, last error, validators — kept, so a source still broken backs
	// off further from where it was; its refetch count goes up (a repeat
	// keeps it due and supersedes a fetch in flight). One conditional
	// write; ErrNotFound when there is no such source, ErrConflict when it is
	// not failing (no consecutive failures): its next fetch is its adaptive
	// interval's, which forgetting it would restart at MinInterval. It
	// returns the source as it was before the write (what the write changed,
	// for the audit log, without a read that another write could follow).
	MakeSourceDue(ctx context.Context, id string) (Source, error)

	// DueSources lists the sources whose next fetch is at or before now,
	// soonest first, at most limit of them: a Query of the by-due index, not a
	// scan of every source (a source never fetched is due at once).
	DueSources(ctx context.Context, now time.Time, limit int) ([]Source, error)
	// IndexDueSources puts the sources stored before the by-due index existed
	// into it (due at their next fetch, or at once) and reports how many; once
	// done it leaves a marker, after which it costs one read.
	IndexDueSources(ctx context.Context) (int, error)

	// PutSubscription stores a WebSub subscription, replacing one with its id.
	PutSubscription(ctx context.Context, s Subscription) error
	// GetSubscription reads one; ErrNotFound when there is none.
	GetSubscription(ctx context.Context, id string) (Subscription, error)
	// DeleteSubscription removes one (no error when it is gone already).
	DeleteSubscription(ctx context.Context, id string) error
	// SourceSubscriptions lists a source's subscriptions (usually one; two
	// while a feed moves to another hub), by id.
	SourceSubscriptions(ctx context.Context, sourceID string) ([]Subscription, error)
	// DueSubscriptions lists the subscriptions whose NextCheck is at or
	// before now, soonest first, at most limit (a Query of by-due).
	DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]Subscription, error)

	// Checkpoint is the ingestion time through which every article's event is
	// known to be published; AdvanceCheckpoint never moves it back.
	Checkpoint(ctx context.Context) (time.Time, error)
	AdvanceCheckpoint(ctx context.Context, t time.Time) error
}

// A list's position is its last item's key: the time it is sorted by, in
// sortTime (fixed width, so strings sort like times), and its id. Every Store
// pages with these keys, and the service refuses a cursor holding anything else.
const sortTime = "2006-01-02T15:04:05.000000000Z"

// positionShape is a position character by character: 9 a digit, f a
// lower-case hex digit, anything else itself.
const positionShape = "9999-99-99T99:99:99.999999999Z#ffffffffffffffffffffffffffffffff"

// validPosition reports whether key is a position (^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z#[0-9a-f]{32}$),
// checked by hand: a package-level regexp is compiled in every importing
// bootstrap's init, which cold starts pay.
func validPosition(key string) bool {
	if len(key) != len(positionShape) {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch want := positionShape[i]; want {
		case '9':
			if c < '0' || c > '9' {
				return false
			}
		case 'f':
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		default:
			if c != want {
				return false
			}
		}
	}
	return true
}

func position(t time.Time, id string) string { return t.UTC().Format(sortTime) + "#" + id }

// Store errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrConflict = errors.New("changed concurrently")
	// ErrSuperseded is RecordFetch's answer when the source was deleted,
	// re-pointed or made due after the run read it: nothing was recorded.
	ErrSuperseded = errors.New("superseded")
)

// codes is the one translation of the store's errors to application codes.
var codes = kiosk.Codes{ErrNotFound: kiosk.ENOTFOUND, ErrExists: kiosk.ECONFLICT, ErrConflict: kiosk.ECONFLICT}

// storeError is a sentinel with the message a client reads.
type storeError struct {
	sentinel error
	msg      string
}

func (e *storeError) Error() string { return e.msg }
func (e *storeError) Unwrap() error { return e.sentinel }

func notFound(format string, args ...any) error {
	return &storeError{ErrNotFound, fmt.Sprintf(format, args...)}
}

func exists(format string, args ...any) error {
	return &storeError{ErrExists, fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &storeError{ErrConflict, fmt.Sprintf(format, args...)}
}

// notFailing is MakeSourceDue's refusal of a source that is not failing.
func notFailing() error {
	return conflict("the source is not failing; it is fetched at its next_fetch_at, or on the next run if it has none")
}

// Package article is the articles domain: news sources, the articles ingested
// from them, the rules that turn a feed item into an article (canonical URL,
// sanitized text, clamped dates, story clusters), and the ingestion batch that
// fetches every due source safely.
package article

import (
	"context"
	"errors"
	"time"
)

// Article is one news article, stored once per canonical URL.
type Article struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Title       string    `json:"title" list:"Title"`
	Summary     string    `json:"summary"`
	ImageURL    string    `json:"image_url,omitempty"`
	SourceID    string    `json:"source_id" list:"Source"`
	Category    string    `json:"category" list:"Category"`
	Story       string    `json:"story"`
	Language    string    `json:"language,omitempty"`
	PublishedAt time.Time `json:"published_at" list:"Published"`
	IngestedAt  time.Time `json:"ingested_at"`
	Hidden      bool      `json:"-" list:"Hidden"`
	// Pinned articles lead the feeds (an editor's choice).
	Pinned bool `json:"pinned,omitempty" list:"Pinned"`
	// SourceWeight is the source's weight when the article was ingested.
	SourceWeight float64 `json:"-"`
	// ModeratedAt is when an editor last hid, showed, pinned or unpinned it.
	ModeratedAt time.Time `json:"-"`
	// Fingerprint is the title's SimHash, for clustering near-duplicates.
	Fingerprint uint64 `json:"-"`
}

// Source is a feed Kiosk ingests.
type Source struct {
	ID       string  `json:"id" list:"ID"`
	URL      string  `json:"url"`
	Category string  `json:"category" list:"Category"`
	Weight   float64 `json:"weight" list:"Weight"`
	Name     string  `json:"name" list:"Name"`
	FetchState
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FetchState is what the batch remembers about a source between runs.
type FetchState struct {
	ETag                string    `json:"etag,omitempty"`
	LastModified        string    `json:"last_modified,omitempty"`
	LastSuccess         time.Time `json:"last_success,omitzero" list:"Last success"`
	LastChecked         time.Time `json:"last_checked,omitzero"`
	ConsecutiveFailures int       `json:"consecutive_failures" list:"Failures"`
	LastError           string    `json:"last_error,omitempty" list:"Last error"`
	NextFetchAt         time.Time `json:"next_fetch_at,omitzero"`
}

// ArticleFilter narrows the admin article list.
type ArticleFilter struct {
	Category string
	Hidden   *bool
}

// Page is one page of a newest-first list.
type Page struct {
	Items      []Article
	NextCursor string
}

// Store keeps sources and articles. Implementations: DynamoStore.
type Store interface {
	// PutArticle stores a new article; ErrExists when its id is already stored.
	PutArticle(ctx context.Context, a Article) error
	GetArticle(ctx context.Context, id string) (Article, error)
	// ListArticles returns visible articles newest first; category "" lists
	// every category. The cursor is the previous page's NextCursor.
	ListArticles(ctx context.Context, category string, limit int, cursor string) (Page, error)
	// RecentArticles returns articles ingested at or after since (for story
	// clustering and event recovery), oldest first.
	RecentArticles(ctx context.Context, since time.Time) ([]Article, error)
	// AdminArticles lists every article, hidden ones included, newest
	// ingested first, optionally of one category or hidden state.
	AdminArticles(ctx context.Context, f ArticleFilter, limit int, cursor string) (Page, error)
	// Moderate sets an article's hidden and pinned flags and its ModeratedAt;
	// ErrNotFound if there is no such article. It returns the stored article.
	// Moderate returns the article before and after.
	Moderate(ctx context.Context, id string, hidden, pinned bool, at time.Time) (before, after Article, err error)

	PutSource(ctx context.Context, s Source) error              // create; ErrExists if the id is taken
	UpdateSource(ctx context.Context, s Source) (Source, error) // replace the editable fields; ErrNotFound
	DeleteSource(ctx context.Context, id string) error          // ErrNotFound
	GetSource(ctx context.Context, id string) (Source, error)
	ListSources(ctx context.Context) ([]Source, error)
	// RecordFetch stores a source's fetch state; a source deleted meanwhile is
	// left deleted.
	RecordFetch(ctx context.Context, id string, st FetchState) error

	// Checkpoint is the ingestion time through which every article's event is
	// known to be published; AdvanceCheckpoint never moves it back.
	Checkpoint(ctx context.Context) (time.Time, error)
	AdvanceCheckpoint(ctx context.Context, t time.Time) error
}

// Store errors.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Package article is the articles domain: news sources, the articles ingested
// from them, the rules that turn a feed item into an article (canonical URL,
// sanitized text, clamped dates, story clusters), and the ingestion batch that
// fetches every due source safely.
package article

import (
	"time"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
	"github.com/kiosk-news/kiosk/shared/kiosk"
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
	// Lead marks the version an editor chose to lead its story.
	Lead bool `json:"-"`
	// StoryByEditor says an editor put the article in Story (split it out or
	// merged it); false: Story is as ingestion clustered it.
	StoryByEditor bool `json:"-"`
	// ModeratedAt is when an editor last changed its editorial state: hid,
	// showed, pinned, unpinned, made it lead or moved it to another story.
	ModeratedAt time.Time `json:"-"`
	// Fingerprint is the title's token signature (see Fingerprint); items
	// stored before it held a SimHash. The story decision recomputes it from
	// the title, so both compare the same.
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
	// Refetches counts the refetches asked for (MakeSourceDue): a run
	// records its fetch only if it is what the run read, so a refetch asked
	// for while it fetched stands even on a source already due.
	Refetches int `json:"-"`
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

// Bounds on what a source's fetch state keeps from a response, so that no
// header can grow the source's item towards DynamoDB's 400 KB item limit.
// RFC 9110 bounds no validator, but real ETags and Last-Modified dates are
// under 100 bytes: a longer one is not kept (the next fetch is
// unconditional, which costs a full download, never an article). The
// error text is cut.
const (
	MaxValidator = 1024
	MaxLastError = 300
)

// bounded is the fetch state as a store keeps it (MaxValidator,
// MaxLastError).
func (st FetchState) bounded() FetchState {
	if len(st.ETag) > MaxValidator {
		st.ETag = ""
	}
	if len(st.LastModified) > MaxValidator {
		st.LastModified = ""
	}
	st.LastError = kiosk.Truncate(st.LastError, MaxLastError)
	return st
}

// ArticleFilter narrows the admin article list.
type ArticleFilter struct {
	Category string
	Hidden   *bool
}

// MaxVersions bounds a story's versions as editors see and change them: a
// story is a handful of sources' takes on one event, and an item never
// grows with it (each version is its own article).
const MaxVersions = 50

// Version is one article as a version of its story, for editors.
type Version struct {
	ID            string    `json:"id"`
	Story         string    `json:"story"`
	SourceID      string    `json:"source_id"`
	Title         string    `json:"title"`
	URL           string    `json:"url"`
	PublishedAt   time.Time `json:"published_at"`
	Hidden        bool      `json:"hidden"`
	Pinned        bool      `json:"pinned"`
	Lead          bool      `json:"lead"`
	StoryByEditor bool      `json:"story_by_editor"`
	ModeratedAt   time.Time `json:"moderated_at,omitzero"`
}

// VersionOf is an article as a version of its story.
func VersionOf(a Article) Version {
	return Version{ID: a.ID, Story: a.Story, SourceID: a.SourceID, Title: a.Title, URL: a.URL, PublishedAt: a.PublishedAt,
		Hidden: a.Hidden, Pinned: a.Pinned, Lead: a.Lead, StoryByEditor: a.StoryByEditor, ModeratedAt: a.ModeratedAt}
}

// Story is a story as editors see it: every version, oldest published
// first; More when it has more than MaxVersions (the rest are not shown).
type Story struct {
	ID       string    `json:"id"`
	Versions []Version `json:"versions"`
	More     bool      `json:"more"`
}

// Page is one page of a newest-first list.
type Page struct {
	Items      []Article
	NextCursor string
}

// Caps on stored text.
const (
	MaxTitle   = feeddoc.MaxTitle
	MaxSummary = feeddoc.MaxSummary
	MaxURL     = feeddoc.MaxURL
)

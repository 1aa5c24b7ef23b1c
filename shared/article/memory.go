package article

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore is a Store in memory, for tests of the domain's rules: it
// keeps what the DynamoDB adapter keeps (times in UTC, a source's fetch state
// apart from its editable fields), refuses what its conditional writes refuse
// and lists in the same order with the same positions, and passes the same
// store suite.
type MemoryStore struct {
	mu         sync.Mutex
	articles   map[string]Article
	sources    map[string]Source
	subs       map[string]Subscription
	postings   map[uint64][]string // title token → ids
	checkpoint time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{articles: map[string]Article{}, sources: map[string]Source{}, subs: map[string]Subscription{},
		postings: map[uint64][]string{}}
}

func utcArticle(a Article) Article {
	a.PublishedAt, a.IngestedAt, a.ModeratedAt = a.PublishedAt.UTC(), a.IngestedAt.UTC(), a.ModeratedAt.UTC()
	return a
}

// PutArticle stores a new article once.
func (m *MemoryStore) PutArticle(_ context.Context, a Article) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.articles[a.ID]; ok {
		return exists("article %s already exists", a.ID)
	}
	m.articles[a.ID] = utcArticle(a)
	for _, t := range Tokens(a.Title) {
		m.postings[t] = append(m.postings[t], a.ID)
	}
	return nil
}

// GetArticles reads the stored articles among ids.
func (m *MemoryStore) GetArticles(_ context.Context, ids []string) ([]Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Article
	seen := map[string]bool{}
	for _, id := range ids {
		if a, ok := m.articles[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// Postings lists the token's postings ingested since, newest first.
func (m *MemoryStore) Postings(_ context.Context, token uint64, since time.Time, limit int) ([]Posting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var as []Article
	for _, id := range m.postings[token] {
		if a := m.articles[id]; !a.IngestedAt.Before(since) {
			as = append(as, a)
		}
	}
	slices.SortFunc(as, func(x, y Article) int { return strings.Compare(ingestKey(y), ingestKey(x)) })
	out := []Posting{}
	for _, a := range as[:min(len(as), limit)] {
		out = append(out, Posting{ID: a.ID, Title: a.Title, PublishedAt: a.PublishedAt, IngestedAt: a.IngestedAt})
	}
	return out, nil
}

// IndexPostings has nothing to do: the memory store posts every article it
// stores.
func (m *MemoryStore) IndexPostings(context.Context, time.Time) (int, error) { return 0, nil }

// GetArticle reads an article.
func (m *MemoryStore) GetArticle(_ context.Context, id string) (Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.articles[id]
	if !ok {
		return Article{}, notFound("no article %s", id)
	}
	return a, nil
}

// sorted returns the articles that pass keep, by key, newest (largest) first,
// after the position after ("" for the first page), at most limit of them and
// the position of the last when more follow.
func (m *MemoryStore) sorted(key func(Article) string, keep func(Article) bool, limit int, after string) Page {
	var all []Article
	for _, a := range m.articles {
		if keep(a) && (after == "" || key(a) < after) {
			all = append(all, a)
		}
	}
	slices.SortFunc(all, func(x, y Article) int { return strings.Compare(key(y), key(x)) })
	p := Page{Items: []Article{}}
	if len(all) > limit {
		all = all[:limit]
		p.NextCursor = key(all[limit-1])
	}
	p.Items = append(p.Items, all...)
	return p
}

// ListArticles lists visible articles newest published first.
func (m *MemoryStore) ListArticles(_ context.Context, category string, limit int, after string) (Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sorted(listKey, func(a Article) bool { return !a.Hidden && (category == "" || a.Category == category) }, limit, after), nil
}

func ingestKey(a Article) string { return position(a.IngestedAt, a.ID) }

// RecentArticles returns the articles ingested at or after since, oldest first.
func (m *MemoryStore) RecentArticles(_ context.Context, since time.Time) ([]Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Article
	for _, a := range m.articles {
		if !a.IngestedAt.Before(since) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Article) int { return strings.Compare(ingestKey(x), ingestKey(y)) })
	return out, nil
}

// AdminArticles lists every article newest ingested first, filtered.
func (m *MemoryStore) AdminArticles(_ context.Context, f ArticleFilter, limit int, after string) (Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := func(a Article) bool {
		return (f.Category == "" || a.Category == f.Category) && (f.Hidden == nil || a.Hidden == *f.Hidden)
	}
	return m.sorted(ingestKey, keep, limit, after), nil
}

// SaveEditorial stores the editorial fields if the stored ModeratedAt is
// still was: the conditional write the DynamoDB store makes.
func (m *MemoryStore) SaveEditorial(_ context.Context, a Article, was time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.articles[a.ID]
	if !ok {
		return notFound("no article %s", a.ID)
	}
	if !cur.ModeratedAt.Equal(was) {
		return conflict("article %s was moderated concurrently; try again", a.ID)
	}
	cur.Hidden, cur.Pinned, cur.Lead, cur.Story, cur.StoryByEditor = a.Hidden, a.Pinned, a.Lead, a.Story, a.StoryByEditor
	cur.ModeratedAt = a.ModeratedAt.UTC()
	m.articles[a.ID] = cur
	return nil
}

// StoryArticles lists a story's articles oldest published first.
func (m *MemoryStore) StoryArticles(_ context.Context, story string, limit int) ([]Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Article{}
	for _, a := range m.articles {
		if a.Story == story {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Article) int { return strings.Compare(listKey(x), listKey(y)) })
	return out[:min(len(out), limit)], nil
}

// PutSource creates a source (its editable fields and times; no fetch state).
func (m *MemoryStore) PutSource(_ context.Context, s Source) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sources[s.ID]; ok {
		return exists("source %s already exists", s.ID)
	}
	m.sources[s.ID] = Source{ID: s.ID, URL: s.URL, Name: s.Name, Category: s.Category, Weight: s.Weight,
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
	return nil
}

// UpdateSource replaces the editable fields; a new URL forgets the old one's
// validators and backoff.
func (m *MemoryStore) UpdateSource(_ context.Context, s Source) (Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.sources[s.ID]
	if !ok {
		return Source{}, notFound("no source %s", s.ID)
	}
	if old.URL != s.URL {
		old.ETag, old.LastModified, old.NextFetchAt, old.ConsecutiveFailures = "", "", time.Time{}, 0
	}
	old.URL, old.Name, old.Category, old.Weight, old.UpdatedAt = s.URL, s.Name, s.Category, s.Weight, s.UpdatedAt.UTC()
	m.sources[s.ID] = old
	return old, nil
}

// DeleteSource removes a source.
func (m *MemoryStore) DeleteSource(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sources[id]; !ok {
		return notFound("no source %s", id)
	}
	delete(m.sources, id)
	return nil
}

// GetSource reads one source.
func (m *MemoryStore) GetSource(_ context.Context, id string) (Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sources[id]
	if !ok {
		return Source{}, notFound("no source %s", id)
	}
	return s, nil
}

// ListSources lists every source by id.
func (m *MemoryStore) ListSources(_ context.Context) ([]Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Source, 0, len(m.sources))
	for _, s := range m.sources {
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y Source) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// RecordFetch updates only the fetch state, as the DynamoDB update does: empty
// validators and error are removed, validators over MaxValidator are not
// kept, the error is cut to MaxLastError, zero success and next-fetch times
// are left as they were; a source deleted, re-pointed or made due since was
// was read is left as it is (ErrSuperseded).
func (m *MemoryStore) RecordFetch(_ context.Context, was Source, st FetchState) error {
	st = st.bounded()
	m.mu.Lock()
	defer m.mu.Unlock()
	id := was.ID
	s, ok := m.sources[id]
	if !ok || s.URL != was.URL || !s.NextFetchAt.Equal(was.NextFetchAt) || s.Refetches != was.Refetches {
		return ErrSuperseded
	}
	s.ConsecutiveFailures, s.LastChecked = st.ConsecutiveFailures, st.LastChecked.UTC()
	s.ETag, s.LastModified, s.LastError = st.ETag, st.LastModified, st.LastError
	if !st.LastSuccess.IsZero() {
		s.LastSuccess = st.LastSuccess.UTC()
	}
	if !st.NextFetchAt.IsZero() {
		s.NextFetchAt = st.NextFetchAt.UTC()
	}
	m.sources[id] = s
	return nil
}

// MakeSourceDue forgets a failing source's next fetch, keeps the rest of
// its fetch state and returns the source as it was.
func (m *MemoryStore) MakeSourceDue(_ context.Context, id string) (Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sources[id]
	if !ok {
		return Source{}, notFound("no source %s", id)
	}
	if s.ConsecutiveFailures == 0 {
		return Source{}, notFailing()
	}
	due := s
	due.NextFetchAt, due.Refetches = time.Time{}, s.Refetches+1
	m.sources[id] = due
	return s, nil
}

// Checkpoint reads the ingestion checkpoint; zero when none.
func (m *MemoryStore) Checkpoint(context.Context) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.checkpoint, nil
}

// AdvanceCheckpoint moves the checkpoint forward only.
func (m *MemoryStore) AdvanceCheckpoint(_ context.Context, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.After(m.checkpoint) {
		m.checkpoint = time.Unix(0, t.UnixNano()).UTC()
	}
	return nil
}

// DueSources lists the sources due at now, soonest first (then by id).
func (m *MemoryStore) DueSources(_ context.Context, now time.Time, limit int) ([]Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Source
	for _, s := range m.sources {
		if !s.NextFetchAt.After(now) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y Source) int {
		return strings.Compare(dueKey(x.NextFetchAt, x.ID), dueKey(y.NextFetchAt, y.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// PutSubscription stores a subscription.
func (m *MemoryStore) PutSubscription(_ context.Context, x Subscription) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	x.RequestedAt, x.LeaseUntil, x.NextCheck, x.UpdatedAt = x.RequestedAt.UTC(), x.LeaseUntil.UTC(), x.NextCheck.UTC(), x.UpdatedAt.UTC()
	m.subs[x.ID] = x
	return nil
}

// GetSubscription reads one subscription.
func (m *MemoryStore) GetSubscription(_ context.Context, id string) (Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, ok := m.subs[id]
	if !ok {
		return Subscription{}, notFound("no subscription %s", id)
	}
	return x, nil
}

// DeleteSubscription removes a subscription.
func (m *MemoryStore) DeleteSubscription(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, id)
	return nil
}

// SourceSubscriptions lists a source's subscriptions by id.
func (m *MemoryStore) SourceSubscriptions(_ context.Context, sourceID string) ([]Subscription, error) {
	return m.subscriptions(func(x Subscription) bool { return x.SourceID == sourceID }, func(x Subscription) string { return x.ID }, -1), nil
}

// DueSubscriptions lists the subscriptions due at now, soonest first.
func (m *MemoryStore) DueSubscriptions(_ context.Context, now time.Time, limit int) ([]Subscription, error) {
	return m.subscriptions(func(x Subscription) bool { return !x.NextCheck.After(now) },
		func(x Subscription) string { return dueKey(x.NextCheck, x.ID) }, limit), nil
}

func (m *MemoryStore) subscriptions(keep func(Subscription) bool, key func(Subscription) string, limit int) []Subscription {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Subscription
	for _, x := range m.subs {
		if keep(x) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(x, y Subscription) int { return strings.Compare(key(x), key(y)) })
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// IndexDueSources has nothing to do: the memory store lists due sources
// from the sources themselves.
func (m *MemoryStore) IndexDueSources(context.Context) (int, error) { return 0, nil }

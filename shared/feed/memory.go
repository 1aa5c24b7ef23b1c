package feed

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// MemoryStore is the feed Store in memory, for the service's tests: the same
// conditional writes, orders, limits and expiry on read as DynamoStore
// (store_suite_test.go runs the same assertions against both).
type MemoryStore struct {
	mu       sync.Mutex
	articles map[string]*memArticle
	stats    map[string]map[string]memStats // day → shard#part
	pending  time.Time
	touched  map[string]bool
	lastRun  string
	rankCats []string
	chunks   map[string]map[string]memChunk // category → head or run#index
	profiles map[string]Profile
	reads    map[string]map[string]memRead   // user → sort key
	inbox    map[string]map[string]memNotice // user → entry id (a read mark when Title is "")
	copies   map[string]Profile              // user → the interests copy the inbox reads
	trending map[string]memNotice            // id#category → a trending entry
	// trendHours: story → the hour it first trended
	trendHours map[string]string
}

var _ Store = (*MemoryStore)(nil)

type memArticle struct {
	Article
	placed      bool
	moderatedAt time.Time
	storyEdit   string // an editor's story for the article ("": as placed)
	expires     time.Time
}

// view is the article as the feeds see it: in the story an editor put it in.
func (a *memArticle) view() Article {
	out := a.Article
	if a.storyEdit != "" {
		out.Story = a.storyEdit
	}
	out.LeadAt = leadAt(out.Lead, a.moderatedAt)
	out.ModeratedAt = a.moderatedAt
	return out
}

type memStats struct {
	DayStats
	expires time.Time
}

type memChunk struct {
	Chunk
	expires time.Time // zero: a head, which does not expire
}

type memRead struct {
	id      string
	expires time.Time
}

type memNotice struct {
	Notification
	expires time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{articles: map[string]*memArticle{}, stats: map[string]map[string]memStats{},
		chunks: map[string]map[string]memChunk{}, profiles: map[string]Profile{}, reads: map[string]map[string]memRead{},
		inbox: map[string]map[string]memNotice{}, copies: map[string]Profile{}, trending: map[string]memNotice{}}
}

func (m *MemoryStore) article(id string) *memArticle {
	a, ok := m.articles[id]
	if !ok {
		a = &memArticle{Article: Article{ID: id}}
		m.articles[id] = a
	}
	return a
}

// PlaceArticle implements Store.
func (m *MemoryStore) PlaceArticle(_ context.Context, a Article, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.article(a.ID)
	isNew := it.Title == ""
	it.URL, it.Title, it.SourceID, it.Category, it.Story = a.URL, a.Title, a.SourceID, a.Category, a.Story
	it.PublishedAt = a.PublishedAt.UTC()
	if a.ImageURL != "" {
		it.ImageURL = a.ImageURL
	}
	if a.SourceWeight > 0 {
		it.SourceWeight = a.SourceWeight
	}
	it.placed, it.expires = true, expires
	return isNew, nil
}

// Moderate implements Store.
func (m *MemoryStore) Moderate(_ context.Context, mod Moderation, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.article(mod.ID)
	if !it.moderatedAt.IsZero() && !it.moderatedAt.Before(mod.At) {
		return false, nil
	}
	if it.expires.IsZero() {
		it.expires = expires
	}
	it.Hidden, it.Pinned, it.Lead, it.storyEdit, it.moderatedAt = mod.Hidden, mod.Pinned, mod.Lead, mod.Story, mod.At
	return true, nil
}

// MarkTrending implements Store.
func (m *MemoryStore) MarkTrending(_ context.Context, id string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.article(id)
	if it.Trending {
		return false, nil
	}
	if it.expires.IsZero() {
		it.expires = expires
	}
	it.Trending = true
	return true, nil
}

// GetArticle implements Store: an article past its expiry is gone.
func (m *MemoryStore) GetArticle(_ context.Context, id string, now time.Time) (Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.articles[id]
	if !ok || it.Title == "" || !it.expires.IsZero() && it.expires.Unix() <= now.Unix() {
		return Article{}, ErrArticleNotFound
	}
	return it.view(), nil
}

// RecentArticles implements Store.
func (m *MemoryStore) RecentArticles(_ context.Context, since time.Time) ([]Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := func(a Article) string { return a.PublishedAt.UTC().Format(sortTime) + "#" + a.ID }
	from := since.UTC().Format(sortTime)
	var out []Article
	for _, it := range m.articles {
		if it.placed && key(it.Article) >= from {
			out = append(out, it.view())
		}
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) > key(out[j]) })
	return out, nil
}

func statsSK(shard, part int) string { return fmt.Sprintf("%02d#%03d", shard, part) }

// PutStats implements Store.
func (m *MemoryStore) PutStats(_ context.Context, d DayStats, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	day := m.stats[d.Day]
	if day == nil {
		day = map[string]memStats{}
		m.stats[d.Day] = day
	}
	sk := statsSK(d.Shard, d.Part)
	if old, ok := day[sk]; ok && old.ComputedAt.After(d.ComputedAt) {
		return nil
	}
	d.Articles = cloneStats(d.Articles)
	d.ComputedAt = d.ComputedAt.UTC()
	d.Parts = 0 // not kept
	day[sk] = memStats{DayStats: d, expires: expires}
	return nil
}

func cloneStats(in map[string]Stats) map[string]Stats {
	out := make(map[string]Stats, len(in))
	for k, v := range in {
		out[k] = Stats{Impressions: v.Impressions, Clicks: v.Clicks}
	}
	return out
}

// DayStats implements Store.
func (m *MemoryStore) DayStats(_ context.Context, days []string) ([]DayStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []DayStats
	for _, day := range days {
		items := m.stats[day]
		for _, sk := range slices.Sorted(maps.Keys(items)) {
			d := items[sk].DayStats
			d.Articles = cloneStats(d.Articles)
			out = append(out, d)
		}
	}
	return out, nil
}

// RequestRank implements Store.
func (m *MemoryStore) RequestRank(_ context.Context, now, staleBefore time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.pending.IsZero() && !m.pending.Before(staleBefore) {
		return false, nil
	}
	m.pending = now.UTC()
	return true, nil
}

// CancelRankRequest implements Store.
func (m *MemoryStore) CancelRankRequest(_ context.Context, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending.Equal(at) {
		m.pending = time.Time{}
	}
	return nil
}

// Touch implements Store.
func (m *MemoryStore) Touch(_ context.Context, ids []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.touched == nil {
		m.touched = map[string]bool{}
	}
	for _, id := range ids {
		m.touched[id] = true
	}
	return nil
}

// BeginRank implements Store.
func (m *MemoryStore) BeginRank(context.Context) ([]string, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = time.Time{}
	var touched []string
	if len(m.touched) > 0 {
		touched = slices.Sorted(maps.Keys(m.touched))
	}
	m.touched = nil
	return slices.Clone(m.rankCats), touched, nil
}

// Articles implements Store.
func (m *MemoryStore) Articles(_ context.Context, ids []string, now time.Time) ([]Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Article
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		it, ok := m.articles[id]
		if ok && it.Title != "" && (it.expires.IsZero() || it.expires.Unix() > now.Unix()) {
			out = append(out, it.view())
		}
	}
	return out, nil
}

// EndRank implements Store.
func (m *MemoryStore) EndRank(_ context.Context, run string, categories []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastRun, m.rankCats = run, slices.Clone(categories)
	return nil
}

// PutChunks implements Store.
func (m *MemoryStore) PutChunks(_ context.Context, feeds map[string][]Chunk, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for cat, chunks := range feeds {
		if m.chunks[cat] == nil {
			m.chunks[cat] = map[string]memChunk{}
		}
		for _, c := range chunks {
			c.Items = slices.Clone(c.Items)
			m.chunks[cat][chunkSK(c.Run, c.Index)] = memChunk{Chunk: c, expires: expires}
			if head, ok := m.chunks[cat]["head"]; c.Index == 0 && (!ok || head.Run <= c.Run) {
				m.chunks[cat]["head"] = memChunk{Chunk: c}
			}
		}
	}
	return nil
}

func (m *MemoryStore) chunk(ref ChunkRef, now time.Time) (Chunk, bool) {
	sk := "head"
	if ref.Run != "" {
		sk = chunkSK(ref.Run, ref.Index)
	}
	c, ok := m.chunks[ref.Category][sk]
	if !ok || (!c.expires.IsZero() && c.expires.Unix() <= now.Unix()) {
		return Chunk{}, false
	}
	out := c.Chunk
	out.Items = slices.Clone(out.Items)
	return out, true
}

// Chunk implements Store.
func (m *MemoryStore) Chunk(_ context.Context, ref ChunkRef, now time.Time) (Chunk, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.chunk(ref, now)
	if !ok {
		return Chunk{}, ErrPageNotFound
	}
	return c, nil
}

// Chunks implements Store.
func (m *MemoryStore) Chunks(_ context.Context, refs []ChunkRef, now time.Time) (map[string]Chunk, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Chunk{}
	for _, r := range refs {
		if c, ok := m.chunk(r, now); ok {
			out[r.Category] = c
		}
	}
	return out, nil
}

func cloneProfile(p Profile) Profile {
	p.Interests = slices.Clone(p.Interests)
	p.Learned = maps.Clone(p.Learned)
	return p
}

// Profile implements Store: like the DynamoDB Query, it reads the profile
// and the maxReads newest reads, then leaves the expired ones out.
func (m *MemoryStore) Profile(_ context.Context, userID string, maxReads int, now time.Time) (Profile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := Profile{UserID: userID, Read: map[string]bool{}}
	budget := maxReads + 1
	if stored, ok := m.profiles[userID]; ok {
		c := cloneProfile(stored)
		p.Interests, p.Learned, p.At = c.Interests, c.Learned, c.At
		budget--
	}
	reads := m.reads[userID]
	for _, sk := range slices.Sorted(maps.Keys(reads))[:min(budget, len(reads))] {
		if r := reads[sk]; r.expires.Unix() > now.Unix() {
			p.Read[r.id] = true
		}
	}
	return p, nil
}

// SetProfile implements Store.
func (m *MemoryStore) SetProfile(_ context.Context, p Profile) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keepProfile(m.profiles, p)
	m.keepProfile(m.copies, p)
	return nil
}

// CopyInterests implements Store.
func (m *MemoryStore) CopyInterests(_ context.Context, p Profile) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.keepProfile(m.copies, p), nil
}

// keepProfile stores p in kept unless a later change is there; a stored
// zero At (none known) gives way to anything, as the DynamoDB item without
// its at does.
func (m *MemoryStore) keepProfile(kept map[string]Profile, p Profile) bool {
	p = cloneProfile(p)
	if p.Interests == nil {
		p.Interests = []string{}
	}
	p.At, p.Read = p.At.UTC(), nil
	if old, ok := kept[p.UserID]; ok && !old.At.IsZero() && old.At.After(p.At) {
		return false
	}
	kept[p.UserID] = p
	return true
}

// AddRead implements Store.
func (m *MemoryStore) AddRead(_ context.Context, userID string, ids []string, at, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reads[userID] == nil {
		m.reads[userID] = map[string]memRead{}
	}
	for _, id := range ids {
		m.reads[userID][readSK(at, id)] = memRead{id: id, expires: expires}
	}
	return nil
}

// TrendHour implements Store.
func (m *MemoryStore) TrendHour(_ context.Context, story, hour string, _ time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.trendHours == nil {
		m.trendHours = map[string]string{}
	}
	if h, ok := m.trendHours[story]; ok {
		return h, nil
	}
	m.trendHours[story] = hour
	return hour, nil
}

// PutTrending implements Store.
func (m *MemoryStore) PutTrending(_ context.Context, n Notification, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := n.ID + "#" + n.Category
	if _, ok := m.trending[key]; ok {
		return false, nil
	}
	n.CreatedAt, n.Reason, n.Read, n.Hidden = n.CreatedAt.UTC(), "", false, false
	m.trending[key] = memNotice{Notification: n, expires: expires}
	return true, nil
}

// ModerateTrending implements Store.
func (m *MemoryStore) ModerateTrending(_ context.Context, n Notification) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := n.ID + "#" + n.Category
	it, ok := m.trending[key]
	if !ok || !it.ModeratedAt.IsZero() && !it.ModeratedAt.Before(n.ModeratedAt) {
		return false, nil
	}
	it.Hidden, it.ModeratedAt = n.Hidden, n.ModeratedAt.UTC()
	if n.Story != "" {
		it.Story = n.Story
	}
	m.trending[key] = it
	return true, nil
}

// Trending implements Store: newest id first, as the partition sorts.
func (m *MemoryStore) Trending(_ context.Context, since string, now time.Time) ([]Notification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := slices.Sorted(maps.Keys(m.trending))
	slices.Reverse(keys)
	out := []Notification{}
	for _, k := range keys {
		if n := m.trending[k]; k >= since && n.expires.Unix() > now.Unix() {
			out = append(out, n.Notification)
		}
	}
	return out, nil
}

// putEntry writes an entry for a user alone, as the inbox was written before
// it was computed on read (the tests' way to hold such entries).
func (m *MemoryStore) putEntry(userID string, n Notification, expires time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inbox[userID] == nil {
		m.inbox[userID] = map[string]memNotice{}
	}
	m.inbox[userID][n.ID] = memNotice{Notification: n, expires: expires}
}

// Inbox implements Store.
func (m *MemoryStore) Inbox(_ context.Context, userID, since string, now time.Time) (InboxState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := InboxState{Profile: Profile{UserID: userID}, Read: map[string]bool{}}
	if p, ok := m.copies[userID]; ok {
		c := cloneProfile(p)
		st.Profile.Interests, st.Profile.Learned, st.Profile.At, st.Interested = c.Interests, c.Learned, c.At, true
	}
	for _, id := range slices.Sorted(maps.Keys(m.inbox[userID])) {
		n := m.inbox[userID][id]
		switch {
		case id < since || n.expires.Unix() <= now.Unix():
		case n.Title != "":
			st.Entries = append(st.Entries, n.Notification)
		case n.Read:
			st.Read[id] = true
		}
	}
	return st, nil
}

// MarkRead implements Store.
func (m *MemoryStore) MarkRead(_ context.Context, userID, id string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inbox[userID] == nil {
		m.inbox[userID] = map[string]memNotice{}
	}
	n, ok := m.inbox[userID][id]
	if !ok {
		n = memNotice{Notification: Notification{ID: id}, expires: expires}
	}
	if n.Read {
		return false, nil
	}
	n.Read = true
	m.inbox[userID][id] = n
	return true, nil
}

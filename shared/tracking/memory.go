package tracking

import (
	"context"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"
)

// MemoryStore is an in-memory Store for the service's tests: the DynamoDB
// adapter's behaviour without DynamoDB — conditional puts and deletes, the
// by-hour index's order (by key), an event or mark whose time to live has
// passed is invisible, and a partial is replaced whole.
type MemoryStore struct {
	mu       sync.Mutex
	events   map[string]Stored   // "ev#<user>#<id>", as the table's key
	byHour   map[string][]string // hourKey → its events' keys, as the by-hour index
	articles map[string]Article
	partials map[string]Partial // partialKey
	rosters  map[string]Roster  // rosterKey
	marks    map[string]Mark    // markKey
	trending map[string]time.Time
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{events: map[string]Stored{}, byHour: map[string][]string{}, articles: map[string]Article{}, partials: map[string]Partial{},
		rosters: map[string]Roster{}, marks: map[string]Mark{}, trending: map[string]time.Time{}}
}

var _ Store = (*MemoryStore)(nil)

// PutEvent stores an event unless its user stored its id before, in another
// attempt (the same attempt again is a retry of the same write).
func (m *MemoryStore) PutEvent(_ context.Context, e Stored) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := "ev#" + e.UserID + "#" + e.ID
	if old, ok := m.events[key]; ok && (e.Attempt == "" || old.Attempt != e.Attempt) {
		return ErrDuplicate
	}
	e.At, e.ReceivedAt = e.At.UTC(), e.ReceivedAt.UTC()
	if e.DwellMS != nil {
		d := *e.DwellMS
		e.DwellMS = &d
	}
	if _, ok := m.events[key]; !ok {
		hk := hourKey(e.At, ShardOf(e.UserID))
		m.byHour[hk] = append(m.byHour[hk], key)
	}
	m.events[key] = e
	return nil
}

// EventsOf lists one hour and shard's events in key order; an event past its
// time to live (its ReceivedAt plus Retention, in whole seconds as the table
// keeps it) is gone.
func (m *MemoryStore) EventsOf(_ context.Context, hour time.Time, shard int, now time.Time) ([]Stored, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for _, k := range m.byHour[hourKey(hour, shard)] {
		if m.events[k].ReceivedAt.Add(Retention).Unix() >= now.Unix() {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]Stored, len(keys))
	for i, k := range keys {
		out[i] = m.events[k]
	}
	return out, nil
}

// PutArticle records an article; idempotent.
func (m *MemoryStore) PutArticle(_ context.Context, a Article) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.articles[a.ID] = a
	return nil
}

// Articles reads the catalogue entries of ids; unknown ids are left out.
func (m *MemoryStore) Articles(_ context.Context, ids []string) (map[string]Article, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Article{}
	for _, id := range ids {
		if a, ok := m.articles[id]; ok {
			out[id] = a
		}
	}
	return out, nil
}

// PutPartial replaces one shard's partial of a period unless one computed
// by a later-started recomputation is stored.
func (m *MemoryStore) PutPartial(_ context.Context, p Partial) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := partialKey(p.Granularity, p.Period, p.Shard)
	p.ComputedAt = time.Unix(0, p.ComputedAt.UnixNano()).UTC() // as precise as the table keeps it
	if old, ok := m.partials[key]; ok && old.ComputedAt.After(p.ComputedAt) {
		return false, nil
	}
	p.Slices = maps.Clone(p.Slices)
	m.partials[key] = p
	return true, nil
}

// Partials reads every shard's partial of the periods, the article slices
// only when asked for.
func (m *MemoryStore) Partials(_ context.Context, granularity string, periods []string, articles bool) ([]Partial, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Partial
	for _, period := range periods {
		for shard := range Shards {
			p, ok := m.partials[partialKey(granularity, period, shard)]
			if !ok {
				continue
			}
			p.Slices = maps.Clone(p.Slices)
			if !articles {
				maps.DeleteFunc(p.Slices, func(k string, _ Counts) bool { return strings.HasPrefix(k, "article:") })
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// PutRoster replaces a roster unless one started later is stored.
func (m *MemoryStore) PutRoster(_ context.Context, r Roster) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := rosterKey(r.Granularity, r.Period, r.Shard)
	r.Started = time.Unix(0, r.Started.UnixNano()).UTC() // as precise as the table keeps it
	if old, ok := m.rosters[key]; ok && old.Started.After(r.Started) {
		return false, nil
	}
	r.Users = copyUsers(r.Users)
	m.rosters[key] = r
	return true, nil
}

// Rosters reads one shard's rosters of the periods; an expired one is gone.
func (m *MemoryStore) Rosters(_ context.Context, granularity string, periods []string, shard int, now time.Time) (map[string]Roster, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Roster{}
	for _, period := range periods {
		r, ok := m.rosters[rosterKey(granularity, period, shard)]
		start, err := periodStart(granularity, period)
		if !ok || err != nil || rosterExpires(start).Unix() < now.Unix() {
			continue
		}
		r.Users = copyUsers(r.Users)
		out[period] = r
	}
	return out, nil
}

// Mark sets (or sets again) the mark of an hour and shard.
func (m *MemoryStore) Mark(_ context.Context, mk Mark) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mk.Hour = mk.Hour.UTC().Truncate(time.Hour)
	mk.SetAt = time.Unix(0, mk.SetAt.UnixNano()).UTC() // as precise as the table keeps it
	m.marks[markKey(mk.Hour, mk.Shard)] = mk
	return nil
}

// Marks lists one shard's marks in hour order; a mark past its time to live
// (its hour plus Retention) is gone.
func (m *MemoryStore) Marks(_ context.Context, shard int, now time.Time) ([]Mark, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k, mk := range m.marks {
		if mk.Shard == shard && !mk.Hour.Add(Retention).Before(now.Truncate(time.Second)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]Mark, len(keys))
	for i, k := range keys {
		out[i] = m.marks[k]
	}
	return out, nil
}

// ClearMark deletes the mark unless it was set again since mk was read.
func (m *MemoryStore) ClearMark(_ context.Context, mk Mark) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := markKey(mk.Hour.UTC(), mk.Shard)
	cur, ok := m.marks[key]
	if !ok || cur.SetAt.UnixNano() != mk.SetAt.UnixNano() {
		return false, nil
	}
	delete(m.marks, key)
	return true, nil
}

// MarkTrending records the article once.
func (m *MemoryStore) MarkTrending(_ context.Context, articleID string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.trending[articleID]; ok {
		return false, nil
	}
	m.trending[articleID] = at.UTC()
	return true, nil
}

// IsTrending reports whether the article was marked.
func (m *MemoryStore) IsTrending(_ context.Context, articleID string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.trending[articleID]
	return ok, nil
}

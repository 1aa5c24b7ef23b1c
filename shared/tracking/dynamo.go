package tracking

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoStore keeps the tracking domain in its table: events (pk
// ev#<user>#<id>, spread by user and id; the by-hour index groups them by
// hour and user shard), the article catalogue (art#<id>), KPI partials
// (kpi#<granularity>#<period>#<shard>, article chunks #a<n>), marks of hours
// to recompute (mark#<hour>#<shard>; the by-hour index lists them by shard
// under mark#<shard>) and trending marks (trend#<id>). No item's size
// depends on what a client sends.
type DynamoStore struct{ table dynamo.Table }

// NewDynamoStore returns a store over the events table.
func NewDynamoStore(t dynamo.Table) *DynamoStore { return &DynamoStore{table: t} }

// IndexByHour is the index of events by hour and shard, as declared.
const IndexByHour = "by-hour"

type eventItem struct {
	PK         string    `dynamo:"pk,hash"`
	HK         string    `dynamo:"hk"`
	UserID     string    `dynamo:"user_id"`
	ID         string    `dynamo:"id"`
	Type       string    `dynamo:"type"`
	ArticleID  string    `dynamo:"article_id"`
	At         time.Time `dynamo:"at"`
	DwellMS    *int64    `dynamo:"dwell_ms,omitempty"`
	ReceivedAt time.Time `dynamo:"received_at"`
	Variants   []string  `dynamo:"variants,omitempty"`
	ExpiresAt  int64     `dynamo:"expires_at"`
	Attempt    string    `dynamo:"attempt,omitempty"`
}

func hourKey(hour time.Time, shard int) string {
	return hour.UTC().Format(hourLayout) + "#" + strconv.Itoa(shard)
}

// PutEvent is one conditional put per event: stored unless the key exists,
// or exists with this write's own attempt (a retry of the same put).
func (s *DynamoStore) PutEvent(ctx context.Context, e Stored) error {
	it := eventItem{PK: "ev#" + e.UserID + "#" + e.ID, HK: hourKey(e.At, ShardOf(e.UserID)), UserID: e.UserID, ID: e.ID,
		Type: e.Type, ArticleID: e.ArticleID, At: e.At.UTC(), DwellMS: e.DwellMS, ReceivedAt: e.ReceivedAt.UTC(),
		Variants: e.Variants, ExpiresAt: e.ReceivedAt.Add(Retention).Unix(), Attempt: e.Attempt}
	put := s.table.Put(it).If("attribute_not_exists(pk)")
	if e.Attempt != "" {
		// The SDK's retry of this very put (its response lost after it
		// applied) rewrites the same item and is accepted, not a duplicate.
		put = s.table.Put(it).If("attribute_not_exists(pk) OR 'attempt' = ?", e.Attempt)
	}
	err := put.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrDuplicate
	}
	return err
}

// EventsOf reads one hour of one shard, leaving out the events expired at
// now (DynamoDB deletes them some time after; dynalite never does).
func (s *DynamoStore) EventsOf(ctx context.Context, hour time.Time, shard int, now time.Time) ([]Stored, error) {
	var items []eventItem
	if err := s.table.Get("hk", hourKey(hour, shard)).Index(IndexByHour).All(ctx, &items); err != nil {
		return nil, err
	}
	out := make([]Stored, 0, len(items))
	for _, it := range items {
		if it.ExpiresAt < now.Unix() {
			continue
		}
		out = append(out, Stored{Event: Event{ID: it.ID, Type: it.Type, ArticleID: it.ArticleID, At: it.At, DwellMS: it.DwellMS},
			UserID: it.UserID, ReceivedAt: it.ReceivedAt, Variants: it.Variants, Attempt: it.Attempt})
	}
	return out, nil
}

type articleItem struct {
	PK       string `dynamo:"pk,hash"`
	Category string `dynamo:"category"`
	SourceID string `dynamo:"source_id"`
}

// PutArticle records an article's category and source; idempotent.
func (s *DynamoStore) PutArticle(ctx context.Context, a Article) error {
	return s.table.Put(articleItem{PK: "art#" + a.ID, Category: a.Category, SourceID: a.SourceID}).Run(ctx)
}

// Articles reads the catalogue entries of ids (BatchGet, 100 keys a call).
func (s *DynamoStore) Articles(ctx context.Context, ids []string) (map[string]Article, error) {
	out := map[string]Article{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]dynamo.Keyed, len(ids))
	for i, id := range ids {
		keys[i] = dynamo.Keys{"art#" + id}
	}
	var items []articleItem
	err := s.table.Batch("pk").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, err
	}
	for _, it := range items {
		id := it.PK[len("art#"):]
		out[id] = Article{ID: id, Category: it.Category, SourceID: it.SourceID}
	}
	return out, nil
}

type partialItem struct {
	PK          string            `dynamo:"pk,hash"`
	Granularity string            `dynamo:"granularity"`
	Period      string            `dynamo:"period"`
	Shard       int               `dynamo:"shard"`
	Slices      map[string]Counts `dynamo:"slices"`
	Parts       int               `dynamo:"parts"` // article chunks, pk <head pk>#a<n>
	ComputedAt  time.Time         `dynamo:"computed_at"`
}

// ArticlesPerChunk is how many article slices one partial chunk holds: at
// most ~150 bytes each (a 40-byte key, eight numbers), about 150 KB a chunk
// at worst, well under DynamoDB's 400 KB item limit.
const ArticlesPerChunk = 1000

func partialKey(granularity, period string, shard int) string {
	return fmt.Sprintf("kpi#%s#%s#%d", granularity, period, shard)
}

func chunkKey(head string, n int) string { return fmt.Sprintf("%s#a%d", head, n) }

// PutPartial replaces one shard's partial: recomputing is idempotent. No item
// grows with the number of distinct ids a client sends: the head holds the
// totals, categories and sources (the operator's), and the article slices
// (catalogue articles, plus the one unknown bucket) go in chunks of
// ArticlesPerChunk, written before the head that counts them.
func (s *DynamoStore) PutPartial(ctx context.Context, p Partial) error {
	head := partialItem{PK: partialKey(p.Granularity, p.Period, p.Shard), Granularity: p.Granularity,
		Period: p.Period, Shard: p.Shard, Slices: map[string]Counts{}, ComputedAt: p.ComputedAt}
	var articles []string
	for slice, c := range p.Slices {
		if strings.HasPrefix(slice, "article:") {
			articles = append(articles, slice)
		} else {
			head.Slices[slice] = c
		}
	}
	sort.Strings(articles)
	for i := 0; i < len(articles); i += ArticlesPerChunk {
		chunk := partialItem{PK: chunkKey(head.PK, head.Parts), Granularity: p.Granularity, Period: p.Period,
			Shard: p.Shard, Slices: map[string]Counts{}, ComputedAt: p.ComputedAt}
		for _, slice := range articles[i:min(i+ArticlesPerChunk, len(articles))] {
			chunk.Slices[slice] = p.Slices[slice]
		}
		if err := s.table.Put(chunk).Run(ctx); err != nil {
			return err
		}
		head.Parts++
	}
	return s.table.Put(head).Run(ctx)
}

// Partials reads every shard of the periods (BatchGet: the heads, then their
// article chunks when asked for).
func (s *DynamoStore) Partials(ctx context.Context, granularity string, periods []string, articles bool) ([]Partial, error) {
	var keys []dynamo.Keyed
	for _, p := range periods {
		for shard := range Shards {
			keys = append(keys, dynamo.Keys{partialKey(granularity, p, shard)})
		}
	}
	heads, err := s.partialItems(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]Partial, 0, len(heads))
	at := map[string]int{} // head pk → index in out
	var chunks []dynamo.Keyed
	for _, h := range heads {
		slices := map[string]Counts{}
		for k, c := range h.Slices {
			// Partials stored before the chunks held their articles in the head.
			if articles || !strings.HasPrefix(k, "article:") {
				slices[k] = c
			}
		}
		at[h.PK] = len(out)
		out = append(out, Partial{Granularity: h.Granularity, Period: h.Period, Shard: h.Shard, Slices: slices, ComputedAt: h.ComputedAt})
		for n := range h.Parts {
			if articles {
				chunks = append(chunks, dynamo.Keys{chunkKey(h.PK, n)})
			}
		}
	}
	more, err := s.partialItems(ctx, chunks)
	if err != nil {
		return nil, err
	}
	for _, c := range more {
		i, ok := at[c.PK[:strings.LastIndex(c.PK, "#a")]]
		if !ok {
			continue
		}
		for k, v := range c.Slices {
			out[i].Slices[k] = v
		}
	}
	return out, nil
}

func (s *DynamoStore) partialItems(ctx context.Context, keys []dynamo.Keyed) ([]partialItem, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var items []partialItem
	err := s.table.Batch("pk").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, err
	}
	return items, nil
}

type markItem struct {
	PK        string `dynamo:"pk,hash"`
	HK        string `dynamo:"hk"` // mark#<shard>: the by-hour index lists a shard's marks
	Hour      string `dynamo:"hour"`
	Shard     int    `dynamo:"shard"`
	SetAt     int64  `dynamo:"set_at"` // Unix nanoseconds, compared exactly when clearing
	ExpiresAt int64  `dynamo:"expires_at"`
}

func markKey(hour time.Time, shard int) string { return "mark#" + hourKey(hour, shard) }

func markIndexKey(shard int) string { return "mark#" + strconv.Itoa(shard) }

// Mark is one small put (the same item for every batch of the hour and
// shard): at most MaxAge/hour × Shards marks exist.
func (s *DynamoStore) Mark(ctx context.Context, m Mark) error {
	hour := m.Hour.UTC().Truncate(time.Hour)
	return s.table.Put(markItem{PK: markKey(hour, m.Shard), HK: markIndexKey(m.Shard), Hour: hour.Format(hourLayout),
		Shard: m.Shard, SetAt: m.SetAt.UnixNano(), ExpiresAt: hour.Add(Retention).Unix()}).Run(ctx)
}

// Marks queries the by-hour index for one shard's marks (eventually
// consistent: a mark not seen yet is seen by the next run).
func (s *DynamoStore) Marks(ctx context.Context, shard int, at time.Time) ([]Mark, error) {
	var items []markItem
	if err := s.table.Get("hk", markIndexKey(shard)).Index(IndexByHour).All(ctx, &items); err != nil {
		return nil, err
	}
	now := at.Unix()
	out := make([]Mark, 0, len(items))
	for _, it := range items {
		hour, err := time.Parse(hourLayout, it.Hour)
		if err != nil || it.ExpiresAt < now {
			continue // expired (DynamoDB deletes it in time; dynalite never does)
		}
		out = append(out, Mark{Hour: hour, Shard: it.Shard, SetAt: time.Unix(0, it.SetAt).UTC()})
	}
	return out, nil
}

// ClearMark is a conditional delete on the SetAt that was read.
func (s *DynamoStore) ClearMark(ctx context.Context, m Mark) (bool, error) {
	err := s.table.Delete("pk", markKey(m.Hour.UTC(), m.Shard)).If("'set_at' = ?", m.SetAt.UnixNano()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

type trendItem struct {
	PK string    `dynamo:"pk,hash"`
	At time.Time `dynamo:"at"`
}

// MarkTrending records the article once.
func (s *DynamoStore) MarkTrending(ctx context.Context, articleID string, at time.Time) (bool, error) {
	err := s.table.Put(trendItem{PK: "trend#" + articleID, At: at.UTC()}).If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// IsTrending reports whether the article was marked.
func (s *DynamoStore) IsTrending(ctx context.Context, articleID string) (bool, error) {
	var it trendItem
	err := s.table.Get("pk", "trend#"+articleID).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

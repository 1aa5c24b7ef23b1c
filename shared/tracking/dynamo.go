package tracking

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/guregu/dynamo/v2"
)

// DynamoStore keeps the tracking domain in its table: events (pk
// ev#<user>#<id>, spread by user and id; the by-hour index groups them by
// hour and user shard), the article catalogue (art#<id>), KPI partials
// (kpi#<granularity>#<period>#<shard>) and trending marks (trend#<id>).
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
	ExpiresAt  int64     `dynamo:"expires_at"`
}

func hourKey(hour time.Time, shard int) string {
	return hour.UTC().Format(hourLayout) + "#" + strconv.Itoa(shard)
}

// PutEvent is one conditional put per event.
func (s *DynamoStore) PutEvent(ctx context.Context, e Stored) error {
	it := eventItem{PK: "ev#" + e.UserID + "#" + e.ID, HK: hourKey(e.At, ShardOf(e.UserID)), UserID: e.UserID, ID: e.ID,
		Type: e.Type, ArticleID: e.ArticleID, At: e.At.UTC(), DwellMS: e.DwellMS, ReceivedAt: e.ReceivedAt.UTC(),
		ExpiresAt: e.ReceivedAt.Add(Retention).Unix()}
	err := s.table.Put(it).If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrDuplicate
	}
	return err
}

// EventsOf reads one hour of one shard.
func (s *DynamoStore) EventsOf(ctx context.Context, hour time.Time, shard int) ([]Stored, error) {
	var items []eventItem
	if err := s.table.Get("hk", hourKey(hour, shard)).Index(IndexByHour).All(ctx, &items); err != nil {
		return nil, err
	}
	out := make([]Stored, len(items))
	for i, it := range items {
		out[i] = Stored{Event: Event{ID: it.ID, Type: it.Type, ArticleID: it.ArticleID, At: it.At, DwellMS: it.DwellMS},
			UserID: it.UserID, ReceivedAt: it.ReceivedAt}
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
	ComputedAt  time.Time         `dynamo:"computed_at"`
}

func partialKey(granularity, period string, shard int) string {
	return fmt.Sprintf("kpi#%s#%s#%d", granularity, period, shard)
}

// PutPartial replaces one shard's partial: recomputing is idempotent.
func (s *DynamoStore) PutPartial(ctx context.Context, p Partial) error {
	return s.table.Put(partialItem{PK: partialKey(p.Granularity, p.Period, p.Shard), Granularity: p.Granularity,
		Period: p.Period, Shard: p.Shard, Slices: p.Slices, ComputedAt: p.ComputedAt}).Run(ctx)
}

// Partials reads every shard of the periods (BatchGet).
func (s *DynamoStore) Partials(ctx context.Context, granularity string, periods []string) ([]Partial, error) {
	var keys []dynamo.Keyed
	for _, p := range periods {
		for shard := range Shards {
			keys = append(keys, dynamo.Keys{partialKey(granularity, p, shard)})
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	var items []partialItem
	err := s.table.Batch("pk").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, err
	}
	out := make([]Partial, len(items))
	for i, it := range items {
		out[i] = Partial{Granularity: it.Granularity, Period: it.Period, Shard: it.Shard, Slices: it.Slices, ComputedAt: it.ComputedAt}
	}
	return out, nil
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

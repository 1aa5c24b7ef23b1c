package tracking

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/guregu/dynamo/v2"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// DynamoStore keeps the tracking domain in its table: events (pk
// ev#<user>#<id>, spread by user and id; the by-hour index groups them by
// hour and user shard), the article catalogue (art#<id>), KPI partials
// (kpi#<granularity>#<period>#<shard>, article chunks #<generation>#a<n>), rosters
// (kro#<granularity>#<period>#<shard>, chunks #<generation>#<n>; of both, a
// replaced generation's chunks expire ReplacedReadable after), marks of hours
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
	Parts       int               `dynamo:"parts"`             // article chunks: pk <head pk>#<gen>#a<n> (#a<n> before generations)
	Started     int64             `dynamo:"started,omitempty"` // ComputedAt in Unix nanoseconds (head only): the replacement condition
	Gen         string            `dynamo:"gen,omitempty"`     // the article chunks' generation (head only)
	ComputedAt  time.Time         `dynamo:"computed_at"`
}

// ArticlesPerChunk is how many article slices one partial chunk holds: at
// most ~150 bytes each (a 40-byte key, eight numbers), about 150 KB a chunk
// at worst, well under DynamoDB's 400 KB item limit.
const ArticlesPerChunk = 1000

func partialKey(granularity, period string, shard int) string {
	return fmt.Sprintf("kpi#%s#%s#%d", granularity, period, shard)
}

// chunkKey is an article chunk's key: under its generation, or (gen "") as
// partials stored before generations keyed them.
func chunkKey(head, gen string, n int) string {
	if gen == "" {
		return fmt.Sprintf("%s#a%d", head, n)
	}
	return fmt.Sprintf("%s#%s#a%d", head, gen, n)
}

// ReplacedReadable is how long a replaced partial's article chunks, or a
// replaced roster's chunks, stay readable after the recomputation that
// replaced it started: a reader that read the replaced head (the KPI
// report, a day job) reads the chunks it names, whole, however many
// replacements land meanwhile. The table's time to live deletes them after;
// a recomputation lasts at most the worker's timeout, well within it.
const ReplacedReadable = 15 * time.Minute

// PutPartial replaces one shard's partial unless a later-started one is
// stored (ComputedAt is when its recomputation started), as rosters are: no
// item grows with the number of distinct ids a client sends: the head holds
// the totals, categories and sources (the operator's), and the article
// slices (catalogue articles, plus the one unknown bucket) go in chunks of
// ArticlesPerChunk under a new generation, written before the conditional
// put of the head that switches to them; then the replaced generation's
// chunks are given ReplacedReadable to live (or this one's, when it was
// superseded and no head names them, deleted). So a slow worker never puts
// back an older partial, two writers never mix their chunks, and a reader
// never finds the chunks of the head it read gone.
func (s *DynamoStore) PutPartial(ctx context.Context, p Partial) (bool, error) {
	pk := partialKey(p.Granularity, p.Period, p.Shard)
	started := p.ComputedAt.UnixNano()
	gen := strconv.FormatInt(started, 36) + "-" + rand.Text()[:8]
	head := partialItem{PK: pk, Granularity: p.Granularity, Period: p.Period, Shard: p.Shard, Slices: map[string]Counts{},
		Started: started, Gen: gen, ComputedAt: p.ComputedAt}
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
		chunk := partialItem{PK: chunkKey(pk, gen, head.Parts), Granularity: p.Granularity, Period: p.Period,
			Shard: p.Shard, Slices: map[string]Counts{}, ComputedAt: p.ComputedAt}
		for _, slice := range articles[i:min(i+ArticlesPerChunk, len(articles))] {
			chunk.Slices[slice] = p.Slices[slice]
		}
		if err := s.table.Put(chunk).Run(ctx); err != nil {
			return false, err
		}
		head.Parts++
	}
	return replaceGeneration(ctx, s.table, s.table.Put(head).If("attribute_not_exists(pk) OR attribute_not_exists('started') OR 'started' <= ?", started),
		gen, head.Parts, func(old partialItem) (string, int) { return old.Gen, old.Parts },
		func(gen string, n int) string { return chunkKey(pk, gen, n) }, p.ComputedAt.Add(ReplacedReadable).Unix())
}

// replaceGeneration puts a generation's head on its condition (no
// later-started generation stored); a generation's chunks are key(gen, n)
// for n below its parts. Stored, it gives the chunks of the generation it
// replaced their time to live (readable, epoch seconds): a reader holding
// the replaced head still reads them, whole, until then. Refused, it
// deletes its own, which no head names. Both best effort: a chunk left
// behind is never named by a head read later. It reports whether the head
// was stored. Partials and rosters both replace their chunks so.
func replaceGeneration[T any](ctx context.Context, table dynamo.Table, put *dynamo.Put, gen string, parts int, prior func(T) (string, int),
	key func(gen string, n int) string, readable int64) (bool, error) {
	var old T
	err := put.OldValue(ctx, &old)
	switch {
	case dynamo.IsCondCheckFailed(err):
		for n := range parts {
			_ = table.Delete("pk", key(gen, n)).Run(ctx)
		}
		return false, nil
	case errors.Is(err, dynamo.ErrNotFound):
		return true, nil // nothing was replaced
	case err != nil:
		return false, err
	}
	if oldGen, oldParts := prior(old); oldGen != gen {
		for n := range oldParts {
			_ = table.Update("pk", key(oldGen, n)).Set("expires_at", readable).If("attribute_exists(pk)").Run(ctx)
		}
	}
	return true, nil
}

// Partials reads every shard of the periods in one pass (BatchGet: the
// heads, then, when asked for, the article chunks of the generation each
// head names, strongly consistent), so a reader never mixes two
// generations: a replaced generation's chunks stay ReplacedReadable after
// its replacement, so a reader finds those of the head it read, whatever
// replaced it meanwhile, and never reads again. A chunk gone all the same
// (a read longer than that) is an error, never a partial read in part.
func (s *DynamoStore) Partials(ctx context.Context, granularity string, periods []string, articles bool) ([]Partial, error) {
	var keys []dynamo.Keyed
	for _, p := range periods {
		for shard := range Shards {
			keys = append(keys, dynamo.Keys{partialKey(granularity, p, shard)})
		}
	}
	heads, err := s.partialItems(ctx, keys, false)
	if err != nil {
		return nil, err
	}
	return s.partialsOf(ctx, granularity, heads, articles)
}

// partialsOf reads the article chunks the heads name (when articles) and
// returns their partials.
func (s *DynamoStore) partialsOf(ctx context.Context, granularity string, heads []partialItem, articles bool) ([]Partial, error) {
	out := make([]Partial, 0, len(heads))
	at := map[string]int{} // chunk pk → index in out
	var chunks []dynamo.Keyed
	for _, h := range heads {
		slices := map[string]Counts{}
		for k, c := range h.Slices {
			// Partials stored before the chunks held their articles in the head.
			if articles || !strings.HasPrefix(k, "article:") {
				slices[k] = c
			}
		}
		out = append(out, Partial{Granularity: h.Granularity, Period: h.Period, Shard: h.Shard, Slices: slices, ComputedAt: h.ComputedAt})
		for n := range h.Parts {
			if articles {
				k := chunkKey(h.PK, h.Gen, n)
				at[k] = len(out) - 1
				chunks = append(chunks, dynamo.Keys{k})
			}
		}
	}
	more, err := s.partialItems(ctx, chunks, true)
	if err != nil {
		return nil, err
	}
	if len(more) != len(chunks) {
		return nil, kiosk.Errorf(kiosk.EUNAVAILABLE, "%d of the %s partials' %d article chunks are gone (replaced more than %s before they were read); retry",
			len(chunks)-len(more), granularity, len(chunks), ReplacedReadable)
	}
	for _, c := range more {
		i, ok := at[c.PK]
		if !ok {
			continue
		}
		for k, v := range c.Slices {
			out[i].Slices[k] = v
		}
	}
	return out, nil
}

func (s *DynamoStore) partialItems(ctx context.Context, keys []dynamo.Keyed, consistent bool) ([]partialItem, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var items []partialItem
	err := s.table.Batch("pk").Get(keys...).Consistent(consistent).All(ctx, &items)
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

// rosterItem is a roster's head (its first chunk and how many follow) or
// one of its further chunks (pk <head pk>#<gen>#<n>). A replacement writes
// its chunks under a new generation before the conditional put of the head
// switches to them, so a reader never mixes two rosters.
type rosterItem struct {
	PK        string `dynamo:"pk,hash"`
	Started   int64  `dynamo:"started,omitempty"` // Unix nanoseconds of the recomputation (head only)
	Gen       string `dynamo:"gen,omitempty"`     // the chunks' generation (head only)
	Parts     int    `dynamo:"parts,omitempty"`   // chunks after the head's own (head only)
	Data      []byte `dynamo:"data,omitempty"`    // JSON: user → slice → tally
	ExpiresAt int64  `dynamo:"expires_at"`
}

// RosterChunkBytes bounds one roster item's encoded tallies, counted
// exactly as a chunk is built: well under DynamoDB's 400 KB.
const RosterChunkBytes = 300 << 10

func rosterKey(granularity, period string, shard int) string {
	return fmt.Sprintf("kro#%s#%s#%d", granularity, period, shard)
}

func rosterChunkKey(head, gen string, n int) string { return fmt.Sprintf("%s#%s#%d", head, gen, n) }

// rosterChunk is how a roster item holds its tallies, compactly: each name
// once (S), and per user its tallies as runs of five numbers — the slice's
// index in S, then impressions, clicks, reads and shares. A user in U has
// only its article and variant tallies stored: its "all", category and
// source tallies are the sums of its article tallies, each article's
// category and source given once by M (runs of three indexes in S:
// article, category, source). A user in X (one whose tallies are not so
// derived, as a day's users-only roster's) has every tally stored. A tally
// is then about a dozen bytes, and an event of a user's hour about two.
type rosterChunk struct {
	S []string           `json:"s"`
	M []int              `json:"m,omitempty"`
	U map[string][]int64 `json:"u,omitempty"`
	X map[string][]int64 `json:"x,omitempty"`
}

// jsonLen is how many bytes s takes as a JSON string.
func jsonLen(s string) int {
	b, _ := json.Marshal(s)
	return len(b)
}

func digits(v int64) int {
	n := 1
	if v < 0 {
		n++
		v = -v
	}
	for ; v >= 10; v /= 10 {
		n++
	}
	return n
}

func derivedSlice(k string) bool {
	return !strings.HasPrefix(k, "article:") && !strings.HasPrefix(k, "variant:")
}

// derivable reports whether a user's all, category and source tallies are
// exactly the sums of its article tallies under of.
func derivable(slices map[string]Tally, of map[string][2]string) bool {
	sums := map[string]Tally{}
	for k, t := range slices {
		if !strings.HasPrefix(k, "article:") {
			continue
		}
		m, ok := of[k]
		if !ok {
			return false
		}
		for _, d := range []string{"all", m[0], m[1]} {
			s := sums[d]
			for i := range s {
				s[i] += t[i]
			}
			sums[d] = s
		}
	}
	n := 0
	for k, t := range slices {
		if derivedSlice(k) {
			if n++; sums[k] != t {
				return false
			}
		}
	}
	return n == len(sums)
}

// rosterChunks splits a roster's tallies into chunks of at most
// RosterChunkBytes encoded (a user with more tallies than one chunk holds
// spans several; a reader adds them up). There is always a first chunk.
func rosterChunks(users map[string]map[string]Tally, of map[string][2]string) ([][]byte, error) {
	var (
		out     [][]byte
		cur     rosterChunk
		index   map[string]int
		mapped  map[string]bool
		bytes   int
		pending []string
	)
	reset := func() {
		cur = rosterChunk{U: map[string][]int64{}, X: map[string][]int64{}}
		index, mapped, bytes = map[string]int{}, map[string]bool{}, 24
	}
	flush := func() error {
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		out = append(out, b)
		reset()
		return nil
	}
	intern := func(k string) int {
		i, ok := index[k]
		if !ok {
			i = len(cur.S)
			index[k] = i
			cur.S = append(cur.S, k)
		}
		return i
	}
	reset()
	for u, slices := range users {
		compact := derivable(slices, of)
		ulen := jsonLen(u) + 4
		for k, t := range slices {
			if compact && derivedSlice(k) {
				continue
			}
			runs := cur.X
			if compact {
				runs = cur.U
			}
			size := func() int {
				pending = pending[:0]
				if _, ok := index[k]; !ok {
					pending = append(pending, k)
				}
				m, article := of[k]
				article = article && compact && !mapped[k]
				if article {
					for _, d := range m {
						if _, ok := index[d]; !ok {
							pending = append(pending, d)
						}
					}
				}
				top := digits(int64(len(cur.S) + 3))
				n := 5 + top
				for _, v := range t {
					n += digits(v)
				}
				for _, p := range pending {
					n += jsonLen(p) + 1
				}
				if article {
					n += 3 * (top + 1)
				}
				if runs[u] == nil {
					n += ulen
				}
				return n
			}
			if bytes+size() > RosterChunkBytes && (len(cur.U) > 0 || len(cur.X) > 0) {
				if err := flush(); err != nil {
					return nil, err
				}
				if runs = cur.X; compact {
					runs = cur.U
				}
			}
			bytes += size()
			i := intern(k)
			if m, ok := of[k]; ok && compact && !mapped[k] {
				mapped[k] = true
				cur.M = append(cur.M, i, intern(m[0]), intern(m[1]))
			}
			runs[u] = append(runs[u], int64(i), t[0], t[1], t[2], t[3])
		}
	}
	if len(cur.U) > 0 || len(cur.X) > 0 || len(out) == 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeRoster reads a roster item's tallies.
func decodeRoster(data []byte) (map[string]map[string]Tally, error) {
	var c rosterChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	name := func(i int64) (string, bool) {
		if i < 0 || i >= int64(len(c.S)) {
			return "", false
		}
		return c.S[i], true
	}
	if len(c.M)%3 != 0 {
		return nil, fmt.Errorf("%d article indexes, not runs of three", len(c.M))
	}
	of := make(map[int64][2]string, len(c.M)/3)
	for i := 0; i < len(c.M); i += 3 {
		cat, ok1 := name(int64(c.M[i+1]))
		src, ok2 := name(int64(c.M[i+2]))
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("article %d: a category or source outside the %d names", c.M[i], len(c.S))
		}
		of[int64(c.M[i])] = [2]string{cat, src}
	}
	users := make(map[string]map[string]Tally, len(c.U)+len(c.X))
	for _, set := range []struct {
		runs    map[string][]int64
		derived bool
	}{{c.U, true}, {c.X, false}} {
		for u, runs := range set.runs {
			if len(runs)%5 != 0 {
				return nil, fmt.Errorf("user %s: %d numbers, not runs of five", u, len(runs))
			}
			slices := users[u]
			if slices == nil {
				slices = make(map[string]Tally, len(runs)/5)
				users[u] = slices
			}
			for i := 0; i < len(runs); i += 5 {
				k, ok := name(runs[i])
				if !ok {
					return nil, fmt.Errorf("user %s: slice %d of %d", u, runs[i], len(c.S))
				}
				t := Tally{runs[i+1], runs[i+2], runs[i+3], runs[i+4]}
				add := func(k string) {
					s := slices[k]
					for j := range s {
						s[j] += t[j]
					}
					slices[k] = s
				}
				add(k)
				if m, ok := of[runs[i]]; ok && set.derived {
					add("all")
					add(m[0])
					add(m[1])
				}
			}
		}
	}
	return users, nil
}

// PutRoster writes the roster's further chunks under a new generation, then
// its head on condition that no later-started roster is stored, then gives
// the chunks of the roster it replaced ReplacedReadable to live (or deletes
// its own, when it was superseded), as PutPartial does: a day job that read
// the replaced head still reads the roster it names, whole (Rosters).
func (s *DynamoStore) PutRoster(ctx context.Context, r Roster) (bool, error) {
	start, err := periodStart(r.Granularity, r.Period)
	if err != nil {
		return false, err
	}
	chunks, err := rosterChunks(r.Users, r.Of)
	if err != nil {
		return false, err
	}
	pk := rosterKey(r.Granularity, r.Period, r.Shard)
	gen := strconv.FormatInt(r.Started.UnixNano(), 36) + "-" + rand.Text()[:8]
	expires := rosterExpires(start).Unix()
	for n, c := range chunks[1:] {
		if err := s.table.Put(rosterItem{PK: rosterChunkKey(pk, gen, n+1), Data: c, ExpiresAt: expires}).Run(ctx); err != nil {
			return false, err
		}
	}
	head := rosterItem{PK: pk, Started: r.Started.UnixNano(), Gen: gen, Parts: len(chunks) - 1, Data: chunks[0], ExpiresAt: expires}
	// The head holds chunk 0; the further chunks are 1 to Parts. A replaced
	// roster's chunks never outlive its own time to live.
	return replaceGeneration(ctx, s.table, s.table.Put(head).If("attribute_not_exists(pk) OR 'started' <= ?", head.Started),
		gen, head.Parts, func(old rosterItem) (string, int) { return old.Gen, old.Parts },
		func(gen string, n int) string { return rosterChunkKey(pk, gen, n+1) }, min(r.Started.Add(ReplacedReadable).Unix(), expires))
}

// Rosters reads the heads, then the further chunks of the generation each
// head names, strongly consistent (BatchGet), in one pass: a replaced
// roster's chunks stay ReplacedReadable after its replacement, so a day
// job reads the roster whose head it read, whole, whatever replaced it
// meanwhile. A chunk gone all the same (a read longer than that) is an
// error the job is retried on, never a roster read in part.
func (s *DynamoStore) Rosters(ctx context.Context, granularity string, periods []string, shard int, now time.Time) (map[string]Roster, error) {
	out := map[string]Roster{}
	if len(periods) == 0 {
		return out, nil
	}
	get := func(keys []dynamo.Keyed) ([]rosterItem, error) {
		if len(keys) == 0 {
			return nil, nil
		}
		var items []rosterItem
		err := s.table.Batch("pk").Get(keys...).Consistent(true).All(ctx, &items)
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return nil, err
		}
		return items, nil
	}
	period := map[string]string{} // head pk → period
	keys := make([]dynamo.Keyed, 0, len(periods))
	for _, p := range periods {
		pk := rosterKey(granularity, p, shard)
		period[pk] = p
		keys = append(keys, dynamo.Keys{pk})
	}
	heads, err := get(keys)
	if err != nil {
		return nil, err
	}
	var chunks []dynamo.Keyed
	want := map[string]string{} // chunk pk → period
	for _, h := range heads {
		if h.ExpiresAt < now.Unix() {
			continue // expired (DynamoDB deletes it in time; dynalite never does)
		}
		p := period[h.PK]
		users, err := decodeRoster(h.Data)
		if err != nil {
			return nil, fmt.Errorf("roster %s: %w", h.PK, err)
		}
		out[p] = Roster{Granularity: granularity, Period: p, Shard: shard, Started: time.Unix(0, h.Started).UTC(), Users: users}
		for n := 1; n <= h.Parts; n++ {
			k := rosterChunkKey(h.PK, h.Gen, n)
			want[k] = p
			chunks = append(chunks, dynamo.Keys{k})
		}
	}
	more, err := get(chunks)
	if err != nil {
		return nil, err
	}
	if len(more) != len(chunks) {
		return nil, kiosk.Errorf(kiosk.EUNAVAILABLE, "%d of the %s rosters' %d further chunks of shard %d are gone (replaced more than %s before they were read); retry",
			len(chunks)-len(more), granularity, len(chunks), shard, ReplacedReadable)
	}
	for _, c := range more {
		users, err := decodeRoster(c.Data)
		if err != nil {
			return nil, fmt.Errorf("roster %s: %w", c.PK, err)
		}
		merge(out[want[c.PK]].Users, users)
	}
	return out, nil
}

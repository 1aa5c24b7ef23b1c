package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// DynamoStore keeps the feed domain in its one table (pk, sk):
//
//	a#<id>      a         an article (the by-time index lists them newest first)
//	st#<day>    <shard>#<part>  one shard's article numbers for a day
//	rank        state     the ranking batch's pending request and last run
//	pg#<cat>    head      the latest run's first chunk of a category's feed (copy 0 of HeadCopies)
//	pg#<cat>#<k> head     copy k (1 ≤ k < HeadCopies) of the same, each its own partition
//	pg#<cat>    <run>#<n> a run's chunks (expire after PageRetention)
//	u#<user>    profile   interests;  rd#<newest first>#<article>: one article opened (MaxReads read back)
//	nb#<user>   ~interests  a copy of the user's interests, read with the read marks
//	nb#<user>   <hour>-<story>  a read mark (or an entry written before the inbox was computed on read)
//	tn          <hour>-<story>#<cat>  a trending story's entry, the same for every reader of the category
//	sy#<story>  trend     the hour a story first trended (names its inbox entries)
type DynamoStore struct{ table dynamo.Table }

// NewDynamoStore returns a store over the feed table.
func NewDynamoStore(t dynamo.Table) *DynamoStore { return &DynamoStore{table: t} }

// IndexByTime lists articles by publication time, as declared.
const IndexByTime = "by-time"

const (
	timeKind = "articles"
	sortTime = "2006-01-02T15:04:05.000000000Z"
)

var _ Store = (*DynamoStore)(nil)

// laterThanStored is the condition that the stored time, in attribute text
// and its number twin nanos, is op (<, <=) t: the write orders after it.
// The text attribute keeps a time.Time as guregu/dynamo stores it, RFC 3339
// with the fraction's trailing zeros trimmed, which DynamoDB compares byte by
// byte, so within one second "12:00:00Z" sorts after "12:00:00.5Z" ('Z' >
// '.') and the later write would be refused. The comparison is therefore on
// nanos, Unix nanoseconds. An item written before there was a nanos
// attribute is compared on its text as before (right across seconds, wrong
// only within one) until its next write adds the number: a new name rather
// than a new type under the old one, as DynamoDB finds a string and a
// number never less than each other, so the item would refuse every write.
func laterThanStored(text, nanosAttr, op string, t time.Time) (string, []any) {
	return fmt.Sprintf("('%s' %s ? OR (attribute_not_exists('%s') AND '%s' %s ?))", nanosAttr, op, nanosAttr, text, op),
		[]any{nanos(t), t.UTC()}
}

// nanos is t in Unix nanoseconds, 0 for the zero time (which has none: it
// is not stored, so an item of no time gives way to any).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

type articleItem struct {
	PK           string    `dynamo:"pk,hash"`
	SK           string    `dynamo:"sk,range"`
	TPK          string    `dynamo:"tpk,omitempty"`
	TSK          string    `dynamo:"tsk,omitempty"`
	ID           string    `dynamo:"id"`
	URL          string    `dynamo:"url,omitempty"`
	Title        string    `dynamo:"title,omitempty"`
	SourceID     string    `dynamo:"source_id,omitempty"`
	Category     string    `dynamo:"category,omitempty"`
	Story        string    `dynamo:"story,omitempty"`
	ImageURL     string    `dynamo:"image_url,omitempty"`
	PublishedAt  time.Time `dynamo:"published_at,omitempty"`
	SourceWeight float64   `dynamo:"source_weight,omitempty"`
	Hidden       bool      `dynamo:"hidden,omitempty"`
	Pinned       bool      `dynamo:"pinned,omitempty"`
	Lead         bool      `dynamo:"lead,omitempty"`
	StoryEdit    string    `dynamo:"story_edit,omitempty"` // an editor's story for the article
	ModeratedAt  time.Time `dynamo:"moderated_at,omitempty"`
	ModeratedNS  int64     `dynamo:"moderated_ns,omitempty"` // moderated_at as a number, to order by (laterThanStored)
	Trending     bool      `dynamo:"trending,omitempty"`
	ExpiresAt    int64     `dynamo:"expires_at,omitempty"`
}

// article is the item as the feeds see it: in the story an editor put it in,
// else the one ingestion clustered it in.
func (it articleItem) article() Article {
	story := it.Story
	if it.StoryEdit != "" {
		story = it.StoryEdit
	}
	return Article{ID: it.ID, URL: it.URL, Title: it.Title, SourceID: it.SourceID, Category: it.Category,
		Story: story, ImageURL: it.ImageURL, PublishedAt: it.PublishedAt, SourceWeight: it.SourceWeight,
		Hidden: it.Hidden, Pinned: it.Pinned, Lead: it.Lead, LeadAt: leadAt(it.Lead, it.ModeratedAt), Trending: it.Trending,
		ModeratedAt: it.ModeratedAt}
}

// leadAt is when a version became its story's lead (zero when it is not).
func leadAt(lead bool, moderated time.Time) time.Time {
	if !lead {
		return time.Time{}
	}
	return moderated
}

// PlaceArticle stores an announced article's fields (Store.PlaceArticle).
func (s *DynamoStore) PlaceArticle(ctx context.Context, a Article, expires time.Time) (bool, error) {
	var old articleItem
	up := s.table.Update("pk", "a#"+a.ID).Range("sk", "a").
		Set("tpk", timeKind).Set("tsk", a.PublishedAt.UTC().Format(sortTime)+"#"+a.ID).
		Set("id", a.ID).Set("url", a.URL).Set("title", a.Title).Set("source_id", a.SourceID).
		Set("category", a.Category).Set("story", a.Story).Set("published_at", a.PublishedAt.UTC()).
		Set("expires_at", expires.Unix())
	if a.ImageURL != "" {
		up = up.Set("image_url", a.ImageURL)
	}
	if a.SourceWeight > 0 {
		up = up.Set("source_weight", a.SourceWeight)
	}
	err := up.OldValue(ctx, &old)
	if errors.Is(err, dynamo.ErrNotFound) {
		return true, nil // there was no item before
	}
	if err != nil {
		return false, err
	}
	return old.Title == "", nil
}

// Moderate applies a moderation unless one as late is stored (Store.Moderate).
func (s *DynamoStore) Moderate(ctx context.Context, m Moderation, expires time.Time) (bool, error) {
	up := s.table.Update("pk", "a#"+m.ID).Range("sk", "a").Set("id", m.ID).SetIfNotExists("expires_at", expires.Unix()).
		Set("hidden", m.Hidden).Set("pinned", m.Pinned).Set("lead", m.Lead).Set("moderated_at", m.At.UTC()).
		Set("moderated_ns", nanos(m.At))
	if m.Story != "" {
		up = up.Set("story_edit", m.Story)
	} else {
		up = up.Remove("story_edit")
	}
	cond, args := laterThanStored("moderated_at", "moderated_ns", "<", m.At)
	err := up.If("attribute_not_exists('moderated_at') OR "+cond, args...).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// MarkTrending flags an article as trending; it reports whether it was not
// already.
func (s *DynamoStore) MarkTrending(ctx context.Context, id string, expires time.Time) (bool, error) {
	err := s.table.Update("pk", "a#"+id).Range("sk", "a").Set("id", id).Set("trending", true).
		SetIfNotExists("expires_at", expires.Unix()).
		If("attribute_not_exists('trending')").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// GetArticle reads one article (ErrArticleNotFound if the feeds never placed
// it, or it expired by now: DynamoDB deletes it some time after; dynalite
// never does).
func (s *DynamoStore) GetArticle(ctx context.Context, id string, now time.Time) (Article, error) {
	var it articleItem
	err := s.table.Get("pk", "a#"+id).Range("sk", dynamo.Equal, "a").One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) || (err == nil && (it.Title == "" || it.ExpiresAt != 0 && it.ExpiresAt <= now.Unix())) {
		return Article{}, ErrArticleNotFound
	}
	return it.article(), err
}

// RecentArticles lists the articles published since, newest first.
func (s *DynamoStore) RecentArticles(ctx context.Context, since time.Time) ([]Article, error) {
	var items []articleItem
	err := s.table.Get("tpk", timeKind).Index(IndexByTime).
		Range("tsk", dynamo.GreaterOrEqual, since.UTC().Format(sortTime)).Order(dynamo.Descending).All(ctx, &items)
	if err != nil {
		return nil, err
	}
	out := make([]Article, len(items))
	for i, it := range items {
		out[i] = it.article()
	}
	return out, nil
}

type statsItem struct {
	PK         string    `dynamo:"pk,hash"`
	SK         string    `dynamo:"sk,range"`
	Shard      int       `dynamo:"shard"`
	ComputedAt time.Time `dynamo:"computed_at"`
	ComputedNS int64     `dynamo:"computed_ns"` // computed_at as a number, to order by (laterThanStored)
	Counts     []byte    `dynamo:"counts"`      // JSON: id → [impressions, clicks]
	ExpiresAt  int64     `dynamo:"expires_at"`
}

// PutStats stores a shard's part unless a later computation of it is
// already stored (Store.PutStats).
func (s *DynamoStore) PutStats(ctx context.Context, d DayStats, expires time.Time) error {
	counts := make(map[string][2]int64, len(d.Articles))
	for id, c := range d.Articles {
		counts[id] = [2]int64{c.Impressions, c.Clicks}
	}
	b, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	it := statsItem{PK: "st#" + d.Day, SK: fmt.Sprintf("%02d#%03d", d.Shard, d.Part), Shard: d.Shard,
		ComputedAt: d.ComputedAt.UTC(), ComputedNS: nanos(d.ComputedAt), Counts: b, ExpiresAt: expires.Unix()}
	cond, args := laterThanStored("computed_at", "computed_ns", "<=", d.ComputedAt)
	err = s.table.Put(it).If("attribute_not_exists('pk') OR "+cond, args...).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return err
}

// DayStats lists the stored parts of the given days (Store.DayStats): one
// Query a day.
func (s *DynamoStore) DayStats(ctx context.Context, days []string) ([]DayStats, error) {
	var out []DayStats
	for _, day := range days {
		var items []statsItem
		if err := s.table.Get("pk", "st#"+day).All(ctx, &items); err != nil {
			return nil, err
		}
		for _, it := range items {
			var counts map[string][2]int64
			if err := json.Unmarshal(it.Counts, &counts); err != nil {
				return nil, fmt.Errorf("stats %s %s: %w", it.PK, it.SK, err)
			}
			d := DayStats{Day: day, Shard: it.Shard, ComputedAt: it.ComputedAt, Articles: map[string]Stats{}}
			if _, err := fmt.Sscanf(it.SK, "%d#%d", new(int), &d.Part); err != nil {
				return nil, fmt.Errorf("stats %s %s: %w", it.PK, it.SK, err)
			}
			for id, c := range counts {
				d.Articles[id] = Stats{Impressions: c[0], Clicks: c[1]}
			}
			out = append(out, d)
		}
	}
	return out, nil
}

type rankState struct {
	PK         string    `dynamo:"pk,hash"`
	SK         string    `dynamo:"sk,range"`
	Pending    time.Time `dynamo:"pending,omitempty"`
	LastRun    string    `dynamo:"last_run,omitempty"`
	Categories []string  `dynamo:"categories,omitempty"`
	Touched    []string  `dynamo:"touched,set,omitempty"`
}

// RequestRank sets the pending request unless a fresh one is pending
// (Store.RequestRank).
func (s *DynamoStore) RequestRank(ctx context.Context, now, staleBefore time.Time) (bool, error) {
	cond, args := laterThanStored("pending", "pending_ns", "<", staleBefore)
	err := s.table.Update("pk", "rank").Range("sk", "state").Set("pending", now.UTC()).Set("pending_ns", nanos(now)).
		If("attribute_not_exists('pending') OR "+cond, args...).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// CancelRankRequest withdraws the request made at (Store.CancelRankRequest).
func (s *DynamoStore) CancelRankRequest(ctx context.Context, at time.Time) error {
	err := s.table.Update("pk", "rank").Range("sk", "state").Remove("pending", "pending_ns").
		If("'pending' = ?", at.UTC()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return err
}

// Touch adds the ids to the rank state's touched set (Store.Touch): one
// small update; moderations and trending flags are few, and each run takes
// the set.
func (s *DynamoStore) Touch(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.table.Update("pk", "rank").Range("sk", "state").AddStringsToSet("touched", ids...).Run(ctx)
}

// BeginRank clears the pending request (changes from now on ask for another
// run) and takes the touched set, returning them with the categories the
// previous run wrote.
func (s *DynamoStore) BeginRank(ctx context.Context) ([]string, []string, error) {
	var old rankState
	err := s.table.Update("pk", "rank").Range("sk", "state").Remove("pending", "pending_ns", "touched").OldValue(ctx, &old)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, nil, nil
	}
	sort.Strings(old.Touched)
	return old.Categories, old.Touched, err
}

// Articles reads articles by id (Store.Articles): BatchGet, consistent,
// 100 keys a call.
func (s *DynamoStore) Articles(ctx context.Context, ids []string, now time.Time) ([]Article, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]dynamo.Keyed, len(ids))
	for i, id := range ids {
		keys[i] = dynamo.Keys{"a#" + id, "a"}
	}
	var items []articleItem
	err := s.table.Batch("pk", "sk").Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, err
	}
	var out []Article
	for _, it := range items {
		if it.Title != "" && (it.ExpiresAt == 0 || it.ExpiresAt > now.Unix()) {
			out = append(out, it.article())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// EndRank records a finished run and the categories it wrote.
func (s *DynamoStore) EndRank(ctx context.Context, run string, categories []string) error {
	return s.table.Update("pk", "rank").Range("sk", "state").Set("last_run", run).Set("categories", categories).Run(ctx)
}

type chunkItem struct {
	PK        string `dynamo:"pk,hash"`
	SK        string `dynamo:"sk,range"`
	Run       string `dynamo:"run"`
	Body      []byte `dynamo:"body"` // the Chunk as JSON
	ExpiresAt int64  `dynamo:"expires_at,omitempty"`
}

func chunkSK(run string, index int) string { return run + "#" + strconv.Itoa(index) }

// headPK is the partition key of copy n of a feed's head: copy 0 under the
// feed's own key, where the single head lived before there were copies (so
// a reader of before the copies, during a deploy, still reads a current
// head), the others each under a key of their own, so that DynamoDB can
// place them on different partitions.
func headPK(category string, n int) string {
	n = (n%HeadCopies + HeadCopies) % HeadCopies
	if n == 0 {
		return "pg#" + category
	}
	return "pg#" + category + "#" + strconv.Itoa(n)
}

// chunkKey is where ref's chunk is stored.
func chunkKey(ref ChunkRef) (pk, sk string) {
	if ref.Run != "" {
		return "pg#" + ref.Category, chunkSK(ref.Run, ref.Index)
	}
	return headPK(ref.Category, ref.Copy), "head"
}

// PutChunks stores a run's chunks of every feed, then each feed's head, in
// each of its HeadCopies copies (so a head never points at chunks not yet
// written). A copy is only replaced by a later run's.
func (s *DynamoStore) PutChunks(ctx context.Context, feeds map[string][]Chunk, expires time.Time) error {
	var items []any
	var heads []chunkItem
	for cat, chunks := range feeds {
		for _, c := range chunks {
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			items = append(items, chunkItem{PK: "pg#" + cat, SK: chunkSK(c.Run, c.Index), Run: c.Run, Body: b,
				ExpiresAt: expires.Unix()})
			if c.Index == 0 {
				for n := range HeadCopies {
					heads = append(heads, chunkItem{PK: headPK(cat, n), SK: "head", Run: c.Run, Body: b})
				}
			}
		}
	}
	if len(items) > 0 {
		if _, err := s.table.Batch("pk", "sk").Write().Put(items...).Run(ctx); err != nil {
			return fmt.Errorf("write chunks: %w", err)
		}
	}
	errs := make([]error, len(heads))
	parallel.Each(heads, 8, func(i int, h chunkItem) {
		err := s.table.Put(h).If("attribute_not_exists('run') OR 'run' <= ?", h.Run).Run(ctx)
		if !dynamo.IsCondCheckFailed(err) {
			errs[i] = err
		}
	})
	return errors.Join(errs...)
}

func (it chunkItem) chunk(now time.Time) (Chunk, error) {
	if it.ExpiresAt != 0 && it.ExpiresAt <= now.Unix() {
		return Chunk{}, ErrPageNotFound
	}
	var c Chunk
	if err := json.Unmarshal(it.Body, &c); err != nil {
		return Chunk{}, fmt.Errorf("chunk %s %s: %w", it.PK, it.SK, err)
	}
	return c, nil
}

// Chunk reads one chunk: a copy of a feed's head (run "") or a run's chunk.
// One read, but for a head copy not written (yet): a feed no run ranked
// since there were copies is read again at copy 0, where the single head of
// before the copies is; after one run of this ranker, that is only a feed
// no run ranked at all (an unknown category), whose copy 0 is missing too.
func (s *DynamoStore) Chunk(ctx context.Context, ref ChunkRef, now time.Time) (Chunk, error) {
	var it chunkItem
	pk, sk := chunkKey(ref)
	err := s.table.Get("pk", pk).Range("sk", dynamo.Equal, sk).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) && ref.Run == "" && pk != headPK(ref.Category, 0) {
		err = s.table.Get("pk", headPK(ref.Category, 0)).Range("sk", dynamo.Equal, sk).One(ctx, &it)
	}
	if errors.Is(err, dynamo.ErrNotFound) {
		return Chunk{}, ErrPageNotFound
	}
	if err != nil {
		return Chunk{}, err
	}
	return it.chunk(now)
}

type profileItem struct {
	PK        string             `dynamo:"pk,hash"`
	SK        string             `dynamo:"sk,range"`
	Interests []string           `dynamo:"interests"`
	Learned   map[string]float64 `dynamo:"learned"`
	At        time.Time          `dynamo:"at,omitempty"`
	AtNS      int64              `dynamo:"at_ns,omitempty"`   // at as a number, to order by (laterThanStored)
	IDs       []string           `dynamo:"ids,set,omitempty"` // the former read#<day> sets
	ID        string             `dynamo:"id,omitempty"`
	ExpiresAt int64              `dynamo:"expires_at,omitempty"`
}

// Chunks reads the chunks refs name in one BatchGet (Store.Chunks); head
// copies not written (yet) are read again at copy 0 in a second, as Chunk.
func (s *DynamoStore) Chunks(ctx context.Context, refs []ChunkRef, now time.Time) (map[string]Chunk, error) {
	chunks := map[string]Chunk{}
	if err := s.batchChunks(ctx, refs, now, chunks); err != nil {
		return nil, err
	}
	var again []ChunkRef
	for _, r := range refs {
		if _, ok := chunks[r.Category]; !ok && r.Run == "" && headPK(r.Category, r.Copy) != headPK(r.Category, 0) {
			again = append(again, ChunkRef{Category: r.Category})
		}
	}
	if err := s.batchChunks(ctx, again, now, chunks); err != nil {
		return nil, err
	}
	return chunks, nil
}

// batchChunks reads refs' chunks in one BatchGet into out, by category.
func (s *DynamoStore) batchChunks(ctx context.Context, refs []ChunkRef, now time.Time, out map[string]Chunk) error {
	if len(refs) == 0 {
		return nil
	}
	keys := make([]dynamo.Keyed, len(refs))
	category := map[[2]string]string{}
	for i, r := range refs {
		pk, sk := chunkKey(r)
		keys[i] = dynamo.Keys{pk, sk}
		category[[2]string{pk, sk}] = r.Category
	}
	var items []chunkItem
	err := s.table.Batch("pk", "sk").Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return err
	}
	for _, it := range items {
		c, err := it.chunk(now)
		if errors.Is(err, ErrPageNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out[category[[2]string{it.PK, it.SK}]] = c
	}
	return nil
}

// Profile reads a user's interests and newest maxReads reads: one Query of
// at most maxReads+1 small items (the profile sorts first, then the reads
// newest first), however much the user has read.
func (s *DynamoStore) Profile(ctx context.Context, userID string, maxReads int, now time.Time) (Profile, error) {
	var items []profileItem
	if err := s.table.Get("pk", "u#"+userID).Limit(maxReads+1).All(ctx, &items); err != nil {
		return Profile{}, err
	}
	p := Profile{UserID: userID, Read: map[string]bool{}}
	for _, it := range items {
		live := it.ExpiresAt == 0 || it.ExpiresAt > now.Unix()
		switch {
		case it.SK == "profile":
			p.Interests, p.Learned, p.At = it.Interests, it.Learned, it.At
		case strings.HasPrefix(it.SK, "rd#") && live:
			p.Read[it.ID] = true
		case strings.HasPrefix(it.SK, "read#") && live: // written before reads were split; gone in ReadRetention
			for _, id := range it.IDs {
				p.Read[id] = true
			}
		}
	}
	return p, nil
}

// SetProfile stores a user's interests unless a later change is stored: the
// profile, then its copy in the inbox partition (Store.SetProfile), each a
// single-item conditional put, so applying the same change again rewrites
// the same items and a retry after a failure between them completes both.
func (s *DynamoStore) SetProfile(ctx context.Context, p Profile) error {
	if _, err := s.putProfile(ctx, "u#"+p.UserID, "profile", p); err != nil {
		return err
	}
	_, err := s.CopyInterests(ctx, p)
	return err
}

// CopyInterests stores the inbox's copy of a user's interests unless a copy
// of a change as late is stored (Store.CopyInterests).
func (s *DynamoStore) CopyInterests(ctx context.Context, p Profile) (bool, error) {
	return s.putProfile(ctx, "nb#"+p.UserID, inboxInterests, p)
}

// putProfile writes interests as of p.At unless an item as of a later time
// is stored. A zero At is not stored (the item has no at), so a copy made
// for a user with no profile yet gives way to any change.
func (s *DynamoStore) putProfile(ctx context.Context, pk, sk string, p Profile) (bool, error) {
	cond, args := laterThanStored("at", "at_ns", "<=", p.At)
	err := s.table.Put(profileRecord(pk, sk, p)).If("attribute_not_exists('at') OR "+cond, args...).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// profileRecord is the item of a user's interests as of p.At under (pk, sk):
// the profile, or the inbox's copy of it.
func profileRecord(pk, sk string, p Profile) profileItem {
	it := profileItem{PK: pk, SK: sk, Interests: p.Interests, Learned: p.Learned, At: p.At.UTC(), AtNS: nanos(p.At)}
	if it.Interests == nil {
		it.Interests = []string{}
	}
	if it.Learned == nil {
		it.Learned = map[string]float64{}
	}
	return it
}

// LoadProfiles stores the interests of users new to the feed in bulk: for
// each profile the very items SetProfile writes (the profile and the inbox's
// copy of its interests), in BatchWriteItem calls of 25 items (the
// operation's maximum), workers calls in flight. The writes are
// unconditional and overwrite: unlike SetProfile's they are not ordered
// against another change of the same user, so it is for users nothing else
// writes meanwhile, as make scale's simulated readers (SCALE.md gives the
// rate). Each user at most once; after the first failed call the calls not
// yet made are skipped.
func (s *DynamoStore) LoadProfiles(ctx context.Context, ps []Profile, workers int) error {
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if seen[p.UserID] {
			return fmt.Errorf("load profiles: user %q twice (a batch write takes an item once)", p.UserID)
		}
		seen[p.UserID] = true
	}
	const perCall = 25
	n := 2 * len(ps) // item 2i is profile i, 2i+1 its inbox copy
	calls := make([]int, (n+perCall-1)/perCall)
	var (
		mu    sync.Mutex
		first error
	)
	parallel.Each(calls, workers, func(c, _ int) {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			return
		}
		items := make([]any, 0, perCall)
		for i := c * perCall; i < min(n, (c+1)*perCall); i++ {
			p := ps[i/2]
			if i%2 == 0 {
				items = append(items, profileRecord("u#"+p.UserID, "profile", p))
			} else {
				items = append(items, profileRecord("nb#"+p.UserID, inboxInterests, p))
			}
		}
		if _, err := s.table.Batch("pk", "sk").Write().Put(items...).Run(ctx); err != nil {
			mu.Lock()
			if first == nil {
				first = fmt.Errorf("load profiles: %w", err)
			}
			mu.Unlock()
		}
	})
	return first
}

// inboxInterests keys the copy of a user's interests in the inbox partition:
// after every entry id (they start with a digit), so one range from the
// oldest live id up to it reads the marks and the copy.
const inboxInterests = "~interests"

// AddRead records articles a user opened: one small item per article, keyed
// newest first and expiring after readDays, so no item grows with how much a
// user reads (a day's set of ids passed DynamoDB's 400 KB at ~12,500 ids) and
// Profile reads back only the newest few. The keys come from the event (its
// time and ids), so a redelivery rewrites the same items. Writes are
// BatchWrites of 25.
func (s *DynamoStore) AddRead(ctx context.Context, userID string, ids []string, at, expires time.Time) error {
	seen := map[string]bool{}
	var items []any
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			items = append(items, profileItem{PK: "u#" + userID, SK: readSK(at, id), ID: id,
				ExpiresAt: expires.Unix()})
		}
	}
	if len(items) == 0 {
		return nil
	}
	_, err := s.table.Batch("pk", "sk").Write().Put(items...).Run(ctx)
	return err
}

// readSK orders a user's reads newest first after the profile ("profile" <
// "rd#"): the inverted time, then the article.
func readSK(at time.Time, id string) string {
	return fmt.Sprintf("rd#%019d#%s", math.MaxInt64-at.UnixNano(), id)
}

type inboxItem struct {
	PK        string    `dynamo:"pk,hash"`
	SK        string    `dynamo:"sk,range"`
	ArticleID string    `dynamo:"article_id"`
	Story     string    `dynamo:"story,omitempty"`
	Title     string    `dynamo:"title"`
	URL       string    `dynamo:"url"`
	Category  string    `dynamo:"category"`
	CreatedAt time.Time `dynamo:"created_at"`
	Read      bool      `dynamo:"read,omitempty"`
	ExpiresAt int64     `dynamo:"expires_at"`
	// A trending entry's moderation: hidden, as of moderated_ns (Unix nanos).
	Hidden      bool  `dynamo:"hidden,omitempty"`
	ModeratedNS int64 `dynamo:"moderated_ns,omitempty"`
}

// TrendHour records the hour a story first trended, once: an update that
// sets the hour only where none is (Store.TrendHour).
func (s *DynamoStore) TrendHour(ctx context.Context, story, hour string, expires time.Time) (string, error) {
	var it struct {
		Hour string `dynamo:"hour"`
	}
	err := s.table.Update("pk", "sy#"+story).Range("sk", "trend").SetIfNotExists("hour", hour).
		SetIfNotExists("expires_at", expires.Unix()).Value(ctx, &it)
	return it.Hour, err
}

// PutTrending records a trending story's entry under its category once: a
// conditional put in the trending partition (Store.PutTrending).
func (s *DynamoStore) PutTrending(ctx context.Context, n Notification, expires time.Time) (bool, error) {
	it := inboxItem{PK: trendingKey, SK: n.ID + "#" + n.Category, ArticleID: n.ArticleID, Story: n.Story, Title: n.Title,
		URL: n.URL, Category: n.Category, CreatedAt: n.CreatedAt.UTC(), ExpiresAt: expires.Unix(), ModeratedNS: nanos(n.ModeratedAt)}
	err := s.table.Put(it).If("attribute_not_exists('pk')").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// ModerateTrending sets an entry's moderation if later than the one it
// follows: one conditional update (Store.ModerateTrending).
func (s *DynamoStore) ModerateTrending(ctx context.Context, n Notification) (bool, error) {
	up := s.table.Update("pk", trendingKey).Range("sk", n.ID+"#"+n.Category).Set("hidden", n.Hidden).
		Set("moderated_ns", nanos(n.ModeratedAt))
	if n.Story != "" {
		up = up.Set("story", n.Story)
	}
	err := up.If("attribute_exists('pk') AND (attribute_not_exists('moderated_ns') OR 'moderated_ns' < ?)", nanos(n.ModeratedAt)).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// trendingKey is the partition of the trending entries: written once per
// trending story and category, read by each notifications-api instance once
// per TrendingRefresh, so neither its writes nor its reads grow with readers.
const trendingKey = "tn"

// Trending lists the trending entries from since, newest first: one Query
// (more only past 1 MB, some 3,000 entries) (Store.Trending).
func (s *DynamoStore) Trending(ctx context.Context, since string, now time.Time) ([]Notification, error) {
	var items []inboxItem
	if err := s.table.Get("pk", trendingKey).Range("sk", dynamo.GreaterOrEqual, since).Order(dynamo.Descending).All(ctx, &items); err != nil {
		return nil, err
	}
	out := make([]Notification, 0, len(items))
	for _, it := range items {
		if it.ExpiresAt > now.Unix() {
			id, _, _ := strings.Cut(it.SK, "#")
			out = append(out, it.notification(id))
		}
	}
	return out, nil
}

func (it inboxItem) notification(id string) Notification {
	story := it.Story
	if story == "" { // written before stories: the id names the article, as the story did
		story = it.ArticleID
	}
	n := Notification{ID: id, ArticleID: it.ArticleID, Story: story, Title: it.Title, URL: it.URL,
		Category: it.Category, CreatedAt: it.CreatedAt, Read: it.Read, Hidden: it.Hidden}
	if it.ModeratedNS != 0 {
		n.ModeratedAt = time.Unix(0, it.ModeratedNS).UTC()
	}
	return n
}

// inboxRow is any item of an inbox partition: the interests copy, a read
// mark, or an entry written for the user alone.
type inboxRow struct {
	inboxItem
	Interests []string           `dynamo:"interests"`
	Learned   map[string]float64 `dynamo:"learned"`
	At        time.Time          `dynamo:"at"`
}

// Inbox reads a user's inbox partition from since up to the interests copy:
// one Query (Store.Inbox). Its size is the user's read marks and old
// entries of the last 2×InboxRetention, one small item per story.
func (s *DynamoStore) Inbox(ctx context.Context, userID, since string, now time.Time) (InboxState, error) {
	var rows []inboxRow
	if err := s.table.Get("pk", "nb#"+userID).Range("sk", dynamo.Between, since, inboxInterests).All(ctx, &rows); err != nil {
		return InboxState{}, err
	}
	st := InboxState{Profile: Profile{UserID: userID}, Read: map[string]bool{}}
	for _, r := range rows {
		switch {
		case r.SK == inboxInterests:
			st.Profile.Interests, st.Profile.Learned, st.Profile.At, st.Interested = r.Interests, r.Learned, r.At, true
		case r.ExpiresAt <= now.Unix():
		case r.Title != "":
			st.Entries = append(st.Entries, r.notification(r.SK))
		case r.Read:
			st.Read[r.SK] = true
		}
	}
	return st, nil
}

// MarkRead records a read mark, or sets an old entry's read flag, leaving an
// existing expiry alone, unless it is read already: one conditional update
// (Store.MarkRead).
func (s *DynamoStore) MarkRead(ctx context.Context, userID, id string, expires time.Time) (bool, error) {
	err := s.table.Update("pk", "nb#"+userID).Range("sk", id).Set("read", true).
		SetIfNotExists("expires_at", expires.Unix()).If("attribute_not_exists('read') OR 'read' = ?", false).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	return err == nil, err
}

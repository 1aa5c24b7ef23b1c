package article

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// DynamoStore keeps the articles domain in its one table (see the topology's
// "articles" table): articles, sources and the ingestion checkpoint, told apart
// by their pk prefix. Four sparse indexes serve the lists: by-category and
// by-kind (newest first; a hidden article leaves both), by-ingest, and
// by-story (a story's versions, keyed by the article's story attribute).
type DynamoStore struct {
	table dynamo.Table
}

// NewDynamoStore returns a store over the articles table.
func NewDynamoStore(t dynamo.Table) *DynamoStore { return &DynamoStore{table: t} }

// Index names, as declared in the topology.
const (
	IndexByCategory = "by-category"
	IndexByKind     = "by-kind"
	IndexByIngest   = "by-ingest"
	IndexByStory    = "by-story"
	IndexByDue      = "by-due"
)

const (
	articlesKind = "articles"
	sourcesKind  = "sources"
	ingestKind   = "ingested"
	dueKind      = "due"
	websubKind   = "websub"
	websubDue    = "websub-due"
	checkpointPK = "meta#ingest-checkpoint"
)

type articleItem struct {
	PK          string    `dynamo:"pk,hash"`
	GSI1PK      string    `dynamo:"gsi1pk,omitempty"`
	GSI1SK      string    `dynamo:"gsi1sk,omitempty"`
	GSI2PK      string    `dynamo:"gsi2pk,omitempty"`
	GSI2SK      string    `dynamo:"gsi2sk,omitempty"`
	GSI3PK      string    `dynamo:"gsi3pk,omitempty"`
	GSI3SK      string    `dynamo:"gsi3sk,omitempty"`
	ID          string    `dynamo:"id"`
	URL         string    `dynamo:"url"`
	Title       string    `dynamo:"title"`
	Summary     string    `dynamo:"summary,omitempty"`
	ImageURL    string    `dynamo:"image_url,omitempty"`
	SourceID    string    `dynamo:"source_id"`
	Category    string    `dynamo:"category"`
	Story       string    `dynamo:"story"`
	Language    string    `dynamo:"language,omitempty"`
	PublishedAt time.Time `dynamo:"published_at"`
	IngestedAt  time.Time `dynamo:"ingested_at"`
	Hidden      bool      `dynamo:"hidden,omitempty"`
	Pinned      bool      `dynamo:"pinned,omitempty"`
	Lead        bool      `dynamo:"lead,omitempty"`
	ByEditor    bool      `dynamo:"story_by_editor,omitempty"`
	Weight      float64   `dynamo:"source_weight,omitempty"`
	ModeratedAt time.Time `dynamo:"moderated_at,omitempty"`
	Fingerprint uint64    `dynamo:"fingerprint"`
}

// UnmarshalDynamoItem is guregu's reflective decode of an article item
// without the reflection (guregu's ItemUnmarshaler): its decoder re-reads
// every field's tag and makes a map on each item, about 5 µs of a warm
// GET /v1/articles/{id} and as much per item of a list page. Each attribute
// of the shape articleItem stores is read directly; an item with any other
// (a NULL, a time stored as a number, a wrong type) goes to the reflective
// decoder whole, so the result — and the error — is always the one guregu
// gives (TestArticleItemsDecodeAsGureguDecodesThem).
func (it *articleItem) UnmarshalDynamoItem(item dynamo.Item) error {
	var out articleItem
	ok := avString(item, "pk", &out.PK) && avString(item, "gsi1pk", &out.GSI1PK) && avString(item, "gsi1sk", &out.GSI1SK) &&
		avString(item, "gsi2pk", &out.GSI2PK) && avString(item, "gsi2sk", &out.GSI2SK) &&
		avString(item, "gsi3pk", &out.GSI3PK) && avString(item, "gsi3sk", &out.GSI3SK) &&
		avString(item, "id", &out.ID) && avString(item, "url", &out.URL) && avString(item, "title", &out.Title) &&
		avString(item, "summary", &out.Summary) && avString(item, "image_url", &out.ImageURL) &&
		avString(item, "source_id", &out.SourceID) && avString(item, "category", &out.Category) &&
		avString(item, "story", &out.Story) && avString(item, "language", &out.Language) &&
		avTime(item, "published_at", &out.PublishedAt) && avTime(item, "ingested_at", &out.IngestedAt) &&
		avBool(item, "hidden", &out.Hidden) && avBool(item, "pinned", &out.Pinned) && avBool(item, "lead", &out.Lead) &&
		avBool(item, "story_by_editor", &out.ByEditor) && avFloat(item, "source_weight", &out.Weight) &&
		avTime(item, "moderated_at", &out.ModeratedAt) && avUint(item, "fingerprint", &out.Fingerprint)
	if !ok {
		return dynamo.UnmarshalItem(item, (*reflectedArticleItem)(it))
	}
	*it = out
	return nil
}

// reflectedArticleItem is articleItem without its UnmarshalDynamoItem: what
// guregu decodes by reflection.
type reflectedArticleItem articleItem

// The avX read an attribute of the shape the item stores into dst (absent:
// left zero, as guregu leaves it); false for any other shape.
func avString(item dynamo.Item, name string, dst *string) bool {
	av, ok := item[name]
	if !ok {
		return true
	}
	s, ok := av.(*types.AttributeValueMemberS)
	if ok {
		*dst = s.Value
	}
	return ok
}

func avBool(item dynamo.Item, name string, dst *bool) bool {
	av, ok := item[name]
	if !ok {
		return true
	}
	b, ok := av.(*types.AttributeValueMemberBOOL)
	if ok {
		*dst = b.Value
	}
	return ok
}

func avTime(item dynamo.Item, name string, dst *time.Time) bool {
	av, ok := item[name]
	if !ok {
		return true
	}
	s, ok := av.(*types.AttributeValueMemberS)
	return ok && dst.UnmarshalText([]byte(s.Value)) == nil
}

func avFloat(item dynamo.Item, name string, dst *float64) bool {
	av, ok := item[name]
	if !ok {
		return true
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	*dst = f
	return err == nil
}

func avUint(item dynamo.Item, name string, dst *uint64) bool {
	av, ok := item[name]
	if !ok {
		return true
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	u, err := strconv.ParseUint(n.Value, 10, 64)
	*dst = u
	return err == nil
}

func articlePK(id string) string { return "article#" + id }
func sourcePK(id string) string  { return "source#" + id }

func listKey(a Article) string { return position(a.PublishedAt, a.ID) }

func toItem(a Article) articleItem {
	it := articleItem{
		PK: articlePK(a.ID), ID: a.ID, URL: a.URL, Title: a.Title, Summary: a.Summary, ImageURL: a.ImageURL,
		SourceID: a.SourceID, Category: a.Category, Story: a.Story, Language: a.Language,
		PublishedAt: a.PublishedAt.UTC(), IngestedAt: a.IngestedAt.UTC(), Hidden: a.Hidden, Fingerprint: a.Fingerprint,
		Pinned: a.Pinned, Lead: a.Lead, ByEditor: a.StoryByEditor, Weight: a.SourceWeight, ModeratedAt: a.ModeratedAt.UTC(),
		GSI3PK: ingestKind, GSI3SK: position(a.IngestedAt, a.ID),
	}
	if !a.Hidden {
		it.GSI1PK, it.GSI1SK = "cat#"+a.Category, listKey(a)
		it.GSI2PK, it.GSI2SK = articlesKind, listKey(a)
	}
	return it
}

func (it articleItem) article() Article {
	return Article{ID: it.ID, URL: it.URL, Title: it.Title, Summary: it.Summary, ImageURL: it.ImageURL,
		SourceID: it.SourceID, Category: it.Category, Story: it.Story, Language: it.Language,
		PublishedAt: it.PublishedAt, IngestedAt: it.IngestedAt, Hidden: it.Hidden, Fingerprint: it.Fingerprint,
		Pinned: it.Pinned, Lead: it.Lead, StoryByEditor: it.ByEditor, SourceWeight: it.Weight, ModeratedAt: it.ModeratedAt}
}

// PutArticle is one conditional put (the first source to carry a URL wins),
// then the title's postings in one BatchWrite. A failure between the two
// leaves the article stored but not posted: it is then no candidate for the
// stories of later articles (they start their own), nothing else.
func (s *DynamoStore) PutArticle(ctx context.Context, a Article) error {
	err := s.table.Put(toItem(a)).If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return exists("article %s already exists", a.ID)
	}
	if err != nil {
		return err
	}
	return s.post(ctx, a)
}

// postingItem is an article filed under one of its title's tokens (pk
// post#<token>#<id>), listed by by-kind (gsi2pk tok#<token>, gsi2sk its
// ingestion position). It has no story attribute (an editor's move would
// leave it stale; by-story must not list it) and expires PostingLife after
// the article's ingestion.
type postingItem struct {
	PK        string    `dynamo:"pk,hash"`
	GSI2PK    string    `dynamo:"gsi2pk"`
	GSI2SK    string    `dynamo:"gsi2sk"`
	ID        string    `dynamo:"id"`
	Title     string    `dynamo:"title"`
	Published time.Time `dynamo:"published"`
	ExpiresAt int64     `dynamo:"expires_at"`
}

func postingsKind(t uint64) string { return "tok#" + tokenKey(t) }

// post writes the postings of a's title (the same items each time: a
// repeat rewrites them), a put each, eight at a time. (Not BatchWriteItem:
// the same write units, but its client code would grow every bootstrap
// linking the store by about 100 KB.)
func (s *DynamoStore) post(ctx context.Context, as ...Article) error {
	var items []postingItem
	for _, a := range as {
		for _, t := range Tokens(a.Title) {
			items = append(items, postingItem{PK: "post#" + tokenKey(t) + "#" + a.ID, GSI2PK: postingsKind(t),
				GSI2SK: position(a.IngestedAt, a.ID), ID: a.ID, Title: a.Title, Published: a.PublishedAt.UTC(),
				ExpiresAt: a.IngestedAt.Add(PostingLife).Unix()})
		}
	}
	errs := make([]error, len(items))
	parallel.Each(items, 8, func(i int, it postingItem) { errs[i] = s.table.Put(it).Run(ctx) })
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("post the title of %s: %w", as[0].ID, err)
		}
	}
	return nil
}

// GetArticles reads the articles, a GetItem each, eight at a time (the read
// units of a BatchGetItem, without its client code; see post).
func (s *DynamoStore) GetArticles(ctx context.Context, ids []string) ([]Article, error) {
	seen := map[string]bool{}
	var once []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			once = append(once, id)
		}
	}
	ids = once
	found := make([]*Article, len(ids))
	errs := make([]error, len(ids))
	parallel.Each(ids, 8, func(i int, id string) {
		a, err := s.GetArticle(ctx, id)
		switch {
		case err == nil:
			found[i] = &a
		case !errors.Is(err, ErrNotFound):
			errs[i] = err
		}
	})
	var out []Article
	for i, a := range found {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if a != nil {
			out = append(out, *a)
		}
	}
	return out, nil
}

// Postings queries by-kind for the token, newest ingested first, from since
// on (older postings, not deleted yet, are out of the range).
func (s *DynamoStore) Postings(ctx context.Context, token uint64, since time.Time, limit int) ([]Posting, error) {
	var items []postingItem
	err := s.table.Get("gsi2pk", postingsKind(token)).Index(IndexByKind).
		Range("gsi2sk", dynamo.GreaterOrEqual, since.UTC().Format(sortTime)).Order(dynamo.Descending).Limit(limit).All(ctx, &items)
	if err != nil {
		return nil, err
	}
	out := make([]Posting, 0, len(items))
	for _, it := range items {
		at, err := time.Parse(sortTime, strings.TrimSuffix(it.GSI2SK, "#"+it.ID))
		if err != nil {
			return nil, fmt.Errorf("posting %s: %w", it.PK, err)
		}
		out = append(out, Posting{ID: it.ID, Title: it.Title, PublishedAt: it.Published, IngestedAt: at})
	}
	return out, nil
}

const postedPK = "meta#postings-v1"

// IndexPostings posts the articles of the window (read from by-ingest) in
// BatchWrites, then leaves the marker. Posting again what is posted already
// rewrites the same items, so a run that fails part-way is resumed by the
// next.
func (s *DynamoStore) IndexPostings(ctx context.Context, since time.Time) (int, error) {
	var marker checkpointItem
	err := s.table.Get("pk", postedPK).One(ctx, &marker)
	if err == nil {
		return 0, nil
	}
	if !errors.Is(err, dynamo.ErrNotFound) {
		return 0, err
	}
	recent, err := s.RecentArticles(ctx, since)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(recent); i += 100 {
		if err := s.post(ctx, recent[i:min(i+100, len(recent))]...); err != nil {
			return i, err
		}
	}
	return len(recent), s.table.Put(checkpointItem{PK: postedPK, At: 1}).Run(ctx)
}

// GetArticle reads an article.
func (s *DynamoStore) GetArticle(ctx context.Context, id string) (Article, error) {
	var it articleItem
	err := s.table.Get("pk", articlePK(id)).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Article{}, notFound("no article %s", id)
	}
	if err != nil {
		return Article{}, err
	}
	return it.article(), nil
}

// ListArticles is one Query on a sparse index, newest first; the cursor is the
// last item's sort key, so items arriving meanwhile never shift a page.
func (s *DynamoStore) ListArticles(ctx context.Context, category string, limit int, cursor string) (Page, error) {
	q := s.table.Get("gsi2pk", articlesKind).Index(IndexByKind)
	rangeKey := "gsi2sk"
	if category != "" {
		q = s.table.Get("gsi1pk", "cat#"+category).Index(IndexByCategory)
		rangeKey = "gsi1sk"
	}
	if cursor != "" {
		q = q.Range(rangeKey, dynamo.Less, cursor)
	}
	var items []articleItem
	if err := q.Order(dynamo.Descending).Limit(limit+1).All(ctx, &items); err != nil {
		return Page{}, err
	}
	p := Page{Items: []Article{}}
	for i, it := range items {
		if i == limit {
			p.NextCursor = listKey(p.Items[limit-1])
			break
		}
		p.Items = append(p.Items, it.article())
	}
	return p, nil
}

// RecentArticles reads the by-ingest index from since on.
func (s *DynamoStore) RecentArticles(ctx context.Context, since time.Time) ([]Article, error) {
	var items []articleItem
	err := s.table.Get("gsi3pk", ingestKind).Index(IndexByIngest).
		Range("gsi3sk", dynamo.GreaterOrEqual, since.UTC().Format(sortTime)).All(ctx, &items)
	if err != nil {
		return nil, err
	}
	out := make([]Article, len(items))
	for i, it := range items {
		out[i] = it.article()
	}
	return out, nil
}

// AdminArticles queries the by-ingest index (every article, hidden ones
// too), newest first, filtering by category and hidden state; the cursor is
// the last item's index key.
func (s *DynamoStore) AdminArticles(ctx context.Context, f ArticleFilter, limit int, cursor string) (Page, error) {
	q := s.table.Get("gsi3pk", ingestKind).Index(IndexByIngest).Order(dynamo.Descending)
	if cursor != "" {
		q = q.Range("gsi3sk", dynamo.Less, cursor)
	}
	if f.Category != "" {
		q = q.Filter("'category' = ?", f.Category)
	}
	if f.Hidden != nil {
		if *f.Hidden {
			q = q.Filter("'hidden' = ?", true)
		} else {
			q = q.Filter("attribute_not_exists('hidden') OR 'hidden' = ?", false)
		}
	}
	var items []articleItem
	if err := q.Limit(limit+1).All(ctx, &items); err != nil {
		return Page{}, err
	}
	p := Page{Items: []Article{}}
	for i, it := range items {
		if i == limit {
			p.NextCursor = items[limit-1].GSI3SK
			break
		}
		p.Items = append(p.Items, it.article())
	}
	return p, nil
}

// SaveEditorial is one conditional update of the editorial attributes: a
// hidden article leaves both list indexes, a shown one returns to them, and
// the story it is put in is the by-story index's key. The condition is the
// moderation time the caller read, so two concurrent changes cannot
// interleave.
func (s *DynamoStore) SaveEditorial(ctx context.Context, a Article, was time.Time) error {
	u := s.table.Update("pk", articlePK(a.ID)).Set("story", a.Story).Set("moderated_at", a.ModeratedAt.UTC())
	flag := func(name string, on bool) {
		if on {
			u = u.Set(name, true)
		} else {
			u = u.Remove(name) // as the item's omitempty writes it
		}
	}
	flag("hidden", a.Hidden)
	flag("pinned", a.Pinned)
	flag("lead", a.Lead)
	flag("story_by_editor", a.StoryByEditor)
	if a.Hidden {
		u = u.Remove("gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
	} else {
		u = u.Set("gsi1pk", "cat#"+a.Category).Set("gsi1sk", listKey(a)).Set("gsi2pk", articlesKind).Set("gsi2sk", listKey(a))
	}
	if was.IsZero() {
		u = u.If("attribute_exists(pk) AND attribute_not_exists(moderated_at)")
	} else {
		u = u.If("attribute_exists(pk) AND moderated_at = ?", was.UTC())
	}
	err := u.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		if _, err := s.GetArticle(ctx, a.ID); err != nil {
			return err
		}
		return conflict("article %s was moderated concurrently; try again", a.ID)
	}
	return err
}

// StoryArticles queries the by-story index (every article is in it, hidden
// ones too, sorted by its publication time).
func (s *DynamoStore) StoryArticles(ctx context.Context, story string, limit int) ([]Article, error) {
	var items []articleItem
	if err := s.table.Get("story", story).Index(IndexByStory).Limit(limit).All(ctx, &items); err != nil {
		return nil, err
	}
	out := make([]Article, len(items))
	for i, it := range items {
		out[i] = it.article()
	}
	// The index sorts published_at as text, which puts a fraction of a second
	// before the whole second: order exactly here. (Past the limit, a version
	// published within the same second as the last one read may be the one
	// left out.)
	// (sort.Slice, not slices.SortFunc: a generic sort of this large struct
	// costs every binary linking the store ~20 KB.)
	sort.Slice(out, func(i, j int) bool { return listKey(out[i]) < listKey(out[j]) })
	return out, nil
}

type sourceItem struct {
	PK                  string    `dynamo:"pk,hash"`
	GSI2PK              string    `dynamo:"gsi2pk"`
	GSI2SK              string    `dynamo:"gsi2sk"`
	GSI4PK              string    `dynamo:"gsi4pk,omitempty"`
	GSI4SK              string    `dynamo:"gsi4sk,omitempty"`
	ID                  string    `dynamo:"id"`
	URL                 string    `dynamo:"url"`
	Name                string    `dynamo:"name"`
	Category            string    `dynamo:"category"`
	Weight              float64   `dynamo:"weight"`
	ETag                string    `dynamo:"etag,omitempty"`
	LastModified        string    `dynamo:"last_modified,omitempty"`
	LastSuccess         time.Time `dynamo:"last_success,omitempty"`
	LastChecked         time.Time `dynamo:"last_checked,omitempty"`
	ConsecutiveFailures int       `dynamo:"consecutive_failures"`
	LastError           string    `dynamo:"last_error,omitempty"`
	NextFetchAt         time.Time `dynamo:"next_fetch_at,omitempty"`
	CreatedAt           time.Time `dynamo:"created_at"`
	UpdatedAt           time.Time `dynamo:"updated_at"`
	Refetches           int       `dynamo:"refetches,omitempty"`
}

func (it sourceItem) source() Source {
	return Source{ID: it.ID, URL: it.URL, Name: it.Name, Category: it.Category, Weight: it.Weight,
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, Refetches: it.Refetches, FetchState: FetchState{
			ETag: it.ETag, LastModified: it.LastModified, LastSuccess: it.LastSuccess, LastChecked: it.LastChecked,
			ConsecutiveFailures: it.ConsecutiveFailures, LastError: it.LastError, NextFetchAt: it.NextFetchAt}}
}

// PutSource creates a source.
func (s *DynamoStore) PutSource(ctx context.Context, src Source) error {
	it := sourceItem{PK: sourcePK(src.ID), GSI2PK: sourcesKind, GSI2SK: src.ID, GSI4PK: dueKind, GSI4SK: dueKey(time.Time{}, src.ID),
		ID: src.ID, URL: src.URL, Name: src.Name,
		Category: src.Category, Weight: src.Weight, CreatedAt: src.CreatedAt.UTC(), UpdatedAt: src.UpdatedAt.UTC()}
	err := s.table.Put(it).If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return exists("source %s already exists", src.ID)
	}
	return err
}

// UpdateSource changes the editable fields and returns the source as stored:
// a read and one conditional update. A new URL forgets the old one's
// validators and backoff; the update is conditional on the URL it read, so a
// concurrent URL change cannot leave stale validators behind.
func (s *DynamoStore) UpdateSource(ctx context.Context, src Source) (Source, error) {
	for range 3 {
		old, err := s.GetSource(ctx, src.ID)
		if err != nil {
			return Source{}, err
		}
		u := s.table.Update("pk", sourcePK(src.ID)).
			Set("url", src.URL).Set("name", src.Name).Set("category", src.Category).Set("weight", src.Weight).
			Set("updated_at", src.UpdatedAt.UTC()).If("attribute_exists(pk) AND $ = ?", "url", old.URL)
		if old.URL != src.URL {
			u = setDue(u.Remove("etag", "last_modified", "next_fetch_at").Set("consecutive_failures", 0), time.Time{}, src.ID)
		}
		var it sourceItem
		err = u.Value(ctx, &it)
		if dynamo.IsCondCheckFailed(err) {
			continue // deleted or re-pointed meanwhile: read again
		}
		if err != nil {
			return Source{}, err
		}
		return it.source(), nil
	}
	if _, err := s.GetSource(ctx, src.ID); err != nil {
		return Source{}, err
	}
	return Source{}, fmt.Errorf("update source %s: too much contention", src.ID)
}

// DeleteSource removes a source; its articles stay.
func (s *DynamoStore) DeleteSource(ctx context.Context, id string) error {
	err := s.table.Delete("pk", sourcePK(id)).If("attribute_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return notFound("no source %s", id)
	}
	return err
}

// GetSource reads one source.
func (s *DynamoStore) GetSource(ctx context.Context, id string) (Source, error) {
	var it sourceItem
	err := s.table.Get("pk", sourcePK(id)).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Source{}, notFound("no source %s", id)
	}
	if err != nil {
		return Source{}, err
	}
	return it.source(), nil
}

// ListSources lists every source by id.
func (s *DynamoStore) ListSources(ctx context.Context) ([]Source, error) {
	var items []sourceItem
	if err := s.table.Get("gsi2pk", sourcesKind).Index(IndexByKind).All(ctx, &items); err != nil {
		return nil, err
	}
	out := make([]Source, len(items))
	for i, it := range items {
		out[i] = it.source()
	}
	return out, nil
}

// RecordFetch updates only the fetch state, so a concurrent edit of the
// source's name, category or weight is kept; validators over MaxValidator are
// not kept and the error is cut to MaxLastError, so no response can grow the
// item past DynamoDB's 400 KB. The update is conditional on was's URL, next
// fetch and refetch count: a URL changed or a refetch asked for while the
// run fetched wins (ErrSuperseded).
func (s *DynamoStore) RecordFetch(ctx context.Context, was Source, st FetchState) error {
	st = st.bounded()
	id := was.ID
	u := s.table.Update("pk", sourcePK(id)).
		Set("consecutive_failures", st.ConsecutiveFailures).Set("last_checked", st.LastChecked.UTC()).
		If("attribute_exists(pk) AND $ = ?", "url", was.URL)
	if was.NextFetchAt.IsZero() {
		u = u.If("attribute_not_exists($)", "next_fetch_at")
	} else {
		u = u.If("$ = ?", "next_fetch_at", was.NextFetchAt.UTC())
	}
	if was.Refetches == 0 {
		u = u.If("attribute_not_exists($)", "refetches")
	} else {
		u = u.If("$ = ?", "refetches", was.Refetches)
	}
	set := func(name, v string) {
		if v == "" {
			u = u.Remove(name)
		} else {
			u = u.Set(name, v)
		}
	}
	set("etag", st.ETag)
	set("last_modified", st.LastModified)
	set("last_error", st.LastError)
	if !st.LastSuccess.IsZero() {
		u = u.Set("last_success", st.LastSuccess.UTC())
	}
	if !st.NextFetchAt.IsZero() {
		u = setDue(u.Set("next_fetch_at", st.NextFetchAt.UTC()), st.NextFetchAt, id)
	}
	err := u.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return ErrSuperseded // deleted, re-pointed or made due meanwhile: left as it is
	}
	return err
}

// MakeSourceDue removes next_fetch_at and puts the source first in by-due
// (dueKey of the zero time, as for a new source or a new URL), in one update
// conditional on the source failing, that returns the item as it was
// (ALL_OLD): the counters and validators RecordFetch keeps are left as they
// are. A failed condition is told apart by a read: no source, or one not
// failing.
func (s *DynamoStore) MakeSourceDue(ctx context.Context, id string) (Source, error) {
	var it sourceItem
	err := setDue(s.table.Update("pk", sourcePK(id)).Remove("next_fetch_at").Add("refetches", 1), time.Time{}, id).
		If("attribute_exists(pk) AND consecutive_failures > ?", 0).OldValue(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		if _, err := s.GetSource(ctx, id); err != nil {
			return Source{}, err
		}
		return Source{}, notFailing()
	}
	if err != nil {
		return Source{}, err
	}
	return it.source(), nil
}

// dueKey places a source in the by-due index: its next fetch (fixed width,
// so text order is time order; zero sorts first), then its id.
func dueKey(next time.Time, id string) string { return next.UTC().Format(sortTime) + "#" + id }

// setDue files the source id under next in by-due: the one place an update
// writes the index's key.
func setDue(u *dynamo.Update, next time.Time, id string) *dynamo.Update {
	return u.Set("gsi4pk", dueKind).Set("gsi4sk", dueKey(next, id))
}

// DueSources queries the by-due index through now. The index is eventually
// consistent: a fetch recorded a moment ago may still list its source as due,
// which costs one conditional GET, never an article.
func (s *DynamoStore) DueSources(ctx context.Context, now time.Time, limit int) ([]Source, error) {
	var items []sourceItem
	err := s.table.Get("gsi4pk", dueKind).Index(IndexByDue).
		Range("gsi4sk", dynamo.LessOrEqual, now.UTC().Format(sortTime)+"#~").Limit(limit).All(ctx, &items)
	if err != nil {
		return nil, err
	}
	out := make([]Source, len(items))
	for i, it := range items {
		out[i] = it.source()
	}
	return out, nil
}

const dueIndexedPK = "meta#due-index-v1"

// IndexDueSources backfills by-due: every source item without gsi4pk gets
// it (a conditional update each, so a concurrent RecordFetch wins), then the
// marker. A run that fails part-way is resumed by the next.
func (s *DynamoStore) IndexDueSources(ctx context.Context) (int, error) {
	var marker checkpointItem
	err := s.table.Get("pk", dueIndexedPK).One(ctx, &marker)
	if err == nil {
		return 0, nil
	}
	if !errors.Is(err, dynamo.ErrNotFound) {
		return 0, err
	}
	var items []sourceItem
	if err := s.table.Get("gsi2pk", sourcesKind).Index(IndexByKind).All(ctx, &items); err != nil {
		return 0, err
	}
	n := 0
	for _, it := range items {
		if it.GSI4PK != "" {
			continue
		}
		err := setDue(s.table.Update("pk", it.PK), it.NextFetchAt, it.ID).
			If("attribute_exists(pk) AND attribute_not_exists(gsi4pk)").Run(ctx)
		if err != nil && !dynamo.IsCondCheckFailed(err) {
			return n, err
		}
		if err == nil {
			n++
		}
	}
	return n, s.table.Put(checkpointItem{PK: dueIndexedPK, At: 1}).Run(ctx)
}

type subscriptionItem struct {
	PK          string    `dynamo:"pk,hash"`
	GSI2PK      string    `dynamo:"gsi2pk"` // by-kind: a source's subscriptions (sk source#id)
	GSI2SK      string    `dynamo:"gsi2sk"`
	GSI4PK      string    `dynamo:"gsi4pk"` // by-due: by NextCheck
	GSI4SK      string    `dynamo:"gsi4sk"`
	ID          string    `dynamo:"id"`
	SourceID    string    `dynamo:"source_id"`
	Hub         string    `dynamo:"hub"`
	Topic       string    `dynamo:"topic"`
	Secret      string    `dynamo:"secret"`
	State       string    `dynamo:"state"`
	RequestedAt time.Time `dynamo:"requested_at"`
	LeaseUntil  time.Time `dynamo:"lease_until,omitempty"`
	NextCheck   time.Time `dynamo:"next_check"`
	UpdatedAt   time.Time `dynamo:"updated_at"`
}

func subscriptionPK(id string) string { return "websub#" + id }

func (it subscriptionItem) subscription() Subscription {
	return Subscription{ID: it.ID, SourceID: it.SourceID, Hub: it.Hub, Topic: it.Topic, Secret: it.Secret, State: it.State,
		RequestedAt: it.RequestedAt, LeaseUntil: it.LeaseUntil, NextCheck: it.NextCheck, UpdatedAt: it.UpdatedAt}
}

// PutSubscription stores a subscription (listed through by-kind).
func (s *DynamoStore) PutSubscription(ctx context.Context, x Subscription) error {
	return s.table.Put(subscriptionItem{PK: subscriptionPK(x.ID), GSI2PK: websubKind, GSI2SK: x.SourceID + "#" + x.ID,
		GSI4PK: websubDue, GSI4SK: dueKey(x.NextCheck, x.ID), ID: x.ID,
		SourceID: x.SourceID, Hub: x.Hub, Topic: x.Topic, Secret: x.Secret, State: x.State,
		RequestedAt: x.RequestedAt.UTC(), LeaseUntil: x.LeaseUntil.UTC(), NextCheck: x.NextCheck.UTC(), UpdatedAt: x.UpdatedAt.UTC()}).Run(ctx)
}

// GetSubscription reads one subscription (a strongly consistent read: the
// hub verifies intent a moment after the subscribe request stored it).
func (s *DynamoStore) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	var it subscriptionItem
	err := s.table.Get("pk", subscriptionPK(id)).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return Subscription{}, notFound("no subscription %s", id)
	}
	if err != nil {
		return Subscription{}, err
	}
	return it.subscription(), nil
}

// DeleteSubscription removes a subscription.
func (s *DynamoStore) DeleteSubscription(ctx context.Context, id string) error {
	return s.table.Delete("pk", subscriptionPK(id)).Run(ctx)
}

// SourceSubscriptions queries by-kind for the source's subscriptions.
func (s *DynamoStore) SourceSubscriptions(ctx context.Context, sourceID string) ([]Subscription, error) {
	var items []subscriptionItem
	if err := s.table.Get("gsi2pk", websubKind).Index(IndexByKind).Range("gsi2sk", dynamo.BeginsWith, sourceID+"#").
		All(ctx, &items); err != nil {
		return nil, err
	}
	return subscriptions(items), nil
}

// DueSubscriptions queries by-due for the subscriptions to look at.
func (s *DynamoStore) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]Subscription, error) {
	var items []subscriptionItem
	if err := s.table.Get("gsi4pk", websubDue).Index(IndexByDue).
		Range("gsi4sk", dynamo.LessOrEqual, now.UTC().Format(sortTime)+"#~").Limit(limit).All(ctx, &items); err != nil {
		return nil, err
	}
	return subscriptions(items), nil
}

func subscriptions(items []subscriptionItem) []Subscription {
	out := make([]Subscription, len(items))
	for i, it := range items {
		out[i] = it.subscription()
	}
	return out
}

type checkpointItem struct {
	PK string `dynamo:"pk,hash"`
	At int64  `dynamo:"at_unix_nano"` // a number, so the condition compares times
}

// Checkpoint reads the ingestion checkpoint; zero when none.
func (s *DynamoStore) Checkpoint(ctx context.Context) (time.Time, error) {
	var it checkpointItem
	err := s.table.Get("pk", checkpointPK).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, it.At).UTC(), nil
}

// AdvanceCheckpoint moves the checkpoint forward only.
func (s *DynamoStore) AdvanceCheckpoint(ctx context.Context, t time.Time) error {
	err := s.table.Put(checkpointItem{PK: checkpointPK, At: t.UnixNano()}).If("attribute_not_exists(pk) OR at_unix_nano < ?", t.UnixNano()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("advance checkpoint: %w", err)
	}
	return nil
}

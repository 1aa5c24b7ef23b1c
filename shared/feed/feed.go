package feed

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

// Pages. A ranking run stores each category's ranked list in chunks of
// ChunkSize items; a page is a slice of one chunk, so serving it is one read.
const (
	ChunkSize    = 50
	DefaultLimit = 20
	MaxLimit     = ChunkSize
	// PageRetention is how long a run's chunks stay readable, so a cursor
	// outlives several ranking runs.
	PageRetention = 24 * time.Hour
)

// HeadCopies is how many copies of each feed's head a ranking run writes,
// each under its own partition key, so that the first page of a popular
// feed, read by every app, is spread over HeadCopies partitions. DynamoDB
// serves at most 3,000 read units a second from one partition, on-demand or
// not. A head is a chunk of ChunkSize ranked stories, about 20 KB: 2.5 read
// units eventually consistent (make scale measures it), so one copy serves
// 1,200 reads a second. The target: 10M daily readers, 4 pages each a day
// that read top's head (3 public pages, all counted as first pages, and the
// personal page, which reads top's head beside the interests'), 463 reads a
// second on average, and a news peak (a breaking story's push) of 10× the
// mean within a second, not the busiest hour's 2.5×: 4,630 reads a second,
// 3.9 copies' worth. 8 copies hold it with 2× to spare (a head grown to
// 40 KB still fits): 9,600 reads a second. The price is the writes: each run
// writes every head HeadCopies times, 8 × 20 = 160 write units a feed per
// run (at 384 runs a day, about $1.15 a feed a month), where reads stay one
// GetItem a page (the reader picks one copy).
const HeadCopies = 8

// Chunk is one stored slice of a run's ranked list for a category.
type Chunk struct {
	Category string    `json:"category"`
	Run      string    `json:"run"`
	Index    int       `json:"index"`
	Total    int       `json:"total"`
	RankedAt time.Time `json:"ranked_at"`
	Items    []Ranked  `json:"items"`
}

// Chunks cuts a ranked list into chunks (at least one, maybe empty).
func Chunks(category, run string, at time.Time, ranked []Ranked) []Chunk {
	var out []Chunk
	for i := 0; i == 0 || i < len(ranked); i += ChunkSize {
		out = append(out, Chunk{Category: category, Run: run, Index: i / ChunkSize, Total: len(ranked), RankedAt: at,
			Items: ranked[i:min(i+ChunkSize, len(ranked))]})
	}
	return out
}

// RunID names a ranking run; runs sort by time.
func RunID(t time.Time) string { return t.UTC().Format("20060102T150405.000000") }

var runRe = regexp.MustCompile(`^\d{8}T\d{6}\.\d{6}$`)

// Page is what the feed API returns.
type Page struct {
	Category   string    `json:"category,omitempty"`
	RankedAt   time.Time `json:"ranked_at,omitzero"`
	Items      []Item    `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// Item is one feed entry: a story, shown by its lead article, with the
// other sources' versions of it.
type Item struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	ImageURL    string    `json:"image_url,omitempty"`
	SourceID    string    `json:"source_id"`
	Category    string    `json:"category"`
	PublishedAt time.Time `json:"published_at"`
	Score       float64   `json:"score"`
	Reason      string    `json:"reason"`
	Story       string    `json:"story"`
	Versions    int       `json:"versions"`
	Also        []Version `json:"also"`
}

func itemOf(r Ranked, reason string) Item {
	it := Item{ID: r.ID, Title: r.Title, URL: r.URL, ImageURL: r.ImageURL, SourceID: r.SourceID, Category: r.Category,
		PublishedAt: r.PublishedAt, Score: r.Score, Reason: reason, Story: r.StoryID(), Versions: max(r.Versions, 1),
		Also: r.Also}
	if it.Also == nil {
		it.Also = []Version{}
	}
	return it
}

// position is a stream's place in a run's ranked list.
type position struct {
	Run    string `json:"r"`
	Offset int    `json:"o"`
}

func (p position) chunk() int { return p.Offset / ChunkSize }

func (p position) valid() bool {
	return runRe.MatchString(p.Run) && p.Offset > 0 && p.Offset < MaxRanked+1
}

// ExpiredCursor is returned for a cursor whose run's pages are gone.
var ExpiredCursor = kiosk.Errorf(kiosk.EINVALID, "cursor has expired; start again from the first page")

// publicList names a category's public feed, the list its cursors belong to.
func publicList(category string) string { return "feed|" + category }

// personalList names a user's personal feed.
func personalList(userID string) string { return "feed/me|" + userID }

// ValidCategory reports whether s is a category name (or "top").
func ValidCategory(s string) bool { return contract.ValidCategory(s) }

// PublicCursor decodes a cursor of a category's public feed (empty: the
// first page); a cursor of another feed is refused.
func PublicCursor(category, cursor string) (run string, offset int, err error) {
	var p position
	started, err := page.Decode(cursor, publicList(category), &p)
	if err != nil || !started {
		return "", 0, err
	}
	if !p.valid() {
		return "", 0, page.ErrCursor
	}
	return p.Run, p.Offset, nil
}

// ChunkIndex is the chunk holding offset.
func ChunkIndex(offset int) int { return offset / ChunkSize }

// PublicPage cuts a page of limit items at offset out of the chunk holding it;
// a page never crosses a chunk, so it may be shorter than limit.
func PublicPage(c Chunk, offset, limit int) Page {
	p := Page{Category: c.Category, RankedAt: c.RankedAt, Items: []Item{}}
	start := offset - c.Index*ChunkSize
	if start < 0 || start > len(c.Items) {
		return p
	}
	end := min(start+limit, len(c.Items))
	for _, r := range c.Items[start:end] {
		p.Items = append(p.Items, itemOf(r, r.Reason))
	}
	if next := c.Index*ChunkSize + end; next < c.Total && end > start {
		p.NextCursor = page.Cursor(publicList(c.Category), position{Run: c.Run, Offset: next})
	}
	return p
}

// Profile is what the feed domain keeps of a user: interests and recent reads.
type Profile struct {
	UserID    string
	Interests []string
	Learned   map[string]float64
	At        time.Time
	Read      map[string]bool
}

// LearnedAt returns learned weights sent as of at, as of now: they halve
// every events.LearnedHalfLife (the users domain's rule, in the contract), so
// a user idle for a month no longer counts a category they clicked a lot.
func LearnedAt(w map[string]float64, at, now time.Time) map[string]float64 {
	out := make(map[string]float64, len(w))
	f := 1.0
	if d := now.Sub(at); d > 0 && !at.IsZero() {
		f = math.Exp2(-float64(d) / float64(events.LearnedHalfLife))
	}
	for c, v := range w {
		out[c] = v * f
	}
	return out
}

// MaxReads is how many of a user's newest opened articles the personal feed
// hides. Feeds hold the last 72 h of news; a heavy reader opens about 100
// articles a day, so 500 covers the window with room, and the profile and
// reads stay one Query of at most ~50 KB.
const MaxReads = 500

// LearnedInterest is the learned weight (about that many clicks, decayed)
// from which a category counts as an interest.
const LearnedInterest = 2.0

// MaxStreams is how many interest categories a personal feed mixes.
const MaxStreams = 4

// TopShare is the share of a personal page drawn from the top feed
// (categories outside the user's interests), for discovery.
const TopShare = 0.2

// Stream is one source of a personal feed: an interest category or top.
type Stream struct {
	Category string  `json:"c"`
	Weight   float64 `json:"w"`
}

// Streams picks the personal feed's streams: explicit interests weigh 1, a
// learned interest its weight relative to the strongest learned one; the
// best MaxStreams share 1-TopShare of the page and top the rest. A user
// without interests gets top alone.
func (p Profile) Streams() []Stream { return p.StreamsShare(TopShare) }

// StreamsShare is Streams with topShare of the page drawn from top.
func (p Profile) StreamsShare(topShare float64) []Stream {
	w := map[string]float64{}
	for _, c := range p.Interests {
		w[c] += 1
	}
	maxLearned := 0.0
	for _, v := range p.Learned {
		maxLearned = max(maxLearned, v)
	}
	for c, v := range p.Learned {
		if v >= LearnedInterest {
			w[c] += v / maxLearned
		}
	}
	delete(w, Top)
	var out []Stream
	for c, v := range w {
		out = append(out, Stream{c, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		return out[i].Category < out[j].Category
	})
	out = out[:min(len(out), MaxStreams)]
	if len(out) == 0 {
		return []Stream{{Top, 1}}
	}
	sum := 0.0
	for _, s := range out {
		sum += s.Weight
	}
	for i := range out {
		out[i].Weight = out[i].Weight / sum * (1 - topShare)
	}
	if topShare <= 0 {
		return out
	}
	return append(out, Stream{Top, topShare})
}

// PersonalCursor is the personal feed's place in each stream.
type PersonalCursor map[string]position

// personalState is what a personal feed's cursor carries: every stream's
// position and the streams themselves, so all the pages of one cursor mix
// the same streams even when the user's interests change in between (a
// first page with new interests after a page without them would repeat
// what top showed). Cursors of before the streams were kept (a bare map of
// positions) still decode; their pages use the profile's streams.
type personalState struct {
	Pos     PersonalCursor `json:"p"`
	Streams []Stream       `json:"s,omitempty"`
	// Run is the ranking run of the first page: a stream that had not
	// started by then starts on that run's lists too, not on a later run's
	// head, so every stream of one cursor sees the stories as one run
	// grouped them (a later run may move a version to another category's
	// stream and show its story again).
	Run string `json:"r,omitempty"`
}

// DecodePersonal decodes a cursor of a user's personal feed (empty: the
// first page); a cursor of another user's feed is refused.
func DecodePersonal(userID, cursor string) (PersonalCursor, error) {
	c, _, _, err := DecodePersonalState(userID, cursor)
	return c, err
}

// DecodePersonalState decodes a personal feed's cursor into the streams'
// positions, the streams its first page mixed (nil: the profile's) and the
// run of its first page ("": none recorded).
func DecodePersonalState(userID, cursor string) (PersonalCursor, []Stream, string, error) {
	var st personalState
	started, err := page.Decode(cursor, personalList(userID), &st)
	if err != nil { // perhaps a bare map of positions
		st = personalState{}
		if _, bare := page.Decode(cursor, personalList(userID), &st.Pos); bare != nil {
			return nil, nil, "", err
		}
	} else if !started {
		return PersonalCursor{}, nil, "", nil
	}
	c := st.Pos
	if c == nil {
		c = PersonalCursor{}
	}
	if len(c) > MaxStreams+1 || len(st.Streams) > MaxStreams+1 {
		return nil, nil, "", page.ErrCursor
	}
	for cat, p := range c {
		// A stream may have ended (offset = total) but never starts at 0 in a
		// cursor: a stream not in the cursor starts from its head.
		if !ValidCategory(cat) || !runRe.MatchString(p.Run) || p.Offset < 1 || p.Offset > MaxRanked {
			return nil, nil, "", page.ErrCursor
		}
	}
	seen := map[string]bool{}
	sum := 0.0
	for _, s := range st.Streams {
		if !ValidCategory(s.Category) || seen[s.Category] || !(s.Weight > 0 && s.Weight <= 1) {
			return nil, nil, "", page.ErrCursor
		}
		seen[s.Category] = true
		sum += s.Weight
	}
	if sum > 1+1e-9 {
		return nil, nil, "", page.ErrCursor
	}
	if st.Run != "" && !runRe.MatchString(st.Run) {
		return nil, nil, "", page.ErrCursor
	}
	return c, st.Streams, st.Run, nil
}

// ChunkRef names a stored chunk: the head (Run "") or a run's chunk.
// Start marks a stream's first chunk of a cursor's run: absent, the
// stream had nothing in that run (not an expired cursor). Copy picks which
// of the head's HeadCopies copies a head read takes (modulo HeadCopies; a
// run's chunks have one copy): copies may hold different runs for the
// moment a run takes to write them all, which paging does not see, since a
// cursor names its run's chunks.
type ChunkRef struct {
	Category string
	Run      string
	Index    int
	Start    bool
	Copy     int
}

// Refs lists the chunks a personal page needs: each stream's head, or the
// chunk at its cursor position. Streams that have ended need none.
func (c PersonalCursor) Refs(streams []Stream) []ChunkRef { return c.RefsAt(streams, "") }

// RefsAt is Refs for a cursor whose first page was run: a stream not
// started yet starts on that run's first chunk.
func (c PersonalCursor) RefsAt(streams []Stream, run string) []ChunkRef {
	var out []ChunkRef
	for _, s := range streams {
		p, ok := c[s.Category]
		if !ok {
			out = append(out, ChunkRef{Category: s.Category, Run: run, Start: run != ""})
			continue
		}
		if p.Offset < MaxRanked {
			out = append(out, ChunkRef{Category: s.Category, Run: p.Run, Index: p.chunk()})
		}
	}
	return out
}

// Personal mixes one personal page from the streams' chunks (keyed by
// category): a smooth weighted round robin, skipping stories the user has
// read a version of. A story is in every feed one of its versions' category
// is, so each story is given to one stream only, whatever page it comes up
// on: the strongest interest stream among its categories, or top when none
// of them is an interest (the top stream skips every story with a version in
// an interest category). So no story repeats within a page or across the
// pages of one cursor. Each stream advances only within its loaded chunk;
// the cursor carries every stream's position.
func Personal(p Profile, streams []Stream, cur PersonalCursor, chunks map[string]Chunk, limit int) Page {
	return PersonalAt(p, streams, cur, "", chunks, limit)
}

// PersonalAt is Personal for a cursor whose first page was run ("": this is
// the first page, or a cursor of before runs were kept).
func PersonalAt(p Profile, streams []Stream, cur PersonalCursor, run string, chunks map[string]Chunk, limit int) Page {
	type state struct {
		Stream
		chunk   Chunk
		offset  int
		current float64
		done    bool
	}
	var st []*state
	for _, s := range streams {
		c, ok := chunks[s.Category]
		pos, started := cur[s.Category]
		x := &state{Stream: s, chunk: c, offset: pos.Offset}
		if !started {
			x.offset = 0
		}
		x.done = !ok || x.offset >= c.Total
		st = append(st, x)
	}
	out := Page{Items: []Item{}}
	var latest time.Time
	for _, x := range st {
		if x.chunk.RankedAt.After(latest) {
			latest = x.chunk.RankedAt
		}
	}
	out.RankedAt = latest
	if run == "" { // the first page: its newest run is the cursor's
		for _, x := range st {
			if x.chunk.RankedAt.Equal(latest) && x.chunk.Run != "" {
				run = x.chunk.Run
			}
		}
	}
	// owner is the stream a story is shown through: streams are ordered by
	// weight, top last.
	owner := func(r Ranked) string {
		cats := r.Categories
		if len(cats) == 0 {
			cats = []string{r.Category}
		}
		for _, x := range st {
			if x.Category != Top && slices.Contains(cats, x.Category) {
				return x.Category
			}
		}
		return Top
	}
	shown := map[string]bool{}
	next := func(x *state) (Ranked, bool) { // the stream's next unread item within its chunk
		for !x.done {
			i := x.offset - x.chunk.Index*ChunkSize
			if i < 0 || i >= len(x.chunk.Items) {
				x.done = true
				break
			}
			r := x.chunk.Items[i]
			x.offset++
			if p.read(r) || owner(r) != x.Category || shown[r.StoryID()] {
				continue
			}
			shown[r.StoryID()] = true
			return r, true
		}
		return Ranked{}, false
	}
	for len(out.Items) < limit {
		total := 0.0
		var best *state
		for _, x := range st {
			if x.done {
				continue
			}
			x.current += x.Weight
			total += x.Weight
			if best == nil || x.current > best.current {
				best = x
			}
		}
		if best == nil {
			break
		}
		best.current -= total
		r, ok := next(best)
		if !ok {
			continue
		}
		reason := r.Reason
		if best.Category != Top && r.Reason != ReasonPinned && r.Reason != ReasonTrending {
			reason = ReasonInterest + best.Category
		}
		out.Items = append(out.Items, itemOf(r, reason))
	}
	nc := PersonalCursor{}
	more := false
	for _, x := range st {
		if _, ok := chunks[x.Category]; !ok {
			if pos, started := cur[x.Category]; started {
				nc[x.Category] = pos
			}
			continue
		}
		if x.offset < x.chunk.Total && x.offset < MaxRanked {
			more = true
		}
		switch {
		case x.offset >= x.chunk.Total && x.chunk.Total > 0:
			nc[x.Category] = position{Run: x.chunk.Run, Offset: MaxRanked} // ended
		case x.offset > 0:
			nc[x.Category] = position{Run: x.chunk.Run, Offset: x.offset}
		}
	}
	if more {
		out.NextCursor = page.Cursor(personalList(p.UserID), personalState{Pos: nc, Streams: streams, Run: run})
	}
	return out
}

// read says whether the user opened the story's lead or a listed version.
func (p Profile) read(r Ranked) bool {
	if p.Read[r.ID] {
		return true
	}
	for _, v := range r.Also {
		if p.Read[v.ID] {
			return true
		}
	}
	return false
}

// InterestCategories are the categories a user counts as interested in for
// notifications: explicit ones and learned ones past LearnedInterest.
func (p Profile) InterestCategories() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range p.Interests {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for c, w := range p.Learned {
		if w >= LearnedInterest && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// How long the feed domain keeps what it stores.
const (
	// ReadRetention is how long a read is remembered: the feeds' window.
	ReadRetention = 3 * 24 * time.Hour
	// ArticleRetention is how long an article is kept: a day past the window.
	ArticleRetention = Window + 24*time.Hour
	// StatsRetention is how long a day's numbers are kept after the day
	// starts.
	StatsRetention = 5 * 24 * time.Hour
)

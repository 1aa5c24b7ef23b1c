// Package feed is the feed and notifications domain: the articles each feed
// may show (kept from article.published and article.moderated), the numbers
// ranking needs (from the tracking domain's article.stats), the ranking batch
// that precomputes every category's pages, the public and personal feeds
// served from those pages, and the trending inbox.
package feed

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Article is what the feed domain keeps of an article.
type Article struct {
	ID           string    `json:"id"`
	URL          string    `json:"url"`
	Title        string    `json:"title"`
	SourceID     string    `json:"source_id"`
	Category     string    `json:"category"`
	Story        string    `json:"story"`
	ImageURL     string    `json:"image_url,omitempty"`
	PublishedAt  time.Time `json:"published_at"`
	SourceWeight float64   `json:"-"`
	Hidden       bool      `json:"-"`
	// Lead: an editor made this version its story's lead, as of LeadAt (the
	// moderation's time): when several versions say so, the latest leads.
	Lead   bool      `json:"-"`
	LeadAt time.Time `json:"-"`
	// ModeratedAt is the time of the editor's state the article is in (zero:
	// never moderated); its trending entries follow the same state.
	ModeratedAt time.Time `json:"-"`
	Pinned      bool      `json:"pinned,omitempty"`
	Trending    bool      `json:"trending,omitempty"`
}

// Stats are an article's numbers over the ranking window.
type Stats struct {
	Impressions int64
	Clicks      int64
	// DayReaders is the most distinct readers who saw the article on one
	// day (tracking counts a reader once per day, so Impressions summed
	// over days counts one install once per day it sends). 0: not known,
	// Impressions stands for it.
	DayReaders int64
}

// Ranking parameters. The prior is a click-through rate of 5% worth 20
// impressions: an article with no data scores 0.05, one impression and one
// click scores (1+1)/(1+20) ≈ 0.095, not 1.
const (
	PriorCTR         = 0.05
	PriorImpressions = 20.0
	HalfLife         = 12 * time.Hour
	// MinReaders is how many distinct readers must have seen an article on
	// one day before what they do moves it: below that it scores the prior,
	// so no single install (or two) changes anyone else's feed, whatever
	// days its events are dated (a reader counts once per day). Tracking's
	// article.stats counts readers, not events.
	MinReaders = 3
	// RampReaders: see Params.RampReaders. 0: the rate counts in full from
	// MinReaders on.
	RampReaders    = 0
	Window         = 72 * time.Hour // older articles leave the feeds
	MaxConsecutive = 2              // at most this many in a row from one source
	MaxRanked      = 500            // stories per feed
	Fresh          = 6 * time.Hour  // younger than this is "fresh"
)

// Params are the ranking's tunable parameters. Every feed is ranked with
// DefaultParams; an A/B experiment's variant (shared/platform/experiment,
// experiments named feed-*) ranks its users' feeds with others, set by name:
// half_life_hours, prior_ctr, prior_impressions, min_readers, top_share.
type Params struct {
	HalfLife         time.Duration
	PriorCTR         float64
	PriorImpressions float64
	MinReaders       int64
	// RampReaders: from MinReaders, an article's own click-through rate
	// takes over from the prior gradually, fully only at RampReaders
	// readers (0 or ≤ MinReaders: at once, a cliff at MinReaders). So one
	// more reader moves a young article a little, not from the prior to its
	// raw rate.
	RampReaders int64
	TopShare    float64
}

// DefaultParams are the constants above.
func DefaultParams() Params {
	return Params{HalfLife: HalfLife, PriorCTR: PriorCTR, PriorImpressions: PriorImpressions, MinReaders: MinReaders,
		RampReaders: RampReaders, TopShare: TopShare}
}

// ParamNames are the names a variant may set.
var ParamNames = []string{"half_life_hours", "prior_ctr", "prior_impressions", "min_readers", "ramp_readers", "top_share"}

// ParamsFrom applies a variant's parameters to the defaults; a name it does
// not know or a value out of range is an error (the experiment declaration's
// test catches it before a deploy).
func ParamsFrom(set map[string]float64) (Params, error) {
	p := DefaultParams()
	for k, v := range set {
		ok := true
		switch k {
		case "half_life_hours":
			p.HalfLife, ok = time.Duration(v*float64(time.Hour)), v >= 1 && v <= 72
		case "prior_ctr":
			p.PriorCTR, ok = v, v > 0 && v < 1
		case "prior_impressions":
			p.PriorImpressions, ok = v, v >= 1 && v <= 10000
		case "min_readers":
			p.MinReaders, ok = int64(v), v >= 1 && v <= 1000 && v == math.Trunc(v)
		case "ramp_readers":
			p.RampReaders, ok = int64(v), v >= 0 && v <= 10000 && v == math.Trunc(v)
		case "top_share":
			p.TopShare, ok = v, v >= 0 && v <= 1
		default:
			ok = false
		}
		if !ok {
			return DefaultParams(), fmt.Errorf("ranking parameter %s = %v: unknown or out of range", k, v)
		}
	}
	return p, nil
}

// SmoothedCTR is the click-through rate with a Bayesian (beta) prior:
// (clicks + PriorCTR·PriorImpressions) / (impressions + PriorImpressions).
func SmoothedCTR(s Stats) float64 { return DefaultParams().SmoothedCTR(s) }

// SmoothedCTR is the smoothed click-through rate under p.
func (p Params) SmoothedCTR(s Stats) float64 {
	clicks, imps := float64(max(s.Clicks, 0)), float64(max(s.Impressions, 0))
	// More clicks than impressions happens when impressions are not tracked:
	// treat each click as seen at least once.
	imps = max(imps, clicks)
	readers := float64(s.DayReaders)
	if readers <= 0 {
		readers = imps
	}
	if readers < float64(p.MinReaders) {
		return p.PriorCTR
	}
	ctr := (clicks + p.PriorCTR*p.PriorImpressions) / (imps + p.PriorImpressions)
	if ramp := p.RampReaders - p.MinReaders + 1; ramp > 1 && readers < float64(p.RampReaders) {
		w := (readers - float64(p.MinReaders) + 1) / float64(ramp)
		ctr = p.PriorCTR + w*(ctr-p.PriorCTR)
	}
	return ctr
}

// OneReader is the most one reader can move a smoothed CTR from the numbers
// s of a story of versions articles: removing or adding one reader who saw
// it, with or without a click, once per version (tracking counts a reader
// once per article and day, so one reader who opens every version of a
// story adds a click for each).
func (p Params) OneReader(s Stats, versions int) float64 {
	at := p.SmoothedCTR(s)
	most := 0.0
	readers := s.DayReaders
	if readers <= 0 {
		readers = max(s.Impressions, s.Clicks)
	}
	for k := int64(1); k <= int64(max(versions, 1)); k++ {
		for _, d := range []Stats{{k, k, 1}, {k, 0, 1}, {-k, -k, -1}, {-k, 0, -1}} {
			n := Stats{Impressions: s.Impressions + d.Impressions, Clicks: s.Clicks + d.Clicks, DayReaders: readers + d.DayReaders}
			if n.Impressions < 0 || n.Clicks < 0 || n.DayReaders < 0 {
				continue
			}
			if n.DayReaders == 0 {
				n.DayReaders = -1 // no reader left: SmoothedCTR must not read impressions as readers
			}
			most = max(most, math.Abs(p.SmoothedCTR(n)-at))
		}
	}
	return most
}

// Hold is the CTR a story of versions articles is ranked by when the last
// run ranked it by prev: prev while the numbers s are within one reader of
// it (OneReader), else their own smoothed CTR.
func (p Params) Hold(s Stats, versions int, prev float64) float64 {
	now := p.SmoothedCTR(s)
	if math.Abs(now-prev) <= p.OneReader(s, versions)*(1+1e-9) {
		return prev
	}
	return now
}

// Decay halves an article's score every HalfLife of age (future dates count
// as age 0).
func Decay(age time.Duration) float64 { return DefaultParams().Decay(age) }

// Decay is the time decay under p.
func (p Params) Decay(age time.Duration) float64 {
	if age < 0 {
		age = 0
	}
	return math.Exp2(-float64(age) / float64(p.HalfLife))
}

// Score is smoothed CTR × time decay × source weight (0 or unset weight
// counts as 1).
func Score(a Article, s Stats, now time.Time) float64 { return DefaultParams().Score(a, s, now) }

// Score is an article's score under p.
func (p Params) Score(a Article, s Stats, now time.Time) float64 {
	w := a.SourceWeight
	if w <= 0 {
		w = 1
	}
	return p.SmoothedCTR(s) * p.Decay(now.Sub(a.PublishedAt)) * w
}

// Version is another source's article of a ranked story: what a reader
// needs to open it.
type Version struct {
	ID          string    `json:"id"`
	SourceID    string    `json:"source_id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	Category    string    `json:"category"`
	PublishedAt time.Time `json:"published_at"`
}

// Ranked is one story in a ranked list: its lead article (the embedded
// Article; its Story names the story), the other versions (Also, at most
// MaxAlso and within ItemBudget), how many visible versions the story has in
// all, and every category they are in.
type Ranked struct {
	Article
	Score      float64   `json:"score"`
	Reason     string    `json:"reason"`
	Also       []Version `json:"also,omitempty"`
	Versions   int       `json:"versions,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	// CTR is the smoothed click-through rate the story was ranked by: the
	// next run holds it unless the story's numbers moved it by more than one
	// reader can (see Hold).
	CTR float64 `json:"ctr,omitempty"`
}

// StoryID is the story a ranked item stands for (its lead's own id when the
// article was never clustered).
func (r Ranked) StoryID() string { return storyKey(r.Article) }

func storyKey(a Article) string {
	if a.Story != "" {
		return a.Story
	}
	return a.ID
}

// Story limits: how many other versions a feed item lists, and the most
// bytes one item may take in a stored chunk (ChunkSize items must fit a
// DynamoDB item's 400 KB with room: 50 × 7 KB = 350 KB). A lead alone is at
// most about 5.6 KB (a 300-character title of 4-byte characters, a 2 KB URL
// and a 2 KB image URL); versions that do not fit are left out of Also but
// still counted in Versions.
const (
	MaxAlso    = 5
	ItemBudget = 7 << 10
)

// Reasons an item is in a feed.
const (
	ReasonPinned   = "pinned"
	ReasonTrending = "trending"
	ReasonFresh    = "fresh"
	ReasonPopular  = "popular"
	ReasonInterest = "interest:" // + category, in the personal feed
)

// A story is the visible articles of one cluster within the window.
type story struct {
	key      string
	versions []Article // best lead first (see leadOrder)
	stats    Stats     // summed over versions (DayReaders: the most of any version)
	newest   time.Time
	cats     []string
	ctr      float64 // the smoothed CTR the story is ranked by (see Hold)
}

// stories groups the visible articles published within the window by story.
// A story's numbers are its versions' summed: a click on any version moves
// the story. Its readers threshold (DayReaders) is the most of any one
// version, so one install that opens every version still counts once.
func stories(p Params, articles []Article, stats map[string]Stats, now time.Time) []*story {
	byKey := map[string]*story{}
	var out []*story
	leadScore := map[string]float64{}
	for _, a := range articles {
		if a.Hidden || a.Title == "" || now.Sub(a.PublishedAt) > Window {
			continue
		}
		k := storyKey(a)
		st := byKey[k]
		if st == nil {
			st = &story{key: k}
			byKey[k] = st
			out = append(out, st)
		}
		if slices.ContainsFunc(st.versions, func(v Article) bool { return v.ID == a.ID }) {
			continue // the same article twice in the input
		}
		st.versions = append(st.versions, a)
		n := stats[a.ID]
		st.stats.Impressions += max(n.Impressions, 0)
		st.stats.Clicks += max(n.Clicks, 0)
		st.stats.DayReaders = max(st.stats.DayReaders, n.DayReaders, 0)
		if n.DayReaders <= 0 { // unknown readers: the version's impressions stand for them
			st.stats.DayReaders = max(st.stats.DayReaders, max(n.Impressions, n.Clicks))
		}
		if a.PublishedAt.After(st.newest) {
			st.newest = a.PublishedAt
		}
		if !slices.Contains(st.cats, a.Category) {
			st.cats = append(st.cats, a.Category)
		}
		leadScore[a.ID] = p.Score(a, Stats{}, now) // source weight × freshness: no reader picks the lead
	}
	for _, st := range out {
		st.ctr = p.SmoothedCTR(st.stats)
		sort.Strings(st.cats)
		sort.SliceStable(st.versions, func(i, j int) bool {
			return leadBefore(st.versions[i], st.versions[j], leadScore)
		})
	}
	return out
}

// leadBefore orders a story's versions for the lead: a pinned version, then
// the editor's lead, then the best by its own score (source weight ×
// freshness × its readers' clicks), newer, then by id.
func leadBefore(a, b Article, score map[string]float64) bool {
	if a.Pinned != b.Pinned {
		return a.Pinned
	}
	if a.Lead != b.Lead {
		return a.Lead
	}
	if a.Lead { // both: the latest decision leads (ties: the larger id, as the articles domain shows it)
		if !a.LeadAt.Equal(b.LeadAt) {
			return a.LeadAt.After(b.LeadAt)
		}
		return a.ID > b.ID
	}
	if score[a.ID] != score[b.ID] {
		return score[a.ID] > score[b.ID]
	}
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.After(b.PublishedAt)
	}
	return a.ID < b.ID
}

// ranked is the story as an item of feed ("top", or a category: the story
// is in a category's feed when one of its versions is, and that category's
// best version leads it there). It scores the story's numbers × the decay of
// its newest version (a story that develops stays fresh) × its lead's
// source weight.
func (st *story) ranked(p Params, feed string, now time.Time) (Ranked, bool) {
	lead := -1
	for i, v := range st.versions {
		if feed == Top || v.Category == feed {
			lead = i
			break
		}
	}
	if lead < 0 {
		return Ranked{}, false
	}
	a := st.versions[lead]
	a.Story = st.key
	w := a.SourceWeight
	if w <= 0 {
		w = 1
	}
	r := Ranked{Article: a, Score: st.ctr * p.Decay(now.Sub(st.newest)) * w, CTR: st.ctr, Versions: len(st.versions),
		Categories: st.cats}
	for i, v := range st.versions {
		if feed == Top || v.Category == feed {
			r.Pinned = r.Pinned || v.Pinned
		}
		r.Trending = r.Trending || v.Trending
		if i != lead && len(r.Also) < MaxAlso {
			r.Also = append(r.Also, Version{ID: v.ID, SourceID: v.SourceID, Title: v.Title, URL: v.URL,
				Category: v.Category, PublishedAt: v.PublishedAt})
		}
	}
	if r.Versions == 1 {
		r.Versions, r.Categories = 0, nil // a story of one says nothing more
	}
	for len(r.Also) > 0 && itemSize(r) > ItemBudget {
		r.Also = r.Also[:len(r.Also)-1]
	}
	switch {
	case r.Pinned:
		r.Reason = ReasonPinned
	case r.Trending:
		r.Reason = ReasonTrending
	case now.Sub(st.newest) < Fresh:
		r.Reason = ReasonFresh
	default:
		r.Reason = ReasonPopular
	}
	return r, true
}

// itemSize is the bytes r takes in a stored chunk.
func itemSize(r Ranked) int {
	b, err := json.Marshal(r)
	if err != nil {
		return math.MaxInt
	}
	return len(b)
}

// rankFeed orders the stories of one feed: pinned first, then by score
// (ties: newer first, then id), then applies the diversity rule.
func rankFeed(p Params, all []*story, feed string, now time.Time) []Ranked {
	out := make([]Ranked, 0, len(all))
	for _, st := range all {
		if r, ok := st.ranked(p, feed, now); ok {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if !a.PublishedAt.Equal(b.PublishedAt) {
			return a.PublishedAt.After(b.PublishedAt)
		}
		return a.ID < b.ID
	})
	return Diversify(out, MaxConsecutive)
}

// Rank ranks the stories of visible articles published within the window
// as one feed of every category (see RankAll): one item per story.
func Rank(articles []Article, stats map[string]Stats, now time.Time) []Ranked {
	p := DefaultParams()
	return rankFeed(p, stories(p, articles, stats, now), Top, now)
}

// Diversify reorders a ranked list so that no more than k consecutive items
// share a source: at each position it takes the best remaining item that
// does not extend such a run, and only when none is left the best remaining
// one. Pinned items keep their places at the top. (A story is one item, so
// no story can run.)
func Diversify(ranked []Ranked, k int) []Ranked {
	out := make([]Ranked, 0, len(ranked))
	rest := ranked
	for len(rest) > 0 && rest[0].Pinned {
		out = append(out, rest[0])
		rest = rest[1:]
	}
	runs := func(r Ranked) bool { // would r make a run longer than k?
		if len(out) < k {
			return false
		}
		for _, p := range out[len(out)-k:] {
			if p.SourceID != r.SourceID {
				return false
			}
		}
		return true
	}
	// taken marks what is placed; head is the first item not taken, so a
	// pick scans only from there (linear when runs are rare, as they are).
	taken := make([]bool, len(rest))
	for head := 0; head < len(rest); {
		pick := -1
		for i := head; i < len(rest); i++ {
			if !taken[i] && !runs(rest[i]) {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = head
		}
		out = append(out, rest[pick])
		taken[pick] = true
		for head < len(rest) && taken[head] {
			head++
		}
	}
	return out
}

// RankAll ranks the top feed (every category) and each category's feed on
// its own, so the diversity rule holds within every feed; each is capped at
// MaxRanked stories. Stories are grouped once: a story with versions in two
// categories is one item in each of their feeds (led there by that
// category's best version) and one item in top.
func RankAll(articles []Article, stats map[string]Stats, now time.Time) map[string][]Ranked {
	return RankAllWith(DefaultParams(), articles, stats, now)
}

// RankAllWith is RankAll under the parameters p.
func RankAllWith(p Params, articles []Article, stats map[string]Stats, now time.Time) map[string][]Ranked {
	return RankAllFrom(p, articles, stats, now, nil)
}

// RankAllFrom is RankAllWith after a run that ranked stories by the CTRs
// in previous (story → Ranked.CTR): each story keeps its previous CTR
// unless its numbers now differ from it by more than one reader can move
// them (Hold). So one reader — however many articles they open, however many
// events they send — moves no story in anyone's feed; it takes a second
// reader, or time (the decay, a story's freshness), to move it.
func RankAllFrom(p Params, articles []Article, stats map[string]Stats, now time.Time, previous map[string]float64) map[string][]Ranked {
	all := stories(p, articles, stats, now)
	for _, st := range all {
		if prev, ok := previous[st.key]; ok {
			st.ctr = p.Hold(st.stats, len(st.versions), prev)
		}
	}
	cats := map[string]bool{}
	for _, st := range all {
		for _, c := range st.cats {
			cats[c] = true
		}
	}
	out := map[string][]Ranked{}
	for cat := range cats {
		if cat == Top {
			continue // "top" is the feed of every category, not one of them
		}
		if r := rankFeed(p, all, cat, now); len(r) > 0 {
			out[cat] = r[:min(len(r), MaxRanked)]
		}
	}
	top := rankFeed(p, all, Top, now)
	out[Top] = top[:min(len(top), MaxRanked)]
	return out
}

// Top is the feed of every category.
const Top = "top"

// Moderation is an article's whole editorial state as of At: hidden,
// pinned, its story's lead, and the story an editor put it in ("": the one
// ingestion clustered it in).
type Moderation struct {
	ID     string
	Hidden bool
	Pinned bool
	Lead   bool
	Story  string
	At     time.Time
}

// DayStats is one shard's numbers for a day, as article.stats carries them.
type DayStats struct {
	Day        string
	Shard      int
	Part       int
	Parts      int
	ComputedAt time.Time
	Articles   map[string]Stats
}

// SumStats sums the article numbers of days' parts over every shard; within
// a day's shard an article's count comes from the latest computation
// holding it. DayReaders is the most of any one day: shards split users, so
// a day's viewers summed over shards are distinct readers of that day.
func SumStats(parts []DayStats) map[string]Stats {
	byDay := map[string][]DayStats{}
	var days []string
	for _, p := range parts {
		if _, ok := byDay[p.Day]; !ok {
			days = append(days, p.Day)
		}
		byDay[p.Day] = append(byDay[p.Day], p)
	}
	out := map[string]Stats{}
	for _, day := range days {
		items := byDay[day]
		sort.SliceStable(items, func(i, j int) bool { return items[i].ComputedAt.Before(items[j].ComputedAt) })
		perShard := map[int]map[string]Stats{}
		for _, it := range items {
			if perShard[it.Shard] == nil {
				perShard[it.Shard] = map[string]Stats{}
			}
			for id, c := range it.Articles {
				perShard[it.Shard][id] = c
			}
		}
		dayReaders := map[string]int64{}
		for _, m := range perShard {
			for id, c := range m {
				st := out[id]
				st.Impressions += c.Impressions
				st.Clicks += c.Clicks
				out[id] = st
				dayReaders[id] += c.Impressions
			}
		}
		for id, n := range dayReaders {
			st := out[id]
			st.DayReaders = max(st.DayReaders, n)
			out[id] = st
		}
	}
	return out
}

// Package feed is the feed and notifications domain: the articles each feed
// may show (kept from article.published and article.moderated), the numbers
// ranking needs (from the tracking domain's article.stats), the ranking batch
// that precomputes every category's pages, the public and personal feeds
// served from those pages, and the trending inbox.
package feed

import (
	"math"
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
	Pinned       bool      `json:"pinned,omitempty"`
	Trending     bool      `json:"trending,omitempty"`
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
	MinReaders     = 3
	Window         = 72 * time.Hour // older articles leave the feeds
	MaxConsecutive = 2              // at most this many in a row from one source or story
	MaxRanked      = 500            // per category
	Fresh          = 6 * time.Hour  // younger than this is "fresh"
)

// SmoothedCTR is the click-through rate with a Bayesian (beta) prior:
// (clicks + PriorCTR·PriorImpressions) / (impressions + PriorImpressions).
func SmoothedCTR(s Stats) float64 {
	clicks, imps := float64(max(s.Clicks, 0)), float64(max(s.Impressions, 0))
	// More clicks than impressions happens when impressions are not tracked:
	// treat each click as seen at least once.
	imps = max(imps, clicks)
	readers := float64(s.DayReaders)
	if readers <= 0 {
		readers = imps
	}
	if readers < MinReaders {
		return PriorCTR
	}
	return (clicks + PriorCTR*PriorImpressions) / (imps + PriorImpressions)
}

// Decay halves an article's score every HalfLife of age (future dates count
// as age 0).
func Decay(age time.Duration) float64 {
	if age < 0 {
		age = 0
	}
	return math.Exp2(-float64(age) / float64(HalfLife))
}

// Score is smoothed CTR × time decay × source weight (0 or unset weight
// counts as 1).
func Score(a Article, s Stats, now time.Time) float64 {
	w := a.SourceWeight
	if w <= 0 {
		w = 1
	}
	return SmoothedCTR(s) * Decay(now.Sub(a.PublishedAt)) * w
}

// Ranked is one article in a ranked list.
type Ranked struct {
	Article
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// Reasons an item is in a feed.
const (
	ReasonPinned   = "pinned"
	ReasonTrending = "trending"
	ReasonFresh    = "fresh"
	ReasonPopular  = "popular"
	ReasonInterest = "interest:" // + category, in the personal feed
)

// Rank orders visible articles published within the window: pinned first,
// then by score (ties: newer first, then id), then applies the diversity rule.
func Rank(articles []Article, stats map[string]Stats, now time.Time) []Ranked {
	out := make([]Ranked, 0, len(articles))
	for _, a := range articles {
		if a.Hidden || a.Title == "" || now.Sub(a.PublishedAt) > Window {
			continue
		}
		r := Ranked{Article: a, Score: Score(a, stats[a.ID], now)}
		switch {
		case a.Pinned:
			r.Reason = ReasonPinned
		case a.Trending:
			r.Reason = ReasonTrending
		case now.Sub(a.PublishedAt) < Fresh:
			r.Reason = ReasonFresh
		default:
			r.Reason = ReasonPopular
		}
		out = append(out, r)
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

// Diversify reorders a ranked list so that no more than k consecutive items
// share a source or a story cluster: at each position it takes the best
// remaining item that does not extend such a run, and only when none is left
// the best remaining one. Pinned items keep their places at the top.
func Diversify(ranked []Ranked, k int) []Ranked {
	out := make([]Ranked, 0, len(ranked))
	rest := ranked
	for len(rest) > 0 && rest[0].Pinned {
		out = append(out, rest[0])
		rest = rest[1:]
	}
	rest = append([]Ranked(nil), rest...)
	runs := func(r Ranked) bool { // would r make a run longer than k?
		if len(out) < k {
			return false
		}
		sameSource, sameStory := true, r.Story != ""
		for _, p := range out[len(out)-k:] {
			sameSource = sameSource && p.SourceID == r.SourceID
			sameStory = sameStory && p.Story == r.Story
		}
		return sameSource || sameStory
	}
	for len(rest) > 0 {
		pick := 0
		for i, r := range rest {
			if !runs(r) {
				pick = i
				break
			}
		}
		out = append(out, rest[pick])
		rest = append(rest[:pick], rest[pick+1:]...)
	}
	return out
}

// RankAll ranks the top feed (every category) and each category's feed on
// its own, so the diversity rule holds within every feed; each is capped at
// MaxRanked.
func RankAll(articles []Article, stats map[string]Stats, now time.Time) map[string][]Ranked {
	byCat := map[string][]Article{}
	for _, a := range articles {
		byCat[a.Category] = append(byCat[a.Category], a)
	}
	out := map[string][]Ranked{}
	for cat, list := range byCat {
		if cat == Top {
			continue // "top" is the feed of every category, not one of them
		}
		if r := Rank(list, stats, now); len(r) > 0 {
			out[cat] = r[:min(len(r), MaxRanked)]
		}
	}
	top := Rank(articles, stats, now)
	out[Top] = top[:min(len(top), MaxRanked)]
	return out
}

// Top is the feed of every category.
const Top = "top"

// Moderation is an editor's decision on an article, as of At.
type Moderation struct {
	ID     string
	Hidden bool
	Pinned bool
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

package eval

import (
	"sort"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/shared/feed"
)

// This file is the one place the evaluation calls Kiosk's ranking
// (shared/feed): a change to the feed's unit (stories) or to its ranking
// adapts here.

// KioskParams are the knobs of Kiosk's ranker that the evaluation can turn.
// shared/feed's constants (prior, half-life, MinReaders, MaxConsecutive,
// TopShare) are package constants, so a scoring variant is a Score function
// (built from its own parameters) run through the rest of Kiosk's ranking.
type KioskParams struct {
	// Variant names a scoring variant in the report ("kiosk/<Variant>");
	// required with Score.
	Variant string
	// Score replaces feed.Score (smoothed CTR × decay × source weight);
	// nil: feed.RankAll itself. Everything else stays Kiosk's: the window,
	// pinned first, ties (newer, then id), the diversity rule, a list per
	// category and the top list.
	Score func(a feed.Article, s feed.Stats, now time.Time) float64
	// Personal mixes the personal page (Profile.Streams and Personal: the
	// reader's learned interests 80/20 with the top feed); otherwise the
	// reader gets the top feed (RankAll's "top").
	Personal bool
}

// Kiosk is Kiosk's current ranker: feed.RankAll (smoothed CTR × 12 h decay
// × source weight, the diversity rule) over the candidates, then, for a
// personal page, feed.Personal.
type Kiosk struct {
	P     KioskParams
	cache *RankCache
}

// RankCache keeps feed.RankAll's ranking of the last shared pool: the
// expensive, reader-independent part. Kiosk rankers whose scoring is the
// same may share one (the top feed and the personal page do).
type RankCache struct {
	mu    sync.Mutex
	pools map[string]rankedPool
}

type rankedPool struct {
	ranked map[string][]feed.Ranked
	byID   map[string]*Article
}

// cachedPools bounds the cache: a feed time's pool under each signal
// variant (as they are, with a heavy reader, with a malicious install).
const cachedPools = 3

// NewKiosk returns Kiosk's ranker with p; cache may be nil (its own), or
// shared with rankers of the same scoring.
func NewKiosk(p KioskParams, cache *RankCache) *Kiosk {
	if cache == nil {
		cache = &RankCache{}
	}
	return &Kiosk{P: p, cache: cache}
}

func (k *Kiosk) Name() string {
	name := "kiosk"
	if k.P.Variant != "" {
		name += "/" + k.P.Variant
	}
	if k.P.Personal {
		return name + " (personal)"
	}
	return name + " (top)"
}

func (k *Kiosk) Rank(q Query, cands []*Article, n int) []*Article {
	ranked, byID := k.rankAll(q, cands)
	out := make([]*Article, 0, min(n, len(cands)))
	seen := map[string]bool{}
	take := func(id string) bool { // false once the page is full
		if a := byID[id]; a != nil && !seen[id] {
			seen[id] = true
			out = append(out, a)
		}
		return len(out) < n
	}
	if k.P.Personal {
		p := feed.Profile{UserID: q.Reader.ID, Learned: q.Reader.Learned, At: q.Now, Read: q.Reader.Read}
		chunks := map[string]feed.Chunk{}
		run := feed.RunID(q.Now)
		for cat, list := range ranked {
			chunks[cat] = feed.Chunks(cat, run, q.Now, list)[0]
		}
		for _, it := range feed.Personal(p, p.Streams(), feed.PersonalCursor{}, chunks, n).Items {
			take(it.ID)
		}
	}
	// The rest in the top feed's order, then whatever ranking left out (read
	// or out of the window) last: a ranker orders every candidate.
	for _, r := range ranked[feed.Top] {
		if len(out) == n || !take(r.ID) {
			return out
		}
	}
	for _, a := range cands {
		if len(out) == n || !take(a.ID) {
			return out
		}
	}
	return out
}

// rankAll is feed.RankAll over cands with the signals as tracking's
// numbers, and cands by id; a shared pool's ranking is computed once.
func (k *Kiosk) rankAll(q Query, cands []*Article) (map[string][]feed.Ranked, map[string]*Article) {
	c := k.cache
	key := k.P.Variant + "|" + q.Pool
	if q.Pool != "" {
		c.mu.Lock()
		defer c.mu.Unlock()
		if p, ok := c.pools[key]; ok {
			return p.ranked, p.byID
		}
	}
	byID := make(map[string]*Article, len(cands))
	for _, a := range cands {
		byID[a.ID] = a
	}
	arts := make([]feed.Article, 0, len(cands))
	stats := make(map[string]feed.Stats, len(cands))
	for _, a := range cands {
		arts = append(arts, feed.Article{ID: a.ID, URL: a.URL, Title: a.Title, SourceID: a.SourceID, Category: a.Category,
			Story: a.Story, PublishedAt: a.PublishedAt, SourceWeight: a.SourceWeight})
		if n, ok := q.Signals.Numbers[a.ID]; ok {
			stats[a.ID] = feed.Stats{Impressions: n.Impressions, Clicks: n.Clicks, DayReaders: n.DayReaders}
		}
	}
	var ranked map[string][]feed.Ranked
	if k.P.Score == nil {
		ranked = feed.RankAll(arts, stats, q.Now)
	} else {
		ranked = rankAllWith(k.P.Score, arts, stats, q.Now)
	}
	if q.Pool != "" {
		if len(c.pools) >= cachedPools || c.pools == nil {
			c.pools = map[string]rankedPool{}
		}
		c.pools[key] = rankedPool{ranked, byID}
	}
	return ranked, byID
}

// rankAllWith is feed.RankAll with score in place of feed.Score: the top
// list and one per category, each the visible articles of the window,
// pinned first, then by score (ties: newer, then id), through
// feed.Diversify, capped at feed.MaxRanked. Reasons are left out (no
// metric reads them). TestAScoringVariantWithFeedsOwnScoreRanksAsRankAll
// keeps it equal to feed.RankAll.
func rankAllWith(score func(feed.Article, feed.Stats, time.Time) float64, arts []feed.Article, stats map[string]feed.Stats, now time.Time) map[string][]feed.Ranked {
	rank := func(list []feed.Article) []feed.Ranked {
		var out []feed.Ranked
		for _, a := range list {
			if !a.Hidden && a.Title != "" && now.Sub(a.PublishedAt) <= feed.Window {
				out = append(out, feed.Ranked{Article: a, Score: score(a, stats[a.ID], now)})
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
		out = feed.Diversify(out, feed.MaxConsecutive)
		return out[:min(len(out), feed.MaxRanked)]
	}
	byCat := map[string][]feed.Article{}
	for _, a := range arts {
		if a.Category != feed.Top {
			byCat[a.Category] = append(byCat[a.Category], a)
		}
	}
	out := map[string][]feed.Ranked{}
	for cat, list := range byCat {
		if r := rank(list); len(r) > 0 {
			out[cat] = r
		}
	}
	out[feed.Top] = rank(arts)
	return out
}

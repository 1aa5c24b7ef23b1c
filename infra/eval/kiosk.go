package eval

import (
	"strings"
	"sync"

	"github.com/kiosk-news/kiosk/shared/feed"
)

// This file is the one place the evaluation calls Kiosk's ranking
// (shared/feed): a change to the feed's unit (stories) or to its ranking
// adapts here.

// KioskParams are the knobs of Kiosk's ranker that the evaluation can turn:
// feed.Params, the same parameters an A/B experiment's variant sets
// (shared/platform/experiment), run through the whole of Kiosk's ranking
// (stories, the window, pinned first, the diversity rule, a list per
// category and the top list) by feed.RankAllWith.
type KioskParams struct {
	// Variant names a parameter variant in the report ("kiosk/<Variant>");
	// required with Params.
	Variant string
	// Params replace feed.DefaultParams(); nil: feed.RankAll itself.
	Params *feed.Params
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
		share := feed.TopShare
		if k.P.Params != nil {
			share = k.P.Params.TopShare
		}
		for _, it := range feed.Personal(p, p.StreamsShare(share), feed.PersonalCursor{}, chunks, n).Items {
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
	params := feed.DefaultParams()
	if k.P.Params != nil {
		params = *k.P.Params
	}
	// A pool with one more reader (the robustness rows) is ranked as the run
	// after the pool as it is: Kiosk's ranking holds each story's CTR unless
	// more than one reader moved it (feed.RankAllFrom), as production does
	// between two runs.
	var previous map[string]float64
	if at, extra, ok := strings.Cut(q.Pool, "|"); ok && extra != "" {
		if base, ok := c.pools[k.P.Variant+"|"+at+"|"]; ok {
			previous = map[string]float64{} // what production keeps: every feed's ranked stories
			for _, list := range base.ranked {
				for _, r := range list {
					previous[r.StoryID()] = r.CTR
				}
			}
		}
	}
	ranked := feed.RankAllFrom(params, arts, stats, q.Now, previous)
	if q.Pool != "" {
		if len(c.pools) >= cachedPools || c.pools == nil {
			c.pools = map[string]rankedPool{}
		}
		c.pools[key] = rankedPool{ranked, byID}
	}
	return ranked, byID
}

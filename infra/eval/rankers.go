package eval

import (
	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/experiment"

	"strings"

	"hash/fnv"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Ranker orders candidates for one reader at one moment. A variant of
// Kiosk's ranking is a Ranker too (see Kiosk and KioskParams), so it runs
// through the same evaluation.
type Ranker interface {
	Name() string
	// Rank returns the best k of cands (all of them if k ≥ len), best
	// first. It must not modify cands.
	Rank(q Query, cands []*Article, k int) []*Article
}

// Query is what a ranker knows when it ranks.
type Query struct {
	Now     time.Time
	Reader  Reader
	Signals *Signals
	// Pool names cands when they are a shared pool (every live article at
	// Now, the same for every reader): a ranker may cache what does not
	// depend on the reader under it. Empty for an impression's candidates.
	Pool string
}

// Reader is what a ranker knows of a reader: their clicks before Now (an
// impression's MIND history), and Kiosk's learned interests from them.
type Reader struct {
	ID      string
	History []*Article
	Read    map[string]bool
	// Learned is one per click, by category (Kiosk's users domain weighs a
	// click 1 and halves it weekly; the evaluated days are too few for the
	// halving to matter, and MIND's history has no times).
	Learned map[string]float64
}

func readerOf(id string, history []string, news map[string]*Article) Reader {
	r := Reader{ID: id, Read: map[string]bool{}, Learned: map[string]float64{}}
	for _, h := range history {
		a := news[h]
		if a == nil {
			continue
		}
		r.History = append(r.History, a)
		r.Read[a.ID] = true
		r.Learned[a.Category]++
	}
	return r
}

// Variants are the parameter variants of Kiosk's ranker every run
// evaluates beside its defaults: each declared feed experiment's variants
// that set parameters (the offline estimate of the A/B test), and the
// candidates under study.
func Variants() []KioskParams {
	var out []KioskParams
	for _, e := range experiment.All {
		if !strings.HasPrefix(e.Name, "feed-") {
			continue
		}
		for _, v := range e.Variants {
			if p, err := feed.ParamsFrom(v.Params); err == nil && len(v.Params) > 0 {
				out = append(out, KioskParams{Variant: experiment.Tag(e.Name, v.Name), Params: &p})
			}
		}
	}
	ramp := feed.DefaultParams()
	ramp.RampReaders = 30
	return append(out, KioskParams{Variant: "ramp30", Params: &ramp})
}

// Rankers are one run's rankers: the baselines, Kiosk's ranker (its top
// feed and its personal page) with its defaults and each of Variants, and,
// on synthetic data, the oracle.
func Rankers(ds *Dataset, seed uint64) []Ranker {
	cache := &RankCache{}
	rs := []Ranker{Random{Seed: seed}, &Recency{}, &Popularity{}, NewKiosk(KioskParams{}, cache), NewKiosk(KioskParams{Personal: true}, cache)}
	for _, v := range Variants() {
		c := &RankCache{}
		rs = append(rs, NewKiosk(v, c), NewKiosk(KioskParams{Variant: v.Variant, Params: v.Params, Personal: true}, c))
	}
	if ds.world != nil {
		rs = append(rs, Oracle{ds.world})
	}
	return rs
}

// Random ranks in a random order, the same for the same reader, time and
// candidates.
type Random struct{ Seed uint64 }

func (Random) Name() string { return "random" }

func (r Random) Rank(q Query, cands []*Article, k int) []*Article {
	h := fnv.New64a()
	h.Write([]byte(q.Reader.ID))
	h.Write([]byte(q.Now.Format(time.RFC3339Nano)))
	for _, a := range cands[:min(len(cands), 3)] {
		h.Write([]byte(a.ID))
	}
	rng := rand.New(rand.NewPCG(r.Seed, h.Sum64()))
	out := append([]*Article(nil), cands...)
	// A partial Fisher–Yates shuffle: only the first k places are drawn.
	for i := 0; i < min(k, len(out)); i++ {
		j := i + rng.IntN(len(out)-i)
		out[i], out[j] = out[j], out[i]
	}
	return out[:min(k, len(out))]
}

// Recency ranks the newest first.
type Recency struct{ cache poolCache }

func (*Recency) Name() string { return "recency" }

func (r *Recency) Rank(q Query, cands []*Article, k int) []*Article {
	return r.cache.get(q.Pool, cands, k, func() []*Article {
		return topBy(cands, len(cands), func(a, b *Article) bool {
			if !a.PublishedAt.Equal(b.PublishedAt) {
				return a.PublishedAt.After(b.PublishedAt)
			}
			return a.ID < b.ID
		})
	})
}

// Popularity ranks by click events in the last 24 hours (ties: newer
// first), MIND's popularity baseline. It counts events, not readers, as such
// a counter usually does.
type Popularity struct{ cache poolCache }

func (*Popularity) Name() string { return "popularity" }

func (p *Popularity) Rank(q Query, cands []*Article, k int) []*Article {
	c := q.Signals.Clicks24h
	return p.cache.get(q.Pool, cands, k, func() []*Article {
		return topBy(cands, len(cands), func(a, b *Article) bool {
			if c[a.ID] != c[b.ID] {
				return c[a.ID] > c[b.ID]
			}
			if !a.PublishedAt.Equal(b.PublishedAt) {
				return a.PublishedAt.After(b.PublishedAt)
			}
			return a.ID < b.ID
		})
	})
}

// poolCache keeps a reader-independent ranking of the last shared pool.
type poolCache struct {
	mu   sync.Mutex
	key  string
	list []*Article
}

func (c *poolCache) get(key string, cands []*Article, k int, rank func() []*Article) []*Article {
	if key == "" {
		l := rank()
		return l[:min(k, len(l))]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != key {
		c.key, c.list = key, rank()
	}
	return c.list[:min(k, len(c.list))]
}

// Oracle ranks by the simulator's true click probability: the ceiling no
// ranker can pass in expectation. Synthetic data only.
type Oracle struct{ w *world }

func (Oracle) Name() string { return "oracle" }

func (o Oracle) Rank(q Query, cands []*Article, k int) []*Article {
	r := o.w.byUser[q.Reader.ID]
	type scored struct {
		a *Article
		p float64
	}
	better := func(x, y scored) bool { return x.p > y.p || (x.p == y.p && x.a.ID < y.a.ID) }
	// Keep the best few (sorted) rather than sorting every candidate: a
	// feed's pool holds thousands.
	keep := min(len(cands), max(4*k, k+20))
	best := make([]scored, 0, keep+1)
	for _, a := range cands {
		s := scored{a, o.w.attract(r, a.sim, q.Now)}
		if len(best) == keep && !better(s, best[keep-1]) {
			continue
		}
		i := sort.Search(len(best), func(i int) bool { return better(s, best[i]) })
		best = append(best, scored{})
		copy(best[i+1:], best[i:])
		best[i] = s
		best = best[:min(len(best), keep)]
	}
	// Greedy by the click model: another version of a story already placed
	// is worth little, so it goes after every first version.
	var out, later []*Article
	placed := map[string]bool{}
	for _, s := range best {
		if placed[s.a.Story] {
			later = append(later, s.a)
			continue
		}
		placed[s.a.Story] = true
		out = append(out, s.a)
		if len(out) == k {
			return out
		}
	}
	out = append(out, later...)
	return out[:min(k, len(out))]
}

// topBy returns the first k of cands in less's order.
func topBy(cands []*Article, k int, less func(a, b *Article) bool) []*Article {
	out := append([]*Article(nil), cands...)
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out[:min(k, len(out))]
}

package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/article/samplefeeds"
)

// Config sizes one simulated run. Everything random comes from Seed.
type Config struct {
	Seed          uint64
	Days          int // days of readers' sessions; the last one is the test day
	StoriesPerDay int
	Readers       int
	Candidates    int // candidates per impression
	FeedReaders   int // readers sampled for the feed-level metrics
}

// DefaultConfig is make eval's run: thousands of stories a day, a few
// thousand readers, four days (three to learn from, one to test).
func DefaultConfig(seed uint64) Config {
	return Config{Seed: seed, Days: 4, StoriesPerDay: 2000, Readers: 3000, Candidates: 20, FeedReaders: 200}
}

// The simulator's click model (see the package documentation).
const (
	baseCTR   = 0.1
	maxCTR    = 0.9
	dupFactor = 0.03 // a reader who has seen a story rarely clicks another version of it
	poolAge   = 24 * time.Hour
	feedAge   = 72 * time.Hour // the feed's window (shared/feed.Window)
)

// Start is the simulated clock's first session day (a Monday).
var Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

var categories = []string{"world", "business", "tech", "science", "sports", "culture", "health", "entertainment"}

var categoryShare = []float64{0.20, 0.15, 0.15, 0.08, 0.15, 0.10, 0.08, 0.09}

type simSource struct {
	id, name string
	cat      int
	weight   float64 // editorial weight: what Kiosk sees
	quality  float64 // hidden: how much readers like it
}

type simStory struct {
	cat    int
	appeal float64 // hidden
}

type simReader struct {
	id           string
	kind         string      // "regular", "heavy", "cold-start"
	theta        [][]float64 // per day: interest in each category (mean 1)
	aff          []float64   // per source
	freshHalf    float64     // hours: how fast a story loses its appeal for this reader
	clickedStory map[int]time.Time
	clicked      map[int]bool
	history      []int
}

// world is the simulator's truth: what readers like, which rankers never see.
type world struct {
	cfg      Config
	sources  []simSource
	stories  []simStory
	news     []*Article // by publication time
	newsCat  []int
	newsSrc  []int
	newsStor []int
	readers  []*simReader
	byUser   map[string]*simReader
}

// day is t's session day (0-based from Start), clamped to the run.
func (w *world) day(t time.Time) int {
	d := int(t.Sub(Start) / (24 * time.Hour))
	return max(0, min(d, w.cfg.Days-1))
}

// attract is the probability that reader r clicks article a at t when they
// look at it.
func (w *world) attract(r *simReader, a int, t time.Time) float64 {
	age := max(t.Sub(w.news[a].PublishedAt).Hours(), 0)
	src := w.newsSrc[a]
	p := baseCTR * r.theta[w.day(t)][w.newsCat[a]] * w.stories[w.newsStor[a]].appeal * w.sources[src].quality *
		r.aff[src] * (0.2 + 0.8*math.Exp2(-age/r.freshHalf))
	if ct, ok := r.clickedStory[w.newsStor[a]]; ok && ct.Before(t) {
		p *= dupFactor
	}
	return min(p, maxCTR)
}

// expectedClicks is the exact expected number of clicks reader r gives the
// first n articles of order at t under the simulator's click model: the
// reader looks at position k with probability Examination(k), independently,
// clicks what they look at with probability attract, and a story they have
// looked at higher up in the list (another version) is worth dupFactor.
func (w *world) expectedClicks(r *simReader, order []int, t time.Time, n int) float64 {
	unseen := map[int]float64{} // story → probability no version of it was looked at higher up
	sum := 0.0
	for k, a := range order[:min(n, len(order))] {
		s := w.newsStor[a]
		u, ok := unseen[s]
		if !ok {
			u = 1
		}
		sum += Examination(k) * w.attract(r, a, t) * (u + (1-u)*dupFactor)
		unseen[s] = u * (1 - Examination(k))
	}
	return sum
}

// Simulate builds a world from cfg and logs the readers' sessions: each
// session is one impression of cfg.Candidates articles drawn uniformly from
// the articles of the last 24 h the reader has not opened, shown in a
// uniformly random order (the logging policy: every candidate has
// propensity 1/Candidates of each position), with the clicks the click
// model gives.
func Simulate(cfg Config) (*Dataset, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6b696f736b))
	w := &world{cfg: cfg, byUser: map[string]*simReader{}}
	if err := w.makeSources(rng); err != nil {
		return nil, err
	}
	w.makeNews(rng)
	w.makeReaders(rng)
	ds := &Dataset{
		Name:       fmt.Sprintf("synthetic, seed %d", cfg.Seed),
		Synthetic:  true,
		News:       map[string]*Article{},
		TestFrom:   Start.Add(time.Duration(cfg.Days-1) * 24 * time.Hour),
		Candidates: cfg.Candidates,
		world:      w,
	}
	for _, a := range w.news {
		ds.News[a.ID] = a
	}
	for _, h := range []int{8, 13, 19, 22} {
		ds.FeedTimes = append(ds.FeedTimes, ds.TestFrom.Add(time.Duration(h)*time.Hour))
	}

	type session struct {
		r *simReader
		t time.Time
	}
	var sessions []session
	for _, r := range w.readers {
		for d := range cfg.Days {
			n := 0
			switch r.kind {
			case "heavy":
				n = 8 + poisson(rng, 6)
			case "cold-start":
				if d == cfg.Days-1 {
					n = 1 + poisson(rng, 1)
				}
			default:
				if rng.Float64() < 0.7 {
					n = 1 + poisson(rng, 1.5)
				}
			}
			for range n {
				sessions = append(sessions, session{r, Start.Add(time.Duration(d)*24*time.Hour + diurnal(rng, sessionHours))})
			}
		}
	}
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].t.Before(sessions[j].t) })

	testReaders := map[string]bool{}
	for i, s := range sessions {
		lo := sort.Search(len(w.news), func(k int) bool { return w.news[k].PublishedAt.After(s.t.Add(-poolAge)) })
		hi := sort.Search(len(w.news), func(k int) bool { return w.news[k].PublishedAt.After(s.t) })
		shown := w.drawCandidates(rng, s.r, lo, hi)
		if len(shown) < 2 {
			continue
		}
		imp := Impression{ID: fmt.Sprint(i + 1), User: s.r.id, Time: s.t}
		for _, a := range s.r.history[max(0, len(s.r.history)-50):] {
			imp.History = append(imp.History, w.news[a].ID)
		}
		seenHere := map[int]bool{}
		for k, a := range shown {
			c := false
			if rng.Float64() < Examination(k) {
				p := w.attract(s.r, a, s.t)
				if seenHere[w.newsStor[a]] {
					p *= dupFactor
				}
				c = rng.Float64() < p
				seenHere[w.newsStor[a]] = true
			}
			imp.Shown = append(imp.Shown, w.news[a].ID)
			imp.Clicked = append(imp.Clicked, c)
		}
		for k, a := range shown {
			if imp.Clicked[k] {
				s.r.clicked[a] = true
				s.r.history = append(s.r.history, a)
				if _, ok := s.r.clickedStory[w.newsStor[a]]; !ok {
					s.r.clickedStory[w.newsStor[a]] = s.t
				}
			}
		}
		ds.Impressions = append(ds.Impressions, imp)
		if !s.t.Before(ds.TestFrom) {
			testReaders[s.r.id] = true
		}
	}
	// Feed readers: a seeded sample of the readers active on the test day.
	for _, r := range w.readers {
		if testReaders[r.id] && len(ds.FeedReaders) < cfg.FeedReaders {
			ds.FeedReaders = append(ds.FeedReaders, r.id)
		}
	}
	return ds, nil
}

// drawCandidates draws up to cfg.Candidates distinct articles uniformly
// from news[lo:hi] that r has not opened, in a uniformly random order.
func (w *world) drawCandidates(rng *rand.Rand, r *simReader, lo, hi int) []int {
	n := hi - lo
	want := min(w.cfg.Candidates, n)
	picked := map[int]bool{}
	var out []int
	for tries := 0; len(out) < want && tries < 20*want; tries++ {
		a := lo + rng.IntN(n)
		if picked[a] || r.clicked[a] {
			continue
		}
		picked[a] = true
		out = append(out, a)
	}
	return out
}

// makeSources takes the sample feeds' sources (make dev's news) and adds
// generated ones until every category has four.
func (w *world) makeSources(rng *rand.Rand) error {
	samples, err := samplefeeds.Sources()
	if err != nil {
		return err
	}
	catIdx := map[string]int{}
	for i, c := range categories {
		catIdx[c] = i
	}
	perCat := make([]int, len(categories))
	for _, s := range samples {
		c, ok := catIdx[s.Category]
		if !ok || s.Weight <= 0.5 { // the broken feed is broken on purpose
			continue
		}
		w.sources = append(w.sources, simSource{id: s.ID, name: s.Name, cat: c, weight: s.Weight})
		perCat[c]++
	}
	mastheads := []string{"Herald", "Ledger", "Courier", "Observer", "Dispatch", "Gazette", "Post", "Chronicle"}
	for c, cat := range categories {
		for i := perCat[c]; i < 4; i++ {
			m := mastheads[(c+i*3)%len(mastheads)]
			w.sources = append(w.sources, simSource{id: fmt.Sprintf("%s-%s-%d", cat, strings.ToLower(m), i), name: titleCase(cat) + " " + m, cat: c})
		}
	}
	for i := range w.sources {
		s := &w.sources[i]
		s.quality = math.Exp(0.3 * rng.NormFloat64())
		if s.weight == 0 { // an editor's weight follows quality only loosely
			s.weight = math.Round(100*max(0.6, min(1.4, 1+0.5*math.Log(s.quality)+0.1*rng.NormFloat64()))) / 100
		}
	}
	return nil
}

// makeNews publishes StoriesPerDay stories a day from the day before the
// first session (so the first sessions have a full pool): each story is
// carried by one to five sources of its category (syndicated duplicates,
// minutes to hours apart, with near-identical titles).
func (w *world) makeNews(rng *rand.Rand) {
	bySrc := make([][]int, len(categories))
	for i, s := range w.sources {
		bySrc[s.cat] = append(bySrc[s.cat], i)
	}
	type pub struct {
		a     *Article
		cat   int
		src   int
		story int
	}
	var pubs []pub
	for d := -1; d < w.cfg.Days; d++ {
		for range w.cfg.StoriesPerDay {
			c := pickWeighted(rng, categoryShare)
			s := len(w.stories)
			w.stories = append(w.stories, simStory{cat: c, appeal: math.Exp(0.7*rng.NormFloat64() - 0.245)})
			at := Start.Add(time.Duration(d)*24*time.Hour + diurnal(rng, publishHours))
			versions := 1
			switch x := rng.Float64(); {
			case x < 0.60:
			case x < 0.82:
				versions = 2
			case x < 0.92:
				versions = 3
			default:
				versions = 4 + rng.IntN(2)
			}
			srcs := append([]int(nil), bySrc[c]...)
			rng.Shuffle(len(srcs), func(i, j int) { srcs[i], srcs[j] = srcs[j], srcs[i] })
			title := headline(rng, c)
			for v := range min(versions, len(srcs)) {
				t := at
				if v > 0 {
					t = at.Add(time.Duration(5+rng.IntN(175)) * time.Minute)
				}
				src := w.sources[srcs[v]]
				a := &Article{
					Title: variant(title, v), Category: categories[c], SubCategory: categories[c],
					SourceID: src.id, SourceWeight: src.weight, Story: fmt.Sprintf("S%d", s+1), PublishedAt: t,
				}
				pubs = append(pubs, pub{a, c, srcs[v], s})
			}
		}
	}
	sort.SliceStable(pubs, func(i, j int) bool { return pubs[i].a.PublishedAt.Before(pubs[j].a.PublishedAt) })
	for i, p := range pubs {
		p.a.ID = fmt.Sprintf("N%d", i+1)
		p.a.URL = fmt.Sprintf("https://%s.example/%s", p.a.SourceID, strings.ToLower(p.a.ID))
		p.a.sim = i
		w.news = append(w.news, p.a)
		w.newsCat = append(w.newsCat, p.cat)
		w.newsSrc = append(w.newsSrc, p.src)
		w.newsStor = append(w.newsStor, p.story)
	}
}

// makeReaders draws the readers: 5% heavy (about 14 sessions a day), 15%
// cold-start (arrive on the test day), the rest regular (active 70% of days,
// about 2.5 sessions). Each has hidden interests over categories (sparse:
// a few categories matter), drifting a little every day, an affinity for
// each source and an appetite for freshness (a half-life of 3 to 24 hours).
func (w *world) makeReaders(rng *rand.Rand) {
	for i := range w.cfg.Readers {
		r := &simReader{id: fmt.Sprintf("U%d", i+1), kind: "regular", clickedStory: map[int]time.Time{}, clicked: map[int]bool{}}
		switch x := rng.Float64(); {
		case x < 0.05:
			r.kind = "heavy"
		case x < 0.20:
			r.kind = "cold-start"
		}
		z := make([]float64, len(categories))
		for c := range z {
			z[c] = rng.NormFloat64()
		}
		for range w.cfg.Days {
			theta := make([]float64, len(categories))
			sum := 0.0
			for c := range theta {
				theta[c] = categoryShare[c] * math.Exp(1.5*z[c])
				sum += theta[c]
			}
			for c := range theta {
				theta[c] *= float64(len(categories)) / sum
			}
			r.theta = append(r.theta, theta)
			for c := range z { // drift, keeping z's spread
				z[c] = 0.95*z[c] + 0.31*rng.NormFloat64()
			}
		}
		r.aff = make([]float64, len(w.sources))
		for s := range r.aff {
			r.aff[s] = math.Exp(0.3 * rng.NormFloat64())
		}
		r.freshHalf = math.Exp(math.Log(3) + rng.Float64()*math.Log(8))
		w.readers = append(w.readers, r)
		w.byUser[r.id] = r
	}
}

// Hour-of-day weights: newsrooms publish through the working day; readers
// read at breakfast, lunch and in the evening.
var (
	publishHours = []float64{1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 7, 7, 7, 7, 6, 6, 5, 4, 3, 2, 2, 1}
	sessionHours = []float64{1, 0.5, 0.5, 0.5, 1, 2, 5, 9, 8, 5, 4, 5, 7, 6, 4, 4, 4, 5, 7, 9, 9, 8, 5, 2}
)

func diurnal(rng *rand.Rand, hours []float64) time.Duration {
	h := pickWeighted(rng, hours)
	return time.Duration(h)*time.Hour + time.Duration(rng.IntN(3600))*time.Second // whole seconds, as MIND's files
}

func pickWeighted(rng *rand.Rand, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	x := rng.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l || k > 1000 {
			return k
		}
		k++
	}
}

var headlineWords = map[int][3][]string{
	0: {{"Leaders", "Ministers", "Envoys", "Voters", "Rebels", "Diplomats"}, {"agree on", "reject", "debate", "call for", "stall"}, {"a climate fund", "a ceasefire", "new border rules", "an election date", "a trade pact", "aid for refugees"}},
	1: {{"Markets", "Central bank", "Retailers", "Shipping firms", "Investors", "Airlines"}, {"brace for", "report", "cut", "bet on", "warn of"}, {"higher rates", "record profits", "job losses", "a merger", "weaker demand", "new tariffs"}},
	2: {{"Chipmaker", "Startup", "Regulators", "Browser makers", "Developers", "Phone makers"}, {"unveil", "fine", "open-source", "delay", "patch"}, {"a new AI model", "a privacy flaw", "a faster chip", "an app store rule", "a satellite network", "a battery design"}},
	3: {{"Astronomers", "Biologists", "Physicists", "Geologists", "Researchers", "Climatologists"}, {"discover", "map", "measure", "explain", "confirm"}, {"a distant exoplanet", "an ancient gene", "a new particle", "a hidden fault", "ocean warming", "a comet's orbit"}},
	4: {{"Champions", "The home side", "Veteran striker", "Underdogs", "The coach", "The captain"}, {"win", "lose", "clinch", "miss out on", "celebrate"}, {"the derby", "the title", "a late equaliser", "the final", "a record transfer", "the playoffs"}},
	5: {{"Museum", "Director", "Novelist", "Orchestra", "Festival", "Gallery"}, {"opens", "announces", "revives", "wins", "celebrates"}, {"a retrospective", "a new season", "a lost manuscript", "a literary prize", "its centenary", "a touring show"}},
	6: {{"Doctors", "Health officials", "Hospitals", "Scientists", "Nurses", "Regulators"}, {"approve", "warn about", "trial", "expand", "study"}, {"a flu vaccine", "waiting lists", "a new therapy", "sleep and memory", "air pollution", "a screening plan"}},
	7: {{"Streaming service", "Pop star", "Studio", "Director", "Band", "Game studio"}, {"releases", "cancels", "teases", "tops", "reunites for"}, {"a sequel", "a world tour", "the charts", "a documentary", "a holiday special", "a new album"}},
}

func headline(rng *rand.Rand, cat int) string {
	w := headlineWords[cat]
	return w[0][rng.IntN(len(w[0]))] + " " + w[1][rng.IntN(len(w[1]))] + " " + w[2][rng.IntN(len(w[2]))]
}

// variant is how a syndicating source retitles a story: near-identical
// titles, as SimHash clustering sees them.
func variant(title string, v int) string {
	switch v {
	case 0:
		return title
	case 1:
		return title + ", sources say"
	case 2:
		return "Update: " + title
	default:
		return title + fmt.Sprintf(" (%d)", v)
	}
}

func titleCase(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

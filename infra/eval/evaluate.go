package eval

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Metric is one row of the report.
type Metric struct {
	Key  string
	Name string
	// Better is "higher", "lower" or "" (neither: context).
	Better string
	// Synthetic metrics need the simulator (its truth or its full pool).
	Synthetic bool
}

// Metrics are the report's rows, in order.
var Metrics = []Metric{
	{"auc", "AUC", "higher", false},
	{"mrr", "MRR", "higher", false},
	{"ndcg5", "nDCG@5", "higher", false},
	{"ndcg10", "nDCG@10", "higher", false},
	{"cold_auc", "AUC, cold-start readers (< 3 clicks)", "higher", false},
	{"cold_ndcg10", "nDCG@10, cold-start readers", "higher", false},
	{"ips10", "clicks in the first 10 places per impression, IPS estimate", "higher", false},
	{"true10", "clicks in the first 10 places per impression, simulator's truth", "higher", true},
	{"feed_clicks", "feed: expected clicks on the top 10, simulator's truth", "higher", true},
	{"dup_slots", "feed: duplicate slots in the top 10", "lower", true},
	{"coverage", "feed: coverage, % of live stories in some top 10", "higher", true},
	{"ild", "feed: intra-list diversity (categories)", "higher", true},
	{"novelty", "feed: novelty (bits)", "higher", true},
	{"freshness", "feed: freshness, median age in the top 10 (h)", "", true},
	{"robust_heavy", "robustness: others' top 10 changed by one heavy reader (%)", "lower", true},
	{"moved_heavy", "robustness: slots moved per top 10 by one heavy reader", "lower", true},
	{"robust_malicious", "robustness: others' top 10 changed by one malicious install (%)", "lower", true},
	{"moved_malicious", "robustness: slots moved per top 10 by one malicious install", "lower", true},
}

// Result is one evaluation: every metric for every ranker.
type Result struct {
	Dataset        string
	Synthetic      bool
	SimulatorFiles bool
	Rankers        []string
	Values         map[string]map[string]float64 // metric → ranker → value; absent: not measured
	Facts          Facts
}

// Facts describe the evaluated data.
type Facts struct {
	Articles, Stories, Syndicated, Readers int
	Impressions, Scored, ColdScored        int
	Shown, Clicks                          int
	FeedLists                              int
}

type sums map[string]*[2]float64 // metric → (sum, count)

func (s sums) add(m string, v float64) {
	if s[m] == nil {
		s[m] = &[2]float64{}
	}
	s[m][0] += v
	s[m][1]++
}

// Evaluate replays ds's log in time order: signals (tracking's numbers,
// click counts) are rebuilt from every impression before the hour a ranker
// ranks in, each scored impression's candidates are ranked by every ranker,
// and at each feed time every sampled reader's top 10 is taken out of every
// live article.
func Evaluate(ds *Dataset, rankers []Ranker) *Result {
	ds.sortImpressions()
	res := &Result{Dataset: ds.Name, Synthetic: ds.Synthetic, SimulatorFiles: ds.SimulatorFiles, Values: map[string]map[string]float64{}}
	acc := map[string]sums{}
	for _, r := range rankers {
		res.Rankers = append(res.Rankers, r.Name())
		acc[r.Name()] = sums{}
	}
	res.Facts = factsOf(ds)
	tr := newTracker(ds.News)
	history := map[string][]string{}
	var snap *Signals
	feedAt := 0
	var covered = map[string]map[string]bool{}
	live := map[string]bool{}
	for _, r := range rankers {
		covered[r.Name()] = map[string]bool{}
	}
	feed := func(at time.Time) {
		s := tr.snapshot(at)
		evaluateFeed(ds, rankers, at, s, history, acc, covered, live)
		res.Facts.FeedLists += len(ds.FeedReaders)
	}
	for _, imp := range ds.Impressions {
		for feedAt < len(ds.FeedTimes) && !imp.Time.Before(ds.FeedTimes[feedAt]) {
			feed(ds.FeedTimes[feedAt])
			feedAt++
		}
		if h := imp.Time.Truncate(time.Hour); snap == nil || !snap.At.Equal(h) {
			snap = tr.snapshot(h)
		}
		if !imp.Time.Before(ds.TestFrom) {
			if scoreImpression(ds, rankers, imp, snap, acc) {
				res.Facts.Scored++
				if len(imp.History) < 3 {
					res.Facts.ColdScored++
				}
			}
		}
		tr.add(imp)
		h := append([]string(nil), imp.History...)
		for i, id := range imp.Shown {
			if imp.Clicked[i] {
				h = append(h, id)
			}
		}
		history[imp.User] = h[max(0, len(h)-50):]
	}
	for ; feedAt < len(ds.FeedTimes); feedAt++ {
		feed(ds.FeedTimes[feedAt])
	}
	for name, s := range acc {
		for m, v := range s {
			if res.Values[m] == nil {
				res.Values[m] = map[string]float64{}
			}
			res.Values[m][name] = v[0] / v[1]
		}
		if len(live) > 0 {
			if res.Values["coverage"] == nil {
				res.Values["coverage"] = map[string]float64{}
			}
			res.Values["coverage"][name] = 100 * float64(len(covered[name])) / float64(len(live))
		}
	}
	return res
}

// scoreImpression ranks one impression's candidates with every ranker and
// adds MIND's metrics (impressions with a click and a non-click only, as in
// MIND), the IPS estimate and, on synthetic data, the truth (every
// impression). It reports whether MIND's metrics counted it.
func scoreImpression(ds *Dataset, rankers []Ranker, imp Impression, snap *Signals, acc map[string]sums) bool {
	var cands []*Article
	var labels []bool
	var logged []Logged
	clicks := 0
	for i, id := range imp.Shown {
		a := ds.News[id]
		if a == nil {
			continue
		}
		cands = append(cands, a)
		labels = append(labels, imp.Clicked[i])
		if imp.Clicked[i] {
			clicks++
		}
	}
	for i := range cands {
		logged = append(logged, Logged{Position: i, Propensity: 1 / float64(len(cands)), Clicked: labels[i]})
	}
	mind := clicks > 0 && clicks < len(cands)
	reader := readerOf(imp.User, imp.History, ds.News)
	cold := len(reader.History) < 3
	for _, r := range rankers {
		s := acc[r.Name()]
		ordered := r.Rank(Query{Now: imp.Time, Reader: reader, Signals: snap}, cands, len(cands))
		pos := make(map[*Article]int, len(ordered))
		for i, a := range ordered {
			pos[a] = i
		}
		scores := make([]float64, len(cands))
		rankOf := make([]int, len(cands))
		for i, a := range cands {
			p, ok := pos[a]
			if !ok {
				p = len(cands) // a ranker that drops a candidate ranks it last
			}
			rankOf[i], scores[i] = p, float64(len(cands)-p)
		}
		if mind {
			auc, _ := AUC(labels, scores)
			s.add("auc", auc)
			s.add("mrr", MRR(labels, scores))
			s.add("ndcg5", NDCG(labels, scores, 5))
			s.add("ndcg10", NDCG(labels, scores, 10))
			if cold {
				s.add("cold_auc", auc)
				s.add("cold_ndcg10", NDCG(labels, scores, 10))
			}
		}
		if ds.Candidates > 0 {
			s.add("ips10", IPS(logged, rankOf, 10))
		}
		if w := ds.world; w != nil {
			idx := make([]int, len(ordered))
			for i, a := range ordered {
				idx[i] = a.sim
			}
			s.add("true10", w.expectedClicks(w.byUser[imp.User], idx, imp.Time, 10))
		}
	}
	return mind
}

// evaluateFeed takes every sampled reader's top 10 out of every live
// article at at, with the signals as they are and with one more reader: a
// heavy one (100 articles of one category opened once each today) and a
// malicious install (1,000 clicks on each of five fresh articles of the
// least-weighted source).
func evaluateFeed(ds *Dataset, rankers []Ranker, at time.Time, s *Signals, history map[string][]string,
	acc map[string]sums, covered map[string]map[string]bool, live map[string]bool) {
	w := ds.world
	var pool []*Article
	for _, a := range ds.News {
		if age := at.Sub(a.PublishedAt); age >= 0 && age <= feedAge && a.Title != "" {
			pool = append(pool, a)
		}
	}
	sort.Slice(pool, func(i, j int) bool { return pool[i].ID < pool[j].ID })
	for _, a := range pool {
		live[a.Story] = true
	}
	heavy, malicious := attackTargets(pool, at)
	variants := []struct {
		name string
		sig  *Signals
	}{{"", s}, {"heavy", s.withReader(heavy, 1)}, {"malicious", s.withReader(malicious, 1000)}}
	readers := make([]Reader, len(ds.FeedReaders))
	for i, u := range ds.FeedReaders {
		readers[i] = readerOf(u, history[u], ds.News)
	}
	for _, r := range rankers {
		sum := acc[r.Name()]
		base := make([][]*Article, len(readers))
		var ages []float64
		for vi, v := range variants {
			key := fmt.Sprintf("%s|%s", at.Format(time.RFC3339), v.name)
			changed, moved := 0, 0
			for i, rd := range readers {
				top := r.Rank(Query{Now: at, Reader: rd, Signals: v.sig, Pool: key}, pool, 10)
				if vi == 0 {
					base[i] = top
					continue
				}
				m := Moved(ids(base[i]), ids(top))
				moved += m
				if m > 0 {
					changed++
				}
			}
			if vi > 0 && len(readers) > 0 {
				sum.add("robust_"+v.name, 100*float64(changed)/float64(len(readers)))
				sum.add("moved_"+v.name, float64(moved)/float64(len(readers)))
			}
		}
		for i, top := range base {
			var cats, stories []string
			nov := 0.0
			for _, a := range top {
				cats = append(cats, a.Category)
				stories = append(stories, a.Story)
				covered[r.Name()][a.Story] = true
				ages = append(ages, at.Sub(a.PublishedAt).Hours())
				nov += Novelty(s.StoryClickers[a.Story], s.Readers)
			}
			if len(top) == 0 {
				continue
			}
			sum.add("ild", IntraListDiversity(cats))
			sum.add("dup_slots", float64(DuplicateSlots(stories)))
			sum.add("novelty", nov/float64(len(top)))
			if w != nil {
				idx := make([]int, len(top))
				for k, a := range top {
					idx[k] = a.sim
				}
				sum.add("feed_clicks", w.expectedClicks(w.byUser[readers[i].ID], idx, at, 10))
			}
		}
		if len(ages) > 0 {
			sum.add("freshness", Median(ages))
		}
	}
}

// attackTargets picks what the heavy reader opens (the 100 newest articles
// of the pool's biggest category published in the last day) and what the
// malicious install clicks (the five newest articles of the least-weighted
// source).
func attackTargets(pool []*Article, at time.Time) (heavy, malicious []string) {
	byCat := map[string][]*Article{}
	weakest := ""
	weight := map[string]float64{}
	for _, a := range pool {
		if at.Sub(a.PublishedAt) <= 24*time.Hour {
			byCat[a.Category] = append(byCat[a.Category], a)
		}
		weight[a.SourceID] = a.SourceWeight
	}
	for src, wt := range weight {
		if weakest == "" || wt < weight[weakest] || (wt == weight[weakest] && src < weakest) {
			weakest = src
		}
	}
	bigCat := ""
	for c, l := range byCat {
		if bigCat == "" || len(l) > len(byCat[bigCat]) || (len(l) == len(byCat[bigCat]) && c < bigCat) {
			bigCat = c
		}
	}
	newest := func(l []*Article, n int, keep func(*Article) bool) []string {
		l = append([]*Article(nil), l...)
		sort.Slice(l, func(i, j int) bool {
			if !l[i].PublishedAt.Equal(l[j].PublishedAt) {
				return l[i].PublishedAt.After(l[j].PublishedAt)
			}
			return l[i].ID < l[j].ID
		})
		var out []string
		for _, a := range l {
			if len(out) < n && keep(a) {
				out = append(out, a.ID)
			}
		}
		return out
	}
	heavy = newest(byCat[bigCat], 100, func(*Article) bool { return true })
	malicious = newest(pool, 5, func(a *Article) bool { return a.SourceID == weakest })
	return heavy, malicious
}

func ids(l []*Article) []string {
	out := make([]string, len(l))
	for i, a := range l {
		out[i] = a.ID
	}
	return out
}

func factsOf(ds *Dataset) Facts {
	f := Facts{Articles: len(ds.News)}
	versions := map[string]int{}
	for _, a := range ds.News {
		versions[a.Story]++
	}
	f.Stories = len(versions)
	for _, n := range versions {
		if n > 1 {
			f.Syndicated++
		}
	}
	users := map[string]bool{}
	for _, imp := range ds.Impressions {
		users[imp.User] = true
		f.Shown += len(imp.Shown)
		for _, c := range imp.Clicked {
			if c {
				f.Clicks++
			}
		}
	}
	f.Readers, f.Impressions = len(users), len(ds.Impressions)
	return f
}

// String is a short text rendering of one result, for logs and tests.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Dataset)
	for _, m := range Metrics {
		if r.Values[m.Key] == nil {
			continue
		}
		fmt.Fprintf(&b, "%-70s", m.Name)
		for _, name := range r.Rankers {
			if v, ok := r.Values[m.Key][name]; ok {
				fmt.Fprintf(&b, " %s=%.4f", name, v)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

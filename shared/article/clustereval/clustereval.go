package clustereval

import (
	"bufio"
	_ "embed"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/article/feedparse"
	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/mmcdole/gofeed"
)

//go:embed headlines.txt
var headlinesTxt string

//go:embed fresh.txt
var freshTxt string

//go:embed fresh2.txt
var fresh2Txt string

// Window is the story window the measurement uses: ingestion's default.
const Window = 48 * time.Hour

// Headline is one source's title of a labelled story.
type Headline struct {
	Story     string // the label
	Source    string
	Title     string
	Published time.Time
}

// Set is the labelled set.
type Set struct {
	Headlines  []Headline
	NearMisses [][2]string // pairs of story labels that must stay apart
}

// base is the first day of the set; day 1 is the next.
var base = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// Load parses the embedded set.
func Load() (Set, error) { return Parse(headlinesTxt) }

// LoadFresh parses the fresh set: written after the decision was tuned,
// never tuned on.
func LoadFresh() (Set, error) { return Parse(freshTxt) }

// LoadFresh2 parses the second fresh set: written before the recall work of
// doc.go's history, measured once before it and once after, never tuned on.
func LoadFresh2() (Set, error) { return Parse(fresh2Txt) }

// Parse reads a set in headlines.txt's format.
func Parse(text string) (Set, error) {
	var s Set
	stories := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "nearmiss "); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[0] == f[1] {
				return Set{}, fmt.Errorf("line %d: a near-miss names two different stories", n)
			}
			s.NearMisses = append(s.NearMisses, [2]string{f[0], f[1]})
			continue
		}
		f := strings.SplitN(line, " | ", 4)
		if len(f) != 4 {
			return Set{}, fmt.Errorf("line %d: want story | day hh:mm | source | title", n)
		}
		day, clock, ok := strings.Cut(f[1], " ")
		d, err := strconv.Atoi(day)
		if !ok || err != nil || d < 0 || d > 1 {
			return Set{}, fmt.Errorf("line %d: bad day in %q", n, f[1])
		}
		at, err := time.Parse("15:04", clock)
		if err != nil {
			return Set{}, fmt.Errorf("line %d: bad time in %q", n, f[1])
		}
		published := base.AddDate(0, 0, d).Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
		h := Headline{Story: strings.TrimSpace(f[0]), Published: published, Source: strings.TrimSpace(f[2]), Title: strings.TrimSpace(f[3])}
		if h.Story == "" || h.Source == "" || h.Title == "" {
			return Set{}, fmt.Errorf("line %d: empty field", n)
		}
		stories[h.Story] = true
		s.Headlines = append(s.Headlines, h)
	}
	for _, p := range s.NearMisses {
		if !stories[p[0]] || !stories[p[1]] {
			return Set{}, fmt.Errorf("near-miss %s / %s names a story with no headline", p[0], p[1])
		}
	}
	return s, sc.Err()
}

// Halves splits the set into its tuning and held-out halves (see the package
// documentation for the rule).
func (s Set) Halves() (tune, heldOut Set) {
	// Group the stories linked by near-misses (union-find over labels).
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		parent[x] = x
		return x
	}
	for _, h := range s.Headlines {
		find(h.Story)
	}
	for _, p := range s.NearMisses {
		a, b := find(p[0]), find(p[1])
		if a != b {
			parent[max(a, b)] = min(a, b) // the root is the group's first label
		}
	}
	held := func(story string) bool {
		h := fnv.New32a()
		h.Write([]byte(find(story)))
		return h.Sum32()%2 == 1
	}
	for _, h := range s.Headlines {
		if held(h.Story) {
			heldOut.Headlines = append(heldOut.Headlines, h)
		} else {
			tune.Headlines = append(tune.Headlines, h)
		}
	}
	for _, p := range s.NearMisses {
		if held(p[0]) {
			heldOut.NearMisses = append(heldOut.NearMisses, p)
		} else {
			tune.NearMisses = append(tune.NearMisses, p)
		}
	}
	return tune, heldOut
}

// Cluster runs ingestion's story decision over the headlines in publication
// order (ties in set order) and returns each headline's story id.
func Cluster(hs []Headline) ([]string, error) {
	order := make([]int, len(hs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return hs[a].Published.Compare(hs[b].Published) })
	stories := article.NewStories(nil, Window)
	out := make([]string, len(hs))
	for _, i := range order {
		h := hs[i]
		published := h.Published
		fetched := published.Add(time.Hour)
		it, err := feedparse.FromItem(&gofeed.Item{Title: h.Title, Link: fmt.Sprintf("https://%s.example/%d", h.Source, i), PublishedParsed: &published},
			"en", fetched)
		if err != nil {
			return nil, fmt.Errorf("headline %q: %w", h.Title, err)
		}
		out[i], _ = stories.Assign(ingest.Article(it, article.Source{ID: h.Source, Category: strings.SplitN(h.Story, "/", 2)[0], Weight: 1}, fetched))
	}
	return out, nil
}

// Pair is two headlines the clustering got wrong.
type Pair struct {
	A, B Headline
}

// Figures is the measurement of one set (a half, or the whole).
type Figures struct {
	Name      string
	Headlines int
	Stories   int // labelled
	Clusters  int // predicted
	// Pairwise over pairs of headlines: a pair is positive when predicted in
	// one story, true when labelled one story.
	TruePairs, FalsePairs, MissedPairs int
	Precision, Recall                  float64
	// B-cubed: per headline, the share of its predicted cluster that is its
	// story (precision) and of its story that is in its cluster (recall),
	// averaged over headlines.
	BCubedPrecision, BCubedRecall float64
	NearMisses, NearMissesApart   int
	WrongMerges, MissedMerges     []Pair
}

// Report is the clustering's measurement on the labelled set.
type Report struct {
	Tune, HeldOut, All Figures
	// Fresh is the fresh set (fresh.txt), clustered on its own.
	Fresh Figures
	// Fresh2 is the second fresh set (fresh2.txt), clustered on its own.
	Fresh2 Figures
}

// Measure clusters the labelled set with ingestion's decision and measures it.
func Measure() (Report, error) {
	s, err := Load()
	if err != nil {
		return Report{}, err
	}
	fresh, err := LoadFresh()
	if err != nil {
		return Report{}, err
	}
	fresh2, err := LoadFresh2()
	if err != nil {
		return Report{}, err
	}
	tune, held := s.Halves()
	var r Report
	for _, m := range []struct {
		set  Set
		name string
		into *Figures
	}{{tune, "tune", &r.Tune}, {held, "held-out", &r.HeldOut}, {s, "all", &r.All}, {fresh, "fresh", &r.Fresh}, {fresh2, "fresh2", &r.Fresh2}} {
		if *m.into, err = Evaluate(m.name, m.set); err != nil {
			return Report{}, err
		}
	}
	return r, nil
}

// Evaluate clusters one set and measures the result.
func Evaluate(name string, s Set) (Figures, error) {
	got, err := Cluster(s.Headlines)
	if err != nil {
		return Figures{}, err
	}
	hs := s.Headlines
	f := Figures{Name: name, Headlines: len(hs)}
	labelSize, clusterSize, both := map[string]int{}, map[string]int{}, map[[2]string]int{}
	for i, h := range hs {
		labelSize[h.Story]++
		clusterSize[got[i]]++
		both[[2]string{h.Story, got[i]}]++
	}
	f.Stories, f.Clusters = len(labelSize), len(clusterSize)
	for i := range hs {
		for j := i + 1; j < len(hs); j++ {
			same, predicted := hs[i].Story == hs[j].Story, got[i] == got[j]
			switch {
			case same && predicted:
				f.TruePairs++
			case predicted:
				f.FalsePairs++
				f.WrongMerges = append(f.WrongMerges, Pair{hs[i], hs[j]})
			case same:
				f.MissedPairs++
				f.MissedMerges = append(f.MissedMerges, Pair{hs[i], hs[j]})
			}
		}
	}
	f.Precision = ratio(f.TruePairs, f.TruePairs+f.FalsePairs)
	f.Recall = ratio(f.TruePairs, f.TruePairs+f.MissedPairs)
	for i, h := range hs {
		n := float64(both[[2]string{h.Story, got[i]}])
		f.BCubedPrecision += n / float64(clusterSize[got[i]])
		f.BCubedRecall += n / float64(labelSize[h.Story])
	}
	if len(hs) > 0 {
		f.BCubedPrecision /= float64(len(hs))
		f.BCubedRecall /= float64(len(hs))
	}
	for _, p := range s.NearMisses {
		f.NearMisses++
		apart := true
		for i := range hs {
			for j := range hs {
				if hs[i].Story == p[0] && hs[j].Story == p[1] && got[i] == got[j] {
					apart = false
				}
			}
		}
		if apart {
			f.NearMissesApart++
		}
	}
	return f, nil
}

// ratio is n/d, and 1 when there is nothing to get wrong.
func ratio(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

// Markdown is the report as a table, then the wrong and missed merges of the
// whole set (at most 25 of each).
func (r Report) Markdown() string {
	var b strings.Builder
	b.WriteString("| set | headlines | stories | clusters | pairwise precision | pairwise recall | B³ precision | B³ recall | near-misses apart |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, f := range []Figures{r.Tune, r.HeldOut, r.All, r.Fresh, r.Fresh2} {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.3f | %.3f | %.3f | %.3f | %d / %d |\n", f.Name, f.Headlines, f.Stories, f.Clusters,
			f.Precision, f.Recall, f.BCubedPrecision, f.BCubedRecall, f.NearMissesApart, f.NearMisses)
	}
	list := func(title string, ps []Pair) {
		fmt.Fprintf(&b, "\n%s (%d pairs of the whole set):\n\n", title, len(ps))
		for i, p := range ps {
			if i == 25 {
				fmt.Fprintf(&b, "- … and %d more\n", len(ps)-25)
				break
			}
			fmt.Fprintf(&b, "- %q (%s) / %q (%s)\n", p.A.Title, p.A.Story, p.B.Title, p.B.Story)
		}
	}
	list("Wrong merges", r.All.WrongMerges)
	list("Missed merges", r.All.MissedMerges)
	return b.String()
}

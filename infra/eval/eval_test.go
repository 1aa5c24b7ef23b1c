package eval

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/feed"
)

// small is a seeded run small enough for a unit test.
func small(seed uint64) Config {
	return Config{Seed: seed, Days: 3, StoriesPerDay: 300, Readers: 600, Candidates: 20, FeedReaders: 40}
}

func simulate(t *testing.T, cfg Config) *Dataset {
	t.Helper()
	ds, err := Simulate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestTheOracleBeatsEveryRankerAndRandomIsACoinToss(t *testing.T) {
	t.Parallel()
	ds := simulate(t, small(7))
	res := Evaluate(ds, Rankers(ds, 7))
	t.Log(res)
	for _, m := range []string{"auc", "mrr", "ndcg5", "ndcg10", "true10", "feed_clicks"} {
		oracle, ok := res.Values[m]["oracle"]
		if !ok {
			t.Fatalf("no %s for the oracle", m)
		}
		for _, r := range res.Rankers {
			if v := res.Values[m][r]; r != "oracle" && v > oracle {
				t.Errorf("%s: %s scores %.4f, above the oracle's %.4f", m, r, v, oracle)
			}
		}
	}
	if auc := res.Values["auc"]["random"]; auc < 0.46 || auc > 0.54 {
		t.Errorf("random's AUC = %.4f, want 0.5 ± 0.04", auc)
	}
	if res.Facts.Scored < 300 {
		t.Errorf("only %d impressions scored; the small run is too small to say anything", res.Facts.Scored)
	}
}

func TestASeedGivesTheSameLogAndTheSameFigures(t *testing.T) {
	t.Parallel()
	cfg := small(3)
	cfg.Readers, cfg.FeedReaders = 250, 10
	a, b := simulate(t, cfg), simulate(t, cfg)
	if !reflect.DeepEqual(a.Impressions, b.Impressions) {
		t.Fatal("two simulations with one seed logged different impressions")
	}
	ra, rb := Evaluate(a, Rankers(a, 3)), Evaluate(b, Rankers(b, 3))
	if !reflect.DeepEqual(ra.Values, rb.Values) {
		t.Errorf("one seed, two sets of figures:\n%s\n%s", ra, rb)
	}
	cfg.Seed = 4
	if c := simulate(t, cfg); reflect.DeepEqual(a.Impressions, c.Impressions) {
		t.Error("another seed logged the same impressions")
	}
}

func TestTheSimulatedLogHasSyndicatedDuplicatesAndPositionBias(t *testing.T) {
	ds := simulate(t, small(5))
	f := factsOf(ds)
	if share := float64(f.Syndicated) / float64(f.Stories); share < 0.3 || share > 0.5 {
		t.Errorf("%.0f%% of stories syndicated, want about 40%%", 100*share)
	}
	clicksAt := make([]int, ds.Candidates)
	for _, imp := range ds.Impressions {
		for i, c := range imp.Clicked {
			if c {
				clicksAt[i]++
			}
		}
	}
	if clicksAt[0] < 2*clicksAt[ds.Candidates-1] {
		t.Errorf("the first place got %d clicks and the last %d: no position bias", clicksAt[0], clicksAt[ds.Candidates-1])
	}
}

func TestKioskRanksEveryCandidateOnceAndItsTopFeedIsFeedRankAll(t *testing.T) {
	now := Start.Add(10 * time.Hour)
	var cands []*Article
	for i, src := range []string{"a", "a", "a", "b", "c"} {
		cands = append(cands, &Article{ID: string(rune('p' + i)), Title: "t", Category: "world", SourceID: src, SourceWeight: 1,
			Story: string(rune('p' + i)), PublishedAt: now.Add(-time.Duration(i) * time.Hour)})
	}
	sig := &Signals{Numbers: map[string]Numbers{}, Clicks24h: map[string]int{}}
	q := Query{Now: now, Reader: readerOf("u", nil, nil), Signals: sig}
	for _, k := range []*Kiosk{NewKiosk(KioskParams{}, nil), NewKiosk(KioskParams{Personal: true}, nil)} {
		got := k.Rank(q, cands, len(cands))
		if len(got) != len(cands) {
			t.Fatalf("%s ranked %d of %d candidates", k.Name(), len(got), len(cands))
		}
		// Newest first by decay, but no more than two of source a in a row.
		if ids := strings.Join(ids(got), ""); ids != "pqsrt" {
			t.Errorf("%s ranked %s, want pqsrt (the diversity rule moves s above r)", k.Name(), ids)
		}
	}
}

func TestTrackingCountsAReaderOncePerArticleAndDayButPopularityCountsEvents(t *testing.T) {
	day := Start
	news := map[string]*Article{"n": {ID: "n", Story: "s"}}
	tr := newTracker(news)
	for i := range 5 { // one install, five times the same click in a day
		tr.add(Impression{ID: "x", User: "u1", Time: day.Add(time.Duration(i) * time.Minute), Shown: []string{"n"}, Clicked: []bool{true}})
	}
	tr.add(Impression{ID: "y", User: "u2", Time: day.Add(time.Hour), Shown: []string{"n"}, Clicked: []bool{false}})
	tr.add(Impression{ID: "z", User: "u1", Time: day.Add(25 * time.Hour), Shown: []string{"n"}, Clicked: []bool{true}})
	s := tr.snapshot(day.Add(26 * time.Hour))
	want := Numbers{Impressions: 3, Clicks: 2, DayReaders: 2, TodayReaders: 1}
	if got := s.Numbers["n"]; got != want {
		t.Errorf("numbers = %+v, want %+v (u1 and u2 on day 1, u1 again on day 2)", got, want)
	}
	if got := s.Clicks24h["n"]; got != 1 {
		t.Errorf("click events in the last 24 h = %d, want 1 (day 1's five are older)", got)
	}
	if got := s.StoryClickers["s"]; got != 1 {
		t.Errorf("readers who clicked the story = %d, want 1", got)
	}
	burst := s.withReader([]string{"n"}, 1000)
	if n := burst.Numbers["n"]; n.Impressions != 4 || n.Clicks != 3 || burst.Clicks24h["n"] != 1001 {
		t.Errorf("one more reader's burst: numbers %+v and %d events, want one more reader and 1000 more events", n, burst.Clicks24h["n"])
	}
	if s.Numbers["n"].Clicks != 2 {
		t.Error("adding a reader changed the signals it was copied from")
	}
}

func TestASimulatedLogReadBackFromMINDFilesGivesTheSameFigures(t *testing.T) {
	t.Parallel()
	ds := simulate(t, small(11))
	dir := t.TempDir()
	if err := WriteMIND(dir, ds); err != nil {
		t.Fatal(err)
	}
	back, err := ReadMIND(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Impressions) != len(ds.Impressions) || len(back.News) != len(ds.News) {
		t.Fatalf("read back %d impressions and %d articles, wrote %d and %d", len(back.Impressions), len(back.News), len(ds.Impressions), len(ds.News))
	}
	back.TestFrom = ds.TestFrom
	want, got := Evaluate(ds, Rankers(ds, 1)), Evaluate(back, Rankers(back, 1))
	for _, m := range []string{"auc", "mrr", "ndcg5", "ndcg10", "cold_auc"} {
		for _, r := range got.Rankers {
			if got.Values[m][r] != want.Values[m][r] {
				t.Errorf("%s of %s: %.6f from the files, %.6f in memory", m, r, got.Values[m][r], want.Values[m][r])
			}
		}
	}
	if _, ok := got.Values["ips10"]; ok {
		t.Error("IPS needs the logging policy's propensities, which MIND files do not carry")
	}
}

func TestReadMINDTakesMINDsOwnFilesAndRefusesItsUnlabelledTestSet(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("news.tsv", "N1\tnews\tnewsworld\tA title\tAn abstract\thttps://assets.msn.com/1\t[]\t[]\n"+
		"N2\tsports\tfootball\tAnother\t\thttps://assets.msn.com/2\t[]\t[]\n"+
		"N3\tnews\tnewsus\tThird\t\thttps://assets.msn.com/3\t[]\t[]\r\n")
	write("behaviors.tsv", "1\tU1\t11/15/2019 8:55:22 AM\tN3\tN1-1 N2-0\n"+
		"2\tU2\t11/15/2019 7:01:00 AM\t\tN2-1 N1-0\n")
	ds, err := ReadMIND(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Impressions) != 2 || ds.Impressions[0].ID != "2" {
		t.Fatalf("impressions = %+v, want both, earliest first", ds.Impressions)
	}
	if got := ds.News["N1"].PublishedAt; !got.Equal(time.Date(2019, 11, 15, 7, 1, 0, 0, time.UTC)) {
		t.Errorf("N1's publication time = %s, want its first impression's", got)
	}
	if h := ds.Impressions[1].History; len(h) != 1 || h[0] != "N3" {
		t.Errorf("U1's history = %v, want [N3]", h)
	}
	res := Evaluate(ds, Rankers(ds, 1))
	if _, ok := res.Values["auc"]["oracle"]; ok {
		t.Error("real data has no oracle")
	}
	if res.Facts.Scored != 2 {
		t.Errorf("scored %d impressions, want 2", res.Facts.Scored)
	}

	write("behaviors.tsv", "1\tU1\t11/15/2019 8:55:22 AM\tN3\tN1 N2\n")
	if _, err := ReadMIND(dir); err == nil || !strings.Contains(err.Error(), "behaviors.tsv:1") || !strings.Contains(err.Error(), "test set") {
		t.Errorf("reading MIND's test set: %v, want an error naming the line and the test set", err)
	}
}

func TestTheReportLabelsSimulatedFiguresSyntheticAndHasEveryMetricForEveryRanker(t *testing.T) {
	t.Parallel()
	var results []*Result
	for _, seed := range []uint64{1, 2} {
		cfg := small(seed)
		cfg.Readers, cfg.FeedReaders = 300, 10
		ds := simulate(t, cfg)
		results = append(results, Evaluate(ds, Rankers(ds, seed)))
	}
	md := (&Report{Results: results, Seeds: []uint64{1, 2}, Config: small(0)}).Markdown("docs/eval-chart.svg")
	for _, want := range []string{"# Ranking evaluation — synthetic", "**Synthetic figures.**", "never comparable",
		"seeds 1, 2", "## Story clustering", "STORY CLUSTERING", "![", "## What the evidence says", "### What to change"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, m := range Metrics {
		var row string
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(line, "| "+m.Name+" ") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("no row for %s", m.Name)
			continue
		}
		if cells := strings.Count(row, "|") - 1; cells != 1+len(results[0].Rankers) {
			t.Errorf("%s has %d cells, want the metric and one per ranker", m.Name, cells)
		}
		if strings.Contains(row, "—") || strings.Contains(row, "NaN") {
			t.Errorf("%s is missing for a ranker: %s", m.Name, row)
		}
	}
}

func TestAParameterVariantWithFeedsDefaultsRanksAsRankAll(t *testing.T) {
	t.Parallel()
	cfg := small(9)
	cfg.Readers, cfg.FeedReaders = 250, 10
	ds := simulate(t, cfg)
	defaults := feed.DefaultParams()
	same := KioskParams{Variant: "defaults", Params: &defaults}
	own, variant := &RankCache{}, &RankCache{}
	res := Evaluate(ds, []Ranker{NewKiosk(KioskParams{}, own), NewKiosk(KioskParams{Personal: true}, own),
		NewKiosk(same, variant), NewKiosk(KioskParams{Variant: same.Variant, Params: same.Params, Personal: true}, variant)})
	for _, m := range Metrics {
		for _, page := range []string{"top", "personal"} {
			a, b := res.Values[m.Key]["kiosk ("+page+")"], res.Values[m.Key]["kiosk/defaults ("+page+")"]
			if a != b {
				t.Errorf("%s of the %s page: RankAll %.6f, the variant with the default parameters %.6f", m.Name, page, a, b)
			}
		}
	}
	// A variant that scores differently ranks differently.
	fast := feed.DefaultParams()
	fast.HalfLife = time.Hour
	newest := KioskParams{Variant: "age", Params: &fast}
	r := Evaluate(ds, []Ranker{NewKiosk(newest, nil), &Recency{}})
	if r.Values["ndcg10"]["kiosk/age (top)"] == res.Values["ndcg10"]["kiosk (top)"] {
		t.Error("a variant scoring by age ranked as Kiosk's own score")
	}
}

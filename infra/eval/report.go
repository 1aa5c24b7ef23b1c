package eval

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// Report is one make eval run: a Result per seed (synthetic) or one Result
// (MIND).
type Report struct {
	Results []*Result
	Seeds   []uint64
	Config  Config
	Took    time.Duration
	// Clustering is the story-clustering report's markdown
	// (shared/article/clustereval), "" when not measured.
	Clustering string
}

// Stat is a metric's mean and sample standard deviation over seeds.
type Stat struct {
	Mean, SD float64
	N        int
}

// Stat summarises metric m for ranker over the report's results.
func (r *Report) Stat(m, ranker string) Stat {
	var xs []float64
	for _, res := range r.Results {
		if v, ok := res.Values[m][ranker]; ok && !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	mean, sd := MeanSD(xs)
	return Stat{mean, sd, len(xs)}
}

func (r *Report) rankers() []string {
	if len(r.Results) == 0 {
		return nil
	}
	return r.Results[0].Rankers
}

func (r *Report) synthetic() bool { return len(r.Results) > 0 && r.Results[0].Synthetic }

func format(m string, v float64) string {
	switch m {
	case "coverage", "robust_heavy", "robust_malicious", "freshness":
		return fmt.Sprintf("%.1f", v)
	case "novelty", "moved_heavy", "moved_malicious", "dup_slots":
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func (r *Report) cell(m, ranker string) string {
	s := r.Stat(m, ranker)
	if s.N == 0 {
		return "—"
	}
	if len(r.Results) < 2 {
		return format(m, s.Mean)
	}
	return format(m, s.Mean) + " ± " + format(m, s.SD)
}

// Markdown is EVAL.md (synthetic) or the MIND report.
func (r *Report) Markdown(chart string) string {
	var b strings.Builder
	syn := r.synthetic()
	b.WriteString("<!-- Written by `make eval` (go run ./infra/cmd/eval); regenerate it rather than editing it. -->\n")
	if syn {
		b.WriteString("# Ranking evaluation — synthetic\n\n")
		b.WriteString("> **Synthetic figures.** Every number here comes from Kiosk's reader simulator (`infra/eval`), not from\n" +
			"> real readers. They compare rankers with one another on the same simulated logs and are **never comparable\n" +
			"> with MIND's published figures**. `make eval MIND=<folder>` computes comparable ones on real MIND data\n" +
			"> (see the README, \"Ranking evaluation\").\n\n")
	} else if r.Results[0].SimulatorFiles {
		b.WriteString("# Ranking evaluation — " + r.Results[0].Dataset + "\n\n")
		b.WriteString("> **Synthetic figures**: a log the simulator wrote, read back through the MIND reader (without the\n" +
			"> simulator's truth, so no oracle, IPS or feed rows). Never comparable with MIND's published figures.\n\n")
	} else {
		b.WriteString("# Ranking evaluation — " + r.Results[0].Dataset + "\n\n")
		b.WriteString("> Real impressions from MIND (Microsoft News). AUC, MRR, nDCG@5 and nDCG@10 are computed per impression as\n" +
			"> MIND's evaluation script does, so they are comparable in kind with MIND's leaderboard; the paper's figures are\n" +
			"> on MIND-large's test set, and these rankers see no text, so compare with its popularity-style baselines\n" +
			"> rather than with NRMS. Each impression is ranked with the signals of the hours before it (the dev set is one\n" +
			"> day); MIND has no publication times (an article's first impression stands for it), no sources and no story\n" +
			"> clusters, so the feed-level, IPS and oracle rows are not measured.\n\n")
	}
	seeds := make([]string, len(r.Seeds))
	for i, s := range r.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	if syn {
		fmt.Fprintf(&b, "Reproduce: `make eval` — seeds %s; %d simulated days (the last one scored), %d stories a day, "+
			"%d readers, %d candidates per impression; this run took %s on a 2-core machine.\n\n",
			strings.Join(seeds, ", "), r.Config.Days, r.Config.StoriesPerDay, r.Config.Readers, r.Config.Candidates, r.Took.Round(time.Second))
	} else {
		fmt.Fprintf(&b, "Reproduce: `make eval MIND=<folder>`; this run took %s.\n\n", r.Took.Round(time.Second))
	}

	b.WriteString("## The data\n\n")
	if syn {
		b.WriteString("| per seed | " + strings.Join(seeds, " | ") + " |\n|---|" + strings.Repeat("---:|", len(seeds)) + "\n")
	} else {
		b.WriteString("| | |\n|---|---:|\n")
	}
	facts := []struct {
		name string
		f    func(Facts) string
	}{
		{"articles", func(f Facts) string { return fmt.Sprint(f.Articles) }},
		{"stories (syndicated: carried by more than one source)", func(f Facts) string {
			return fmt.Sprintf("%d (%d, %.0f%%)", f.Stories, f.Syndicated, 100*float64(f.Syndicated)/math.Max(1, float64(f.Stories)))
		}},
		{"readers with an impression", func(f Facts) string { return fmt.Sprint(f.Readers) }},
		{"impressions (all days)", func(f Facts) string { return fmt.Sprint(f.Impressions) }},
		{"impressions scored by MIND's metrics (cold-start)", func(f Facts) string { return fmt.Sprintf("%d (%d)", f.Scored, f.ColdScored) }},
		{"clicks per shown candidate", func(f Facts) string {
			return fmt.Sprintf("%.2f%%", 100*float64(f.Clicks)/math.Max(1, float64(f.Shown)))
		}},
	}
	if syn {
		facts = append(facts, struct {
			name string
			f    func(Facts) string
		}{"feed top-10 lists per ranker", func(f Facts) string { return fmt.Sprint(f.FeedLists) }})
	}
	for _, fc := range facts {
		b.WriteString("| " + fc.name + " |")
		for _, res := range r.Results {
			b.WriteString(" " + fc.f(res.Facts) + " |")
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## Every metric × every ranker\n\n")
	if len(r.Results) > 1 {
		fmt.Fprintf(&b, "Mean ± standard deviation over the %d seeds. ↑ higher is better, ↓ lower is better.\n\n", len(r.Results))
	}
	b.WriteString("| metric |")
	for _, n := range r.rankers() {
		if n == "oracle" {
			n = "oracle (ceiling)"
		}
		b.WriteString(" " + n + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(r.rankers())) + "\n")
	for _, m := range Metrics {
		if m.Synthetic && !syn || (m.Key == "ips10" && !syn) {
			continue
		}
		arrow := map[string]string{"higher": " ↑", "lower": " ↓"}[m.Better]
		b.WriteString("| " + m.Name + arrow + " |")
		for _, n := range r.rankers() {
			b.WriteString(" " + r.cell(m.Key, n) + " |")
		}
		b.WriteString("\n")
	}
	if chart != "" {
		alt := "AUC and nDCG@10 per ranker"
		if syn {
			alt = "AUC, nDCG@10 and the feed's true clicks per ranker (synthetic)"
		}
		b.WriteString("\n![" + alt + "](" + chart + ")\n")
	}
	b.WriteString(metricNotes)
	if syn {
		b.WriteString(simMetricNotes)
		b.WriteString(r.evidence())
		if r.Clustering != "" {
			b.WriteString(clusteringIntro + r.Clustering)
		} else {
			b.WriteString(clusteringPlaceholder)
		}
		b.WriteString(simulatorNotes)
	}
	return b.String()
}

const metricNotes = `
## What the rows mean

- **AUC, MRR, nDCG@5, nDCG@10**: MIND's per-impression metrics (its evaluation script: MRR averages the reciprocal
  ranks of every click, nDCG's gain is 2^click − 1), averaged over the scored impressions. Each ranker orders the
  impression's logged candidates; impressions without both a click and a non-click are left out, as MIND has none.
- **Cold-start**: the same, over impressions of readers with fewer than 3 clicks in their history.
`

const simMetricNotes = `- **Clicks in the first 10 places, IPS**: the clicks the ranker's order of the logged candidates would get in
  places 1–10, estimated from the log by inverse propensity scoring (replay, Li et al., WSDM 2011): the logging policy
  showed the candidates in a uniformly random order, so a candidate was in each place with the known probability
  1/candidates; a click counts, weighted by 1/propensity, when the ranker puts the candidate where it was shown.
  It is unbiased under the item-position click model but noisy: only about one click in 20 lands where the ranker
  would have put it, hence its wide spread over seeds. **Simulator's truth** is the same quantity computed exactly
  from the click model: the check on the estimate, which real logs do not have.
- **Feed** rows take each sampled reader's top 10 out of every live article (the last 72 h, the feed's window) at
  08:00, 13:00, 19:00 and 22:00 of the test day: the true expected clicks on it (position bias and the duplicate
  rule included), duplicate slots (another version of a story already higher in the list: a wasted slot),
  coverage (the share of live stories that reached anyone's top 10), intra-list diversity (share of pairs of
  different categories), novelty (mean −log2 of the share of readers who clicked the story, add-one smoothed),
  freshness (median age of the top-10 items, hours).
- **Robustness**: the share of the sampled readers whose top 10 changes, and the slots moved per top 10, when one
  more reader is added to the signals: a heavy reader who opened the 100 newest articles of the biggest category once each today, or a
  malicious install that sent 1,000 impressions and clicks for each of the five newest articles of the
  least-weighted source. Kiosk's tracking counts a reader once per article and day (so does the simulated
  tracking here); popularity counts click events.
`

const clusteringIntro = `
## Story clustering

Ingestion's real decision (` + "`article.Stories`" + `) over the hand-written, labelled headline set of
` + "`shared/article/clustereval`" + ` (synthetic: written for this test, realistic wording; see its doc.go for how
it was built and which halves were read while tuning), in publication order. Pairwise precision and recall count
pairs of headlines put in one story; near-misses are pairs of different stories with similar titles. The ranking
figures above give Kiosk's ranker the simulator's true clusters.

`

const clusteringPlaceholder = `
## Story clustering

<!-- STORY CLUSTERING: the clustering-quality report (shared/article/clustereval, Measure()) is wired in here at
merge. The simulated stories above are the ground truth such a report needs: every article carries its true story
(news_meta.tsv in build/eval/). -->
_Not in this report yet: the clustering-quality report is wired in when the stories work is merged. The figures
above give Kiosk's ranker the true story clusters._
`

const simulatorNotes = `
## The simulator

` + "`infra/eval`" + ` (its package documentation has the details), seeded, so a seed gives the same figures on any machine:

- **Articles**: the sample feeds' sources (those ` + "`make dev`" + ` serves) plus generated ones, four per category, eight
  categories; a few thousand stories a day published on a working-day curve, 40% of them carried by 2–5 sources
  minutes to hours apart with near-identical titles (syndicated duplicates), each with a hidden appeal.
- **Readers**: hidden interests over categories (sparse, drifting a little each day), a hidden affinity for each
  source and an appetite for freshness (a half-life of 3–24 h); 5% heavy readers (about 14 sessions a day), 15%
  cold-start readers who arrive on the test day, the rest regular (most days, about 2.5 sessions).
- **Clicks**: a reader looks at place k with probability 1/log2(k+2) (position bias) and clicks what they look at
  with probability 0.1 × interest in the category × story appeal × source quality × their source affinity ×
  freshness (capped at 0.9); a story they have already opened, or seen higher up in the same list, is worth 3% of that.
- **Logging policy**: each session is one impression of 20 candidates drawn uniformly from the last 24 h's
  articles the reader has not opened, shown in a uniformly random order; the log is written in MIND's format
  (` + "`build/eval/synthetic-seed-N/`" + `: news.tsv, behaviors.tsv, and news_meta.tsv with what MIND lacks:
  publication time, source, story).
- **Signals**: the rankers learn only from the log — tracking's numbers (distinct readers per article and day,
  summed), click counts, histories — rebuilt every hour; they never see the hidden truth. The oracle does: it
  ranks by the true click probability, the ceiling.

Limits, so the figures are read for what they are: the click model and its parameters are plausible, not fitted
to real data (the order of the rankers is the claim, not the levels); the rankers learn from the random logging
policy's log, not from the feeds they would have served (no feedback loop: in production a feed's top gathers
readers faster than the random log gives them); Kiosk's ranker gets the true story clusters; learned interests are
one per click without the weekly halving (four days); explicit interests chosen at onboarding are not modelled
(MIND's format has none).
`

// evidence compares Kiosk's ranker with the baselines and the ceiling, in
// numbers that follow the run.
func (r *Report) evidence() string {
	var b strings.Builder
	b.WriteString("\n## What the evidence says (on the simulator)\n\n")
	const kp, kt = "kiosk (personal)", "kiosk (top)"
	for _, m := range []struct{ key, name string }{{"ndcg10", "nDCG@10"}, {"auc", "AUC"}} {
		for _, k := range []string{kp, kt} {
			ks := r.Stat(m.key, k)
			var parts []string
			for _, base := range []string{"popularity", "recency"} {
				bs := r.Stat(m.key, base)
				verdict := "beats"
				if ks.Mean <= bs.Mean {
					verdict = "does not beat"
				}
				parts = append(parts, fmt.Sprintf("%s %s (%+.3f)", verdict, base, ks.Mean-bs.Mean))
			}
			fmt.Fprintf(&b, "- %s, %s %.3f: %s.\n", m.name, k, ks.Mean, strings.Join(parts, ", "))
		}
	}
	rnd, orc := r.Stat("ndcg10", "random"), r.Stat("ndcg10", "oracle")
	ks := r.Stat("ndcg10", kp)
	if orc.Mean > rnd.Mean {
		fmt.Fprintf(&b, "- Headroom: Kiosk's personal page closes %.0f%% of the nDCG@10 gap between random (%.3f) and the oracle (%.3f).\n",
			100*(ks.Mean-rnd.Mean)/(orc.Mean-rnd.Mean), rnd.Mean, orc.Mean)
	}
	fmt.Fprintf(&b, "- Cold-start readers: the personal page scores %.3f AUC against the top feed's %.3f, %.3f for every reader "+
		"(a category becomes an interest after 2 clicks in it, so most readers with fewer than 3 clicks get the top feed).\n",
		r.Stat("cold_auc", kp).Mean, r.Stat("cold_auc", kt).Mean, r.Stat("auc", kp).Mean)
	fmt.Fprintf(&b, "- Robustness: one heavy reader changes %.0f%% of other readers' top 10 on Kiosk's top feed and %.0f%% on the personal page "+
		"(popularity %.0f%%); one malicious install changes %.0f%% and %.0f%% (popularity, which counts events, %.0f%%).\n",
		r.Stat("robust_heavy", kt).Mean, r.Stat("robust_heavy", kp).Mean, r.Stat("robust_heavy", "popularity").Mean,
		r.Stat("robust_malicious", kt).Mean, r.Stat("robust_malicious", kp).Mean, r.Stat("robust_malicious", "popularity").Mean)
	fmt.Fprintf(&b, "- Duplicates: %.2f slots of a personal top 10 (%.2f of the top feed's) are another version of a story already in it.\n",
		r.Stat("dup_slots", kp).Mean, r.Stat("dup_slots", kt).Mean)
	fmt.Fprintf(&b, "- Freshness: Kiosk's top 10 is %.1f h old at the median, the oracle's %.1f h, recency's %.1f h.\n",
		r.Stat("freshness", kp).Mean, r.Stat("freshness", "oracle").Mean, r.Stat("freshness", "recency").Mean)
	for _, name := range r.rankers() {
		variant, ok := strings.CutPrefix(name, "kiosk/")
		if !ok {
			continue
		}
		page := kt
		if strings.HasSuffix(variant, "(personal)") {
			page = kp
		}
		d := func(m string) float64 { return r.Stat(m, name).Mean - r.Stat(m, page).Mean }
		fmt.Fprintf(&b, "- Variant %s against Kiosk's defaults: nDCG@10 %+.3f, AUC %+.3f, cold-start AUC %+.3f, "+
			"slots moved by one heavy reader %+.2f, median age of the top 10 %+.1f h.\n",
			variant, d("ndcg10"), d("auc"), d("cold_auc"), d("moved_heavy"), d("freshness"))
	}
	b.WriteString(whatToChange)
	return b.String()
}

const whatToChange = `
### What to change (for the ranker work; each change is a ` + "`KioskParams`" + ` variant, ` + "`feed.Params`" + `, run through ` + "`make eval`" + ` on the same seeds)

1. **One reader must not move an article.** The heavy-reader row is the main finding: tracking counts a reader once,
   yet one honest heavy reader reaches other readers' top feed. The mechanism, traced on seed 1: a young article
   seen by two readers, one of whom clicked, sits at the prior (0.05, below ` + "`MinReaders`" + `); the heavy reader
   opens it, it has three readers and two clicks, its smoothed CTR jumps to (2+1)/(3+20) = 0.13, and being fresh it
   enters everyone's top 10: ` + "`MinReaders`" + ` is a cliff, and young articles have tiny audiences. The malicious
   row shows what counting readers, not events, already buys: a burst of 1,000 clicks weighs one reader. Kiosk now
   holds each story's CTR from the previous ranking run unless its numbers moved by more than one reader can move
   them (a view and a click per version: ` + "`feed.RankAllFrom`" + `, ` + "`Params.Hold`" + `; here the pool without the extra
   reader plays the previous run, whose every feed list holds the CTRs), and a story's lead is chosen by source
   weight and freshness, not by readers: one reader then moves no slot of anyone's top 10 (the robustness rows);
   a second reader moves a story. Keep these rows at 0.
2. **A story is one slot.** The feed's unit is the story (one lead, its versions as ` + "`also`" + `): keep the
   "duplicate slots" row at 0.
3. **Learn interests sooner and for cold-start readers.** Knowing the reader is what lifts Kiosk most: the personal
   page is well above the top feed for all readers and barely above it for cold-start ones, because a category
   counts only from ` + "`LearnedInterest`" + ` (2 clicks). Per-category priors, a lower threshold, sources as interests
   and exploration for new readers and new stories are the candidates.
4. **Tune freshness against readers' appetite.** The running A/B test's ` + "`fresher`" + ` variant (8 h half-life, 30%
   discovery) is evaluated here before its readers answer: compare its rows with Kiosk's defaults.
`

// Chart draws AUC, nDCG@10 and (synthetic) the feed's true clicks per
// ranker as SVG bars with ±1 sd whiskers.
func (r *Report) Chart() string {
	panels := []struct{ key, title string }{{"auc", "AUC"}, {"ndcg10", "nDCG@10"}}
	title := "Ranking evaluation on " + r.Results[0].Dataset
	if r.Results[0].SimulatorFiles {
		title = "SYNTHETIC: " + r.Results[0].Dataset + " (not comparable with MIND)"
	}
	if r.synthetic() {
		panels = append(panels, struct{ key, title string }{"feed_clicks", "feed: expected clicks on the top 10 (simulator's truth)"})
		title = fmt.Sprintf("SYNTHETIC: simulator, mean ± 1 sd over %d seeds (not comparable with MIND)", len(r.Results))
	}
	names := r.rankers()
	row := 20
	h := 50 + len(panels)*(40+row*len(names)) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="820" height="%d" font-family="sans-serif">`, h)
	fmt.Fprintf(&b, `<rect width="820" height="%d" fill="white"/>`, h)
	fmt.Fprintf(&b, `<text x="10" y="24" font-size="15" font-weight="bold">%s</text>`, html.EscapeString(title))
	y := 50
	for _, p := range panels {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-size="14" font-weight="bold">%s</text>`, y, html.EscapeString(p.title))
		y += 10
		top := 0.0
		for _, n := range names {
			s := r.Stat(p.key, n)
			top = math.Max(top, s.Mean+s.SD)
		}
		for _, n := range names {
			s := r.Stat(p.key, n)
			scale := 0.0
			if top > 0 {
				scale = 440 / top
			}
			colour := "#1f6feb"
			switch {
			case n == "oracle":
				colour = "#8c959f"
			case strings.HasPrefix(n, "kiosk"):
				colour = "#d1242f"
			}
			fmt.Fprintf(&b, `<text x="200" y="%d" font-size="12" text-anchor="end">%s</text>`, y+13, html.EscapeString(n))
			fmt.Fprintf(&b, `<rect x="206" y="%d" width="%.1f" height="16" fill="%s"/>`, y+2, s.Mean*scale, colour)
			if s.SD > 0 {
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="black"/>`, 206+(s.Mean-s.SD)*scale, 206+(s.Mean+s.SD)*scale, y+10, y+10)
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11">%.3f</text>`, 212+(s.Mean+s.SD)*scale, y+14, s.Mean)
			y += row
		}
		y += 30
	}
	b.WriteString(`</svg>`)
	return b.String()
}

package eval

import (
	"sort"
	"time"
)

// Article is one news item as a ranker may see it: nothing of the
// simulator's hidden truth.
type Article struct {
	ID           string
	Title        string
	Category     string
	SubCategory  string
	SourceID     string
	SourceWeight float64
	// Story is the article's story cluster: syndicated versions of one
	// story share it. The simulator's stories are the truth; Kiosk's
	// SimHash clustering is measured on its own (EVAL.md, "Story
	// clustering").
	Story       string
	PublishedAt time.Time
	URL         string
	sim         int // index in the simulator's world
}

// Impression is one line of MIND's behaviors.tsv: a reader shown a list of
// candidates at a time, in display order, with the clicks.
type Impression struct {
	ID      string
	User    string
	Time    time.Time
	History []string // the reader's clicked article ids before this impression, oldest first
	Shown   []string // display order
	Clicked []bool
}

// Dataset is a news catalogue and a chronological impression log, from the
// simulator or read from MIND files.
type Dataset struct {
	Name      string
	Synthetic bool // simulated here: the simulator's truth is at hand
	// SimulatorFiles: read from MIND-format files the simulator wrote
	// (news_meta.tsv is there): synthetic data without its truth.
	SimulatorFiles bool
	News           map[string]*Article
	Impressions    []Impression
	// TestFrom: impressions at or after it are scored; earlier ones only
	// feed the rankers' signals (and readers' histories).
	TestFrom time.Time
	// FeedTimes are the moments the feed-level metrics are taken (each
	// sampled reader's top 10 out of every live article); FeedReaders the
	// readers sampled. Synthetic data only.
	FeedTimes   []time.Time
	FeedReaders []string
	// Candidates is how many candidates an impression shows (the logging
	// policy shows them in a uniformly random order, so each position has
	// propensity 1/Candidates); 0 when unknown (real data).
	Candidates int
	world      *world // the simulator's truth; nil for real data
}

// sortImpressions orders the log by time (ties: by id), as the evaluator
// replays it.
func (d *Dataset) sortImpressions() {
	sort.SliceStable(d.Impressions, func(i, j int) bool {
		a, b := d.Impressions[i], d.Impressions[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.ID < b.ID
	})
}

package tracking

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// Granularities.
const (
	Hour = "hour"
	Day  = "day"
)

// Counting rules (the README's KPI section states them for readers):
//   - impressions, clicks, reads and shares are raw event counts (each stored
//     event once, duplicates never);
//   - users is the number of distinct users with any event (DAU for a day);
//   - viewers, clickers and viewer_clicks count distinct readers: with an
//     impression, with a click, and with both an impression and a click of
//     the slice in the period. A reader counts once per period however many
//     events they send; a click without the reader's impression in the period
//     never counts for the reader CTR (viewer_clicks / viewers ≤ 1).
//   - article ids that are not in the catalogue count in one bucket,
//     article:unknown (category and source "unknown"), never per id.

// Counts are one slice's numbers.
type Counts struct {
	Impressions  int64 `json:"impressions" dynamo:"i"`
	Clicks       int64 `json:"clicks" dynamo:"c"`
	Reads        int64 `json:"reads" dynamo:"r"`
	Shares       int64 `json:"shares" dynamo:"s"`
	Users        int64 `json:"users" dynamo:"u"`          // distinct users: DAU for a day
	Viewers      int64 `json:"viewers" dynamo:"v"`        // distinct users with an impression
	Clickers     int64 `json:"clickers" dynamo:"k"`       // distinct users with a click
	ViewerClicks int64 `json:"viewer_clicks" dynamo:"vc"` // distinct users with an impression and a click
	// Returning is, in a day's "all" and variant slices, how many of the
	// day's users also had an event the day before (next-day retention is
	// a day's Returning over the previous day's Users).
	Returning int64 `json:"returning" dynamo:"rt,omitempty"`
	// ReadUsers is how many distinct users read (any read event) in the
	// slice and period: a reader counts once however many reads they send.
	ReadUsers int64 `json:"read_users" dynamo:"ru,omitempty"`
}

func (c *Counts) add(o Counts) {
	c.Impressions += o.Impressions
	c.Clicks += o.Clicks
	c.Reads += o.Reads
	c.Shares += o.Shares
	c.Users += o.Users
	c.Viewers += o.Viewers
	c.Clickers += o.Clickers
	c.ViewerClicks += o.ViewerClicks
	c.Returning += o.Returning
	c.ReadUsers += o.ReadUsers
}

// Unknown is the category, source and article key of events whose article id
// is not in tracking's catalogue: one bucket, whatever ids a client sends.
const Unknown = "unknown"

// Partial is one shard's counts for one period, keyed by slice: "all",
// "category:<c>", "source:<s>", "article:<id>" (catalogue articles, plus
// "article:unknown"), "variant:<experiment>=<variant>" (the A/B variants the
// events' users were in).
type Partial struct {
	Granularity string
	Period      string // 2006010215 for an hour, 20060102 for a day
	Shard       int
	Slices      map[string]Counts
	// ComputedAt is when the recomputation that counted it started: a
	// stored partial is replaced only by one computed at the same time or
	// later (PutPartial), so a slow worker never puts back an older one.
	ComputedAt time.Time
}

// Run is a coordinator run of the KPI batch: by default (both fields empty)
// it plans the marked days; a named period (hour or day) recomputes every
// shard of that period.
type Run struct {
	Granularity string
	Period      string
}

// ShardJob is one shard of one period: what a coordinator run fans out and
// a worker recomputes.
type ShardJob struct {
	Granularity string
	Period      string
	Shard       int
}

// Mark says that events of an hour and user shard were accepted since the
// hour was last recomputed: accepting events sets it (SetAt moves on every
// set), and a day job of that shard clears it once the hour and its day are
// recomputed and stored, unless it was set again meanwhile.
type Mark struct {
	Hour  time.Time
	Shard int
	SetAt time.Time
}

// Settle is how long after a mark's last set (and after its hour's end) a
// recomputation must have started to clear it: the by-hour index is
// eventually consistent, so a recomputation that started sooner may have
// missed the newest events; a mark kept is recomputed again by the next run.
const Settle = time.Minute

// Correctable is for how long after its start a period's KPIs can be
// recomputed: its raw events live Retention after they were received, and an
// event may be received up to MaxSkew before its own time. Past that some of
// its events may be gone (TTL deletes them) and a recomputation would count
// less than was counted: the period's stored partials are final.
const Correctable = Retention - MaxSkew

// Final reports whether a period starting at start is final at now: its
// events may have expired, so it is never recomputed from them.
func Final(start, now time.Time) bool { return !now.Before(start.Add(Correctable)) }

// ErrFinal means a period is final (see Correctable): nothing was
// recomputed and its stored partials stay as they are.
var ErrFinal = errors.New("the period is final: its raw events may have expired")

// Plan lists the shard jobs of a coordinator run: every shard of the given
// period, or by default one day job per day and shard with a mark (the job
// recomputes the marked hours and the day).
//
// A named period that is Final at now is refused: recomputed from what is
// left of its events, it would overwrite the numbers counted while they
// lived. Marks are never of a final period's hour (they expire with it),
// but a day job is planned only while its whole day is correctable.
func Plan(run Run, marks []Mark, now time.Time) ([]ShardJob, error) {
	if run.Granularity != "" || run.Period != "" {
		start, err := periodStart(run.Granularity, run.Period)
		if err != nil {
			return nil, err
		}
		if Final(start, now) {
			return nil, kiosk.Errorf(kiosk.EINVALID, "%s %s is final: its raw events expire %s after they are received, "+
				"so a period can be recomputed for %s after its start; its stored KPIs stay as they are",
				run.Granularity, run.Period, days(Retention), days(Correctable))
		}
		jobs := make([]ShardJob, Shards)
		for shard := range Shards {
			jobs[shard] = ShardJob{Granularity: run.Granularity, Period: run.Period, Shard: shard}
		}
		return jobs, nil
	}
	seen := map[ShardJob]bool{}
	var jobs []ShardJob
	for _, m := range marks {
		j := ShardJob{Granularity: Day, Period: m.Hour.UTC().Format(dayLayout), Shard: m.Shard}
		if Final(m.Hour.UTC().Truncate(24*time.Hour), now) {
			continue // its day's first events may be gone; the mark expires with its hour
		}
		if !seen[j] {
			seen[j] = true
			jobs = append(jobs, j)
		}
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].Period != jobs[j].Period {
			return jobs[i].Period < jobs[j].Period
		}
		return jobs[i].Shard < jobs[j].Shard
	})
	return jobs, nil
}

// days writes a duration of whole days as "35 days", else as Go does.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

func periodStart(granularity, period string) (time.Time, error) {
	switch granularity {
	case Hour:
		t, err := time.Parse(hourLayout, period)
		if err != nil {
			return t, kiosk.Errorf(kiosk.EINVALID, "an hour period is YYYYMMDDHH")
		}
		return t, nil
	case Day:
		t, err := time.Parse(dayLayout, period)
		if err != nil {
			return t, kiosk.Errorf(kiosk.EINVALID, "a day period is YYYYMMDD")
		}
		return t, nil
	}
	return time.Time{}, kiosk.Errorf(kiosk.EINVALID, "granularity must be hour or day")
}

// Engagement is what one user did in a period, weighted per category
// (clicks 1, shares 2, reads 2 + 1 per minute of dwell up to 5): the users
// domain learns interests from it.
type Engagement map[string]map[string]float64 // user → category → weight

// HourResult is a recomputed hour: its partial, what its users engaged with,
// and whether the hour was over when it was recomputed (only completed hours
// are learned from, so an hour is learned whole). Superseded: a
// later-started recomputation's partial was stored instead, and it is that
// one's to announce.
type HourResult struct {
	Partial    Partial
	Engagement Engagement
	Complete   bool
	Superseded bool
}

// Recomputed is what a shard job stored: the hours it recomputed, the day (a
// day job; DaySuperseded when a later-started recomputation's day partial
// was stored instead), and the marks it read.
type Recomputed struct {
	Hours         []HourResult
	Day           *Partial
	DaySuperseded bool
	marks         []Mark
	started       time.Time
}

// covers reports whether the recomputation covered a mark it read, so that
// Clear removes it: set at least Settle before the recomputation started,
// of an hour that ended at least Settle before it.
func (r Recomputed) covers(m Mark) bool {
	cutoff := r.started.Add(-Settle)
	return !m.SetAt.After(cutoff) && !m.Hour.Add(time.Hour).After(cutoff)
}

func dedupeHours(hours []time.Time) []time.Time {
	sort.Slice(hours, func(i, j int) bool { return hours[i].Before(hours[j]) })
	var out []time.Time
	for i, h := range hours {
		if i == 0 || !h.Equal(hours[i-1]) {
			out = append(out, h)
		}
	}
	return out
}

// count applies the counting rules to one period's events of one shard;
// before is the set of the shard's users active the day before (nil for an
// hour), for Returning. It is partialOf(rosterOf(events)): what a period's
// roster keeps is all its partial needs.
func count(events []Stored, articles map[string]Article, granularity, period string, shard int, now time.Time,
	before map[string]bool) (Partial, Engagement) {
	users, _, engagement := rosterOf(events, articles)
	return partialOf(users, granularity, period, shard, now, before), engagement
}

// rosterOf tallies one period's events per user and slice (the slices of
// each event: all, its category, source and article, and its variants),
// the category and source slices each article slice was counted in, and
// what each user engaged with. Each article's and variant's slice names are
// made once, not per event.
func rosterOf(events []Stored, articles map[string]Article) (map[string]map[string]Tally, map[string][2]string, Engagement) {
	type names struct{ category, source, article, rawCategory string }
	byArticle := map[string]names{}
	variants := map[string]string{}
	users := make(map[string]map[string]Tally, len(events)/8+1)
	of := map[string][2]string{}
	engagement := Engagement{}
	for _, e := range events {
		n, ok := byArticle[e.ArticleID]
		if !ok {
			a, known := articles[e.ArticleID]
			if !known {
				a = Article{ID: Unknown, Category: Unknown, SourceID: Unknown}
			}
			n = names{"category:" + a.Category, "source:" + a.SourceID, "article:" + a.ID, a.Category}
			byArticle[e.ArticleID] = n
			of[n.article] = [2]string{n.category, n.source}
		}
		slices := users[e.UserID]
		if slices == nil {
			slices = make(map[string]Tally, 8)
			users[e.UserID] = slices
		}
		i := tallyIndex(e.Type)
		bump(slices, "all", i)
		bump(slices, n.category, i)
		bump(slices, n.source, i)
		bump(slices, n.article, i)
		for _, v := range e.Variants {
			name, ok := variants[v]
			if !ok {
				name = "variant:" + v
				variants[v] = name
			}
			bump(slices, name, i)
		}
		if w := weight(e); w > 0 && n.rawCategory != Unknown {
			if engagement[e.UserID] == nil {
				engagement[e.UserID] = map[string]float64{}
			}
			engagement[e.UserID][n.rawCategory] += w
		}
	}
	return users, of, engagement
}

// tallyIndex is where a Tally counts an event type (-1: nowhere, the user
// still counts in the slice).
func tallyIndex(typ string) int {
	switch typ {
	case Impression:
		return 0
	case Click:
		return 1
	case Read:
		return 2
	case Share:
		return 3
	}
	return -1
}

// bump counts one event of tally index i in a user's slice.
func bump(slices map[string]Tally, slice string, i int) {
	t := slices[slice]
	if i >= 0 {
		t[i]++
	}
	slices[slice] = t
}

// partialOf applies the counting rules to a period's tallies: the raw
// counts add up, and each user counts once per slice in the distinct ones
// (a viewer has impressions, a clicker clicks, a reader reads).
func partialOf(users map[string]map[string]Tally, granularity, period string, shard int, now time.Time,
	before map[string]bool) Partial {
	p := Partial{Granularity: granularity, Period: period, Shard: shard, Slices: map[string]Counts{}, ComputedAt: now.UTC()}
	for u, slices := range users {
		countUser(p.Slices, slices, before != nil && before[u])
	}
	return p
}

// countUser adds one user's tallies of a period to a partial's slices;
// back: the user was active the day before (Returning).
func countUser(into map[string]Counts, slices map[string]Tally, back bool) {
	for slice, t := range slices {
		c := into[slice]
		c.Impressions += t[0]
		c.Clicks += t[1]
		c.Reads += t[2]
		c.Shares += t[3]
		c.Users++
		if back && (slice == "all" || strings.HasPrefix(slice, "variant:")) {
			c.Returning++
		}
		if t[0] > 0 {
			c.Viewers++
		}
		if t[1] > 0 {
			c.Clickers++
		}
		if t[0] > 0 && t[1] > 0 {
			c.ViewerClicks++
		}
		if t[2] > 0 {
			c.ReadUsers++
		}
		into[slice] = c
	}
}

func weight(e Stored) float64 {
	switch e.Type {
	case Click:
		return 1
	case Share:
		return 2
	case Read:
		w := 2.0
		if e.DwellMS != nil {
			w += min(float64(*e.DwellMS)/60000, 5)
		}
		return w
	}
	return 0
}

// ArticleNumbers is one catalogue article's numbers for the feed's ranking:
// distinct readers who saw it (Impressions) and, of those, who clicked it
// (Clicks). A burst from one reader counts once; clicks without the reader's
// impression never count, so Clicks ≤ Impressions.
type ArticleNumbers struct {
	ID          string
	Impressions int64
	Clicks      int64
}

// RankingNumbers lists a partial's per-article numbers for ranking, sorted by
// id; the unknown bucket is left out.
func RankingNumbers(p Partial) []ArticleNumbers {
	var out []ArticleNumbers
	for slice, c := range p.Slices {
		if id, ok := strings.CutPrefix(slice, "article:"); ok && id != Unknown {
			out = append(out, ArticleNumbers{ID: id, Impressions: c.Viewers, Clicks: c.ViewerClicks})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Row is one line of the KPI report. CTR is clicks / impressions (raw
// events); ReaderCTR is viewer_clicks / viewers (distinct readers).
type Row struct {
	Period    string  `json:"period"`
	Key       string  `json:"key"`
	CTR       float64 `json:"ctr"`
	ReaderCTR float64 `json:"reader_ctr"`
	Counts
}

// withRates sets the row's CTR and reader CTR from its counts.
func (r Row) withRates() Row {
	r.CTR, r.ReaderCTR = 0, 0
	if r.Impressions > 0 {
		r.CTR = float64(r.Clicks) / float64(r.Impressions)
	}
	if r.Viewers > 0 {
		r.ReaderCTR = float64(r.ViewerClicks) / float64(r.Viewers)
	}
	return r
}

// TrendingReaders is the trending threshold: this many distinct readers
// clicked the article within the hour (one reader's clicks count once).
const TrendingReaders = 5

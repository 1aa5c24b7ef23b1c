package tracking

import (
	"context"
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
}

// Unknown is the category, source and article key of events whose article id
// is not in tracking's catalogue: one bucket, whatever ids a client sends.
const Unknown = "unknown"

// Partial is one shard's counts for one period, keyed by slice: "all",
// "category:<c>", "source:<s>", "article:<id>" (catalogue articles, plus
// "article:unknown").
type Partial struct {
	Granularity string
	Period      string // 2006010215 for an hour, 20060102 for a day
	Shard       int
	Slices      map[string]Counts
	ComputedAt  time.Time
}

// Job is one unit of the KPI batch: a shard of a period, or (Shard nil) a
// coordinator run that plans and fans out.
type Job struct {
	Granularity string `json:"granularity,omitempty"`
	Period      string `json:"period,omitempty"`
	Shard       *int   `json:"shard,omitempty"`
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

// Plan lists the shard jobs of a coordinator run: every shard of the given
// period, or by default one day job per day and shard with a mark (the job
// recomputes the marked hours and the day).
func Plan(job Job, marks []Mark) ([]Job, error) {
	if job.Granularity != "" || job.Period != "" {
		if _, err := periodStart(job.Granularity, job.Period); err != nil {
			return nil, err
		}
		jobs := make([]Job, Shards)
		for shard := range Shards {
			jobs[shard] = Job{Granularity: job.Granularity, Period: job.Period, Shard: &shard}
		}
		return jobs, nil
	}
	seen := map[[2]any]bool{}
	var jobs []Job
	for _, m := range marks {
		day := m.Hour.UTC().Format(dayLayout)
		if seen[[2]any{day, m.Shard}] {
			continue
		}
		seen[[2]any{day, m.Shard}] = true
		shard := m.Shard
		jobs = append(jobs, Job{Granularity: Day, Period: day, Shard: &shard})
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].Period != jobs[j].Period {
			return jobs[i].Period < jobs[j].Period
		}
		return *jobs[i].Shard < *jobs[j].Shard
	})
	return jobs, nil
}

// AllMarks reads the marks of every shard.
func AllMarks(ctx context.Context, s Store) ([]Mark, error) {
	var out []Mark
	for shard := range Shards {
		m, err := s.Marks(ctx, shard)
		if err != nil {
			return nil, fmt.Errorf("marks of shard %d: %w", shard, err)
		}
		out = append(out, m...)
	}
	return out, nil
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
// are learned from, so an hour is learned whole).
type HourResult struct {
	Partial    Partial
	Engagement Engagement
	Complete   bool
}

// Recomputed is what a shard job stored: the hours it recomputed, the day (a
// day job), and the marks it read.
type Recomputed struct {
	Hours   []HourResult
	Day     *Partial
	marks   []Mark
	started time.Time
}

// Recompute brings one shard of a period up to date, exactly, from the stored
// events: every event is stored once, and each user is in one shard. Running
// it again recomputes the same numbers (plus any late events). An hour job
// recomputes its hour; a day job reads the shard's marks of the day first,
// then recomputes each marked hour and the day from one read of the day's
// events. Call Clear once whatever depends on the result is published.
func Recompute(ctx context.Context, s Store, job Job, now time.Time) (Recomputed, error) {
	if job.Shard == nil || *job.Shard < 0 || *job.Shard >= Shards {
		return Recomputed{}, kiosk.Errorf(kiosk.EINVALID, "a shard job needs a shard of 0 to %d", Shards-1)
	}
	shard := *job.Shard
	start, err := periodStart(job.Granularity, job.Period)
	if err != nil {
		return Recomputed{}, err
	}
	r := Recomputed{started: now.UTC()}
	hours := []time.Time{start}
	if job.Granularity == Day {
		marks, err := s.Marks(ctx, shard)
		if err != nil {
			return Recomputed{}, fmt.Errorf("marks of shard %d: %w", shard, err)
		}
		hours = nil
		for _, m := range marks {
			if m.Hour.UTC().Format(dayLayout) == job.Period {
				r.marks = append(r.marks, m)
				hours = append(hours, m.Hour.UTC())
			}
		}
	}
	n := 1
	if job.Granularity == Day {
		n = 24
	}
	byHour := map[time.Time][]Stored{}
	var events []Stored
	for h := range n {
		hour := start.Add(time.Duration(h) * time.Hour)
		evs, err := s.EventsOf(ctx, hour, shard)
		if err != nil {
			return Recomputed{}, fmt.Errorf("events of %s shard %d: %w", hour.Format(hourLayout), shard, err)
		}
		byHour[hour] = evs
		events = append(events, evs...)
	}
	articles, err := catalogue(ctx, s, events)
	if err != nil {
		return Recomputed{}, err
	}
	for _, hour := range dedupeHours(hours) {
		p, e := count(byHour[hour], articles, Hour, hour.Format(hourLayout), shard, now)
		r.Hours = append(r.Hours, HourResult{Partial: p, Engagement: e, Complete: !hour.Add(time.Hour).After(now)})
	}
	if job.Granularity == Day {
		p, _ := count(events, articles, Day, job.Period, shard, now)
		r.Day = &p
	}
	for _, h := range r.Hours {
		if err := s.PutPartial(ctx, h.Partial); err != nil {
			return Recomputed{}, fmt.Errorf("store partial %s shard %d: %w", h.Partial.Period, shard, err)
		}
	}
	if r.Day != nil {
		if err := s.PutPartial(ctx, *r.Day); err != nil {
			return Recomputed{}, fmt.Errorf("store partial %s shard %d: %w", r.Day.Period, shard, err)
		}
	}
	return r, nil
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

// Clear removes the marks this recomputation covered: a mark set at least
// Settle before the recomputation started, of an hour that ended at least
// Settle before it, and not set again since it was read (a conditional
// delete). Every other mark stays for the next run. It returns how many were
// cleared.
func (r Recomputed) Clear(ctx context.Context, s Store) (int, error) {
	cutoff := r.started.Add(-Settle)
	n := 0
	for _, m := range r.marks {
		if m.SetAt.After(cutoff) || m.Hour.Add(time.Hour).After(cutoff) {
			continue
		}
		cleared, err := s.ClearMark(ctx, m)
		if err != nil {
			return n, fmt.Errorf("clear mark %s shard %d: %w", m.Hour.Format(hourLayout), m.Shard, err)
		}
		if cleared {
			n++
		}
	}
	return n, nil
}

// catalogue reads the catalogue entries of the events' article ids.
func catalogue(ctx context.Context, s Store, events []Stored) (map[string]Article, error) {
	ids := map[string]bool{}
	for _, e := range events {
		ids[e.ArticleID] = true
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	articles, err := s.Articles(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("article catalogue: %w", err)
	}
	return articles, nil
}

// Reader flags, per slice and user.
const (
	sawIt     = 1 << iota // an impression
	clickedIt             // a click
)

// count applies the counting rules to one period's events of one shard.
func count(events []Stored, articles map[string]Article, granularity, period string, shard int, now time.Time) (Partial, Engagement) {
	p := Partial{Granularity: granularity, Period: period, Shard: shard, Slices: map[string]Counts{}, ComputedAt: now.UTC()}
	readers := map[string]map[string]uint8{} // slice → user → flags
	engagement := Engagement{}
	for _, e := range events {
		a, ok := articles[e.ArticleID]
		if !ok {
			a = Article{ID: Unknown, Category: Unknown, SourceID: Unknown}
		}
		var flag uint8
		switch e.Type {
		case Impression:
			flag = sawIt
		case Click:
			flag = clickedIt
		}
		for _, slice := range []string{"all", "category:" + a.Category, "source:" + a.SourceID, "article:" + a.ID} {
			c := p.Slices[slice]
			switch e.Type {
			case Impression:
				c.Impressions++
			case Click:
				c.Clicks++
			case Read:
				c.Reads++
			case Share:
				c.Shares++
			}
			p.Slices[slice] = c
			if readers[slice] == nil {
				readers[slice] = map[string]uint8{}
			}
			readers[slice][e.UserID] |= flag
		}
		if w := weight(e); w > 0 && a.Category != Unknown {
			if engagement[e.UserID] == nil {
				engagement[e.UserID] = map[string]float64{}
			}
			engagement[e.UserID][a.Category] += w
		}
	}
	for slice, users := range readers {
		c := p.Slices[slice]
		c.Users = int64(len(users))
		for _, f := range users {
			if f&sawIt != 0 {
				c.Viewers++
			}
			if f&clickedIt != 0 {
				c.Clickers++
			}
			if f == sawIt|clickedIt {
				c.ViewerClicks++
			}
		}
		p.Slices[slice] = c
	}
	return p, engagement
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

// Query merges the shard partials of every period in [from, to] into rows for
// one dimension (all, category, source or article).
func Query(ctx context.Context, s Store, granularity, by string, from, to time.Time) ([]Row, error) {
	step, layout := time.Hour, hourLayout
	switch granularity {
	case Hour:
	case Day:
		step, layout = 24*time.Hour, dayLayout
	default:
		return nil, kiosk.Errorf(kiosk.EINVALID, "granularity must be hour or day")
	}
	switch by {
	case "all", "category", "source", "article":
	default:
		return nil, kiosk.Errorf(kiosk.EINVALID, "by must be all, category, source or article")
	}
	if to.Before(from) {
		return nil, kiosk.Errorf(kiosk.EINVALID, "to is before from")
	}
	var periods []string
	for t := from.UTC().Truncate(step); !t.After(to.UTC()); t = t.Add(step) {
		periods = append(periods, t.Format(layout))
		if len(periods) > 24*31 {
			return nil, kiosk.Errorf(kiosk.EINVALID, "at most 744 periods per query")
		}
	}
	parts, err := s.Partials(ctx, granularity, periods, by == "article")
	if err != nil {
		return nil, err
	}
	merged := map[[2]string]Counts{}
	for _, p := range parts {
		for slice, c := range p.Slices {
			key := slice
			if by != "all" {
				var ok bool
				if key, ok = strings.CutPrefix(slice, by+":"); !ok {
					continue
				}
			} else if slice != "all" {
				continue
			}
			m := merged[[2]string{p.Period, key}]
			m.add(c)
			merged[[2]string{p.Period, key}] = m
		}
	}
	rows := make([]Row, 0, len(merged))
	for k, c := range merged {
		r := Row{Period: k[0], Key: k[1], Counts: c}
		if c.Impressions > 0 {
			r.CTR = float64(c.Clicks) / float64(c.Impressions)
		}
		if c.Viewers > 0 {
			r.ReaderCTR = float64(c.ViewerClicks) / float64(c.Viewers)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Period != rows[j].Period {
			return rows[i].Period < rows[j].Period
		}
		if rows[i].Clicks != rows[j].Clicks {
			return rows[i].Clicks > rows[j].Clicks
		}
		return rows[i].Key < rows[j].Key
	})
	return rows, nil
}

// TrendingReaders is the trending threshold: this many distinct readers
// clicked the article within the hour (one reader's clicks count once).
const TrendingReaders = 5

// Trending returns the rows (Key = article id) of the catalogue articles that
// TrendingReaders distinct readers clicked in the hour, from the merged
// partials.
func Trending(ctx context.Context, s Store, hour time.Time) ([]Row, error) {
	rows, err := Query(ctx, s, Hour, "article", hour, hour)
	if err != nil {
		return nil, err
	}
	var out []Row
	for _, r := range rows {
		if r.Key != Unknown && r.Clickers >= TrendingReaders {
			out = append(out, r)
		}
	}
	return out, nil
}

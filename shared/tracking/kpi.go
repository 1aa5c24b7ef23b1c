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

// Counts are one slice's numbers.
type Counts struct {
	Impressions int64 `json:"impressions" dynamo:"i"`
	Clicks      int64 `json:"clicks" dynamo:"c"`
	Reads       int64 `json:"reads" dynamo:"r"`
	Shares      int64 `json:"shares" dynamo:"s"`
	Users       int64 `json:"users" dynamo:"u"` // distinct users: DAU for a day
}

func (c *Counts) add(o Counts) {
	c.Impressions += o.Impressions
	c.Clicks += o.Clicks
	c.Reads += o.Reads
	c.Shares += o.Shares
	c.Users += o.Users
}

// Partial is one shard's counts for one period, keyed by slice: "all",
// "category:<c>", "source:<s>", "article:<id>".
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

// Plan lists the periods a coordinator run brings up to date: the given one,
// or by default the current hour and day, plus the previous hour (and day)
// during the first 15 minutes of a new one, so late events are counted.
func Plan(job Job, now time.Time) ([]Job, error) {
	if job.Granularity != "" || job.Period != "" {
		if _, err := periodStart(job.Granularity, job.Period); err != nil {
			return nil, err
		}
		return []Job{{Granularity: job.Granularity, Period: job.Period}}, nil
	}
	now = now.UTC()
	jobs := []Job{{Hour, now.Format(hourLayout), nil}, {Day, now.Format(dayLayout), nil}}
	if now.Minute() < 15 {
		prev := now.Add(-time.Hour)
		jobs = append(jobs, Job{Hour, prev.Format(hourLayout), nil})
		if prev.Day() != now.Day() {
			jobs = append(jobs, Job{Day, prev.Format(dayLayout), nil})
		}
	}
	return jobs, nil
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

// Aggregate computes one shard of one period from the stored events, exactly:
// every event is stored once, and each user is in one shard. Running it again
// recomputes the same numbers (plus any late events).
func Aggregate(ctx context.Context, s Store, granularity, period string, shard int, now time.Time) (Partial, Engagement, error) {
	start, err := periodStart(granularity, period)
	if err != nil {
		return Partial{}, nil, err
	}
	hours := 1
	if granularity == Day {
		hours = 24
	}
	var events []Stored
	for h := range hours {
		evs, err := s.EventsOf(ctx, start.Add(time.Duration(h)*time.Hour), shard)
		if err != nil {
			return Partial{}, nil, fmt.Errorf("events of %s shard %d: %w", period, shard, err)
		}
		events = append(events, evs...)
	}
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
		return Partial{}, nil, fmt.Errorf("article catalogue: %w", err)
	}
	p := Partial{Granularity: granularity, Period: period, Shard: shard, Slices: map[string]Counts{}, ComputedAt: now.UTC()}
	users := map[string]map[string]bool{} // slice → users
	engagement := Engagement{}
	for _, e := range events {
		a, ok := articles[e.ArticleID]
		if !ok {
			a = Article{ID: e.ArticleID, Category: "unknown", SourceID: "unknown"}
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
			if users[slice] == nil {
				users[slice] = map[string]bool{}
			}
			users[slice][e.UserID] = true
		}
		if w := weight(e); w > 0 && a.Category != "unknown" {
			if engagement[e.UserID] == nil {
				engagement[e.UserID] = map[string]float64{}
			}
			engagement[e.UserID][a.Category] += w
		}
	}
	for slice, u := range users {
		c := p.Slices[slice]
		c.Users = int64(len(u))
		p.Slices[slice] = c
	}
	if err := s.PutPartial(ctx, p); err != nil {
		return Partial{}, nil, fmt.Errorf("store partial: %w", err)
	}
	return p, engagement, nil
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

// Row is one line of the KPI report.
type Row struct {
	Period string  `json:"period"`
	Key    string  `json:"key"`
	CTR    float64 `json:"ctr"`
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
	parts, err := s.Partials(ctx, granularity, periods)
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

// Trending thresholds: clicks within the current hour.
const TrendingClicks = 10

// Trending returns the rows (Key = article id) of the articles whose clicks
// in the hour reached the threshold, from the merged partials.
func Trending(ctx context.Context, s Store, hour time.Time) ([]Row, error) {
	rows, err := Query(ctx, s, Hour, "article", hour, hour)
	if err != nil {
		return nil, err
	}
	var out []Row
	for _, r := range rows {
		if r.Clicks >= TrendingClicks {
			out = append(out, r)
		}
	}
	return out, nil
}

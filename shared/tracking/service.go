package tracking

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/experiment"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// Service holds every tracking rule: accepting events, the KPI batch's
// coordination and workers, trending, and the reports.
type Service struct {
	Store Store
	Now   func() time.Time
	// Announce tells the other domains what tracking found (events.go's
	// Events publishes it as catalogue events). Nil announces nothing; the
	// KPI batch needs one.
	Announce Announcer
}

// Announcer is how the service announces, in its own types; events.go
// translates each call to catalogue events.
type Announcer interface {
	// Opened: a user clicked or read articles in a stored batch
	// (duplicates included, so a retried batch announces again what a
	// failed announcement lost).
	Opened(ctx context.Context, userID string, articleIDs []string, at time.Time) error
	// ShardsRequested fans a coordinator run's jobs out to the workers.
	ShardsRequested(ctx context.Context, jobs []ShardJob) error
	// Trending: an article crossed the trending threshold in an hour.
	Trending(ctx context.Context, t Trend) error
	// Engaged: what each user of a completed hour engaged with.
	Engaged(ctx context.Context, hour string, e Engagement) error
	// Stats: a day partial's per-article numbers for the feed's ranking.
	Stats(ctx context.Context, day Partial) error
}

// Trend is an article that TrendingReaders distinct readers clicked within
// an hour; Clicks is the hour's raw click count.
type Trend struct {
	ArticleID string
	Hour      time.Time
	Clicks    int64
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Track validates a whole batch, then stores each event once (16 writes at a
// time), then marks each hour the batch touched (one write per distinct
// hour: the user's shard is the same for the whole batch) so the KPI batch
// recomputes it however late the events are. A failure part-way is returned
// for the client to retry the batch: what was stored counts as duplicates
// then, and the retry marks again. A write the SDK retried because its
// response was lost is the same attempt: accepted, not a duplicate.
func (s *Service) Track(ctx context.Context, userID string, events []Event) (Result, error) {
	now := s.now()
	if err := Validate(events, now); err != nil {
		return Result{}, err
	}
	var (
		mu   sync.Mutex
		res  Result
		errs []error
	)
	attempt := rand.Text() // this call's writes: their SDK retries are not duplicates
	parallel.Each(events, 16, func(_ int, e Event) {
		err := s.Store.PutEvent(ctx, Stored{Event: e, UserID: userID, ReceivedAt: now,
			Variants: experiment.Tags(userID, e.At), Attempt: attempt})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			res.Accepted++
		case errors.Is(err, ErrDuplicate):
			res.Duplicates++
		default:
			errs = append(errs, err)
		}
	})
	// The marks come after the events (a recomputation that clears a mark
	// has read every event stored before it) and before the answer, for
	// duplicates too: a retry must mark what a failed attempt did not.
	hours := map[time.Time]bool{}
	for _, e := range events {
		hours[e.At.UTC().Truncate(time.Hour)] = true
	}
	marks := make([]Mark, 0, len(hours))
	setAt := s.now()
	for h := range hours {
		marks = append(marks, Mark{Hour: h, Shard: ShardOf(userID), SetAt: setAt})
	}
	parallel.Each(marks, 16, func(_ int, m Mark) {
		if err := s.Store.Mark(ctx, m); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	if len(errs) > 0 {
		// The application error first: it decides the status and message; the
		// causes follow for the log.
		return res, errors.Join(append([]error{kiosk.Errorf(kiosk.EUNAVAILABLE,
			"%d events could not be stored; retry the batch (stored ones count once)", len(errs))}, errs...)...)
	}
	if s.Announce != nil {
		var opened []string
		seen := map[string]bool{}
		for _, e := range events {
			if (e.Type == Click || e.Type == Read) && !seen[e.ArticleID] {
				seen[e.ArticleID] = true
				opened = append(opened, e.ArticleID)
			}
		}
		if len(opened) > 0 {
			if err := s.Announce.Opened(ctx, userID, opened, now); err != nil {
				return res, errors.Join(kiosk.Errorf(kiosk.EUNAVAILABLE,
					"the events are stored but could not be announced; retry the batch (stored ones count once)"), err)
			}
		}
	}
	return res, nil
}

// Catalogue records what tracking knows of a published article (its
// category and source); idempotent.
func (s *Service) Catalogue(ctx context.Context, a Article) error {
	return codes.Translate(s.Store.PutArticle(ctx, a))
}

// Coordinated is what a coordinator run did.
type Coordinated struct {
	Marks    int // marks read
	Shards   int // shard jobs requested
	Trending int // articles announced as trending
}

// Coordinate is a coordinator run of the KPI batch: it plans the shard jobs
// (from the marks accepted events left, or every shard of a named period),
// requests them, and announces the articles that crossed the trending
// threshold this hour or the hour before (from the partials the previous
// run's workers wrote).
func (s *Service) Coordinate(ctx context.Context, run Run) (Coordinated, error) {
	if s.Announce == nil {
		return Coordinated{}, errors.New("tracking: the KPI batch needs an announcer")
	}
	now := s.now()
	var (
		done  Coordinated
		marks []Mark
	)
	if run.Granularity == "" && run.Period == "" {
		var err error
		if marks, err = s.Marks(ctx); err != nil {
			return done, err
		}
	}
	done.Marks = len(marks)
	jobs, err := Plan(run, marks, now)
	if err != nil {
		return done, err
	}
	if len(jobs) > 0 {
		if err := s.Announce.ShardsRequested(ctx, jobs); err != nil {
			return done, err
		}
	}
	done.Shards = len(jobs)
	done.Trending, err = s.announceTrending(ctx, now)
	return done, err
}

// announceTrending announces, once each, the articles that crossed the
// threshold this hour or the hour before. The previous hour too: a run
// announces what the previous run's workers counted, so the clicks that make
// an article trend in an hour's last minutes are first read by a run of the
// next hour. The mark is written after the announcement is accepted: at
// least once, never lost.
func (s *Service) announceTrending(ctx context.Context, now time.Time) (int, error) {
	n := 0
	seen := map[string]bool{}
	var unread error
	failed := func(err error) error { // and an hour's read failed before it
		if unread != nil {
			return errors.Join(unread, err)
		}
		return err
	}
	for _, hour := range []time.Time{now.Truncate(time.Hour).Add(-time.Hour), now.Truncate(time.Hour)} {
		rows, err := s.Trending(ctx, hour)
		if err != nil { // the other hour's trends are announced all the same
			unread = errors.Join(unread, err)
			continue
		}
		for _, r := range rows {
			if seen[r.Key] {
				continue
			}
			seen[r.Key] = true
			done, err := s.Store.IsTrending(ctx, r.Key)
			if err != nil {
				return n, failed(codes.Translate(err))
			}
			if done {
				continue
			}
			if err := s.Announce.Trending(ctx, Trend{ArticleID: r.Key, Hour: hour, Clicks: r.Clicks}); err != nil {
				return n, failed(err)
			}
			if _, err := s.Store.MarkTrending(ctx, r.Key, now); err != nil {
				return n, failed(codes.Translate(err))
			}
			n++
		}
	}
	return n, unread
}

// ShardDone is what a worker did.
type ShardDone struct {
	Hours   int  // hours recomputed
	Cleared int  // marks cleared
	Final   bool // the period is final: nothing was recomputed (see Correctable)
}

// RecomputeShard is a worker of the KPI batch: it recomputes the job's
// shard exactly (Recompute), announces what each user engaged with in every
// completed hour and the day's per-article numbers (those of its partials
// that were stored: one a later-started job superseded is that job's to
// announce), and only then clears the marks it covered: a crash before that
// repeats the job, never loses it.
// A job of a final period (a redrive, a late dead letter, a job planned just
// before the period became final) changes nothing and is done: Final is set,
// and no error, which would only retry it.
func (s *Service) RecomputeShard(ctx context.Context, job ShardJob) (ShardDone, error) {
	if s.Announce == nil {
		return ShardDone{}, errors.New("tracking: the KPI batch needs an announcer")
	}
	r, err := s.Recompute(ctx, job)
	if errors.Is(err, ErrFinal) {
		return ShardDone{Final: true}, nil
	}
	if err != nil {
		return ShardDone{}, err
	}
	done := ShardDone{Hours: len(r.Hours)}
	for _, h := range r.Hours {
		if h.Complete && !h.Superseded && len(h.Engagement) > 0 {
			if err := s.Announce.Engaged(ctx, h.Partial.Period, h.Engagement); err != nil {
				return done, err
			}
		}
	}
	if r.Day != nil && !r.DaySuperseded {
		if err := s.Announce.Stats(ctx, *r.Day); err != nil {
			return done, err
		}
	}
	done.Cleared, err = s.Clear(ctx, r)
	return done, err
}

// Marks reads the marks of every shard.
func (s *Service) Marks(ctx context.Context) ([]Mark, error) {
	var out []Mark
	for shard := range Shards {
		m, err := s.Store.Marks(ctx, shard, s.now())
		if err != nil {
			return nil, fmt.Errorf("marks of shard %d: %w", shard, codes.Translate(err))
		}
		out = append(out, m...)
	}
	return out, nil
}

// Recompute brings one shard of a period up to date, exactly, from the stored
// events: every event is stored once, and each user is in one shard. Running
// it again recomputes the same numbers (plus any late events). An hour job
// recomputes its hour from its events and stores its partial and roster. A
// day job reads the shard's marks of the day first, recomputes each marked
// hour from its events (its partial; its roster when the job covers its
// mark, which Clear then removes), and the day from the rosters:
// the marked hours' new ones and the other hours' stored ones — an hour
// without a stored roster is read from its events too — and Returning from
// the previous day's roster (its events when it has none). So a run reads
// the raw events of the hours that changed only. Call Clear once whatever
// depends on the result is published. A period Final at the service's now is
// not recomputed: ErrFinal, and its stored partials stay as they are.
//
// The marks are read before the rosters: an hour unmarked then had every
// event stored before its mark was cleared counted in a roster stored
// before that clear, and a roster is replaced only by a later-started
// recomputation's, so the day never misses what a cleared mark stood for.
func (s *Service) Recompute(ctx context.Context, job ShardJob) (Recomputed, error) {
	now := s.now()
	if job.Shard < 0 || job.Shard >= Shards {
		return Recomputed{}, kiosk.Errorf(kiosk.EINVALID, "a shard job needs a shard of 0 to %d", Shards-1)
	}
	shard := job.Shard
	start, err := periodStart(job.Granularity, job.Period)
	if err != nil {
		return Recomputed{}, err
	}
	if Final(start, now) {
		return Recomputed{}, fmt.Errorf("%s %s shard %d: %w", job.Granularity, job.Period, shard, ErrFinal)
	}
	r := Recomputed{started: now.UTC()}
	marked := []time.Time{start}
	if job.Granularity == Day {
		marks, err := s.Store.Marks(ctx, shard, s.now())
		if err != nil {
			return Recomputed{}, fmt.Errorf("marks of shard %d: %w", shard, err)
		}
		marked = nil
		for _, m := range marks {
			if m.Hour.UTC().Format(dayLayout) == job.Period {
				r.marks = append(r.marks, m)
				marked = append(marked, m.Hour.UTC())
			}
		}
	}
	marked = dedupeHours(marked)
	// The hours read from their events: the marked ones, and (a day job)
	// those without a stored roster; the day's other hours from rosters.
	raw := map[time.Time]bool{}
	for _, h := range marked {
		raw[h] = true
	}
	stored := map[string]Roster{}
	if job.Granularity == Day {
		var others []string
		for h := range 24 {
			if hour := start.Add(time.Duration(h) * time.Hour); !raw[hour] {
				others = append(others, hour.Format(hourLayout))
			}
		}
		if stored, err = s.Store.Rosters(ctx, Hour, others, shard, now); err != nil {
			return Recomputed{}, fmt.Errorf("rosters of %s shard %d: %w", job.Period, shard, err)
		}
		for _, p := range others {
			if _, ok := stored[p]; !ok {
				hour, _ := time.Parse(hourLayout, p)
				raw[hour] = true
			}
		}
	}
	var hours []time.Time
	for h := range raw {
		hours = append(hours, h)
	}
	byHour, err := s.eventsOf(ctx, hours, shard, now)
	if err != nil {
		return Recomputed{}, err
	}
	var events []Stored
	for _, evs := range byHour {
		events = append(events, evs...)
	}
	articles, err := s.catalogue(ctx, events)
	if err != nil {
		return Recomputed{}, err
	}
	var day []map[string]map[string]Tally // the tallies of the day's hours (a day job)
	settled := map[time.Time]bool{}       // the hours whose marks this job clears
	for _, m := range r.marks {
		settled[m.Hour.UTC()] = r.covers(m)
	}
	for _, hour := range dedupeHours(hours) {
		users, of, e := rosterOf(byHour[hour], articles)
		roster := Roster{Granularity: Hour, Period: hour.Format(hourLayout), Shard: shard, Started: now, Users: users, Of: of}
		// An hour's roster is read only by runs that do not recompute the
		// hour, once its mark is cleared: a day job stores it when it clears
		// the mark (or, for an hour without one, once the hour is settled),
		// not on each of the runs while the hour is current.
		store := job.Granularity == Hour || settled[hour]
		if _, ok := settled[hour]; !ok && job.Granularity == Day {
			store = !hour.Add(time.Hour).After(r.started.Add(-Settle))
		}
		if store {
			if _, err := s.Store.PutRoster(ctx, roster); err != nil {
				return Recomputed{}, fmt.Errorf("store roster %s shard %d: %w", roster.Period, shard, err)
			}
		}
		day = append(day, users)
		if slices.ContainsFunc(marked, hour.Equal) {
			p := partialOf(users, Hour, roster.Period, shard, now, nil)
			r.Hours = append(r.Hours, HourResult{Partial: p, Engagement: e, Complete: !hour.Add(time.Hour).After(now)})
		}
	}
	if job.Granularity == Day {
		for _, ro := range stored {
			day = append(day, ro.Users)
		}
		before, err := s.activeUsers(ctx, start.Add(-24*time.Hour), shard, now)
		if err != nil {
			return Recomputed{}, err
		}
		// The day's users, for the next day's Returning: stored once the
		// day is over (every run of it would rewrite all its users), and
		// again by a recomputation of it after (late events).
		over := !start.Add(24 * time.Hour).After(now)
		p, users := dayOf(day, job.Period, shard, now, before, over)
		r.Day = &p
		if over {
			if _, err := s.Store.PutRoster(ctx, Roster{Granularity: Day, Period: job.Period, Shard: shard, Started: now,
				Users: users}); err != nil {
				return Recomputed{}, fmt.Errorf("store roster %s shard %d: %w", job.Period, shard, err)
			}
		}
	}
	for i, h := range r.Hours {
		ok, err := s.Store.PutPartial(ctx, h.Partial)
		if err != nil {
			return Recomputed{}, fmt.Errorf("store partial %s shard %d: %w", h.Partial.Period, shard, err)
		}
		r.Hours[i].Superseded = !ok
	}
	if r.Day != nil {
		ok, err := s.Store.PutPartial(ctx, *r.Day)
		if err != nil {
			return Recomputed{}, fmt.Errorf("store partial %s shard %d: %w", r.Day.Period, shard, err)
		}
		r.DaySuperseded = !ok
	}
	return r, nil
}

// eventsOf reads the shard's events of each hour, 8 hours at a time.
func (s *Service) eventsOf(ctx context.Context, hours []time.Time, shard int, now time.Time) (map[time.Time][]Stored, error) {
	var (
		mu   sync.Mutex
		errs []error
	)
	out := make(map[time.Time][]Stored, len(hours))
	parallel.Each(hours, 8, func(_ int, hour time.Time) {
		evs, err := s.Store.EventsOf(ctx, hour, shard, now)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("events of %s shard %d: %w", hour.Format(hourLayout), shard, err))
			return
		}
		out[hour] = evs
	})
	return out, errors.Join(errs...)
}

// activeUsers is the set of the shard's users with an event on the day
// starting at day (for next-day retention): that day's roster, stored by
// its day jobs once it is over; a day without one (no day job of it ran
// after it ended: its last events were in an hour settled before) is read
// from its events (24 reads of the by-hour index), and its roster stored
// when the day is over — a later-started recomputation of the day replaces
// it. A day whose events expired reads as empty.
func (s *Service) activeUsers(ctx context.Context, day time.Time, shard int, now time.Time) (map[string]bool, error) {
	period := day.Format(dayLayout)
	rosters, err := s.Store.Rosters(ctx, Day, []string{period}, shard, now)
	if err != nil {
		return nil, fmt.Errorf("users of the day before, shard %d: %w", shard, err)
	}
	out := map[string]bool{}
	if ro, ok := rosters[period]; ok {
		for u := range ro.Users {
			out[u] = true
		}
		return out, nil
	}
	hours := make([]time.Time, 24)
	for i := range hours {
		hours[i] = day.Add(time.Duration(i) * time.Hour)
	}
	byHour, err := s.eventsOf(ctx, hours, shard, now)
	if err != nil {
		return nil, fmt.Errorf("users of the day before, shard %d: %w", shard, err)
	}
	users := map[string]map[string]Tally{}
	for _, evs := range byHour {
		for _, e := range evs {
			out[e.UserID] = true
			users[e.UserID] = map[string]Tally{"all": {}}
		}
	}
	if day.Add(24 * time.Hour).After(now) {
		return out, nil // an event ahead of the clock: the day before is not over
	}
	if _, err := s.Store.PutRoster(ctx, Roster{Granularity: Day, Period: period, Shard: shard, Started: now, Users: users}); err != nil {
		return nil, fmt.Errorf("store roster %s shard %d: %w", period, shard, err)
	}
	return out, nil
}

// Clear removes the marks this recomputation covered: a mark set at least
// Settle before the recomputation started, of an hour that ended at least
// Settle before it, and not set again since it was read (a conditional
// delete). Every other mark stays for the next run. It returns how many were
// cleared.
func (s *Service) Clear(ctx context.Context, r Recomputed) (int, error) {
	n := 0
	for _, m := range r.marks {
		if !r.covers(m) {
			continue
		}
		cleared, err := s.Store.ClearMark(ctx, m)
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
func (s *Service) catalogue(ctx context.Context, events []Stored) (map[string]Article, error) {
	ids := map[string]bool{}
	for _, e := range events {
		ids[e.ArticleID] = true
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	articles, err := s.Store.Articles(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("article catalogue: %w", err)
	}
	return articles, nil
}

// Query merges the shard partials of every period in [from, to] into rows for
// one dimension (all, category, source or article).
func (s *Service) Query(ctx context.Context, granularity, by string, from, to time.Time) ([]Row, error) {
	step, layout := time.Hour, hourLayout
	switch granularity {
	case Hour:
	case Day:
		step, layout = 24*time.Hour, dayLayout
	default:
		return nil, kiosk.Errorf(kiosk.EINVALID, "granularity must be hour or day")
	}
	switch by {
	case "all", "category", "source", "article", "variant":
	default:
		return nil, kiosk.Errorf(kiosk.EINVALID, "by must be all, category, source, article or variant")
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
	parts, err := s.Store.Partials(ctx, granularity, periods, by == "article")
	if err != nil {
		return nil, codes.Translate(err)
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
		rows = append(rows, Row{Period: k[0], Key: k[1], Counts: c}.withRates())
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

// Trending returns the rows (Key = article id) of the catalogue articles that
// TrendingReaders distinct readers clicked in the hour, from the merged
// partials.
func (s *Service) Trending(ctx context.Context, hour time.Time) ([]Row, error) {
	rows, err := s.Query(ctx, Hour, "article", hour, hour)
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

// DashboardRanges are the KPI dashboard's ranges, ending now.
var DashboardRanges = map[string]time.Duration{"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// Dashboard is the KPI dashboard's numbers for a range ending now.
type Dashboard struct {
	Range       string // 24h, 7d or 30d
	Granularity string // hour or day
	// Series has one row per period of the range, oldest first; a period
	// nothing was counted in is a zero row. Period is set on every row.
	Series []Point
	// Top has, by category, source and article, the 10 keys with the most
	// clicks over the range (counts summed over its periods: Users is then
	// user-periods, not distinct users).
	Top map[string][]Row
	// Empty is true when no KPI covers the range yet.
	Empty bool
}

// Point is one period of a dashboard series.
type Point struct {
	At time.Time
	Row
}

// TopDimensions are the dashboard's top lists, in the order shown.
var TopDimensions = []string{"category", "source", "article"}

// Dashboard reads the KPI dashboard for a range (24h by default) per hour or
// day (hour by default; a 30-day range is always per day: 720 hourly points
// say less than 30 daily ones).
func (s *Service) Dashboard(ctx context.Context, rng, granularity string) (Dashboard, error) {
	if _, ok := DashboardRanges[rng]; !ok {
		rng = "24h"
	}
	if granularity != Day {
		granularity = Hour
	}
	if rng == "30d" && granularity == Hour {
		granularity = Day
	}
	d := Dashboard{Range: rng, Granularity: granularity, Top: map[string][]Row{}}
	to := s.now()
	from := to.Add(-DashboardRanges[rng])
	rows, err := s.Query(ctx, granularity, "all", from, to)
	if err != nil {
		return d, err
	}
	d.Empty = len(rows) == 0
	step, layout := time.Hour, hourLayout
	if granularity == Day {
		step, layout = 24*time.Hour, dayLayout
	}
	byPeriod := map[string]Row{}
	for _, r := range rows {
		byPeriod[r.Period] = r
	}
	for t := from.Truncate(step); !t.After(to); t = t.Add(step) {
		r, ok := byPeriod[t.Format(layout)]
		if !ok {
			r = Row{Period: t.Format(layout)}
		}
		d.Series = append(d.Series, Point{At: t, Row: r})
	}
	for _, by := range TopDimensions {
		rows, err := s.Query(ctx, granularity, by, from, to)
		if err != nil {
			return d, err
		}
		d.Top[by] = top(rows, 10)
	}
	return d, nil
}

// top merges rows over periods per key and keeps the n with most clicks
// (ties by key).
func top(rows []Row, n int) []Row {
	m := map[string]*Row{}
	for _, r := range rows {
		t := m[r.Key]
		if t == nil {
			t = &Row{Key: r.Key}
			m[r.Key] = t
		}
		t.add(r.Counts)
	}
	out := make([]Row, 0, len(m))
	for _, t := range m {
		out = append(out, t.withRates())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Clicks != out[j].Clicks {
			return out[i].Clicks > out[j].Clicks
		}
		return out[i].Key < out[j].Key
	})
	return out[:min(n, len(out))]
}

// Report is the KPI report of GET /admin/api/kpi.
type Report struct {
	By          string `json:"by"`
	Granularity string `json:"granularity"`
	Rows        []Row  `json:"rows"`
}

// Report answers a KPI report request as the API gets it: from and to are
// RFC 3339 times, by defaults to all (see Query).
func (s *Service) Report(ctx context.Context, granularity, by, from, to string) (Report, error) {
	f, err1 := time.Parse(time.RFC3339, from)
	t, err2 := time.Parse(time.RFC3339, to)
	if err1 != nil || err2 != nil {
		return Report{}, kiosk.Errorf(kiosk.EINVALID, "from and to are RFC 3339 times")
	}
	if by == "" {
		by = "all"
	}
	rows, err := s.Query(ctx, granularity, by, f, t)
	if err != nil {
		return Report{}, err
	}
	return Report{By: by, Granularity: granularity, Rows: rows}, nil
}

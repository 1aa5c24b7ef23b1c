package tracking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/kiosk"
)

// published records what an Events announcer publishes, as the bus would
// carry it: detail type and catalogue detail.
type published struct {
	types   []string
	details []any
	fail    error
}

func (p *published) publish(_ context.Context, detailType string, details ...any) error {
	if p.fail != nil {
		return p.fail
	}
	for _, d := range details {
		p.types = append(p.types, detailType)
		p.details = append(p.details, d)
	}
	return nil
}

// of lists the published details of one type, and forgets them.
func of[T any](p *published, detailType string) []T {
	var out []T
	var keptT []string
	var keptD []any
	for i, t := range p.types {
		if t == detailType {
			out = append(out, p.details[i].(T))
		} else {
			keptT, keptD = append(keptT, t), append(keptD, p.details[i])
		}
	}
	p.types, p.details = keptT, keptD
	return out
}

func TestServiceTheKPIBatchFansOutTheMarkedDaysAndAnnouncesWhatItFoundOnce(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	clock := now
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return clock }, Announce: Events{Publish: pub.publish}}
	if err := s.Catalogue(ctx, ArticleOf(events.ArticlePublished{ID: art(1), Category: "sports", SourceID: "desk"})); err != nil {
		t.Fatal(err)
	}
	readers := make([]string, TrendingReaders)
	for i := range readers {
		readers[i] = fmt.Sprintf("reader-%d", i)
		if _, err := s.Track(ctx, readers[i], []Event{ev("click-0001", Click, 1, now), ev("read-00001", Read, 1, now.Add(-time.Hour))}); err != nil {
			t.Fatal(err)
		}
	}
	if reads := of[events.UserRead](pub, events.UserReadType); len(reads) != TrendingReaders || reads[0].ArticleIDs[0] != art(1) {
		t.Fatalf("user.read = %+v, want one per batch", reads)
	}
	// The schedule's run (an empty detail) plans one day job per marked day and shard.
	done, err := s.Coordinate(ctx, RunOf(events.KPIShardRequested{}))
	if err != nil {
		t.Fatal(err)
	}
	jobs := of[events.KPIShardRequested](pub, events.KPIShardRequestedType)
	shards := map[int]bool{}
	for _, r := range readers {
		shards[ShardOf(r)] = true
	}
	if done.Shards != len(shards) || len(jobs) != len(shards) || done.Marks != 2*len(shards) {
		t.Fatalf("the coordinator did %+v and requested %+v; want a day job for each of the readers' %d shards", done, jobs, len(shards))
	}
	if len(pub.types) != 0 {
		t.Fatalf("nothing is trending before the workers ran, yet it published %v", pub.types)
	}
	// The workers, two hours later: both hours are over.
	clock = now.Add(2 * time.Hour)
	for _, j := range jobs {
		if j.Granularity != Day || j.Period != "20261125" {
			t.Errorf("a shard job %+v, want a day job of 20261125", j)
		}
		if _, err := s.RecomputeShard(ctx, ShardJobOf(j)); err != nil {
			t.Fatal(err)
		}
	}
	engaged := of[events.UserEngaged](pub, events.UserEngagedType)
	learned := 0
	for _, e := range engaged {
		for _, u := range e.Users {
			learned++
			if e.Hour != "2026112509" && e.Hour != "2026112510" || u.Weights["sports"] == 0 {
				t.Errorf("user.engaged %s: %+v", e.Hour, u)
			}
		}
	}
	if learned != 2*TrendingReaders {
		t.Errorf("user.engaged carried %d user-hours, want %d", learned, 2*TrendingReaders)
	}
	stats := of[events.ArticleStats](pub, events.ArticleStatsType)
	var clicks int64
	for _, st := range stats {
		for _, a := range st.Articles {
			clicks += a.Clicks
		}
	}
	if len(stats) != len(shards) || clicks != 0 {
		// clicks without an impression never count for ranking
		t.Errorf("article.stats = %+v; want one per shard, no ranked clicks", stats)
	}
	if marks, _ := s.Marks(ctx); len(marks) != 0 {
		t.Errorf("marks left after the workers: %+v", marks)
	}
	// The next runs announce the trending article, once.
	announcedOnce(t, s, pub, []time.Time{now, now}, func(at time.Time) { clock = at },
		events.ArticleTrending{ID: art(1), Hour: "2026112510", Clicks: TrendingReaders})
}

// announcedOnce runs the coordinator once at each of times (set sets the
// service's clock) and wants the first run to announce want and the later
// ones nothing.
func announcedOnce(t *testing.T, s *Service, pub *published, times []time.Time, set func(time.Time), want events.ArticleTrending) {
	t.Helper()
	for run, at := range times {
		set(at)
		done, err := s.Coordinate(context.Background(), Run{})
		if err != nil {
			t.Fatal(err)
		}
		trends := of[events.ArticleTrending](pub, events.ArticleTrendingType)
		n := 0
		if run == 0 {
			n = 1
		}
		if done.Trending != n || len(trends) != n {
			t.Fatalf("the run at %s announced %+v (%d), want %d", at.Format("15:04"), trends, done.Trending, n)
		}
		if n == 1 && trends[0] != want {
			t.Errorf("article.trending = %+v, want %+v", trends[0], want)
		}
	}
}

func TestServiceARunNowOfAPeriodRequestsEveryShardAndABadOneNothing(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return now }, Announce: Events{Publish: pub.publish}}
	if _, err := s.Coordinate(ctx, RunOf(events.KPIShardRequested{Granularity: Hour, Period: "2026112510"})); err != nil {
		t.Fatal(err)
	}
	jobs := of[events.KPIShardRequested](pub, events.KPIShardRequestedType)
	if len(jobs) != Shards || jobs[Shards-1] != (events.KPIShardRequested{Granularity: Hour, Period: "2026112510", Shard: Shards - 1}) {
		t.Errorf("a run of an hour requested %+v, want its %d shards", jobs, Shards)
	}
	for _, bad := range []events.KPIShardRequested{{Granularity: "week", Period: "2026"}, {Granularity: Day, Period: "yesterday"}} {
		if _, err := s.Coordinate(ctx, RunOf(bad)); kiosk.ErrorCode(err) != kiosk.EINVALID || len(pub.types) != 0 {
			t.Errorf("a run of %+v = %v and published %v; want EINVALID and nothing", bad, err, pub.types)
		}
	}
	for _, shard := range []int{-1, Shards} {
		if _, err := s.RecomputeShard(ctx, ShardJob{Granularity: Hour, Period: "2026112510", Shard: shard}); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("a worker of shard %d = %v, want EINVALID", shard, err)
		}
	}
}

func TestServiceAWorkerThatCannotAnnounceKeepsItsMarks(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	clock := now
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return clock }, Announce: Events{Publish: pub.publish}}
	if _, err := s.Track(ctx, "alice", []Event{ev("click-0001", Click, 1, now.Add(-3*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(Settle) // the mark has settled: a successful worker clears it
	marks, _ := s.Marks(ctx)
	jobs, _ := Plan(Run{}, marks, now)
	pub.fail = errors.New("the bus is down")
	if _, err := s.RecomputeShard(ctx, jobs[0]); err == nil {
		t.Fatal("a worker whose announcements failed succeeded")
	}
	if left, _ := s.Marks(ctx); len(left) != 1 {
		t.Fatalf("a failed worker cleared the marks: %+v", left)
	}
	pub.fail = nil
	if done, err := s.RecomputeShard(ctx, jobs[0]); err != nil || done.Cleared != 1 {
		t.Errorf("the retry = %+v, %v; want its mark cleared", done, err)
	}
}

func TestServiceTheDashboardFillsEveryPeriodAndRanksTheTopByClicks(t *testing.T) {
	ctx := context.Background()
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return now }}
	if d, err := s.Dashboard(ctx, "", ""); err != nil || !d.Empty || d.Range != "24h" || d.Granularity != Hour || len(d.Series) != 25 {
		t.Fatalf("an empty dashboard = %+v, %v; want 25 empty hours", d, err)
	}
	for i, c := range []string{"sports", "tech", "world"} {
		if err := s.Catalogue(ctx, Article{ID: art(i + 1), Category: c, SourceID: "desk"}); err != nil {
			t.Fatal(err)
		}
	}
	// tech: 3 clicks, sports: 2 (and a day earlier 2 more), world: none.
	batches := map[string][]Event{
		"alice": {ev("a-000001", Click, 2, now), ev("a-000002", Click, 2, now), ev("a-000003", Impression, 3, now)},
		"bob":   {ev("b-000001", Click, 2, now), ev("b-000002", Click, 1, now), ev("b-000003", Click, 1, now.Add(-30*time.Hour))},
		"carol": {ev("c-000001", Click, 1, now.Add(-3*time.Hour)), ev("c-000002", Click, 1, now.Add(-30*time.Hour)), ev("c-000003", Impression, 2, now)},
	}
	for u, b := range batches {
		if _, err := s.Track(ctx, u, b); err != nil {
			t.Fatal(err)
		}
	}
	runKPI(t, s.Store, now)
	d, err := s.Dashboard(ctx, "24h", "minute")
	if err != nil || d.Empty || d.Granularity != Hour || len(d.Series) != 25 {
		t.Fatalf("the dashboard = %+v, %v", d, err)
	}
	last, three := d.Series[len(d.Series)-1], d.Series[len(d.Series)-4]
	if last.Period != "2026112510" || !last.At.Equal(now.Truncate(time.Hour)) || last.Clicks != 4 || last.Impressions != 2 || last.CTR != 2 {
		t.Errorf("this hour = %+v", last)
	}
	if three.Period != "2026112507" || three.Clicks != 1 || d.Series[0].Clicks != 0 || d.Series[0].Period != "2026112410" {
		t.Errorf("earlier hours: %+v, %+v", three, d.Series[0])
	}
	if top := d.Top["category"]; len(top) != 3 || top[0].Key != "tech" || top[0].Clicks != 3 || top[1].Key != "sports" || top[1].Clicks != 2 ||
		top[0].CTR != 3 || top[2].Key != "world" {
		t.Errorf("top categories over 24h = %+v; want tech 3, sports 2, then world", top)
	}
	if top := d.Top["article"]; len(top) != 3 || top[0].Key != art(2) || top[2].Key != art(3) {
		t.Errorf("top articles = %+v", top)
	}
	month, err := s.Dashboard(ctx, "30d", Hour)
	if err != nil || month.Granularity != Day || len(month.Series) != 31 {
		t.Fatalf("30 days = %d points per %s, %v; want 31 days", len(month.Series), month.Granularity, err)
	}
	if top := month.Top["category"]; len(top) != 3 || top[0].Key != "sports" || top[0].Clicks != 4 {
		t.Errorf("top categories over 30 days = %+v; want sports 4 first", top)
	}
}

func TestEventsSplitEngagementAndStatsIntoBoundedEvents(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	e := Events{Publish: pub.publish}
	engagement := Engagement{}
	for i := range 250 {
		engagement[fmt.Sprintf("user-%03d", i)] = map[string]float64{"tech": 1}
	}
	if err := e.Engaged(ctx, "2026112510", engagement); err != nil {
		t.Fatal(err)
	}
	got := of[events.UserEngaged](pub, events.UserEngagedType)
	if len(got) != 3 || len(got[0].Users) != 100 || len(got[2].Users) != 50 || got[0].Users[0].UserID != "user-000" || got[2].Users[49].UserID != "user-249" {
		t.Errorf("250 users went out as %d events", len(got))
	}
	day := Partial{Granularity: Day, Period: "20261125", Shard: 4, ComputedAt: now, Slices: map[string]Counts{"article:" + Unknown: {Viewers: 9}}}
	for i := range 1200 {
		day.Slices["article:"+art(i)] = Counts{Viewers: 2, ViewerClicks: 1}
	}
	if err := e.Stats(ctx, day); err != nil {
		t.Fatal(err)
	}
	stats := of[events.ArticleStats](pub, events.ArticleStatsType)
	if len(stats) != 3 || stats[0].Parts != 3 || stats[2].Part != 2 || len(stats[2].Articles) != 200 || stats[0].Articles[0] != (events.ArticleCount{ID: art(0), Impressions: 2, Clicks: 1}) {
		t.Errorf("1,200 articles went out as %+v", stats)
	}
	if err := e.Stats(ctx, Partial{Granularity: Day, Period: "20261125"}); err != nil {
		t.Fatal(err)
	}
	if empty := of[events.ArticleStats](pub, events.ArticleStatsType); len(empty) != 1 || empty[0].Parts != 1 || len(empty[0].Articles) != 0 {
		t.Errorf("a day without articles = %+v, want one empty part", empty)
	}
}

func TestServiceAReportRequestIsReadAsTheAPIGetsIt(t *testing.T) {
	ctx := context.Background()
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return now }}
	if _, err := s.Track(ctx, "alice", []Event{ev("a-000001", Click, 1, now)}); err != nil {
		t.Fatal(err)
	}
	runKPI(t, s.Store, now)
	ts := now.Format(time.RFC3339)
	rep, err := s.Report(ctx, Hour, "", ts, ts)
	if err != nil || rep.By != "all" || rep.Granularity != Hour || len(rep.Rows) != 1 || rep.Rows[0].Clicks != 1 {
		t.Fatalf("Report = %+v, %v; want the hour's one row by all", rep, err)
	}
	if rep, err := s.Report(ctx, Day, "category", ts, ts); err != nil || rep.Rows == nil {
		t.Errorf("an empty report = %+v, %v; want rows [] (not null)", rep, err)
	}
	for name, c := range map[string][4]string{
		"a bad from":        {Hour, "all", "yesterday", ts},
		"no to":             {Hour, "all", ts, ""},
		"a bad granularity": {"week", "all", ts, ts},
		"a bad dimension":   {Hour, "color", ts, ts},
		"to before from":    {Hour, "all", ts, now.Add(-time.Hour).Format(time.RFC3339)},
	} {
		if _, err := s.Report(ctx, c[0], c[1], c[2], c[3]); kiosk.ErrorCode(err) != kiosk.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestServiceAPeriodWhoseEventsMayHaveExpiredIsNeverRecomputedFromThem(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	clock := now
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return clock }, Announce: Events{Publish: pub.publish}}
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := s.Track(ctx, u, []Event{ev("click-0001", Click, 1, now), ev("imp-000001", Impression, 1, now)}); err != nil {
			t.Fatal(err)
		}
	}
	hour, day := now.Format(hourLayout), now.Format(dayLayout)
	recomputeAll := func(granularity, period string) []ShardDone {
		var out []ShardDone
		for shard := range Shards {
			done, err := s.RecomputeShard(ctx, ShardJob{Granularity: granularity, Period: period, Shard: shard})
			if err != nil {
				t.Fatalf("worker %s %s shard %d: %v", granularity, period, shard, err)
			}
			out = append(out, done)
		}
		return out
	}
	counted := func() (int64, int64) {
		h, err := s.Query(ctx, Hour, "all", now, now)
		if err != nil || len(h) != 1 {
			t.Fatalf("hour rows = %+v, %v", h, err)
		}
		d, err := s.Query(ctx, Day, "all", now, now)
		if err != nil || len(d) != 1 {
			t.Fatalf("day rows = %+v, %v", d, err)
		}
		return h[0].Clicks, d[0].Clicks
	}
	clock = now.Add(2 * time.Hour)
	recomputeAll(Hour, hour)
	recomputeAll(Day, day)
	if h, d := counted(); h != 3 || d != 3 {
		t.Fatalf("counted %d clicks in the hour and %d in the day, want 3 and 3", h, d)
	}

	// Forty days on, the events are past their retention (TTL deletes them).
	clock = now.Add(40 * 24 * time.Hour)
	pub.types, pub.details = nil, nil
	for _, run := range []Run{{Granularity: Hour, Period: hour}, {Granularity: Day, Period: day}} {
		_, err := s.Coordinate(ctx, run)
		if kiosk.ErrorCode(err) != kiosk.EINVALID || !strings.Contains(err.Error(), "final") || !strings.Contains(err.Error(), "35 days") {
			t.Errorf("a run now of %+v 40 days later = %v; want EINVALID saying the period is final after 35 days", run, err)
		}
		if jobs := of[events.KPIShardRequested](pub, events.KPIShardRequestedType); len(jobs) != 0 {
			t.Errorf("a refused run requested %d shard jobs", len(jobs))
		}
	}
	// A worker event of such a period (a redrive, a late dead letter) is done
	// without touching the partials, and without an error that would retry it.
	for _, job := range [][2]string{{Hour, hour}, {Day, day}} {
		for _, done := range recomputeAll(job[0], job[1]) {
			if !done.Final || done.Hours != 0 {
				t.Errorf("a worker of %s 40 days later = %+v; want Final and nothing recomputed", job[1], done)
			}
		}
	}
	if h, d := counted(); h != 3 || d != 3 {
		t.Errorf("after the late jobs the hour has %d clicks and the day %d, want the 3 and 3 counted while the events lived", h, d)
	}
	if n := len(pub.types); n != 0 {
		t.Errorf("late jobs of a final period announced %v", pub.types)
	}

	// Up to the last minute of Correctable a period is still recomputed.
	start := now.Truncate(time.Hour)
	clock = start.Add(Correctable - time.Minute)
	if _, err := s.Coordinate(ctx, Run{Granularity: Hour, Period: hour}); err != nil {
		t.Errorf("a run now of the hour a minute before it is final = %v", err)
	}
	clock = start.Add(Correctable)
	if _, err := s.Coordinate(ctx, Run{Granularity: Hour, Period: hour}); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a run now of the hour when it becomes final = %v, want EINVALID", err)
	}
}

// TestAnArticleThatTrendsLateInAnHourIsAnnouncedByTheNextHoursRun: the
// coordinator announces what the previous run's workers counted, so the
// clicks that make an article trend in an hour's last minutes are in
// partials a run of the next hour reads first. It read only its own hour:
// five readers at 10:58, counted by the 10:58 run's workers, were never
// announced (and the end-to-end trending test failed whenever the wall
// clock turned the hour while it ran).
func TestAnArticleThatTrendsLateInAnHourIsAnnouncedByTheNextHoursRun(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	late := now.Truncate(time.Hour).Add(58 * time.Minute)
	clock := late
	s := &Service{Store: NewMemoryStore(), Now: func() time.Time { return clock }, Announce: Events{Publish: pub.publish}}
	if err := s.Catalogue(ctx, ArticleOf(events.ArticlePublished{ID: art(1), Category: "sports", SourceID: "desk"})); err != nil {
		t.Fatal(err)
	}
	for i := range TrendingReaders {
		if _, err := s.Track(ctx, fmt.Sprintf("reader-%d", i), []Event{ev("click-0001", Click, 1, late)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Coordinate(ctx, Run{}); err != nil { // 10:58: plans the shard jobs
		t.Fatal(err)
	}
	clock = late.Add(time.Minute) // 10:59: its workers count the hour so far
	for _, j := range of[events.KPIShardRequested](pub, events.KPIShardRequestedType) {
		if _, err := s.RecomputeShard(ctx, ShardJobOf(j)); err != nil {
			t.Fatal(err)
		}
	}
	// 11:01, then 11:06
	announcedOnce(t, s, pub, []time.Time{late.Add(3 * time.Minute), late.Add(8 * time.Minute)}, func(at time.Time) { clock = at },
		events.ArticleTrending{ID: art(1), Hour: late.Format(events.HourLayout), Clicks: TrendingReaders})
}

// unreadableHour fails the partials read of one period, as a chunk gone
// or a throttled read does.
type unreadableHour struct {
	Store
	period string
}

func (s unreadableHour) Partials(ctx context.Context, granularity string, periods []string, articles bool) ([]Partial, error) {
	if slices.Contains(periods, s.period) {
		return nil, errors.New("the hour's partials cannot be read")
	}
	return s.Store.Partials(ctx, granularity, periods, articles)
}

// TestAnUnreadableHourDoesNotHoldBackTheOthersTrends: a coordinator run
// reads the hour before its own as well; that read failing fails the run
// (it is retried) but announces this hour's trends all the same.
func TestAnUnreadableHourDoesNotHoldBackTheOthersTrends(t *testing.T) {
	ctx := context.Background()
	pub := &published{}
	at := now.Truncate(time.Hour).Add(time.Minute)
	clock := at
	st := unreadableHour{Store: NewMemoryStore(), period: at.Add(-time.Hour).Format(hourLayout)}
	s := &Service{Store: st, Now: func() time.Time { return clock }, Announce: Events{Publish: pub.publish}}
	if err := s.Catalogue(ctx, ArticleOf(events.ArticlePublished{ID: art(1), Category: "sports", SourceID: "desk"})); err != nil {
		t.Fatal(err)
	}
	for i := range TrendingReaders {
		if _, err := s.Track(ctx, fmt.Sprintf("reader-%d", i), []Event{ev("click-0001", Click, 1, at)}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = s.Coordinate(ctx, Run{}) // plans the shard jobs (its read of the hour before fails)
	for _, j := range of[events.KPIShardRequested](pub, events.KPIShardRequestedType) {
		if _, err := s.RecomputeShard(ctx, ShardJobOf(j)); err != nil {
			t.Fatal(err)
		}
	}
	clock = at.Add(5 * time.Minute)
	done, err := s.Coordinate(ctx, Run{})
	if trends := of[events.ArticleTrending](pub, events.ArticleTrendingType); err == nil || done.Trending != 1 || len(trends) != 1 {
		t.Errorf("a run whose hour before cannot be read: %+v, %v, announced %+v; want an error and this hour's trend announced", done, err, trends)
	}
}

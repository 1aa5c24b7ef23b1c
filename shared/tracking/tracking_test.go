package tracking

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var now = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

func art(n int) string { return fmt.Sprintf("%032x", n) }

func ev(id, typ string, article int, at time.Time) Event {
	return Event{ID: id, Type: typ, ArticleID: art(article), At: at}
}

func TestValidateRefusesTheWholeBatch(t *testing.T) {
	dwell := int64(5000)
	cases := map[string][]Event{
		"an unknown type":         {ev("event-001", "like", 1, now)},
		"a short id":              {ev("e1", "click", 1, now)},
		"a repeated id":           {ev("event-001", "click", 1, now), ev("event-001", "click", 1, now)},
		"a bad article id":        {{ID: "event-001", Type: "click", ArticleID: "../x", At: now}},
		"a time in the future":    {ev("event-001", "click", 1, now.Add(time.Hour))},
		"a time too old":          {ev("event-001", "click", 1, now.Add(-8*24*time.Hour))},
		"no time":                 {{ID: "event-001", Type: "click", ArticleID: art(1)}},
		"dwell on a click":        {{ID: "event-001", Type: "click", ArticleID: art(1), At: now, DwellMS: &dwell}},
		"an empty batch":          {},
		"one bad among good ones": {ev("event-001", "click", 1, now), ev("event-002", "nope", 1, now)},
	}
	for name, batch := range cases {
		t.Run("it refuses "+name, func(t *testing.T) {
			err := Validate(batch, now)
			if kiosk.ErrorCode(err) != kiosk.EINVALID {
				t.Fatalf("Validate = %v", err)
			}
			if len(batch) > 0 && len(kiosk.Details(err)) == 0 {
				t.Error("no per-event reason")
			}
		})
	}
	big := make([]Event, MaxBatch+1)
	if kiosk.ErrorCode(Validate(big, now)) != kiosk.EINVALID {
		t.Error("a batch over 500 was accepted")
	}
	ok := []Event{ev("event-001", "impression", 1, now), {ID: "event-002", Type: "read", ArticleID: art(1), At: now.Add(MaxSkew - time.Second), DwellMS: &dwell}}
	if err := Validate(ok, now); err != nil {
		t.Errorf("a good batch: %v", err)
	}
}

// TestKPIsAreExactAndIdempotent stores events twice (a retry), aggregates
// every shard twice and checks the merged numbers against a hand count.
func TestKPIsAreExactAndIdempotent(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	s := &Service{Store: st, Now: func() time.Time { return now }}
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	_ = st.PutArticle(ctx, Article{ID: art(2), Category: "tech", SourceID: "daily"})
	hour := now.Truncate(time.Hour)
	batches := map[string][]Event{
		"alice": {ev("a-000001", Impression, 1, now), ev("a-000002", Click, 1, now), ev("a-000003", Impression, 2, now), ev("a-000004", Read, 1, now)},
		"bob":   {ev("b-000001", Impression, 1, now), ev("b-000002", Click, 1, now), ev("b-000003", Share, 1, now)},
		"carol": {ev("c-000001", Impression, 2, now.Add(-2*time.Hour))}, // another hour, same day
	}
	for u, b := range batches {
		for attempt := range 2 {
			res, err := s.Track(ctx, u, b)
			if err != nil || (attempt == 0 && res.Accepted != len(b)) || (attempt == 1 && res.Duplicates != len(b)) {
				t.Fatalf("%s attempt %d: %+v %v", u, attempt, res, err)
			}
		}
	}
	engagement := Engagement{}
	for round := range 2 {
		// An hour later, so this hour is complete (learned) and its marks clear.
		for _, h := range runKPI(t, st, now.Add(time.Hour)) {
			if round == 0 && h.Partial.Period == hour.Format(hourLayout) {
				maps.Copy(engagement, h.Engagement)
			}
		}
	}
	rows, err := reports(st).Query(ctx, Hour, "category", hour, hour)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Counts{}
	for _, r := range rows {
		got[r.Key] = r.Counts
	}
	if c := got["sports"]; c != (Counts{Impressions: 2, Clicks: 2, Reads: 1, Shares: 1, Users: 2, Viewers: 2, Clickers: 2, ViewerClicks: 2, ReadUsers: 1}) {
		t.Errorf("sports this hour = %+v", c)
	}
	if c := got["tech"]; c != (Counts{Impressions: 1, Users: 1, Viewers: 1}) {
		t.Errorf("tech this hour = %+v", c)
	}
	day, _ := reports(st).Query(ctx, Day, "all", hour, hour)
	if len(day) != 1 || day[0].Users != 3 || day[0].Impressions != 4 || day[0].CTR != 0.5 {
		t.Errorf("the day = %+v; want DAU 3, 4 impressions, CTR 0.5", day)
	}
	if engagement["alice"]["sports"] != 3 || engagement["bob"]["sports"] != 3 {
		t.Errorf("engagement = %v", engagement)
	}
	if _, err := reports(st).Query(ctx, "week", "all", hour, hour); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a bad granularity: %v", err)
	}
	if _, err := reports(st).Query(ctx, Hour, "color", hour, hour); !strings.Contains(fmt.Sprint(err), "by must be") {
		t.Errorf("a bad dimension: %v", err)
	}
}

// runKPI runs the KPI batch as the schedule does at now: the coordinator's
// plan from the marks, then every shard job, each clearing its marks.
func runKPI(t *testing.T, st Store, now time.Time) []HourResult {
	t.Helper()
	ctx := context.Background()
	s := &Service{Store: st, Now: at(now)}
	marks, err := s.Marks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := Plan(Run{}, marks, now)
	if err != nil {
		t.Fatal(err)
	}
	var hours []HourResult
	for _, j := range jobs {
		r, err := s.Recompute(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Clear(ctx, r); err != nil {
			t.Fatal(err)
		}
		hours = append(hours, r.Hours...)
	}
	return hours
}

// reports is a service over st for reading what it holds.
func reports(st Store) *Service { return &Service{Store: st, Now: at(now)} }

// at is a clock stopped at t.
func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestPlanMakesOneDayJobPerMarkedDayAndShard(t *testing.T) {
	h := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	marks := []Mark{{Hour: h, Shard: 3}, {Hour: h.Add(5 * time.Hour), Shard: 3}, {Hour: h.Add(-time.Hour), Shard: 3}, {Hour: h, Shard: 1}}
	jobs, _ := Plan(Run{}, marks, now)
	var got []string
	for _, j := range jobs {
		got = append(got, fmt.Sprintf("%s %s %d", j.Granularity, j.Period, j.Shard))
	}
	if want := "[day 20261124 3 day 20261125 1 day 20261125 3]"; fmt.Sprint(got) != want {
		t.Errorf("Plan = %v, want %s", got, want)
	}
	if jobs, _ := Plan(Run{Granularity: Hour, Period: "2026112510"}, nil, now); len(jobs) != Shards {
		t.Errorf("a named period makes %d jobs, want one per shard", len(jobs))
	}
	if _, err := Plan(Run{Granularity: "hour", Period: "yesterday"}, nil, now); err == nil {
		t.Error("a bad period was planned")
	}
}

func TestPlanMakesNoJobOfAFinalDay(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	// The day's last hour is still within its retention, but the day's
	// first events may be gone: the day is final, its mark plans nothing.
	marks := []Mark{{Hour: day.Add(23 * time.Hour), Shard: 2}}
	if jobs, err := Plan(Run{}, marks, day.Add(Correctable-time.Second)); err != nil || len(jobs) != 1 {
		t.Errorf("a mark of a day still correctable planned %v, %v; want its day job", jobs, err)
	}
	if jobs, err := Plan(Run{}, marks, day.Add(Correctable)); err != nil || len(jobs) != 0 {
		t.Errorf("a mark of a final day planned %v, %v; want nothing", jobs, err)
	}
	if _, err := Plan(Run{Granularity: Day, Period: "20261125"}, nil, day.Add(Correctable)); kiosk.ErrorCode(err) != kiosk.EINVALID {
		t.Errorf("a run now of a final day = %v, want EINVALID", err)
	}
}

package tracking

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

// kpiAt is one row of the KPI report for an article at a time.
func kpiAt(t *testing.T, st Store, granularity, by, key string, at time.Time) Counts {
	t.Helper()
	rows, err := reports(st).Query(context.Background(), granularity, by, at, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Key == key {
			return r.Counts
		}
	}
	return Counts{}
}

func TestLateEventsAreCountedInEveryPeriodTheyFallIn(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	s := &Service{Store: st, Now: func() time.Time { return now }}
	lates := []time.Duration{0, 26 * time.Hour, 50 * time.Hour, 6*24*time.Hour + 23*time.Hour}
	// A first KPI run before the late events arrive: it must not be the last.
	if _, err := s.Track(ctx, "alice", []Event{ev("a-now-0001", Impression, 1, now)}); err != nil {
		t.Fatal(err)
	}
	runKPI(t, st, now.Add(2*time.Hour))
	for i, late := range lates {
		at := now.Add(-late)
		batch := []Event{ev(fmt.Sprintf("b-late-%d-1", i), Impression, 1, at), ev(fmt.Sprintf("b-late-%d-2", i), Click, 1, at)}
		for attempt := range 2 { // a retry counts once
			if res, err := s.Track(ctx, "bob", batch); err != nil || res.Accepted+res.Duplicates != 2 || (attempt == 1 && res.Duplicates != 2) {
				t.Fatalf("late by %s, attempt %d: %+v %v", late, attempt, res, err)
			}
		}
	}
	runKPI(t, st, now.Add(2*time.Hour))
	for _, late := range lates {
		at := now.Add(-late)
		want := Counts{Impressions: 1, Clicks: 1, Users: 1, Viewers: 1, Clickers: 1, ViewerClicks: 1}
		if late == 0 {
			want = Counts{Impressions: 2, Clicks: 1, Users: 2, Viewers: 2, Clickers: 1, ViewerClicks: 1}
		}
		for _, g := range []string{Hour, Day} {
			if got := kpiAt(t, st, g, "article", art(1), at); got != want {
				t.Errorf("%s of an event %s late = %+v, want %+v", g, late, got, want)
			}
		}
	}
	if marks, _ := reports(st).Marks(ctx); len(marks) != 0 {
		t.Errorf("marks left after the recomputation settled: %v", marks)
	}
}

// hookStore runs a function once, right after the events of one hour were
// read: an event arriving while a recomputation is in progress.
type hookStore struct {
	Store
	hour time.Time
	hook func()
}

func (h *hookStore) EventsOf(ctx context.Context, hour time.Time, shard int, now time.Time) ([]Stored, error) {
	evs, err := h.Store.EventsOf(ctx, hour, shard, now)
	if h.hook != nil && hour.Equal(h.hour) {
		f := h.hook
		h.hook = nil
		f()
	}
	return evs, err
}

func TestAnEventArrivingDuringARecomputationIsCountedByTheNextRun(t *testing.T) {
	ctx := context.Background()
	st := &hookStore{Store: NewMemoryStore(), hour: now.Truncate(time.Hour)}
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	if _, err := (&Service{Store: st, Now: func() time.Time { return now }}).Track(ctx, "alice", []Event{ev("a-000001", Click, 1, now)}); err != nil {
		t.Fatal(err)
	}
	runAt := now.Add(2 * time.Hour)
	st.hook = func() {
		late := &Service{Store: st, Now: func() time.Time { return runAt.Add(-time.Second) }}
		if _, err := late.Track(ctx, "alice", []Event{ev("a-000002", Click, 1, now.Add(time.Minute))}); err != nil {
			t.Error(err)
		}
	}
	runKPI(t, st, runAt)
	if got := kpiAt(t, st, Hour, "all", "all", now).Clicks; got != 1 {
		t.Fatalf("the run counted %d clicks; the hook did not run during it", got)
	}
	if marks, _ := reports(st).Marks(ctx); len(marks) != 1 {
		t.Fatalf("the mark set again during the run was cleared: %v", marks)
	}
	runKPI(t, st, runAt.Add(5*time.Minute))
	for _, g := range []string{Hour, Day} {
		if got := kpiAt(t, st, g, "all", "all", now).Clicks; got != 2 {
			t.Errorf("%s clicks after the next run = %d, want 2", g, got)
		}
	}
	if marks, _ := reports(st).Marks(ctx); len(marks) != 0 {
		t.Errorf("marks left: %v", marks)
	}
}

// failingStore fails to store partials.
type failingStore struct{ Store }

func (failingStore) PutPartial(context.Context, Partial) (bool, error) {
	return false, errors.New("throttled")
}

func TestAMarkIsClearedOnlyOnceItsHourIsStoredAndOver(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	if _, err := (&Service{Store: st, Now: func() time.Time { return now }}).Track(ctx, "alice", []Event{ev("a-000001", Click, 1, now)}); err != nil {
		t.Fatal(err)
	}
	marks, _ := reports(st).Marks(ctx)
	if len(marks) != 1 {
		t.Fatalf("a batch left %d marks, want 1", len(marks))
	}
	jobs, _ := Plan(Run{}, marks, now)
	if _, err := (&Service{Store: failingStore{st}, Now: at(now.Add(2 * time.Hour))}).Recompute(ctx, jobs[0]); err == nil {
		t.Fatal("a recomputation that could not store succeeded")
	}
	if left, _ := reports(st).Marks(ctx); len(left) != 1 {
		t.Fatalf("a failed recomputation cleared the mark: %v", left)
	}
	hour := now.Truncate(time.Hour)
	for _, c := range []struct {
		at   time.Time
		kept bool
	}{
		{now.Add(5 * time.Minute), true},             // the hour is not over: it is recomputed, not cleared
		{hour.Add(time.Hour + 30*time.Second), true}, // over, but not for Settle yet
		{hour.Add(time.Hour + Settle), false},
	} {
		hours := runKPI(t, st, c.at)
		left, _ := reports(st).Marks(ctx)
		if (len(left) == 1) != c.kept || len(hours) != 1 || hours[0].Complete != !c.at.Before(hour.Add(time.Hour)) {
			t.Errorf("a run at %s: marks %v, hours %+v", c.at.Format(time.TimeOnly), left, hours)
		}
	}
	if got := kpiAt(t, st, Day, "all", "all", now).Clicks; got != 1 {
		t.Errorf("clicks of the day = %d, want 1", got)
	}
}

func randomID(t *testing.T) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestArticleIdsOutsideTheCatalogueCountInOneBucket(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	s := &Service{Store: st, Now: func() time.Time { return now }}
	var batch []Event
	for i := range MaxBatch - 1 {
		batch = append(batch, Event{ID: fmt.Sprintf("rnd-%06d", i), Type: Click, ArticleID: randomID(t), At: now})
	}
	batch = append(batch, ev("real-000001", Click, 1, now))
	if _, err := s.Track(ctx, "mallory", batch); err != nil {
		t.Fatal(err)
	}
	runKPI(t, st, now)
	parts, err := st.Partials(ctx, Hour, []string{now.Format(hourLayout)}, true)
	if err != nil || len(parts) != 1 {
		t.Fatalf("partials: %v %v", parts, err)
	}
	articles := 0
	for slice := range parts[0].Slices {
		if len(slice) > 8 && slice[:8] == "article:" {
			articles++
		}
	}
	if articles != 2 {
		t.Errorf("the partial has %d article slices, want 2 (the real one and unknown)", articles)
	}
	if c := parts[0].Slices["article:"+Unknown]; c.Clicks != MaxBatch-1 || c.Clickers != 1 {
		t.Errorf("the unknown bucket = %+v", c)
	}
	if c := parts[0].Slices["article:"+art(1)]; c.Clicks != 1 {
		t.Errorf("the real article = %+v", c)
	}
	if c := parts[0].Slices["all"]; c.Clicks != MaxBatch {
		t.Errorf("all = %+v, want every click", c)
	}
}

// TestAPartialOfTenTimesAHeavyDayIsStoredAndReadWhole: a heavy shard-day of
// a big app touches ~2,000 distinct catalogue articles; ten times that, with
// numbers at their widest, must store (no item over 400 KB) and read back.
func TestAPartialOfTenTimesAHeavyDayIsStoredAndReadWhole(t *testing.T) {
	ctx := context.Background()
	st := NewDynamoStore(dynamotest.Table(t, "events"))
	const articles = 20000
	wide := int64(1) << 62
	p := Partial{Granularity: Day, Period: now.Format(dayLayout), Shard: 7, ComputedAt: now, Slices: map[string]Counts{
		"all": {Impressions: wide}, "category:sports": {Clicks: wide}}}
	for i := range articles {
		p.Slices["article:"+art(i)] = Counts{wide, wide, wide, wide, wide, wide, wide, wide, 0, 0}
	}
	for range 2 { // replacing it too
		if _, err := st.PutPartial(ctx, p); err != nil {
			t.Fatalf("store a partial of %d articles: %v", articles, err)
		}
	}
	parts, err := st.Partials(ctx, Day, []string{p.Period}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Counts{}
	for _, q := range parts {
		for k, c := range q.Slices {
			got[k] = c
		}
	}
	if len(got) != len(p.Slices) || got["article:"+art(articles-1)] != p.Slices["article:"+art(articles-1)] || got["all"] != p.Slices["all"] {
		t.Errorf("read back %d slices of %d", len(got), len(p.Slices))
	}
	heads, _ := st.Partials(ctx, Day, []string{p.Period}, false)
	if len(heads) != 1 || len(heads[0].Slices) != 2 {
		t.Errorf("a report without articles read %+v", heads)
	}
}

// TestAReaderReadsTheGenerationItsHeadNamesWhateverReplacesItMeanwhile: a
// KPI read meets recomputations replacing the partial between its read of
// the head and of the article chunks the head names (three of them, as a
// busy worker's retries and the next runs would): it still reads the
// partial it started with, whole, in one pass; the next read reads the
// newest. The replaced chunks are left to the table's time to live, not
// kept for ever.
func TestAReaderReadsTheGenerationItsHeadNamesWhateverReplacesItMeanwhile(t *testing.T) {
	ctx := context.Background()
	table := dynamotest.Table(t, "events")
	st := NewDynamoStore(table)
	partial := func(clicks int64, at time.Time) Partial {
		p := Partial{Granularity: Hour, Period: now.Format(hourLayout), Shard: 4, ComputedAt: at, Slices: map[string]Counts{"all": {Clicks: clicks}}}
		for i := range ArticlesPerChunk + 1 {
			p.Slices["article:"+art(i)] = Counts{Clicks: clicks}
		}
		return p
	}
	first := partial(1, now)
	if _, err := st.PutPartial(ctx, first); err != nil {
		t.Fatal(err)
	}
	var heads []partialItem
	if err := table.Get("pk", partialKey(Hour, first.Period, 4)).All(ctx, &heads); err != nil || len(heads) != 1 {
		t.Fatalf("heads = %+v %v", heads, err)
	}
	for i := range 3 {
		if ok, err := st.PutPartial(ctx, partial(int64(i+2), now.Add(time.Duration(i+1)*time.Minute))); err != nil || !ok {
			t.Fatalf("replacement %d: %v %v", i+1, ok, err)
		}
	}
	got, err := st.partialsOf(ctx, Hour, heads, true)
	if err != nil {
		t.Fatalf("the reader of the replaced head: %v", err)
	}
	if len(got) != 1 || !maps.Equal(got[0].Slices, first.Slices) {
		t.Errorf("the reader of the replaced head read %d partials, want the one it started with (%d slices, 1 click each)", len(got), len(first.Slices))
	}
	parts, err := st.Partials(ctx, Hour, []string{first.Period}, true)
	if err != nil || len(parts) != 1 || !maps.Equal(parts[0].Slices, partial(4, now).Slices) {
		t.Errorf("a later read: %d partials, %v; want the newest", len(parts), err)
	}
	var chunk struct {
		ExpiresAt int64 `dynamo:"expires_at"`
	}
	if err := table.Get("pk", chunkKey(heads[0].PK, heads[0].Gen, 0)).One(ctx, &chunk); err != nil ||
		chunk.ExpiresAt == 0 || chunk.ExpiresAt > now.Add(time.Minute+ReplacedReadable).Unix() {
		t.Errorf("a replaced chunk expires at %d (%v), want within %s of its replacement", chunk.ExpiresAt, err, ReplacedReadable)
	}
}

// TestAPartialWhoseChunkIsGoneIsNotReadInPart: a reader that finds a chunk
// of the generation its head names gone (a read slower than ReplacedReadable)
// answers "unavailable, try again" (a 503 with Retry-After at the route), and
// never returns the partial without those articles.
func TestAPartialWhoseChunkIsGoneIsNotReadInPart(t *testing.T) {
	ctx := context.Background()
	table := dynamotest.Table(t, "events")
	st := NewDynamoStore(table)
	p := Partial{Granularity: Day, Period: now.Format(dayLayout), Shard: 2, ComputedAt: now, Slices: map[string]Counts{"all": {Clicks: 1}}}
	for i := range ArticlesPerChunk + 1 {
		p.Slices["article:"+art(i)] = Counts{Clicks: 1}
	}
	if _, err := st.PutPartial(ctx, p); err != nil {
		t.Fatal(err)
	}
	var head partialItem
	if err := table.Get("pk", partialKey(Day, p.Period, 2)).One(ctx, &head); err != nil || head.Parts != 2 || head.Gen == "" {
		t.Fatalf("head = %+v %v", head, err)
	}
	if err := table.Delete("pk", chunkKey(head.PK, head.Gen, 1)).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if parts, err := st.Partials(ctx, Day, []string{p.Period}, true); err == nil {
		t.Errorf("read %d partials (%d slices) with a chunk gone, want an error", len(parts), len(parts[0].Slices))
	}
	if heads, err := st.Partials(ctx, Day, []string{p.Period}, false); err != nil || len(heads) != 1 {
		t.Errorf("without articles: %v %v", heads, err)
	}
}

func TestOneReaderCountsOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	for i := 1; i <= 3; i++ {
		_ = st.PutArticle(ctx, Article{ID: art(i), Category: "sports", SourceID: "desk"})
	}
	s := &Service{Store: st, Now: func() time.Time { return now }}
	// Mallory: 300 clicks without an impression on article 1, 150
	// impressions and 150 clicks on article 2.
	var burst []Event
	for i := range 300 {
		burst = append(burst, ev(fmt.Sprintf("m-clk-%04d", i), Click, 1, now))
	}
	for i := range 150 {
		burst = append(burst, ev(fmt.Sprintf("m-imp-%04d", i), Impression, 2, now), ev(fmt.Sprintf("m-cl2-%04d", i), Click, 2, now))
	}
	for _, b := range [][]Event{burst[:MaxBatch], burst[MaxBatch:]} {
		if _, err := s.Track(ctx, "mallory", b); err != nil {
			t.Fatal(err)
		}
	}
	runKPI(t, st, now)
	numbers := map[string]ArticleNumbers{}
	parts, _ := st.Partials(ctx, Day, []string{now.Format(dayLayout)}, true)
	for _, p := range parts {
		for _, n := range RankingNumbers(p) {
			numbers[n.ID] = n
		}
	}
	if n := numbers[art(1)]; n.Impressions != 0 || n.Clicks != 0 {
		t.Errorf("clicks without an impression ranked as %+v, want nothing", n)
	}
	if n := numbers[art(2)]; n.Impressions != 1 || n.Clicks != 1 {
		t.Errorf("one reader's 150 impressions and clicks ranked as %+v, want one reader", n)
	}
	if c := kpiAt(t, st, Hour, "article", art(1), now); c.Clicks != 300 || c.Clickers != 1 {
		t.Errorf("the report of article 1 = %+v, want the raw 300 clicks of 1 clicker", c)
	}
	if rows, _ := reports(st).Trending(ctx, now.Truncate(time.Hour)); len(rows) != 0 {
		t.Errorf("one reader made %v trending", rows)
	}
	for u := range TrendingReaders {
		if _, err := s.Track(ctx, fmt.Sprintf("reader-%d", u), []Event{ev("r-clk-0001", Click, 3, now)}); err != nil {
			t.Fatal(err)
		}
	}
	runKPI(t, st, now)
	if rows, _ := reports(st).Trending(ctx, now.Truncate(time.Hour)); len(rows) != 1 || rows[0].Key != art(3) {
		t.Errorf("%d distinct readers' clicks: trending %v, want article 3", TrendingReaders, rows)
	}
}

// TestMarksAreBoundedByHoursAndShards: a batch spread over the whole week it
// may cover leaves one mark per hour at most, and sending it again adds none.
func TestMarksAreBoundedByHoursAndShards(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	s := &Service{Store: st, Now: func() time.Time { return now }}
	var batch []Event
	for i := range MaxBatch {
		at := now.Add(-time.Duration(i) * (MaxAge - time.Minute) / MaxBatch)
		batch = append(batch, Event{ID: fmt.Sprintf("week-%04d", i), Type: Impression, ArticleID: randomID(t), At: at})
	}
	for range 2 {
		if _, err := s.Track(ctx, "mallory", batch); err != nil {
			t.Fatal(err)
		}
	}
	marks, err := reports(st).Marks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if limit := int(MaxAge/time.Hour) + 1; len(marks) > limit || len(marks) < limit-1 {
		t.Errorf("a week's batch left %d marks, want one per hour (%d)", len(marks), limit)
	}
	jobs, _ := Plan(Run{}, marks, now)
	if len(jobs) > 8 {
		t.Errorf("%d day jobs for one shard's week", len(jobs))
	}
	runKPI(t, st, now.Add(2*time.Hour))
	if left, _ := reports(st).Marks(ctx); len(left) != 0 {
		t.Errorf("%d marks left after the run", len(left))
	}
	if got := kpiAt(t, st, Day, "all", "all", now.Add(-3*24*time.Hour)).Impressions; got == 0 {
		t.Error("the week's events were not counted")
	}
}

package feed

import (
	"fmt"
	"math"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func id(n int) string { return fmt.Sprintf("%032x", n) }

func art(n int, cat, source string, age time.Duration) Article {
	return Article{ID: id(n), URL: "https://news.example/" + id(n), Title: fmt.Sprintf("Story %d", n), SourceID: source,
		Category: cat, Story: id(n), PublishedAt: now.Add(-age), SourceWeight: 1}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSmoothedCTRWorkedNumbers(t *testing.T) {
	for _, c := range []struct {
		s    Stats
		want float64
	}{
		{Stats{0, 0, 0}, 0.05},              // no data: the prior
		{Stats{1, 1, 0}, 0.05},              // one reader moves nothing: the prior
		{Stats{2, 2, 0}, 0.05},              // nor do two
		{Stats{3, 1, 0}, 2.0 / 23},          // three readers and one click ≈ 0.087
		{Stats{3, 3, 0}, 4.0 / 23},          // 3 of 3 is ≈ 0.17, not 1
		{Stats{10, 0, 0}, 1.0 / 30},         // 0 of 10 sinks below the prior
		{Stats{1000, 100, 0}, 101.0 / 1020}, // enough data: close to the raw 0.1
		{Stats{100000, 5000, 0}, 5001.0 / 100020},
		{Stats{0, 3, 0}, 4.0 / 23}, // clicks without impressions count as seen
		{Stats{0, 2, 0}, 0.05},     // … and two of them are still too few readers
		{Stats{-5, -1, 0}, 0.05},   // nonsense counts are the prior
	} {
		if got := SmoothedCTR(c.s); !near(got, c.want) {
			t.Errorf("SmoothedCTR(%+v) = %v, want %v", c.s, got, c.want)
		}
	}
	// One install that viewed and clicked on each of seven days is seven
	// impressions but one reader a day: still the prior.
	if got := SmoothedCTR(Stats{Impressions: 7, Clicks: 7, DayReaders: 1}); got != PriorCTR {
		t.Errorf("one reader over seven days scores %v, want the prior", got)
	}
	if got := SmoothedCTR(Stats{Impressions: 7, Clicks: 7, DayReaders: 3}); !near(got, 8.0/27) {
		t.Errorf("three readers on one day score %v, want 8/27", got)
	}
	if SmoothedCTR(Stats{3, 1, 0}) >= SmoothedCTR(Stats{1000, 150, 0}) {
		t.Error("one lucky click outranks a proven 15% click-through rate")
	}
}

func TestDecayWorkedNumbers(t *testing.T) {
	for _, c := range []struct {
		age  time.Duration
		want float64
	}{
		{0, 1}, {-time.Hour, 1}, {12 * time.Hour, 0.5}, {24 * time.Hour, 0.25}, {6 * time.Hour, math.Sqrt(0.5)},
	} {
		if got := Decay(c.age); !near(got, c.want) {
			t.Errorf("Decay(%v) = %v, want %v", c.age, got, c.want)
		}
	}
	// 0.05 × 0.5 × 2 = 0.05: a 12-hour-old article of a weight-2 source
	// scores like a brand-new one of a weight-1 source.
	a := art(1, "tech", "s", 12*time.Hour)
	a.SourceWeight = 2
	if got := Score(a, Stats{}, now); !near(got, 0.05) {
		t.Errorf("Score = %v, want 0.05", got)
	}
	a.SourceWeight = 0 // unset counts as 1
	if got := Score(a, Stats{}, now); !near(got, 0.025) {
		t.Errorf("Score with unset weight = %v, want 0.025", got)
	}
}

func TestRankOrdersPinnedFirstDropsHiddenAndOld(t *testing.T) {
	a, b, c, d, e := art(1, "tech", "s1", time.Hour), art(2, "tech", "s2", 2*time.Hour), art(3, "tech", "s3", 3*time.Hour),
		art(4, "tech", "s4", time.Hour), art(5, "tech", "s5", 80*time.Hour)
	c.Pinned = true
	d.Hidden = true
	got := Rank([]Article{a, b, c, d, e}, nil, now)
	ids := []string{}
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	want := []string{id(3), id(1), id(2)}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v (pinned first, then newer; hidden and out-of-window dropped)", ids, want)
	}
	if got[0].Reason != ReasonPinned || got[1].Reason != ReasonFresh {
		t.Errorf("reasons %q %q", got[0].Reason, got[1].Reason)
	}
	// Clicks move an older article above a newer one.
	stats := map[string]Stats{id(2): {Impressions: 100, Clicks: 30}, id(1): {Impressions: 100, Clicks: 1}}
	got = Rank([]Article{a, b}, stats, now)
	if got[0].ID != id(2) {
		t.Errorf("the clicked article is not first: %v then %v", got[0].ID, got[1].ID)
	}
}

func TestDiversifyCapsRunsOfOneSource(t *testing.T) {
	var list []Article
	for i := range 6 { // six strong items from one source, then two from others
		list = append(list, art(i, "tech", "loud", time.Duration(i)*time.Minute))
	}
	list = append(list, art(10, "tech", "quiet", 5*time.Hour), art(11, "tech", "other", 6*time.Hour))
	got := Rank(list, nil, now)
	if len(got) != len(list) {
		t.Fatalf("diversity lost items: %d of %d", len(got), len(list))
	}
	runSource := 1
	for i := 1; i < len(got); i++ {
		if got[i].SourceID == got[i-1].SourceID {
			runSource++
		} else {
			runSource = 1
		}
		// Once the other sources are used up, the rule must give way.
		others := false
		for _, r := range got[i:] {
			others = others || r.SourceID != "loud"
		}
		if runSource > MaxConsecutive && others {
			t.Fatalf("run of %d (source) at %d: %+v", runSource, i, got)
		}
	}
}

func TestRankAllRanksEachCategoryOnItsOwn(t *testing.T) {
	list := []Article{art(1, "tech", "a", time.Hour), art(2, "sports", "b", 2*time.Hour), art(3, "sports", "c", 3*time.Hour)}
	got := RankAll(list, nil, now)
	if len(got[Top]) != 3 || len(got["sports"]) != 2 || len(got["tech"]) != 1 {
		t.Fatalf("feeds: top %d sports %d tech %d", len(got[Top]), len(got["sports"]), len(got["tech"]))
	}
}

func TestOneReaderIsWithinTheHoldAndTwoAreNot(t *testing.T) {
	p := DefaultParams()
	base := Stats{Impressions: 10, Clicks: 2, DayReaders: 10}
	prev := p.SmoothedCTR(base)
	one := Stats{Impressions: 11, Clicks: 3, DayReaders: 11}
	if got := p.Hold(one, 1, prev); got != prev {
		t.Errorf("one clicking reader moved the CTR from %v to %v", prev, got)
	}
	two := Stats{Impressions: 12, Clicks: 4, DayReaders: 12}
	if got := p.Hold(two, 1, prev); got == prev {
		t.Error("two clicking readers are held")
	}
	// One reader opening all three versions of a story adds three clicks.
	three := Stats{Impressions: 13, Clicks: 5, DayReaders: 11}
	if got := p.Hold(three, 3, prev); got != prev {
		t.Errorf("one reader of three versions moved the story from %v to %v", prev, got)
	}
	// Across the MinReaders cliff: the third reader is held at the prior.
	if got := p.Hold(Stats{Impressions: 3, Clicks: 2, DayReaders: 3}, 1, PriorCTR); got != PriorCTR {
		t.Errorf("the third reader lifted a story off the prior: %v", got)
	}
}

package tracking

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/experiment"
)

func TestTheStatisticsMatchTheirTextbookValues(t *testing.T) {
	for _, c := range []struct{ x, k, p float64 }{
		{3.841458820694124, 1, 0.05}, {10.827566170662733, 1, 0.001}, {5.991464547107979, 2, 0.05},
		{0, 1, 1}, {1, 1, 0.31731050786291404}, {30, 3, 1.3800570312932e-06},
	} {
		if got := chiSquareSurvival(c.x, c.k); math.Abs(got-c.p) > 1e-6*max(1, c.p*1000) {
			t.Errorf("P(chi2(%v) ≥ %v) = %v, want %v", c.k, c.x, got, c.p)
		}
	}
	w := wilson(50, 100)
	if math.Abs(w.Low-0.4038) > 1e-4 || math.Abs(w.High-0.5962) > 1e-4 || w.Value != 0.5 {
		t.Errorf("Wilson 50/100 = %+v, want 0.5 in [0.4038, 0.5962]", w)
	}
	if w := wilson(0, 10); w.Low != 0 || math.Abs(w.High-0.2775) > 1e-4 {
		t.Errorf("Wilson 0/10 = %+v, want [0, 0.2775]", w)
	}
	if e := wilson(1, 0); e != (Estimate{}) {
		t.Errorf("no trials: %+v", e)
	}
}

// userIn finds n user ids assigned to the variant.
func usersIn(t *testing.T, e experiment.Experiment, variant string, n int) []string {
	var out []string
	for i := 0; len(out) < n && i < 100000; i++ {
		u := fmt.Sprintf("%032x", 1<<50+i)
		if e.Assign(u).Name == variant {
			out = append(out, u)
		}
	}
	if len(out) < n {
		t.Fatalf("not enough users in %s", variant)
	}
	return out
}

// Readers of two variants, on two days: every accepted event carries its
// user's variant, and the report gives each variant its user-days, reader
// CTR, reads and next-day retention with intervals, the lift against
// control, and flags a split that does not match the declared shares.
func TestAnExperimentsVariantsAreCountedFromTaggedEvents(t *testing.T) {
	for name, newStore := range map[string]func(t *testing.T) Store{
		"memory": func(*testing.T) Store { return NewMemoryStore() },
		"dynamo": func(t *testing.T) Store { return NewDynamoStore(dynamotest.Table(t, "events")) },
	} {
		t.Run(name, func(t *testing.T) {
			e, ok := experiment.Find("feed-freshness")
			if !ok || !e.Active(now.Add(-24*time.Hour)) {
				t.Skip("feed-freshness is not running at the tests' clock")
			}
			ctx := context.Background()
			st := newStore(t)
			_ = st.PutArticle(ctx, Article{ID: art(1), Category: "tech", SourceID: "desk"})
			s := &Service{Store: st, Now: at(now)}
			day1, day2 := now.Add(-26*time.Hour), now.Add(-2*time.Hour)
			control, fresher := usersIn(t, e, "control", 10), usersIn(t, e, "fresher", 10)
			send := func(u string, at time.Time, click bool, reads int) {
				evs := []Event{ev(fmt.Sprintf("i-%s-%d", u[24:], at.Unix()), Impression, 1, at)}
				if click {
					evs = append(evs, ev(fmt.Sprintf("c-%s-%d", u[24:], at.Unix()), Click, 1, at))
				}
				for r := range reads {
					evs = append(evs, ev(fmt.Sprintf("r%d-%s-%d", r, u[24:], at.Unix()), Read, 1, at))
				}
				if _, err := s.Track(ctx, u, evs); err != nil {
					t.Fatal(err)
				}
			}
			// Day 1: all 20 readers; control clicks 2 of 10, fresher 6 of 10.
			// Day 2: 5 control and 8 fresher readers come back.
			for i, u := range control {
				send(u, day1, i < 2, 1)
				if i < 5 {
					send(u, day2, false, 0)
				}
			}
			for i, u := range fresher {
				send(u, day1, i < 6, 2)
				if i < 8 {
					send(u, day2, true, 0)
				}
			}
			stored, err := st.EventsOf(ctx, day1.Truncate(time.Hour), ShardOf(fresher[0]), now)
			if err != nil || len(stored) == 0 {
				t.Fatalf("events of a fresher reader: %v %v", stored, err)
			}
			for _, x := range stored {
				if x.UserID == fresher[0] && (len(x.Variants) != 1 || x.Variants[0] != "feed-freshness=fresher") {
					t.Fatalf("a stored event carries %v, want its user's variant", x.Variants)
				}
			}
			runKPI(t, st, now)
			reports, err := s.Experiments(ctx, day1, day2)
			if err != nil || len(reports) != 1 {
				t.Fatalf("reports %+v %v", reports, err)
			}
			r := reports[0]
			c, f := r.Variants[0], r.Variants[1]
			if c.Name != "control" || f.Name != "fresher" || c.UserDays != 15 || f.UserDays != 18 {
				t.Fatalf("user-days control %d fresher %d, want 15 and 18: %+v", c.UserDays, f.UserDays, r)
			}
			if c.ReaderCTR.Value != 2.0/15 || f.ReaderCTR.Value != 14.0/18 {
				t.Errorf("reader CTR control %v fresher %v, want 2/15 and 14/18", c.ReaderCTR.Value, f.ReaderCTR.Value)
			}
			if c.Retention.Value != 0.5 || f.Retention.Value != 0.8 || c.Returning != 5 || f.Returning != 8 {
				t.Errorf("retention control %+v (%d) fresher %+v (%d), want 5/10 and 8/10", c.Retention, c.Returning, f.Retention, f.Returning)
			}
			if c.ReadsPer.Value != 10.0/15 || f.ReadsPer.Value != 20.0/18 {
				t.Errorf("reads per user-day control %v fresher %v", c.ReadsPer.Value, f.ReadsPer.Value)
			}
			if f.CTRLift.Low <= 0 || c.CTRLift != (Estimate{}) {
				t.Errorf("the lift of 0.64 has interval %+v; control's %+v", f.CTRLift, c.CTRLift)
			}
			for _, v := range r.Variants {
				for _, est := range []Estimate{v.ReaderCTR, v.Retention, v.ReadsPer} {
					if est.Low > est.Value || est.High < est.Value {
						t.Errorf("%s: interval %+v does not hold its value", v.Name, est)
					}
				}
			}
			if r.SRM.Mismatch {
				t.Errorf("15 against 18 user-days is no mismatch: %+v", r.SRM)
			}
		})
	}
}

func TestASplitFarFromItsSharesIsFlagged(t *testing.T) {
	if c := srm([]float64{5000, 5100}, []float64{0.5, 0.5}); c.Mismatch {
		t.Errorf("5000 / 5100 flagged: %+v", c)
	}
	if c := srm([]float64{5000, 5600}, []float64{0.5, 0.5}); !c.Mismatch || c.P > 0.001 {
		t.Errorf("5000 / 5600 not flagged: %+v", c)
	}
}

func TestAnExperimentReportRefusesABadRange(t *testing.T) {
	s := reports(NewMemoryStore())
	if _, err := s.Experiments(context.Background(), now, now.Add(-48*time.Hour)); err == nil {
		t.Error("to before from is accepted")
	}
	if _, err := s.Experiments(context.Background(), now.Add(-200*24*time.Hour), now); err == nil {
		t.Error("200 days are accepted")
	}
}

// The lift's interval keeps a width at the extremes (the Wald interval was
// [0, 0] for 0 of 22 against 0 of 28, and [−1, −1] for one viewer-day), and
// one install's 500 reads move reading user-days by one.
func TestTheLiftIntervalNeverCollapsesAndReadingCountsReadersOnce(t *testing.T) {
	for _, c := range []struct{ k1, n1, k0, n0 int64 }{{0, 22, 0, 28}, {0, 1, 1, 1}, {28, 28, 22, 22}} {
		e := diffOfProportions(c.k1, c.n1, c.k0, c.n0)
		if e.High-e.Low < 0.05 || e.Low < -1 || e.High > 1 || e.Low > e.Value || e.High < e.Value {
			t.Errorf("%d/%d − %d/%d: %+v", c.k1, c.n1, c.k0, c.n0, e)
		}
	}
	// Newcombe's worked example (Newcombe 1998, method 10): 56/70 − 48/80 = 0.2, [0.0524, 0.3339].
	if e := diffOfProportions(56, 70, 48, 80); math.Abs(e.Low-0.0524) > 5e-4 || math.Abs(e.High-0.3339) > 5e-4 {
		t.Errorf("56/70 − 48/80: %+v, want [0.0524, 0.3339]", e)
	}
	ctx := context.Background()
	st := NewMemoryStore()
	s := &Service{Store: st, Now: at(now)}
	var reads []Event
	for i := range 500 {
		reads = append(reads, ev(fmt.Sprintf("read-%04d", i), Read, 1, now.Add(-time.Hour)))
	}
	if _, err := s.Track(ctx, "greedy", reads); err != nil {
		t.Fatal(err)
	}
	runKPI(t, st, now)
	if c := kpiAt(t, st, Day, "all", "all", now.Add(-time.Hour)); c.Reads != 500 || c.ReadUsers != 1 {
		t.Errorf("500 reads of one install: %d reads, %d reading users; want 500 and 1", c.Reads, c.ReadUsers)
	}
}

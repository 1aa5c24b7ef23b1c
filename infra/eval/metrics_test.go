package eval

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.15f, want %.15f", what, got, want)
	}
}

func TestAUCCountsTiesAsOneHalf(t *testing.T) {
	// Clicked 0.9 vs unclicked 0.9: ½; vs 0.1: 1. Clicked 0.5 vs 0.9: 0; vs 0.1: 1. (½+1+0+1)/4.
	auc, ok := AUC([]bool{true, false, true, false}, []float64{0.9, 0.9, 0.5, 0.1})
	if !ok {
		t.Fatal("AUC of an impression with clicks and non-clicks is defined")
	}
	near(t, "AUC", auc, 0.625)

	for _, c := range []struct {
		name   string
		labels []bool
		scores []float64
		want   float64
	}{
		{"every score tied is a coin toss", []bool{true, false, false}, []float64{1, 1, 1}, 0.5},
		{"the clicks on top is 1", []bool{true, true, false}, []float64{3, 2, 1}, 1},
		{"the clicks at the bottom is 0", []bool{false, true, true}, []float64{3, 2, 1}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _ := AUC(c.labels, c.scores)
			near(t, "AUC", got, c.want)
		})
	}
	if _, ok := AUC([]bool{true, true}, []float64{1, 2}); ok {
		t.Error("AUC of an impression without a non-click is undefined, got ok")
	}
	if _, ok := AUC([]bool{false, false}, []float64{1, 2}); ok {
		t.Error("AUC of an impression without a click is undefined, got ok")
	}
}

func TestMRRAveragesTheReciprocalRanksOfEveryClickAsMINDDoes(t *testing.T) {
	// Clicks ranked 2nd and 4th: (1/2 + 1/4) / 2.
	near(t, "MRR", MRR([]bool{false, true, false, true}, []float64{4, 3, 2, 1}), 0.375)
	near(t, "MRR of one click on top", MRR([]bool{true, false}, []float64{2, 1}), 1)
}

func TestNDCGIsOneForTheIdealOrderAndDiscountsByLog2OfTheRank(t *testing.T) {
	labels := []bool{false, true, false, true}
	near(t, "nDCG@10 of the ideal order", NDCG(labels, []float64{1, 4, 2, 3}, 10), 1)
	// Clicks at ranks 2 and 4: (1/log2 3 + 1/log2 5) over the ideal 1 + 1/log2 3.
	near(t, "nDCG@10", NDCG(labels, []float64{4, 3, 2, 1}, 10), (1/math.Log2(3)+1/math.Log2(5))/(1+1/math.Log2(3)))
	// @2 sees only the click at rank 2.
	near(t, "nDCG@2", NDCG(labels, []float64{4, 3, 2, 1}, 2), (1/math.Log2(3))/(1+1/math.Log2(3)))
	near(t, "nDCG without a click", NDCG([]bool{false, false}, []float64{1, 2}, 10), 0)
}

// Two candidates A and B; the logging policy shows A,B with probability 0.7
// and B,A with 0.3 (so the propensities are not uniform); a reader looks at
// place 1 always and place 2 half the time, and clicks A with probability 0.4
// and B 0.2 when they look. The ranker to evaluate shows B then A: its true
// value is 1·0.2 + 0.5·0.4 = 0.4 clicks, 0.2 in the first place alone. The
// IPS estimate's expectation over every log is computed exactly.
func TestIPSIsUnbiasedOnATinyLogWhoseAnswerIsKnownExactly(t *testing.T) {
	look := []float64{1, 0.5}
	click := map[string]float64{"A": 0.4, "B": 0.2}
	rankOf := map[string]int{"B": 0, "A": 1}
	for k, want := range map[int]float64{2: 0.4, 1: 0.2} {
		expect := 0.0
		for _, logged := range []struct {
			order []string
			p     float64
		}{{[]string{"A", "B"}, 0.7}, {[]string{"B", "A"}, 0.3}} {
			// Every click outcome of the two places.
			for outcome := range 4 {
				prob := logged.p
				var l []Logged
				var ranks []int
				for pos, item := range logged.order {
					c := outcome&(1<<pos) != 0
					pc := look[pos] * click[item]
					if c {
						prob *= pc
					} else {
						prob *= 1 - pc
					}
					propensity := logged.p // the item is at pos exactly when this order is logged
					l = append(l, Logged{Position: pos, Propensity: propensity, Clicked: c})
					ranks = append(ranks, rankOf[item])
				}
				expect += prob * IPS(l, ranks, k)
			}
		}
		near(t, "E[IPS]", expect, want)
	}
}

func TestListMetrics(t *testing.T) {
	near(t, "diversity of four categories", IntraListDiversity([]string{"a", "b", "c", "d"}), 1)
	near(t, "diversity of one category", IntraListDiversity([]string{"a", "a", "a"}), 0)
	near(t, "diversity of a,a,b (2 of 3 pairs differ)", IntraListDiversity([]string{"a", "a", "b"}), 2.0/3)
	if n := DuplicateSlots([]string{"s1", "s2", "s1", "s1", "s3"}); n != 2 {
		t.Errorf("a story in three slots wastes two, got %d", n)
	}
	near(t, "novelty of a story nobody read among 7 readers", Novelty(0, 7), 3)
	near(t, "novelty of a story everyone read", Novelty(7, 7), 0)
	if m := Moved([]string{"a", "b", "c"}, []string{"c", "a", "x"}); m != 1 {
		t.Errorf("one slot of three changed, got %d", m)
	}
	near(t, "median of an even list", Median([]float64{4, 1, 3, 2}), 2.5)
	mean, sd := MeanSD([]float64{1, 2, 3})
	near(t, "mean", mean, 2)
	near(t, "sample sd", sd, 1)
}

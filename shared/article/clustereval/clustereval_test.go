package clustereval

import "testing"

func TestTheLabelledSetIsLargeEnoughAndSplitInTwo(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	stories := map[string]int{}
	for _, h := range s.Headlines {
		stories[h.Story]++
	}
	multi := 0
	for _, n := range stories {
		if n >= 2 {
			multi++
		}
	}
	if multi < 80 || len(s.NearMisses) < 40 {
		t.Errorf("%d stories with several headlines and %d near-misses, want at least 80 and 40", multi, len(s.NearMisses))
	}
	tune, held := s.Halves()
	if len(tune.Headlines)+len(held.Headlines) != len(s.Headlines) || len(tune.NearMisses)+len(held.NearMisses) != len(s.NearMisses) {
		t.Fatal("the halves do not partition the set")
	}
	for _, half := range []Set{tune, held} {
		if len(half.Headlines) < len(s.Headlines)/3 || len(half.NearMisses) < len(s.NearMisses)/3 {
			t.Errorf("unbalanced halves: %d/%d headlines, %d/%d near-misses", len(tune.Headlines), len(held.Headlines), len(tune.NearMisses), len(held.NearMisses))
		}
	}
	inTune := map[string]bool{}
	for _, h := range tune.Headlines {
		inTune[h.Story] = true
	}
	for _, h := range held.Headlines {
		if inTune[h.Story] {
			t.Errorf("story %s is in both halves", h.Story)
		}
	}
}

// TestClusteringQuality prints the figures (go test -run TestClusteringQuality
// -v ./shared/article/clustereval) and holds the clustering to them. The aim
// (issue 27) is pairwise precision ≥ 0.95 and recall ≥ 0.9 with every
// near-miss apart. Precision and the near-misses meet it on both halves, and
// recall on the tuning half (0.92); recall does not yet on the held-out half
// (0.89) nor on the fresh sets (0.74, one near-miss merged; fresh2: 0.44,
// precision 0.93, two merged), so for those the test holds the measured
// level: a change that lowers it fails.
func TestClusteringQuality(t *testing.T) {
	r, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.Markdown())
	for _, c := range []struct {
		f                 Figures
		precision, recall float64
		nearMissesMerged  int
	}{
		{r.Tune, 0.95, 0.92, 0},
		{r.HeldOut, 0.95, 0.89, 0},
		{r.Fresh, 0.95, 0.74, 1},
		{r.Fresh2, 0.92, 0.43, 2},
	} {
		f := c.f
		if f.Precision < c.precision || f.Recall < c.recall || f.NearMisses-f.NearMissesApart > c.nearMissesMerged {
			t.Errorf("%s: precision %.3f (want ≥ %.2f), recall %.3f (want ≥ %.2f), near-misses merged %d of %d (want ≤ %d)",
				f.Name, f.Precision, c.precision, f.Recall, c.recall, f.NearMisses-f.NearMissesApart, f.NearMisses, c.nearMissesMerged)
		}
	}
}

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
// -v ./shared/article/clustereval) and holds the clustering to its aim on the
// tuning half: pairwise precision ≥ 0.95, recall ≥ 0.9, every near-miss apart.
func TestClusteringQuality(t *testing.T) {
	r, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.Markdown())
	for _, f := range []Figures{r.Tune} {
		if f.Precision < 0.95 || f.Recall < 0.9 || f.NearMissesApart != f.NearMisses {
			t.Errorf("%s: precision %.3f (want ≥ 0.95), recall %.3f (want ≥ 0.9), near-misses apart %d of %d (want all)",
				f.Name, f.Precision, f.Recall, f.NearMissesApart, f.NearMisses)
		}
	}
}

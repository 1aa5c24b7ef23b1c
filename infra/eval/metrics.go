package eval

import (
	"math"
	"sort"
)

// The per-impression metrics are MIND's (msnews.github.io, the evaluation
// script of the MIND competition): each impression's candidates are scored
// by a ranker and compared with the impression's click labels, and each
// figure is the mean over impressions.

// AUC is the area under the ROC curve of one impression: the probability
// that a clicked candidate scores above an unclicked one, ties counting one
// half (Mann–Whitney, as sklearn's roc_auc_score). ok is false when the
// impression has no clicked or no unclicked candidate (AUC is undefined).
func AUC(labels []bool, scores []float64) (auc float64, ok bool) {
	idx := order(scores)
	// Walk from the lowest score up, giving tied groups their mean rank.
	var pos, neg int
	rankSum := 0.0
	for i := len(idx) - 1; i >= 0; {
		j := i
		for j > 0 && scores[idx[j-1]] == scores[idx[i]] {
			j--
		}
		// ranks (1-based, ascending) of this group: len-i .. len-j
		lo, hi := float64(len(idx)-i), float64(len(idx)-j)
		mean := (lo + hi) / 2
		for k := j; k <= i; k++ {
			if labels[idx[k]] {
				pos++
				rankSum += mean
			} else {
				neg++
			}
		}
		i = j - 1
	}
	if pos == 0 || neg == 0 {
		return 0, false
	}
	return (rankSum - float64(pos*(pos+1))/2) / float64(pos*neg), true
}

// MRR is MIND's mean reciprocal rank of one impression: the reciprocal
// ranks of every clicked candidate, divided by the number of clicks (not
// only the first click's, as the textbook MRR).
func MRR(labels []bool, scores []float64) float64 {
	idx := order(scores)
	sum, clicks := 0.0, 0
	for rank, i := range idx {
		if labels[i] {
			sum += 1 / float64(rank+1)
			clicks++
		}
	}
	if clicks == 0 {
		return 0
	}
	return sum / float64(clicks)
}

// NDCG is MIND's nDCG@k of one impression: gains 2^label − 1 discounted
// by log2(rank + 1), over the ideal order's.
func NDCG(labels []bool, scores []float64, k int) float64 {
	ideal := make([]float64, len(labels))
	for i, l := range labels {
		if l {
			ideal[i] = 1
		}
	}
	best := dcg(labels, ideal, k)
	if best == 0 {
		return 0
	}
	return dcg(labels, scores, k) / best
}

func dcg(labels []bool, scores []float64, k int) float64 {
	sum := 0.0
	for rank, i := range order(scores) {
		if rank >= k {
			break
		}
		if labels[i] {
			sum += 1 / math.Log2(float64(rank)+2) // gain 2^1 − 1 = 1
		}
	}
	return sum
}

// order is the candidates' indices by score, best first; ties keep the
// candidates' order (a stable sort, like numpy's argsort on equal keys).
func order(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// Logged is one displayed candidate of a logged impression, for inverse
// propensity scoring: where it was shown, the probability that the logging
// policy showed it there, and whether it was clicked.
type Logged struct {
	Position   int
	Propensity float64
	Clicked    bool
}

// IPS estimates the clicks a ranker's order of one logged impression would
// get in its first k positions, under the item-position click model (a
// candidate's click depends on the candidate and the position it is shown
// at): Σ clicks · 1[the ranker puts the candidate where it was shown] /
// propensity (Li, Chu, Langford, Wang, "Unbiased offline evaluation of
// contextual-bandit-based news article recommendation algorithms", WSDM
// 2011; the position-based form of Li et al., "Offline evaluation of ranking
// policies with click models", KDD 2018). rankOf gives the ranker's
// position (0-based) of each logged candidate. The mean over impressions is
// unbiased whenever every propensity is known and positive.
func IPS(logged []Logged, rankOf []int, k int) float64 {
	sum := 0.0
	for i, l := range logged {
		if l.Clicked && rankOf[i] == l.Position && l.Position < k && l.Propensity > 0 {
			sum += 1 / l.Propensity
		}
	}
	return sum
}

// Examination is the simulator's position bias: the probability that a
// reader looks at the item in position k (0-based), 1/log2(k+2) — the
// discount nDCG uses.
func Examination(k int) float64 { return 1 / math.Log2(float64(k)+2) }

// IntraListDiversity is the mean pairwise distance of a list: 1 for two
// items of different categories, 0 for the same category.
func IntraListDiversity(cats []string) float64 {
	pairs, diff := 0, 0
	for i := range cats {
		for j := i + 1; j < len(cats); j++ {
			pairs++
			if cats[i] != cats[j] {
				diff++
			}
		}
	}
	if pairs == 0 {
		return 0
	}
	return float64(diff) / float64(pairs)
}

// DuplicateSlots counts the items of a list whose story already appears
// higher up: slots spent on another version of a story the reader has just
// been shown.
func DuplicateSlots(stories []string) int {
	seen := map[string]bool{}
	n := 0
	for _, s := range stories {
		if seen[s] {
			n++
		}
		seen[s] = true
	}
	return n
}

// Novelty is an item's self-information: −log2 of the share of readers who
// have clicked its story, add-one smoothed, so an item nobody read yet is the
// most novel.
func Novelty(storyClickers, readers int) float64 {
	return -math.Log2(float64(storyClickers+1) / float64(readers+1))
}

// Moved is how many of before's items are not in after: the slots of a top
// list that changed.
func Moved(before, after []string) int {
	in := map[string]bool{}
	for _, a := range after {
		in[a] = true
	}
	n := 0
	for _, b := range before {
		if !in[b] {
			n++
		}
	}
	return n
}

// Median of xs (0 for none); xs is reordered.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// MeanSD is the mean and the sample standard deviation of xs.
func MeanSD(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return math.NaN(), 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

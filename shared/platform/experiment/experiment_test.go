package experiment

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"testing"
	"time"
)

func randomUser(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestEveryDeclaredExperimentIsValid(t *testing.T) {
	for _, e := range All {
		if err := e.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestAUsersVariantIsStable(t *testing.T) {
	e := All[0]
	for range 100 {
		u := randomUser(t)
		first := e.Assign(u).Name
		for range 5 {
			if got := e.Assign(u).Name; got != first {
				t.Fatalf("user %s: %s then %s", u, first, got)
			}
		}
	}
}

// Users split by the declared shares, and a user's arm in one experiment
// says nothing of their arm in another (a chi-square test of independence on
// the 2×2 table; 3.84 is the 5% critical value for one degree of freedom,
// 10.83 the 0.1% one used here so the test fails by chance once in a
// thousand runs, not once in twenty). Sequential ids — the worst case for
// `id mod N` schemes — split as well as random ones.
func TestAssignmentFollowsTheSharesAndIsIndependentAcrossExperiments(t *testing.T) {
	a := Experiment{Name: "a", Salt: "1", Start: time.Unix(0, 0), End: time.Unix(1, 0),
		Variants: []Variant{{Name: "x", Weight: 30}, {Name: "y", Weight: 70}}}
	b := Experiment{Name: "b", Salt: "1", Start: time.Unix(0, 0), End: time.Unix(1, 0),
		Variants: []Variant{{Name: "p", Weight: 50}, {Name: "q", Weight: 50}}}
	for _, ids := range []string{"random", "sequential"} {
		const n = 40000
		var table [2][2]float64
		for i := range n {
			u := randomUser(t)
			if ids == "sequential" {
				u = fmt.Sprintf("%032x", i)
			}
			ra, rb := 0, 0
			if a.Assign(u).Name == "y" {
				ra = 1
			}
			if b.Assign(u).Name == "q" {
				rb = 1
			}
			table[ra][rb]++
		}
		share := (table[0][0] + table[0][1]) / n
		// 30% ± 4.5 standard errors (sqrt(0.21/40000) ≈ 0.0023).
		if math.Abs(share-0.3) > 0.0105 {
			t.Errorf("%s ids: %.4f of users in x, want 0.30", ids, share)
		}
		chi := 0.0
		for i := range 2 {
			for j := range 2 {
				row, col := table[i][0]+table[i][1], table[0][j]+table[1][j]
				expected := row * col / n
				chi += (table[i][j] - expected) * (table[i][j] - expected) / expected
			}
		}
		if chi > 10.83 {
			t.Errorf("%s ids: assignments of two experiments are dependent: chi-square %.2f on %v", ids, chi, table)
		}
	}
}

func TestANewSaltIsANewDraw(t *testing.T) {
	e := All[0]
	f := e
	f.Salt = e.Salt + "-rerun"
	same := 0
	const n = 4000
	for range n {
		u := randomUser(t)
		if e.Assign(u).Name == f.Assign(u).Name {
			same++
		}
	}
	// Two independent 50/50 draws agree half the time.
	if share := float64(same) / n; share < 0.45 || share > 0.55 {
		t.Errorf("a new salt kept %.2f of users in their arm, want about 0.5", share)
	}
}

func TestTagsAndParamsFollowTheExperimentsActiveThen(t *testing.T) {
	e := All[0]
	u := randomUser(t)
	if got := Tags(u, e.Start.Add(-time.Second)); len(got) != 0 {
		t.Errorf("before the start: %v", got)
	}
	if got := Tags(u, e.End); len(got) != 0 {
		t.Errorf("at the end: %v", got)
	}
	tags := Tags(u, e.Start)
	if len(tags) != 1 || tags[0] != Tag(e.Name, e.Assign(u).Name) {
		t.Errorf("during: %v", tags)
	}
	params, ptags := Params("feed-", u, e.Start)
	if len(ptags) != 1 || len(params) != len(e.Assign(u).Params) {
		t.Errorf("params %v tags %v for variant %+v", params, ptags, e.Assign(u))
	}
	if _, tags := Params("users-", u, e.Start); len(tags) != 0 {
		t.Errorf("another domain's prefix: %v", tags)
	}
}

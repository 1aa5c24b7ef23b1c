package feed

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/experiment"
)

func TestEveryFeedExperimentSetsKnownParametersWithinTheRankingBudget(t *testing.T) {
	for _, e := range experiment.All {
		for _, at := range []time.Time{e.Start, e.End.Add(-time.Second)} {
			if _, err := feedVariants(at); err != nil {
				t.Errorf("%s at %s: %v", e.Name, at, err)
			}
		}
	}
	if _, err := ParamsFrom(map[string]float64{"half_life": 8}); err == nil {
		t.Error("an unknown parameter name is accepted")
	}
	if _, err := ParamsFrom(map[string]float64{"top_share": 2}); err == nil {
		t.Error("a share over 1 is accepted")
	}
}

// userIn finds a user id assigned to the variant.
func userIn(t *testing.T, e experiment.Experiment, variant string) string {
	for i := range 1000 {
		u := fmt.Sprintf("%032x", 1<<40+i)
		if e.Assign(u).Name == variant {
			return u
		}
	}
	t.Fatalf("no user in %s", variant)
	return ""
}

// The declared feed-freshness experiment: its fresher variant halves scores
// every 8 h, not 12, so a fresh article of a plain source overtakes an older
// one of a favoured source for its readers only; control readers and the
// public feed keep the default order. Each reader's page is one read.
func TestEachVariantsReadersAreServedTheirVariantsRanking(t *testing.T) {
	e, ok := experiment.Find("feed-freshness")
	if !ok || !e.Active(now) {
		t.Skip("no feed-freshness experiment active at the tests' clock")
	}
	s, _ := newMemoryService(t)
	ctx := context.Background()
	older := published(1, "tech", "favoured", 10*time.Hour)
	older.SourceWeight = 1.8 // default: 1.8 × 2^(-10/12) ≈ 1.01 > 2^(-2/12) ≈ 0.89
	newer := published(2, "tech", "plain", 2*time.Hour)
	for _, a := range []events.ArticlePublished{older, newer} {
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	report, err := s.Rank(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if report.Feeds["tech~feed-freshness=fresher"] != 2 || report.Feeds["tech"] != 2 {
		t.Fatalf("ranked feeds %v, want tech for the default and for the fresher variant", report.Feeds)
	}
	first := func(user string) string {
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: user, Interests: []string{"tech"}, At: now}); err != nil {
			t.Fatal(err)
		}
		p, err := s.PersonalFeed(ctx, user, "", "")
		if err != nil || len(p.Items) == 0 {
			t.Fatalf("%s: %+v %v", user, p, err)
		}
		return p.Items[0].ID
	}
	if got := first(userIn(t, e, "control")); got != older.ID {
		t.Errorf("a control reader's feed starts with %s, want the favoured source's %s", got, older.ID)
	}
	if got := first(userIn(t, e, "fresher")); got != newer.ID {
		t.Errorf("a fresher reader's feed starts with %s, want the newer %s", got, newer.ID)
	}
	if p, _ := s.Feed(ctx, "tech", "", ""); p.Items[0].ID != older.ID {
		t.Errorf("the public feed starts with %s, want the default order", p.Items[0].ID)
	}
}

// An experiment that starts between two ranking runs: its variant's readers
// get the default feeds until the next run ranks theirs, not an empty page.
func TestAVariantNotRankedYetIsServedTheDefaultFeed(t *testing.T) {
	e, ok := experiment.Find("feed-freshness")
	if !ok || !e.Active(now) {
		t.Skip("no feed-freshness experiment active at the tests' clock")
	}
	s, _ := newMemoryService(t)
	ctx := context.Background()
	if err := s.OnArticlePublished(ctx, published(1, "tech", "s", time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A run before the experiment: only default feeds.
	before := *s
	before.Now = func() time.Time { return e.Start.Add(-time.Minute) }
	if err := s.OnArticlePublished(ctx, published(2, "tech", "s", time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := before.Rank(ctx); err != nil {
		t.Fatal(err)
	}
	u := userIn(t, e, "fresher")
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: u, Interests: []string{"tech"}, At: now}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PersonalFeed(ctx, u, "", ""); err != nil || len(p.Items) == 0 {
		t.Errorf("a fresher reader before their variant is ranked: %+v %v", p, err)
	}
}

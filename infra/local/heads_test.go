package local_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/feed"
)

// TestFeedCursorsStayOnTheirRunAcrossARankingRunWhicheverHeadCopyTheyCameFrom:
// a public first page reads one of the head's feed.HeadCopies copies, at
// random. Whichever it read, its cursor walks on through the run that page
// came from after a new ranking run, with no story twice; and after the run,
// every first page (every copy) shows the new run.
func TestFeedCursorsStayOnTheirRunAcrossARankingRunWhicheverHeadCopyTheyCameFrom(t *testing.T) {
	rankedFeed(t, "top", 20)
	// First pages of one run: a ranking run the cloud starts meanwhile (the
	// sample news arriving, a schedule) makes a later run's pages; the
	// collection starts again once the cloud is quiet, a few times at most.
	var firsts []feedPage
	var before time.Time
	for attempt := 1; ; attempt++ {
		settle(t)
		firsts = firsts[:0]
		for range 3 * feed.HeadCopies { // every copy, most likely
			p := readFeed(t, "/v1/feed?category=top&limit=7", "")
			if p.NextCursor == "" {
				t.Fatalf("a 7-item first page of top has no cursor: %d items", len(p.Items))
			}
			firsts = append(firsts, p)
		}
		before = firsts[0].RankedAt
		other := slices.IndexFunc(firsts, func(p feedPage) bool { return !p.RankedAt.Equal(before) })
		if other < 0 {
			break
		}
		if attempt == 4 {
			t.Fatalf("first pages of one run differ in four tries: ranked at %s and %s", before, firsts[other].RankedAt)
		}
	}
	runNow(t, "rank-feeds")
	for i, first := range firsts[:feed.HeadCopies] {
		seen := map[string]bool{}
		for _, id := range first.ids() {
			seen[id] = true
		}
		cursor := first.NextCursor
		for cursor != "" {
			p := readFeed(t, "/v1/feed?category=top&limit=7&cursor="+url.QueryEscape(cursor), "")
			if !p.RankedAt.Equal(before) {
				t.Fatalf("walk %d: a page of the run ranked at %s, the walk began on the one at %s", i, p.RankedAt, before)
			}
			for _, id := range p.ids() {
				if seen[id] {
					t.Fatalf("walk %d: %s repeats", i, id)
				}
				seen[id] = true
			}
			cursor = p.NextCursor
		}
	}
	for range 3 * feed.HeadCopies {
		if p := readFeed(t, "/v1/feed?category=top&limit=7", ""); !p.RankedAt.After(before) {
			t.Errorf("a first page after the run is of the run ranked at %s, want a later one", p.RankedAt)
		}
	}
}

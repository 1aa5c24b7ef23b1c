package local_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

// walkStories reads up to pages pages of a feed and fails on a story shown
// twice; it returns the stories in order.
func walkStories(t *testing.T, path, token string, limit, pages int) []string {
	t.Helper()
	var out []string
	seen := map[string]string{}
	cursor := ""
	for n := 0; n < pages; n++ {
		p := readFeed(t, fmt.Sprintf("%s&limit=%d&cursor=%s", path, limit, url.QueryEscape(cursor)), token)
		for _, it := range p.Items {
			if it.Story == "" || it.Versions < 1 || it.Versions != len(it.Also)+1 && len(it.Also) < 5 {
				t.Errorf("%s: item %s has story %q, versions %d, %d listed", path, it.ID, it.Story, it.Versions, len(it.Also))
			}
			if first, ok := seen[it.Story]; ok {
				t.Fatalf("%s: story %s shown twice (%q on an earlier page, %q on page %d)", path, it.Story, first, it.Title, n+1)
			}
			seen[it.Story] = it.Title
			out = append(out, it.Story)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	return out
}

// The sample news covers some stories in several feeds, worded
// differently: each is one item, with the other versions listed, in top, in
// every category feed page after page, and in a personal feed that follows
// both categories of the chipmaker story.
var sampleDuplicates = [][2]string{
	{"Chipmaker opens its largest plant in Europe", "Chipmaker opens largest European plant"}, // tech-daily, business-brief
	{"Leaders agree on a new climate fund at the summit", "Leaders agree new climate fund at summit"},
	{"Election results expected by midnight", "Election results are expected by midnight"},
}

func TestNoStoryIsShownTwiceAndItsVersionsAreListed(t *testing.T) {
	rankedFeed(t, "top", 20)
	walked := map[string]bool{}
	for _, s := range walkStories(t, "/v1/feed?category=top", "", 7, 100) {
		walked[s] = true
	}
	all := readFeed(t, "/v1/feed?category=top&limit=50", "")
	for cursor := all.NextCursor; cursor != ""; {
		p := readFeed(t, "/v1/feed?category=top&limit=50&cursor="+url.QueryEscape(cursor), "")
		all.Items, cursor = append(all.Items, p.Items...), p.NextCursor
	}
	chip := ""
	cats := map[string]bool{}
	for _, pair := range sampleDuplicates {
		found := 0
		for _, it := range all.Items {
			cats[it.Category] = true
			titles := []string{it.Title}
			for _, v := range it.Also {
				titles = append(titles, v.Title)
				cats[v.Category] = true
				if v.ID == "" || v.URL == "" || v.SourceID == "" || v.Title == "" || v.ID == it.ID {
					t.Errorf("a listed version lacks what a reader needs: %+v", v)
				}
			}
			if slices.Contains(titles, pair[0]) || slices.Contains(titles, pair[1]) {
				found++
				if !slices.Contains(titles, pair[0]) || !slices.Contains(titles, pair[1]) || it.Versions != 2 {
					t.Errorf("%q: one item lists %q (%d versions), want both sources' versions", pair[0], titles, it.Versions)
				}
				if pair == sampleDuplicates[0] {
					chip = it.Story
				}
			}
		}
		if found != 1 {
			t.Errorf("%q is %d items of top, want 1", pair[0], found)
		}
	}
	if len(walked) != len(all.Items) {
		t.Errorf("walking top by 7 showed %d stories, by 50 %d", len(walked), len(all.Items))
	}
	for c := range cats {
		walkStories(t, "/v1/feed?category="+c, "", 3, 3)
	}
	reader := register(t)
	if status, body := admin(t, "PUT", "/v1/users/me/interests", reader.Token, "application/json",
		`{"categories":["tech","business"]}`); status != 200 {
		t.Fatalf("interests: %d %s", status, body)
	}
	var mine []string
	eventually(t, "a personal feed", func() bool {
		mine = walkStories(t, "/v1/feed/me?x=1", reader.Token, 5, 40)
		return len(mine) > 0
	})
	if chip != "" && !slices.Contains(mine, chip) {
		t.Errorf("the chipmaker story is not in a tech and business reader's feed")
	}
}

// Readers who click a world story's secondary version (the one that does
// not lead it) move the story to the top of the world feed.
func TestAClickOnASecondaryVersionMovesTheStory(t *testing.T) {
	world := rankedFeed(t, "world", 3)
	var story, secondary string
	for _, it := range world.Items[1:] { // the lowest-ranked story with another version
		if len(it.Also) > 0 {
			story, secondary = it.Story, it.Also[0].ID
		}
	}
	if story == "" {
		t.Fatalf("no world story past the first with another version: %v", world.ids())
	}
	first := world.Items[0].ID
	// Eight readers see the world feed's first item and the secondary
	// version, and click the secondary version only. Two hours ago, so they
	// count for ranking without making it trending this hour.
	at := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	for r := range 8 {
		batch := []map[string]any{
			{"id": fmt.Sprintf("story-imp-%04d", r), "type": "impression", "article_id": secondary, "at": at},
			{"id": fmt.Sprintf("story-clk-%04d", r), "type": "click", "article_id": secondary, "at": at},
			{"id": fmt.Sprintf("story-top-%04d", r), "type": "impression", "article_id": first, "at": at}}
		if status, out := postEvents(t, register(t).Token, batch); status != 202 {
			t.Fatalf("events: %d %v", status, out)
		}
	}
	eventuallyLong(t, "the story to lead the world feed", 60*time.Second, func() { runKPI(t, ""); runNow(t, "rank-feeds") }, func() bool {
		for _, it := range readFeed(t, "/v1/feed?category=world&limit=50", "").Items {
			if it.Reason == "pinned" {
				continue
			}
			return it.Story == story
		}
		return false
	})
}

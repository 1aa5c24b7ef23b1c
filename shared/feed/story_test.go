package feed

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// version is an article of story n from source, published age ago.
func version(n, story int, cat, source string, age time.Duration) Article {
	a := art(n, cat, source, age)
	a.Story = id(story)
	a.Title = fmt.Sprintf("Story %d as %s tells it", story, source)
	return a
}

func storyIDs(list []Ranked) []string {
	var out []string
	for _, r := range list {
		out = append(out, r.StoryID())
	}
	return out
}

func TestAStoryIsOneItemLedByItsBestVersion(t *testing.T) {
	wire := version(1, 100, "business", "wire", time.Hour)
	daily := version(2, 100, "tech", "tech-daily", 2*time.Hour)
	daily.SourceWeight = 3 // the editor's favourite source leads, though older
	brief := version(3, 100, "business", "brief", 30*time.Minute)
	other := art(4, "tech", "other", time.Hour)
	got := Rank([]Article{wire, daily, brief, other}, nil, now)
	if len(got) != 2 {
		t.Fatalf("%d items for two stories: %v", len(got), storyIDs(got))
	}
	s := got[0]
	if s.ID != daily.ID || s.StoryID() != id(100) {
		t.Fatalf("lead %s of story %s, want %s of %s", s.ID, s.StoryID(), daily.ID, id(100))
	}
	if s.Versions != 3 || len(s.Also) != 2 || !slices.Equal(s.Categories, []string{"business", "tech"}) {
		t.Fatalf("versions %d, also %+v, categories %v", s.Versions, s.Also, s.Categories)
	}
	for _, v := range s.Also {
		if v.ID == s.ID || v.URL == "" || v.SourceID == "" || v.Title == "" {
			t.Errorf("a listed version is the lead or lacks what a reader needs: %+v", v)
		}
	}
	// The story is as fresh as its newest version (brief, 30 minutes).
	if want := PriorCTR * Decay(30*time.Minute) * 3; !near(s.Score, want) {
		t.Errorf("story score %v, want %v", s.Score, want)
	}
	if got[1].Versions != 0 || len(got[1].Also) != 0 {
		t.Errorf("a story of one lists versions: %+v", got[1])
	}
}

func TestAClickOnAnyVersionMovesTheStory(t *testing.T) {
	a1, a2 := version(1, 100, "tech", "s1", time.Hour), version(2, 100, "tech", "s2", time.Hour)
	b := version(3, 200, "tech", "s3", 30*time.Minute) // newer: first without clicks
	if got := Rank([]Article{a1, a2, b}, nil, now); got[0].StoryID() != id(200) {
		t.Fatalf("without clicks the newer story should lead: %v", storyIDs(got))
	}
	// Readers click the story's secondary version, not its lead.
	stats := map[string]Stats{a2.ID: {Impressions: 50, Clicks: 20, DayReaders: 50}}
	got := Rank([]Article{a1, a2, b}, stats, now)
	if got[0].StoryID() != id(100) {
		t.Fatalf("clicks on a secondary version did not move its story: %v", storyIDs(got))
	}
}

func TestOneInstallOpeningEveryVersionIsStillOneReader(t *testing.T) {
	var list []Article
	stats := map[string]Stats{}
	for i := range 5 { // one install saw and clicked all five versions
		a := version(i+1, 100, "tech", fmt.Sprintf("s%d", i), time.Hour)
		list = append(list, a)
		stats[a.ID] = Stats{Impressions: 1, Clicks: 1, DayReaders: 1}
	}
	got := Rank(list, stats, now)
	if len(got) != 1 || !near(got[0].Score, PriorCTR*Decay(time.Hour)) {
		t.Fatalf("one reader of five versions moved the story: %+v", got)
	}
}

func TestAnEditorsPinOrLeadLeadsTheStoryAndAHiddenVersionLeavesIt(t *testing.T) {
	best := version(1, 100, "tech", "best", time.Hour)
	best.SourceWeight = 5
	chosen := version(2, 100, "tech", "chosen", 3*time.Hour)
	chosen.Lead = true
	pinned := version(3, 100, "tech", "pinned", 5*time.Hour)
	if got := Rank([]Article{best, chosen}, nil, now); got[0].ID != chosen.ID {
		t.Errorf("the editor's lead does not lead: %s", got[0].ID)
	}
	pinned.Pinned = true
	got := Rank([]Article{best, chosen, pinned}, nil, now)
	if got[0].ID != pinned.ID || got[0].Reason != ReasonPinned {
		t.Errorf("a pinned version does not lead its pinned story: %s (%s)", got[0].ID, got[0].Reason)
	}
	chosen.Hidden, pinned.Hidden = true, true
	got = Rank([]Article{best, chosen, pinned}, nil, now)
	if len(got) != 1 || got[0].ID != best.ID || got[0].Versions != 0 || len(got[0].Also) != 0 {
		t.Errorf("hidden versions are still shown: %+v", got)
	}
}

func TestAStoryInTwoCategoriesIsOneItemInEachFeedLedByThatCategorysVersion(t *testing.T) {
	tech := version(1, 100, "tech", "tech-daily", time.Hour)
	tech.SourceWeight = 2
	biz := version(2, 100, "business", "business-brief", time.Hour)
	feeds := RankAll([]Article{tech, biz, art(3, "sports", "x", time.Hour)}, nil, now)
	if len(feeds[Top]) != 2 || feeds[Top][0].ID != tech.ID {
		t.Fatalf("top: %+v", feeds[Top])
	}
	if len(feeds["tech"]) != 1 || feeds["tech"][0].ID != tech.ID || len(feeds["business"]) != 1 || feeds["business"][0].ID != biz.ID {
		t.Fatalf("category feeds: tech %+v business %+v", feeds["tech"], feeds["business"])
	}
	if b := feeds["business"][0]; b.StoryID() != id(100) || len(b.Also) != 1 || b.Also[0].ID != tech.ID {
		t.Errorf("the business feed's item does not list the tech version: %+v", b)
	}
}

// Worst case: every version with the longest title of 4-byte characters and
// the longest URLs ingestion accepts. A chunk of stories still fits one
// DynamoDB item (400 KB) with room.
func TestAChunkOfTheLargestStoriesFitsOneItem(t *testing.T) {
	long := strings.Repeat("𝕏", 300)
	url := "https://news.example/" + strings.Repeat("a", 2048-21)
	var list []Article
	for s := range ChunkSize {
		for v := range 8 {
			a := version(s*10+v+1, 1000+s, "tech", fmt.Sprintf("source-%d", v), time.Hour)
			a.Title, a.URL, a.ImageURL = long, url, url
			list = append(list, a)
		}
	}
	ranked := Rank(list, nil, now)
	if len(ranked) != ChunkSize {
		t.Fatalf("%d stories, want %d", len(ranked), ChunkSize)
	}
	for _, r := range ranked {
		if n := itemSize(r); n > ItemBudget {
			t.Fatalf("an item takes %d bytes, over the budget of %d", n, ItemBudget)
		}
		if r.Versions != 8 {
			t.Fatalf("versions %d, want 8 (counted even when not listed)", r.Versions)
		}
	}
	b, err := json.Marshal(Chunks("tech", RunID(now), now, ranked)[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 380_000 {
		t.Errorf("a chunk takes %d bytes; DynamoDB's item limit is 400 KB", len(b))
	}
	// Ordinary stories list every version up to MaxAlso.
	var small []Article
	for v := range 8 {
		small = append(small, version(v+1, 100, "tech", fmt.Sprintf("s%d", v), time.Hour))
	}
	if r := Rank(small, nil, now)[0]; len(r.Also) != MaxAlso {
		t.Errorf("an ordinary story lists %d versions, want %d", len(r.Also), MaxAlso)
	}
}

// A reader interested in tech and business, with a story covered in both
// (and in top): page after page of one cursor, no story twice, and a story
// the reader opened in any version is gone.
func TestAPersonalFeedShowsEachStoryOnceAcrossStreamsAndPages(t *testing.T) {
	var list []Article
	for s := range 40 {
		list = append(list,
			version(s*10+1, 1000+s, "tech", "tech-daily", time.Duration(s)*time.Minute),
			version(s*10+2, 1000+s, "business", "business-brief", time.Duration(s)*time.Minute+time.Second))
		list = append(list, art(s*10+3, "sports", "sport", time.Duration(s)*time.Minute))
	}
	feeds := RankAll(list, nil, now)
	run := RunID(now)
	chunksOf := map[string][]Chunk{}
	for c, r := range feeds {
		chunksOf[c] = Chunks(c, run, now, r)
	}
	p := Profile{UserID: "u1", Interests: []string{"tech", "business"},
		Read: map[string]bool{id(1*10 + 2): true}} // opened story 1001's business version
	streams := p.Streams()
	seen := map[string]bool{}
	cursor := ""
	for pageNo := 0; pageNo < 20; pageNo++ {
		cur, err := DecodePersonal(p.UserID, cursor)
		if err != nil {
			t.Fatal(err)
		}
		chunks := map[string]Chunk{}
		for _, ref := range cur.Refs(streams) {
			chunks[ref.Category] = chunksOf[ref.Category][ref.Index]
		}
		pg := Personal(p, streams, cur, chunks, 7)
		for _, it := range pg.Items {
			if seen[it.Story] {
				t.Fatalf("page %d shows story %s again", pageNo, it.Story)
			}
			seen[it.Story] = true
			if it.Story == id(1001) {
				t.Errorf("the story the reader opened (in another version) is shown")
			}
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 79 { // 40 + 40 stories, less the one read
		t.Errorf("the personal feed showed %d stories, want 79", len(seen))
	}
}

// A story's lead is the editors' and the sources' choice (pin, lead, source
// weight × freshness), never the readers': one reader clicking a secondary
// version would otherwise change the card everyone sees.
func TestNoReaderPicksAStorysLead(t *testing.T) {
	a, b := version(1, 100, "tech", "a", time.Hour), version(2, 100, "tech", "b", time.Hour)
	a.SourceWeight = 1.1
	stats := map[string]Stats{b.ID: {Impressions: 500, Clicks: 400, DayReaders: 500}}
	if got := Rank([]Article{a, b}, stats, now); got[0].ID != a.ID {
		t.Errorf("readers' clicks made %s the lead, want the better source's %s", got[0].ID, a.ID)
	}
}

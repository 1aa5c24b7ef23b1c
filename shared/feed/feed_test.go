package feed

import (
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/page"
)

func rankedList(n int, cat string) []Ranked {
	var out []Ranked
	for i := range n {
		out = append(out, Ranked{Article: art(i+1, cat, "s", time.Duration(i)*time.Minute), Score: 1, Reason: ReasonFresh})
	}
	return out
}

// chunkMap keys a run's chunks by index.
func chunkMap(cs []Chunk) map[int]Chunk {
	m := map[int]Chunk{}
	for _, c := range cs {
		m[c.Index] = c
	}
	return m
}

func TestPublicPagesWalkTheRunWithoutRepeatOrGap(t *testing.T) {
	list := rankedList(123, "tech")
	chunks := chunkMap(Chunks("tech", RunID(now), now, list))
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3", len(chunks))
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		run, offset, err := PublicCursor("tech", cursor)
		if err != nil {
			t.Fatal(err)
		}
		if run != "" && run != RunID(now) {
			t.Fatalf("cursor moved to run %q", run)
		}
		p := PublicPage(chunks[ChunkIndex(offset)], offset, 20)
		pages++
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("page %d repeats %s", pages, it.ID)
			}
			seen[it.ID] = true
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if pages > 20 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 123 {
		t.Errorf("walked %d items, want 123", len(seen))
	}
	// Pages never cross a chunk: 20, 20, 10 | 20, 20, 10 | 20, 3.
	if pages != 8 {
		t.Errorf("%d pages, want 8", pages)
	}
}

func TestCursorsAreChecked(t *testing.T) {
	pub := func(v any) string { return page.Cursor(publicList(Top), v) }
	me := func(v any) string { return page.Cursor(personalList("u1"), v) }
	for _, c := range []string{"%%%", "e30", pub(position{Run: "x", Offset: 5}), pub(position{Run: RunID(now), Offset: 0}),
		pub(position{Run: RunID(now), Offset: 100000}), pub(map[string]any{"r": RunID(now), "o": 5, "x": 1}),
		strings.Repeat("A", 5000),
		// Another feed's cursor, and the previous format (bare JSON).
		page.Cursor(publicList("tech"), position{Run: RunID(now), Offset: 5}),
		"eyJyIjoiMjAyNjExMjVUMTIwMDAwLjAwMDAwMCIsIm8iOjV9"} {
		if _, _, err := PublicCursor(Top, c); err == nil {
			t.Errorf("PublicCursor(%q) accepted", c)
		}
		if _, err := DecodePersonal("u1", c); err == nil {
			t.Errorf("DecodePersonal(%q) accepted", c)
		}
	}
	for _, c := range []string{
		me(PersonalCursor{"Tech!": {Run: RunID(now), Offset: 5}}),
		me(PersonalCursor{"tech": {Run: RunID(now), Offset: 0}}),
		me(PersonalCursor{"tech": {Run: RunID(now), Offset: MaxRanked + 1}}),
		me(PersonalCursor{"a": {RunID(now), 1}, "b": {RunID(now), 1}, "c": {RunID(now), 1}, "d": {RunID(now), 1}, "e": {RunID(now), 1}, "f": {RunID(now), 1}}),
		page.Cursor(personalList("u2"), PersonalCursor{"tech": {Run: RunID(now), Offset: 5}}), // another user's
	} {
		if _, err := DecodePersonal("u1", c); err == nil {
			t.Errorf("DecodePersonal(%q) accepted", c)
		}
	}
	if cur, err := DecodePersonal("u1", me(PersonalCursor{"tech": {Run: RunID(now), Offset: 5}})); err != nil || cur["tech"].Offset != 5 {
		t.Errorf("the user's own cursor: %v %v", cur, err)
	}
	if run, off, err := PublicCursor(Top, pub(position{Run: RunID(now), Offset: 5})); err != nil || run != RunID(now) || off != 5 {
		t.Errorf("the feed's own cursor: %q %d %v", run, off, err)
	}
	for _, l := range []string{"0", "-1", "x", "1.5", "51", "1000"} {
		if _, err := page.Limit(l, DefaultLimit, MaxLimit); err == nil {
			t.Errorf("limit %q accepted", l)
		}
	}
	if n, err := page.Limit("50", DefaultLimit, MaxLimit); n != MaxLimit || err != nil {
		t.Errorf("limit 50: %d %v", n, err)
	}
}

func TestStreamsFollowInterests(t *testing.T) {
	if s := (Profile{}).Streams(); len(s) != 1 || s[0].Category != Top {
		t.Errorf("no interests: %+v, want top alone", s)
	}
	s := Profile{Interests: []string{"sports"}, Learned: map[string]float64{"tech": 4, "world": 1}}.Streams()
	// sports (explicit, 1) and tech (learned, 4/4 = 1) share 80%; world is
	// below LearnedInterest; top gets 20%.
	if len(s) != 3 || s[0].Category != "sports" || s[1].Category != "tech" || s[2].Category != Top ||
		!near(s[0].Weight, 0.4) || !near(s[2].Weight, 0.2) {
		t.Errorf("streams %+v", s)
	}
}

func TestPersonalFeedIsMostlyInterestsSkipsReadAndNeverRepeats(t *testing.T) {
	run := RunID(now)
	sports := Chunks("sports", run, now, rankedList(80, "sports"))
	var topList []Ranked
	for i := range 80 { // top mixes every category
		cat := []string{"sports", "tech", "world"}[i%3]
		topList = append(topList, Ranked{Article: art(1000+i, cat, "t", time.Minute), Score: 1, Reason: ReasonFresh})
	}
	top := Chunks(Top, run, now, topList)
	p := Profile{Interests: []string{"sports"}, Read: map[string]bool{id(1): true, id(3): true}}
	streams := p.Streams()
	byCat := map[string]map[int]Chunk{"sports": chunkMap(sports), Top: chunkMap(top)}
	seen := map[string]bool{}
	sportsN, total := 0, 0
	cursor := ""
	for range 30 {
		cur, err := DecodePersonal(p.UserID, cursor)
		if err != nil {
			t.Fatal(err)
		}
		loaded := map[string]Chunk{}
		for _, ref := range cur.Refs(streams) {
			loaded[ref.Category] = byCat[ref.Category][ref.Index]
		}
		page := Personal(p, streams, cur, loaded, 10)
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("%s repeats", it.ID)
			}
			if p.Read[it.ID] {
				t.Fatalf("read article %s served", it.ID)
			}
			seen[it.ID] = true
			total++
			if it.Category == "sports" {
				sportsN++
				if it.Reason != "interest:sports" {
					t.Errorf("sports item reason %q", it.Reason)
				}
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	// Everything unread is served once: 78 sports + the 53 non-sports of top.
	if total != 78+53 {
		t.Errorf("served %d items, want %d", total, 78+53)
	}
	if sportsN < 78 {
		t.Errorf("only %d sports items", sportsN)
	}
}

func TestPersonalFirstPageShare(t *testing.T) {
	run := RunID(now)
	sports := Chunks("sports", run, now, rankedList(50, "sports"))[0]
	var topList []Ranked
	for i := range 50 {
		topList = append(topList, Ranked{Article: art(1000+i, "tech", "t", time.Minute), Score: 1, Reason: ReasonFresh})
	}
	top := Chunks(Top, run, now, topList)[0]
	p := Profile{Interests: []string{"sports"}}
	page := Personal(p, p.Streams(), PersonalCursor{}, map[string]Chunk{"sports": sports, Top: top}, 20)
	n := 0
	for _, it := range page.Items {
		if it.Category == "sports" {
			n++
		}
	}
	if len(page.Items) != 20 || n != 16 {
		t.Errorf("%d of %d items are sports, want 16 of 20 (80%%)", n, len(page.Items))
	}
}

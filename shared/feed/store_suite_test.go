package feed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestMemoryStoreKeepsTheStoreContract(t *testing.T) {
	storeSuite(t, func(t *testing.T) Store { return NewMemoryStore() })
}

func TestDynamoStoreKeepsTheStoreContract(t *testing.T) {
	storeSuite(t, func(t *testing.T) Store { return newDynamoStore(t) })
}

// storeSuite is what the service relies on of any Store: conditional writes
// that report whether they changed anything, orders, limits, and expired
// items invisible on read.
func storeSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	far := now.Add(ArticleRetention)

	t.Run("an article is new once, keeps flags that came first, and lists newest first", func(t *testing.T) {
		s := newStore(t)
		a, b := art(1, "tech", "s1", time.Hour), art(2, "tech", "s2", 2*time.Hour)
		if ok, err := s.Moderate(ctx, Moderation{ID: b.ID, Pinned: true, At: now}, far); err != nil || !ok {
			t.Fatalf("a moderation before its article: %v %v", ok, err)
		}
		if ok, err := s.MarkTrending(ctx, b.ID, far); err != nil || !ok {
			t.Fatalf("trending before its article: %v %v", ok, err)
		}
		if _, err := s.GetArticle(ctx, b.ID, now); !errors.Is(err, ErrArticleNotFound) {
			t.Errorf("a moderated, unplaced article is read: %v, want ErrArticleNotFound", err)
		}
		if list, _ := s.RecentArticles(ctx, now.Add(-Window)); len(list) != 0 {
			t.Errorf("unplaced articles are listed: %+v", list)
		}
		for _, x := range []Article{a, b} {
			if isNew, err := s.PlaceArticle(ctx, x, far); err != nil || !isNew {
				t.Fatalf("first placement of %s: %v %v, want new", x.ID, isNew, err)
			}
		}
		if isNew, err := s.PlaceArticle(ctx, a, far); err != nil || isNew {
			t.Errorf("a redelivered article: %v %v, want not new", isNew, err)
		}
		got, err := s.GetArticle(ctx, b.ID, now)
		if err != nil || !got.Pinned || !got.Trending || got.Hidden || got.Title != b.Title || !got.PublishedAt.Equal(b.PublishedAt) {
			t.Errorf("placed after its moderation: %+v %v, want pinned and trending kept", got, err)
		}
		if ok, _ := s.Moderate(ctx, Moderation{ID: b.ID, Hidden: true, At: now.Add(-time.Minute)}, far); ok {
			t.Error("an older moderation is applied")
		}
		if ok, _ := s.Moderate(ctx, Moderation{ID: b.ID, Hidden: true, At: now}, far); ok {
			t.Error("the same moderation is applied twice")
		}
		if ok, _ := s.MarkTrending(ctx, b.ID, far); ok {
			t.Error("an article is marked trending twice")
		}
		list, err := s.RecentArticles(ctx, now.Add(-90*time.Minute))
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Errorf("since 90 min: %+v %v, want the one-hour-old article only", list, err)
		}
		if list, _ := s.RecentArticles(ctx, now.Add(-Window)); len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Errorf("the window: %+v, want newest first", list)
		}
		if _, err := s.GetArticle(ctx, id(404), now); !errors.Is(err, ErrArticleNotFound) {
			t.Errorf("an unknown article: %v, want ErrArticleNotFound", err)
		}
	})

	t.Run("an editor's story and lead outlive a later placement and yield only to a later moderation", func(t *testing.T) {
		s := newStore(t)
		a := art(1, "tech", "s1", time.Hour) // ingestion clustered it in its own story
		merged := id(99)
		if _, err := s.Moderate(ctx, Moderation{ID: a.ID, Lead: true, Story: merged, At: now}, far); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PlaceArticle(ctx, a, far); err != nil { // announced (again) with its ingested story
			t.Fatal(err)
		}
		check := func(what, story string, lead bool) {
			t.Helper()
			got, err := s.GetArticle(ctx, a.ID, now)
			if err != nil || got.Story != story || got.Lead != lead {
				t.Errorf("%s: read story %q lead %v (%v), want %q %v", what, got.Story, got.Lead, err, story, lead)
			}
			list, _ := s.RecentArticles(ctx, now.Add(-Window))
			byID, _ := s.Articles(ctx, []string{a.ID}, now)
			if len(list) != 1 || list[0].Story != story || len(byID) != 1 || byID[0].Story != story {
				t.Errorf("%s: listed %+v, by id %+v, want story %q", what, list, byID, story)
			}
		}
		check("merged", merged, true)
		if ok, _ := s.Moderate(ctx, Moderation{ID: a.ID, Story: id(98), At: now.Add(-time.Second)}, far); ok {
			t.Error("an older story assignment is applied")
		}
		check("after an older assignment", merged, true)
		if ok, err := s.Moderate(ctx, Moderation{ID: a.ID, At: now.Add(time.Second)}, far); err != nil || !ok {
			t.Fatalf("a later moderation: %v %v", ok, err)
		}
		check("back to ingestion's story", a.Story, false)
	})

	t.Run("a story's first trending hour is recorded once", func(t *testing.T) {
		s := newStore(t)
		for i, h := range []string{"2026112509", "2026112511", "2026112508"} {
			got, err := s.TrendHour(ctx, id(7), h, far)
			if err != nil || got != "2026112509" {
				t.Fatalf("call %d: %q %v, want the first hour recorded", i, got, err)
			}
		}
		if got, _ := s.TrendHour(ctx, id(8), "2026112510", far); got != "2026112510" {
			t.Errorf("another story's hour: %q", got)
		}
	})

	t.Run("an expired article is invisible although still stored", func(t *testing.T) {
		s := newStore(t)
		a := art(1, "tech", "s1", 0)
		expires := now.Add(time.Hour)
		if _, err := s.PlaceArticle(ctx, a, expires); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			at    time.Time
			found bool
		}{{now, true}, {expires.Add(-time.Second), true}, {expires, false}, {now.Add(40 * 24 * time.Hour), false}} {
			got, err := s.GetArticle(ctx, a.ID, c.at)
			if c.found && (err != nil || got.ID != a.ID) || !c.found && !errors.Is(err, ErrArticleNotFound) {
				t.Errorf("GetArticle at %s (expires %s) = %+v, %v; want found %v", c.at, expires, got, err, c.found)
			}
		}
		// Still stored: a redelivery of its announcement is not new.
		if isNew, err := s.PlaceArticle(ctx, a, expires); err != nil || isNew {
			t.Errorf("placing the expired, undeleted article again = %v, %v; want not new", isNew, err)
		}
	})

	t.Run("a stats part is replaced only by a later computation, and parts list by day, shard and part", func(t *testing.T) {
		s := newStore(t)
		day, next := now.Format("20060102"), now.Add(24*time.Hour).Format("20060102")
		put := func(day string, shard, part int, at time.Time, clicks int64) {
			t.Helper()
			err := s.PutStats(ctx, DayStats{Day: day, Shard: shard, Part: part, Parts: 2, ComputedAt: at,
				Articles: map[string]Stats{id(1): {Impressions: 10, Clicks: clicks}}}, far)
			if err != nil {
				t.Fatal(err)
			}
		}
		put(next, 0, 0, now, 9)
		put(day, 2, 0, now, 1)
		put(day, 1, 1, now, 2)
		put(day, 1, 0, now, 3)
		put(day, 1, 0, now.Add(-time.Minute), 4) // older: ignored
		put(day, 2, 0, now.Add(time.Minute), 5)  // later: replaces
		parts, err := s.DayStats(ctx, []string{day, next, "20000101"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range parts {
			got = append(got, fmt.Sprintf("%s/%d/%d:%d", p.Day, p.Shard, p.Part, p.Articles[id(1)].Clicks))
		}
		want := []string{day + "/1/0:3", day + "/1/1:2", day + "/2/0:5", next + "/0/0:9"}
		if !slices.Equal(got, want) {
			t.Errorf("parts %v, want %v", got, want)
		}
	})

	t.Run("one rank request stands until the run begins or it goes stale", func(t *testing.T) {
		s := newStore(t)
		if cats, _, err := s.BeginRank(ctx); err != nil || len(cats) != 0 {
			t.Fatalf("first run: previous %v %v", cats, err)
		}
		if ok, err := s.RequestRank(ctx, now, now.Add(-StaleRequest)); err != nil || !ok {
			t.Fatalf("first request: %v %v", ok, err)
		}
		later := now.Add(time.Minute)
		if ok, _ := s.RequestRank(ctx, later, later.Add(-StaleRequest)); ok {
			t.Error("a second request while one is pending")
		}
		if err := s.CancelRankRequest(ctx, later); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.RequestRank(ctx, later, later.Add(-StaleRequest)); ok {
			t.Error("cancelling another request withdrew the pending one")
		}
		if err := s.CancelRankRequest(ctx, now); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.RequestRank(ctx, later, later.Add(-StaleRequest)); !ok {
			t.Error("a cancelled request still stands")
		}
		stale := later.Add(StaleRequest + time.Second)
		if ok, _ := s.RequestRank(ctx, stale, stale.Add(-StaleRequest)); !ok {
			t.Error("a stale request still stands")
		}
		if err := s.EndRank(ctx, RunID(now), []string{"tech", Top}); err != nil {
			t.Fatal(err)
		}
		if cats, _, err := s.BeginRank(ctx); err != nil || !slices.Equal(cats, []string{"tech", Top}) {
			t.Errorf("previous run's categories %v %v", cats, err)
		}
		if ok, _ := s.RequestRank(ctx, stale, stale.Add(-StaleRequest)); !ok {
			t.Error("the run began but the request still stands")
		}
	})

	t.Run("touched articles are taken by the next run's begin and read by id, consistently", func(t *testing.T) {
		s := newStore(t)
		if _, touched, _ := s.BeginRank(ctx); len(touched) != 0 {
			t.Errorf("touched before any touch: %v", touched)
		}
		a, gone := art(1, "tech", "s1", time.Hour), art(2, "tech", "s1", time.Hour)
		for _, x := range []struct {
			a       Article
			expires time.Time
		}{{a, far}, {gone, now}} {
			if _, err := s.PlaceArticle(ctx, x.a, x.expires); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Moderate(ctx, Moderation{ID: id(3), Hidden: true, At: now}, far); err != nil { // flags only
			t.Fatal(err)
		}
		for _, ids := range [][]string{{id(3), a.ID}, {a.ID}, {gone.ID, id(404)}} {
			if err := s.Touch(ctx, ids); err != nil {
				t.Fatal(err)
			}
		}
		_, touched, err := s.BeginRank(ctx)
		if want := []string{a.ID, gone.ID, id(3), id(404)}; err != nil || !slices.Equal(touched, want) {
			t.Errorf("touched = %v, %v; want %v once each", touched, err, want)
		}
		if _, again, _ := s.BeginRank(ctx); len(again) != 0 {
			t.Errorf("the next begin took %v again", again)
		}
		got, err := s.Articles(ctx, touched, now)
		if err != nil || len(got) != 1 || got[0].ID != a.ID || got[0].Title != a.Title {
			t.Errorf("Articles = %+v, %v; want only the placed, unexpired one", got, err)
		}
	})

	t.Run("chunks are read by run until they expire, heads only move forward", func(t *testing.T) {
		s := newStore(t)
		run1, run2 := RunID(now), RunID(now.Add(time.Minute))
		c1 := Chunks("tech", run1, now, rankedList(60, "tech"))
		c2 := Chunks("tech", run2, now, rankedList(3, "tech"))
		if _, err := s.Chunk(ctx, ChunkRef{Category: "tech"}, now); !errors.Is(err, ErrPageNotFound) {
			t.Errorf("an unranked head: %v, want ErrPageNotFound", err)
		}
		if err := s.PutChunks(ctx, map[string][]Chunk{"tech": c2}, now.Add(PageRetention)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutChunks(ctx, map[string][]Chunk{"tech": c1}, now.Add(time.Hour)); err != nil { // an older run, late
			t.Fatal(err)
		}
		for n := range HeadCopies + 1 { // a copy number past the last wraps
			head, err := s.Chunk(ctx, ChunkRef{Category: "tech", Copy: n}, now)
			if err != nil || head.Run != run2 || len(head.Items) != 3 {
				t.Errorf("head copy %d: %s with %d items (%v), want the later run's", n, head.Run, len(head.Items), err)
			}
			got, err := s.Chunks(ctx, []ChunkRef{{Category: "tech", Copy: n}, {Category: "sports", Copy: n}}, now)
			if err != nil || len(got) != 1 || got["tech"].Run != run2 {
				t.Errorf("head copy %d in a batch: %v %v, want tech's of the later run", n, got, err)
			}
		}
		c, err := s.Chunk(ctx, ChunkRef{Category: "tech", Run: run1, Index: 1}, now)
		if err != nil || c.Index != 1 || c.Total != 60 || len(c.Items) != 10 || c.Items[0].ID != id(51) {
			t.Errorf("run 1 chunk 1: %+v %v", c, err)
		}
		got, err := s.Chunks(ctx, []ChunkRef{{Category: "tech", Run: run1, Index: 1}, {Category: Top}, {Category: "sports", Run: run2}}, now)
		if err != nil || len(got) != 1 || got["tech"].Index != 1 {
			t.Errorf("chunks %v %v, want tech's only", got, err)
		}
		after := now.Add(time.Hour)
		if _, err := s.Chunk(ctx, ChunkRef{Category: "tech", Run: run1, Index: 1}, after); !errors.Is(err, ErrPageNotFound) {
			t.Errorf("an expired chunk: %v, want ErrPageNotFound", err)
		}
		if got, _ := s.Chunks(ctx, []ChunkRef{{Category: "tech", Run: run1}}, after); len(got) != 0 {
			t.Errorf("an expired chunk is read in a batch: %v", got)
		}
		if _, err := s.Chunk(ctx, ChunkRef{Category: "tech"}, now.Add(48*time.Hour)); err != nil {
			t.Errorf("a head expired: %v", err)
		}
	})

	t.Run("profiles keep the latest change, reads the newest few unexpired", func(t *testing.T) {
		s := newStore(t)
		u := id(7)
		p := Profile{UserID: u, Interests: []string{"sports"}, Learned: map[string]float64{"tech": 3}, At: now}
		if err := s.SetProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.SetProfile(ctx, Profile{UserID: u, Interests: []string{"world"}, At: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := s.AddRead(ctx, u, []string{id(100 + i), id(100 + i)}, now.Add(time.Duration(i)*time.Minute), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddRead(ctx, u, []string{id(99)}, now.Add(-time.Hour), now); err != nil { // expires at now
			t.Fatal(err)
		}
		got, err := s.Profile(ctx, u, 3, now)
		if err != nil || !slices.Equal(got.Interests, []string{"sports"}) || got.Learned["tech"] != 3 || !got.At.Equal(now) {
			t.Errorf("profile %+v %v, want the later change, learned as stored", got, err)
		}
		if len(got.Read) != 3 || !got.Read[id(104)] || !got.Read[id(102)] || got.Read[id(101)] {
			t.Errorf("reads %v, want the newest 3", got.Read)
		}
		if got, _ := s.Profile(ctx, u, 10, now); len(got.Read) != 5 || got.Read[id(99)] {
			t.Errorf("reads %v, want 5 and not the expired one", got.Read)
		}
		if got, err := s.Profile(ctx, id(8), 10, now); err != nil || len(got.Interests) != 0 || len(got.Read) != 0 {
			t.Errorf("a stranger: %+v %v", got, err)
		}
		st, err := s.Inbox(ctx, u, inboxSince(now), now)
		if err != nil || !st.Interested || !slices.Equal(st.Profile.Interests, []string{"sports"}) || st.Profile.Learned["tech"] != 3 || !st.Profile.At.Equal(now) {
			t.Errorf("the inbox's copy %+v %v, want the later change", st, err)
		}
		if st, err := s.Inbox(ctx, id(8), inboxSince(now), now); err != nil || st.Interested || len(st.Read) != 0 {
			t.Errorf("a stranger's inbox: %+v %v", st, err)
		}
	})

	t.Run("the inbox's copy of the interests is filled once and never over a later change", func(t *testing.T) {
		s := newStore(t)
		copied := func(u string) Profile {
			t.Helper()
			st, err := s.Inbox(ctx, u, inboxSince(now), now)
			if err != nil || !st.Interested {
				t.Fatalf("%s's inbox has no copy: %+v %v", u, st, err)
			}
			return st.Profile
		}
		// A user with no profile at all gets an empty copy (no time known),
		// which the user's first change replaces, and a second fill does not
		// bring back.
		u := id(20)
		if wrote, err := s.CopyInterests(ctx, Profile{UserID: u}); err != nil || !wrote {
			t.Fatalf("an empty copy: %v %v", wrote, err)
		}
		if p := copied(u); len(p.Interests) != 0 || len(p.Learned) != 0 {
			t.Errorf("the empty copy reads back as %+v", p)
		}
		if err := s.SetProfile(ctx, Profile{UserID: u, Interests: []string{"tech"}, At: now}); err != nil {
			t.Fatal(err)
		}
		if wrote, err := s.CopyInterests(ctx, Profile{UserID: u}); err != nil || wrote {
			t.Errorf("an empty copy over a change: wrote %v, %v", wrote, err)
		}
		if p := copied(u); !slices.Equal(p.Interests, []string{"tech"}) || !p.At.Equal(now) {
			t.Errorf("the copy after the first change: %+v, want tech as of now", p)
		}
		// The fill races a change: it read the profile before the change, the
		// change stored profile and copy, then the fill writes what it read.
		v := id(21)
		if err := s.SetProfile(ctx, Profile{UserID: v, Interests: []string{"world"}, At: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		read, err := s.Profile(ctx, v, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		later := Profile{UserID: v, Interests: []string{"sports"}, Learned: map[string]float64{"tech": 2}, At: now}
		if err := s.SetProfile(ctx, later); err != nil {
			t.Fatal(err)
		}
		if wrote, err := s.CopyInterests(ctx, read); err != nil || wrote {
			t.Errorf("the stale fill: wrote %v, %v", wrote, err)
		}
		if p := copied(v); !slices.Equal(p.Interests, []string{"sports"}) || p.Learned["tech"] != 2 || !p.At.Equal(now) {
			t.Errorf("the copy after the race: %+v, want the later change", p)
		}
		// The other order: the fill lands first, the change's copy after it.
		w := id(22)
		if wrote, err := s.CopyInterests(ctx, Profile{UserID: w, Interests: []string{"world"}, At: now.Add(-time.Hour)}); err != nil || !wrote {
			t.Fatalf("the fill: %v %v", wrote, err)
		}
		if err := s.SetProfile(ctx, Profile{UserID: w, Interests: []string{"sports"}, At: now}); err != nil {
			t.Fatal(err)
		}
		if p := copied(w); !slices.Equal(p.Interests, []string{"sports"}) {
			t.Errorf("a change after the fill: %+v, want sports", p)
		}
		if p, _ := s.Profile(ctx, w, 0, now); !slices.Equal(p.Interests, []string{"sports"}) {
			t.Errorf("the fill touched the profile: %+v", p)
		}
	})

	// Within one second, RFC 3339 strings as DynamoDB compares them order
	// wrong: "12:00:00Z" (the fraction's zeros trimmed) sorts after
	// "12:00:00.5Z". Each write ordered by time is tried both ways round.
	early, late := now, now.Add(500*time.Millisecond)
	t.Run("a later moderation within the same second wins, an earlier one loses", func(t *testing.T) {
		s := newStore(t)
		a, b := art(1, "tech", "s1", time.Hour), art(2, "tech", "s1", time.Hour)
		for _, x := range []Article{a, b} {
			if _, err := s.PlaceArticle(ctx, x, far); err != nil {
				t.Fatal(err)
			}
		}
		moderate := func(id string, hidden bool, at time.Time) bool {
			t.Helper()
			ok, err := s.Moderate(ctx, Moderation{ID: id, Hidden: hidden, Pinned: !hidden, At: at}, far)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !moderate(a.ID, true, early) || !moderate(a.ID, false, late) {
			t.Error("the moderation of half a second later is refused")
		}
		if !moderate(b.ID, false, late) || moderate(b.ID, true, early) {
			t.Error("the moderation of half a second earlier is applied")
		}
		for _, x := range []Article{a, b} {
			if got, err := s.GetArticle(ctx, x.ID, now); err != nil || got.Hidden || !got.Pinned || !got.LeadAt.IsZero() {
				t.Errorf("%s: %+v %v, want the later moderation's flags (pinned)", x.ID, got, err)
			}
		}
	})

	t.Run("a stats part computed later within the same second replaces one computed earlier, not the reverse", func(t *testing.T) {
		s := newStore(t)
		day := now.Format("20060102")
		for _, c := range []struct {
			part  int
			order []time.Time
		}{{0, []time.Time{early, late}}, {1, []time.Time{late, early}}} {
			for _, at := range c.order {
				clicks := int64(1)
				if at.Equal(late) {
					clicks = 2
				}
				if err := s.PutStats(ctx, DayStats{Day: day, Shard: 0, Part: c.part, Parts: 2, ComputedAt: at,
					Articles: map[string]Stats{id(1): {Impressions: 10, Clicks: clicks}}}, far); err != nil {
					t.Fatal(err)
				}
			}
		}
		parts, err := s.DayStats(ctx, []string{day})
		if err != nil || len(parts) != 2 {
			t.Fatalf("parts %+v %v, want 2", parts, err)
		}
		for _, p := range parts {
			if p.Articles[id(1)].Clicks != 2 || !p.ComputedAt.Equal(late) {
				t.Errorf("part %d: %d clicks computed at %s, want the later computation's 2 at %s", p.Part, p.Articles[id(1)].Clicks, p.ComputedAt, late)
			}
		}
	})

	t.Run("a rank request goes stale and stands by its exact time within a second", func(t *testing.T) {
		s := newStore(t)
		if ok, err := s.RequestRank(ctx, early, early.Add(-StaleRequest)); err != nil || !ok {
			t.Fatalf("first request: %v %v", ok, err)
		}
		if ok, err := s.RequestRank(ctx, late.Add(StaleRequest), late); err != nil || !ok {
			t.Errorf("a request of half a second before the stale line still stands: %v %v", ok, err)
		}
		if _, _, err := s.BeginRank(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.RequestRank(ctx, late, late.Add(-StaleRequest)); err != nil || !ok {
			t.Fatalf("a request after the run began: %v %v", ok, err)
		}
		if ok, err := s.RequestRank(ctx, early.Add(StaleRequest), early); err != nil || ok {
			t.Errorf("a request of half a second after the stale line is taken for stale: %v %v", ok, err)
		}
	})

	t.Run("a profile change later within the same second wins in the profile and the inbox's copy", func(t *testing.T) {
		s := newStore(t)
		u, v := id(30), id(31)
		for _, c := range []struct {
			user  string
			order []time.Time
		}{{u, []time.Time{early, late}}, {v, []time.Time{late, early}}} {
			for _, at := range c.order {
				interests := []string{"world"}
				if at.Equal(late) {
					interests = []string{"sports"}
				}
				if err := s.SetProfile(ctx, Profile{UserID: c.user, Interests: interests, At: at}); err != nil {
					t.Fatal(err)
				}
			}
			p, err := s.Profile(ctx, c.user, 0, now)
			if err != nil || !slices.Equal(p.Interests, []string{"sports"}) || !p.At.Equal(late) {
				t.Errorf("%s's profile: %+v %v, want the later change (sports)", c.user, p, err)
			}
			st, err := s.Inbox(ctx, c.user, inboxSince(now), now)
			if err != nil || !slices.Equal(st.Profile.Interests, []string{"sports"}) || !st.Profile.At.Equal(late) {
				t.Errorf("%s's inbox copy: %+v %v, want the later change (sports)", c.user, st.Profile, err)
			}
		}
	})

	t.Run("a trending entry is recorded once per category, lists newest first and expires", func(t *testing.T) {
		s := newStore(t)
		entry := func(hour string, n int, cat string) Notification {
			return Notification{ID: NotificationID(hour, id(n)), ArticleID: id(n), Story: id(n), Title: "t", URL: "https://x.example/", Category: cat, CreatedAt: now}
		}
		for i := range 4 {
			expires := now.Add(InboxRetention)
			if i == 0 {
				expires = now // the oldest has expired
			}
			wrote, err := s.PutTrending(ctx, entry("20261125"+fmt.Sprintf("%02d", 10+i), i+1, "tech"), expires)
			if err != nil || !wrote {
				t.Fatalf("entry %d: %v %v", i, wrote, err)
			}
		}
		if wrote, _ := s.PutTrending(ctx, entry("2026112513", 4, "tech"), now.Add(InboxRetention)); wrote {
			t.Error("an entry is recorded twice")
		}
		// The story's other version, trending in another category.
		if wrote, err := s.PutTrending(ctx, entry("2026112513", 4, "world"), now.Add(InboxRetention)); err != nil || !wrote {
			t.Errorf("the story in another category: %v %v", wrote, err)
		}
		list, err := s.Trending(ctx, "2026112511", now)
		var got []string
		for _, n := range list {
			got = append(got, n.ID+" "+n.Category)
		}
		want := []string{NotificationID("2026112513", id(4)) + " world", NotificationID("2026112513", id(4)) + " tech",
			NotificationID("2026112512", id(3)) + " tech", NotificationID("2026112511", id(2)) + " tech"}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("trending %v %v, want %v (newest first, the expired one left out)", got, err, want)
		}
		if n := list[1]; n.Title != "t" || n.Story != id(4) || n.ArticleID != id(4) || !n.CreatedAt.Equal(now) || n.Read {
			t.Errorf("entry read back as %+v", n)
		}
		if list, _ := s.Trending(ctx, "2026112513", now); len(list) != 2 {
			t.Errorf("from 2026112513: %+v, want the story's two entries", list)
		}
		if list, _ := s.Trending(ctx, "", now.Add(InboxRetention)); len(list) != 0 {
			t.Errorf("%d entries listed after they expired", len(list))
		}
	})

	t.Run("an inbox reads its interests copy and read marks in one range, marks expire", func(t *testing.T) {
		s := newStore(t)
		u := id(9)
		if err := s.SetProfile(ctx, Profile{UserID: u, Interests: []string{"tech"}, At: now}); err != nil {
			t.Fatal(err)
		}
		a, b, old := NotificationID("2026112512", id(1)), NotificationID("2026112513", id(2)), NotificationID("2026102512", id(3))
		for _, m := range []struct {
			id      string
			expires time.Time
		}{{a, now.Add(InboxRetention)}, {a, now.Add(InboxRetention)}, {b, now}, {old, now.Add(InboxRetention)}} {
			if _, err := s.MarkRead(ctx, u, m.id, m.expires); err != nil {
				t.Fatal(err)
			}
		}
		st, err := s.Inbox(ctx, u, "2026110000", now)
		if err != nil || !st.Interested || !slices.Equal(st.Profile.Interests, []string{"tech"}) || len(st.Entries) != 0 {
			t.Fatalf("inbox %+v %v", st, err)
		}
		if !st.Read[a] || st.Read[b] || st.Read[old] || len(st.Read) != 1 {
			t.Errorf("read %v, want only %s (%s expired, %s before the range)", st.Read, a, b, old)
		}
		if st, _ := s.Inbox(ctx, id(10), "2026110000", now); len(st.Read) != 0 {
			t.Errorf("another user's inbox shows %v read", st.Read)
		}
	})
}

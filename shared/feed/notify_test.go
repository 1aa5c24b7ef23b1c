package feed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/shared/platform/page"
)

func TestMergeInboxIsTheTrendingOfTheReadersInterestsOncePerStory(t *testing.T) {
	h1, h2, h3 := "2026112510", "2026112511", "2026112512"
	tr := func(hour string, n int, cat string, at time.Duration) Notification {
		return Notification{ID: NotificationID(hour, id(n)), ArticleID: id(100 + n), Story: id(n), Category: cat, CreatedAt: now.Add(at)}
	}
	trending := []Notification{
		tr(h3, 3, "world", 0),
		tr(h2, 2, "tech", time.Minute),     // the story's later version, in tech
		tr(h2, 2, "business", 0),           // its first version, in business
		tr(h1, 1, "sports", 0),             // not an interest
		tr(h1, 4, "tech", 2*time.Hour),     // the user was already shown it (an old entry)
		tr(h1, 5, "world", -2*time.Minute), // read
	}
	old := Notification{ID: NotificationID(h1, id(4)), ArticleID: id(400), Story: id(4), Category: "tech", CreatedAt: now, Read: true}
	st := InboxState{Read: map[string]bool{NotificationID(h1, id(5)): true, NotificationID(h1, id(1)): true}, Entries: []Notification{old}}
	got := MergeInbox(st, trending, []string{"tech", "business", "world"})
	var ids []string
	for _, n := range got {
		ids = append(ids, fmt.Sprintf("%s %s %t", n.ID[:10], n.ArticleID, n.Read))
	}
	// Newest recorded first (three at now: the greater id first).
	want := []string{h3 + " " + id(103) + " false", h2 + " " + id(102) + " false", h1 + " " + id(400) + " true", h1 + " " + id(105) + " true"}
	if !slices.Equal(ids, want) {
		t.Errorf("merged\n%v\nwant\n%v", ids, want)
	}
	if got[1].Category != "business" {
		t.Errorf("the story that trended twice is %+v, want its first version (business)", got[1])
	}
	if got := MergeInbox(InboxState{}, trending, nil); len(got) != 0 {
		t.Errorf("a reader with no interests sees %+v", got)
	}
}

// TestServiceInboxFollowsTheReadersInterestsAtReadTime: the inbox is the
// trending stories of what the reader follows now: a reader who drops the
// category after the trend stops seeing it, one who takes it up sees it, and
// flipping back and forth never duplicates the entry or loses its read mark.
func TestServiceInboxFollowsTheReadersInterestsAtReadTime(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	a := published(1, "sports", "s", time.Hour)
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	fan, late := id(1<<20+1), id(1<<20+2)
	at := now.Add(-time.Hour)
	set := func(u string, cats ...string) {
		t.Helper()
		at = at.Add(time.Second)
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: u, Interests: cats, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	set(fan, "sports")
	set(late, "tech")
	hour := now.Format(events.HourLayout)
	if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: hour}); err != nil {
		t.Fatal(err)
	}
	count := func(u string) (int, bool) {
		t.Helper()
		p, err := s.Inbox(ctx, u, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items), len(p.Items) > 0 && p.Items[0].Read
	}
	if n, _ := count(late); n != 0 {
		t.Fatalf("a reader of tech sees the sports trend")
	}
	if n, err := s.MarkRead(ctx, late, []string{NotificationID(hour, a.Story)}); n != 0 || err != nil {
		t.Errorf("a reader marked an entry not in their inbox: %d %v", n, err)
	}
	set(late, "tech", "sports")
	if n, read := count(late); n != 1 || read {
		t.Errorf("a reader who took up sports after the trend: %d entries (read %t), want 1 unread", n, read)
	}
	if n, err := s.MarkRead(ctx, fan, []string{NotificationID(hour, a.Story)}); n != 1 || err != nil {
		t.Fatalf("mark read: %d %v", n, err)
	}
	set(fan, "tech")
	if n, _ := count(fan); n != 0 {
		t.Errorf("a reader who dropped sports still sees its trend")
	}
	set(fan, "tech", "sports")
	set(fan, "sports")
	if n, read := count(fan); n != 1 || !read {
		t.Errorf("back on sports: %d entries (read %t), want the one entry, still read", n, read)
	}
	// An older interests change arriving late changes nothing.
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"tech"}, At: now.Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := count(fan); n != 1 {
		t.Errorf("a stale interests change hid the entry")
	}
}

func TestServiceInboxCursorBelongsToItsReaderAndPagesWithoutRepeatOrGap(t *testing.T) {
	s, _ := newMemoryService(t)
	ctx := context.Background()
	alice, mallory := id(1<<20+1), id(1<<20+2)
	for _, u := range []string{alice, mallory} {
		if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: u, Interests: []string{"sports", "world"}, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 7 {
		a := published(i+1, []string{"sports", "world", "tech"}[i%3], "s", time.Hour)
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: now.Add(-time.Duration(i) * time.Hour).Format(events.HourLayout)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	cursor := ""
	for range 10 {
		p, err := s.Inbox(ctx, alice, "2", cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			seen = append(seen, it.ID)
		}
		if p.NextCursor != "" {
			if _, err := s.Inbox(ctx, mallory, "2", p.NextCursor); err == nil {
				t.Errorf("another reader's cursor is accepted: %v", err)
			}
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 5 || !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(b, a) }) || len(slices.Compact(slices.Clone(seen))) != 5 {
		t.Errorf("paged %v, want the 5 sports and world entries once, newest first", seen)
	}
}

// TestAnotherInstanceSeesATrendWithinTheRefresh: the instance serving the
// inbox is not the one that recorded the trend; its copy of the trending
// list is read again once TrendingRefresh old, so the reader sees the trend
// within it, with one read of the inbox per page in between.
func TestAnotherInstanceSeesATrendWithinTheRefresh(t *testing.T) {
	clock := now
	store := &countingStore{Store: NewMemoryStore()}
	api := &Service{Store: store, Now: func() time.Time { return clock }}
	notifier := &Service{Store: store, Now: func() time.Time { return clock }}
	ctx := context.Background()
	fan := id(1 << 20)
	if err := api.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
		t.Fatal(err)
	}
	a := published(1, "sports", "s", time.Hour)
	if err := notifier.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	if p, _ := api.Inbox(ctx, fan, "", ""); len(p.Items) != 0 {
		t.Fatal("an entry before the trend")
	}
	if _, err := notifier.Notify(ctx, Trend{ArticleID: a.ID, Hour: now.Format(events.HourLayout)}); err != nil {
		t.Fatal(err)
	}
	store.inboxReads, store.trendingReads = 0, 0
	clock = clock.Add(TrendingRefresh - time.Second)
	for range 3 {
		if _, err := api.Inbox(ctx, fan, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if store.inboxReads != 3 || store.trendingReads != 0 {
		t.Errorf("3 pages inside the refresh: %d inbox reads, %d trending reads; want 3 and 0", store.inboxReads, store.trendingReads)
	}
	clock = clock.Add(time.Second)
	if p, _ := api.Inbox(ctx, fan, "", ""); len(p.Items) != 1 || store.trendingReads != 1 {
		t.Errorf("after TrendingRefresh: %+v (%d trending reads), want the trend", p.Items, store.trendingReads)
	}
}

// countingStore counts the inbox's reads.
type countingStore struct {
	Store
	inboxReads, trendingReads, profileReads int
}

func (c *countingStore) Inbox(ctx context.Context, userID, since string, now time.Time) (InboxState, error) {
	c.inboxReads++
	return c.Store.Inbox(ctx, userID, since, now)
}

func (c *countingStore) Trending(ctx context.Context, since string, now time.Time) ([]Notification, error) {
	c.trendingReads++
	return c.Store.Trending(ctx, since, now)
}

func (c *countingStore) Profile(ctx context.Context, userID string, maxReads int, now time.Time) (Profile, error) {
	c.profileReads++
	return c.Store.Profile(ctx, userID, maxReads, now)
}

// bothStores are the stores the inbox's fill is tried on: its race is a
// conditional write's.
var bothStores = map[string]func(t *testing.T) Store{
	"memory":   func(*testing.T) Store { return NewMemoryStore() },
	"dynamodb": func(t *testing.T) Store { return newDynamoStore(t) },
}

// profileOnly stores a user's profile without the inbox's copy, as
// interests stored before the inbox kept the copy are.
func profileOnly(t *testing.T, s Store, p Profile) {
	t.Helper()
	switch s := s.(type) {
	case *MemoryStore:
		s.mu.Lock()
		s.profiles[p.UserID] = p
		s.mu.Unlock()
	case *DynamoStore:
		if _, err := s.putProfile(context.Background(), "u#"+p.UserID, "profile", p); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("profileOnly: %T", s)
	}
}

// trendIn records a trending article of category cat through the service.
func trendIn(t *testing.T, s *Service, n int, cat string) {
	t.Helper()
	ctx := context.Background()
	a := published(n, cat, "s", time.Hour)
	if err := s.OnArticlePublished(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: now.Format(events.HourLayout)}); err != nil {
		t.Fatal(err)
	}
}

// TestAReaderWithoutACopyOfTheirInterestsCostsASecondReadOnce: a reader
// whose interests were stored before the inbox kept their copy, and one who
// has none stored at all, are read twice on their first page (the inbox
// partition, then the profile the copy is filled from) and once a page
// after that; the filled copy gives way to the next change.
func TestAReaderWithoutACopyOfTheirInterestsCostsASecondReadOnce(t *testing.T) {
	for name, newStore := range bothStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := &countingStore{Store: newStore(t)}
			s := &Service{Store: store, Now: func() time.Time { return now }}
			trendIn(t, s, 1, "sports")
			before, nobody := id(1<<20), id(1<<20+1)
			profileOnly(t, store.Store, Profile{UserID: before, Interests: []string{"sports"}, At: now.Add(-24 * time.Hour)})
			for _, u := range []string{before, nobody} {
				want := map[string]int{before: 1, nobody: 0}[u]
				store.inboxReads, store.profileReads = 0, 0
				for page := range 4 {
					p, err := s.Inbox(ctx, u, "", "")
					if err != nil || len(p.Items) != want {
						t.Fatalf("%s page %d: %+v %v, want %d entries", u, page, p.Items, err, want)
					}
				}
				if store.inboxReads != 4 || store.profileReads != 1 {
					t.Errorf("%s: 4 pages read the inbox %d times and the profile %d times, want 4 and 1", u, store.inboxReads, store.profileReads)
				}
			}
			if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: nobody, Interests: []string{"sports"}, At: now}); err != nil {
				t.Fatal(err)
			}
			store.profileReads = 0
			if p, err := s.Inbox(ctx, nobody, "", ""); err != nil || len(p.Items) != 1 || store.profileReads != 0 {
				t.Errorf("after the first change: %+v %v (%d profile reads), want the trend from the copy alone", p.Items, err, store.profileReads)
			}
		})
	}
}

// raceStore applies a newer interest change right after the inbox's fill
// read the profile, before the fill writes the copy: the event delivered
// meanwhile.
type raceStore struct {
	Store
	change *Profile
}

func (r *raceStore) Profile(ctx context.Context, userID string, maxReads int, now time.Time) (Profile, error) {
	p, err := r.Store.Profile(ctx, userID, maxReads, now)
	if r.change != nil && err == nil {
		err = r.Store.SetProfile(ctx, *r.change)
		r.change = nil
	}
	return p, err
}

// TestAnInterestChangeDuringTheInboxsFillIsNotLost: the fill writes the
// interests it read, which a change stored meanwhile replaced; the change
// stays, and the next page follows it from the copy alone.
func TestAnInterestChangeDuringTheInboxsFillIsNotLost(t *testing.T) {
	for name, newStore := range bothStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			u := id(1 << 20)
			race := &raceStore{Store: newStore(t), change: &Profile{UserID: u, Interests: []string{"sports"}, At: now.Add(-time.Minute)}}
			store := &countingStore{Store: race}
			s := &Service{Store: store, Now: func() time.Time { return now }}
			trendIn(t, s, 1, "sports")
			profileOnly(t, race.Store, Profile{UserID: u, Interests: []string{"world"}, At: now.Add(-time.Hour)})
			if _, err := s.Inbox(ctx, u, "", ""); err != nil || race.change != nil {
				t.Fatalf("the page during the change: %v (the change applied: %v)", err, race.change == nil)
			}
			store.profileReads = 0
			p, err := s.Inbox(ctx, u, "", "")
			if err != nil || len(p.Items) != 1 || p.Items[0].Category != "sports" || store.profileReads != 0 {
				t.Errorf("the next page: %+v %v (%d profile reads), want the sports trend from the copy", p.Items, err, store.profileReads)
			}
		})
	}
}

// TestAnEntryWrittenBeforeTheInboxWasComputedOnReadStaysListedAndMarkable:
// entries the chained fan-out wrote per reader are listed until they expire,
// once each, and can be marked read.
func TestAnEntryWrittenBeforeTheInboxWasComputedOnReadStaysListedAndMarkable(t *testing.T) {
	store := NewMemoryStore()
	s := &Service{Store: store, Now: func() time.Time { return now }}
	ctx := context.Background()
	u := id(1 << 20)
	old := Notification{ID: NotificationID(now.Add(-time.Hour).Format(events.HourLayout), id(7)), ArticleID: id(7), Story: id(7),
		Title: "t", URL: "https://x.example/", Category: "world", CreatedAt: now.Add(-time.Hour)}
	store.putEntry(u, old, now.Add(InboxRetention))
	if n, err := s.MarkRead(ctx, u, []string{old.ID}); n != 1 || err != nil {
		t.Fatalf("mark read: %d %v", n, err)
	}
	p, err := s.Inbox(ctx, u, "", "")
	if err != nil || len(p.Items) != 1 || p.Items[0].ID != old.ID || !p.Items[0].Read {
		t.Errorf("inbox %+v %v, want the old entry, read", p.Items, err)
	}
}

// clocked is a service over store whose clock the test moves.
func clocked(store Store) (*Service, *time.Time) {
	clock := now
	return &Service{Store: store, Now: func() time.Time { return clock }}, &clock
}

// inboxIDs is a reader's first page of 50, as ids.
func inboxIDs(t *testing.T, s *Service, u string) []string {
	t.Helper()
	p, err := s.Inbox(context.Background(), u, "50", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestAHiddenArticleLeavesTheInboxAtTheNextReloadAndTheLaterModerationWins:
// an editor hides an article after it trended; the inbox stops listing it
// once the instance reads the trending list again, lists it again when
// shown, and a redelivered or late (earlier) moderation changes nothing.
func TestAHiddenArticleLeavesTheInboxAtTheNextReloadAndTheLaterModerationWins(t *testing.T) {
	for name, newStore := range bothStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, clock := clocked(newStore(t))
			fan := id(1 << 20)
			if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
				t.Fatal(err)
			}
			trendIn(t, s, 1, "sports")
			trendIn(t, s, 2, "sports")
			a := published(1, "sports", "s", time.Hour)
			entry := NotificationID(now.Format(events.HourLayout), a.Story)
			if got := inboxIDs(t, s, fan); !slices.Contains(got, entry) {
				t.Fatalf("before: %v, want %s", got, entry)
			}
			moderate := func(hidden bool, at time.Time) {
				t.Helper()
				if err := s.OnArticleModerated(ctx, events.ArticleModerated{ID: a.ID, Hidden: hidden, At: at}); err != nil {
					t.Fatal(err)
				}
			}
			listed := func() bool {
				t.Helper()
				*clock = clock.Add(TrendingRefresh) // the next reload
				return slices.Contains(inboxIDs(t, s, fan), entry)
			}
			t1, t2, t3 := now.Add(time.Minute), now.Add(time.Minute+500*time.Millisecond), now.Add(2*time.Minute)
			moderate(true, t2)
			if listed() {
				t.Error("a hidden article is listed after the reload")
			}
			moderate(true, t2)  // redelivered
			moderate(false, t1) // an earlier moderation, late
			if listed() {
				t.Error("an earlier moderation arriving late showed the hidden article again")
			}
			if got := inboxIDs(t, s, fan); len(got) != 1 {
				t.Errorf("the other trend: %v, want it alone", got)
			}
			moderate(false, t3)
			if !listed() {
				t.Error("an article shown again is not listed")
			}
		})
	}
}

// TestAStoryAnEditorMergedIsOneEntry: article A trends, an editor moves A
// into story B, then B trends: the reader sees one entry (A's, the first
// recorded), read when either entry is marked; splitting A out again gives
// two.
func TestAStoryAnEditorMergedIsOneEntry(t *testing.T) {
	for name, newStore := range bothStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, clock := clocked(newStore(t))
			fan := id(1 << 20)
			if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
				t.Fatal(err)
			}
			trendIn(t, s, 1, "sports") // A
			a, b := published(1, "sports", "s", time.Hour), published(2, "sports", "s", time.Hour)
			if err := s.OnArticleModerated(ctx, events.ArticleModerated{ID: a.ID, Story: b.Story, At: now}); err != nil {
				t.Fatal(err)
			}
			*clock = clock.Add(time.Hour)
			if err := s.OnArticlePublished(ctx, b); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Notify(ctx, Trend{ArticleID: b.ID, Hour: clock.Format(events.HourLayout)}); err != nil {
				t.Fatal(err)
			}
			first := NotificationID(now.Format(events.HourLayout), a.Story)
			if got := inboxIDs(t, s, fan); !slices.Equal(got, []string{first}) {
				t.Fatalf("after the merge and B's trend: %v, want A's entry alone (%s)", got, first)
			}
			if n, err := s.MarkRead(ctx, fan, []string{first}); n != 1 || err != nil {
				t.Fatalf("mark read: %d %v", n, err)
			}
			if p, _ := s.Inbox(ctx, fan, "", ""); len(p.Items) != 1 || !p.Items[0].Read || p.Items[0].Story != b.Story {
				t.Errorf("after marking: %+v, want the one entry of story B, read", p.Items)
			}
			if err := s.OnArticleModerated(ctx, events.ArticleModerated{ID: a.ID, Story: a.ID, At: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			*clock = clock.Add(TrendingRefresh)
			if got := inboxIDs(t, s, fan); len(got) != 2 {
				t.Errorf("after splitting A out: %v, want two entries", got)
			}
		})
	}
}

// TestTheInboxIsNewestRecordedFirst: a story that first trended an hour ago
// in a category the reader does not follow, and now trends in one they
// do, is the newest entry, even behind MaxInbox entries of the hour since.
func TestTheInboxIsNewestRecordedFirst(t *testing.T) {
	ctx := context.Background()
	s, clock := clocked(NewMemoryStore())
	fan := id(1 << 20)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"tech"}, At: now}); err != nil {
		t.Fatal(err)
	}
	trend := func(n int, cat string) {
		t.Helper()
		*clock = clock.Add(time.Second)
		a := published(n, cat, "s", time.Hour)
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: clock.Format(events.HourLayout)}); err != nil {
			t.Fatal(err)
		}
	}
	trend(1, "sports") // story 1, first trending an hour before the others
	*clock = clock.Add(time.Hour)
	for i := range MaxInbox {
		trend(1000+i, "tech")
	}
	// Story 1's other version, now in tech (the story's hour stays).
	v := published(2, "tech", "s", time.Hour)
	v.Story = id(1)
	if err := s.OnArticlePublished(ctx, v); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(time.Second)
	if _, err := s.Notify(ctx, Trend{ArticleID: v.ID, Hour: clock.Format(events.HourLayout)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Inbox(ctx, fan, "3", "")
	if err != nil || len(p.Items) != 3 {
		t.Fatal(p, err)
	}
	if want := NotificationID(now.Format(events.HourLayout), id(1)); p.Items[0].ID != want {
		t.Errorf("first entry %s, want the story recorded last (%s)", p.Items[0].ID, want)
	}
	if want := NotificationID(clock.Format(events.HourLayout), id(1000+MaxInbox-1)); p.Items[1].ID != want {
		t.Errorf("second entry %s, want the last of the hour (%s)", p.Items[1].ID, want)
	}
}

// TestNoCursorListsPastTheNewestMaxInbox: the cursor carries no count a
// client could forge; a cursor made for any position (here: one past the
// MaxInbox-th entry, and the oldest entry's) lists nothing beyond the
// newest MaxInbox, and a cursor of the earlier format is refused.
func TestNoCursorListsPastTheNewestMaxInbox(t *testing.T) {
	ctx := context.Background()
	s, clock := clocked(NewMemoryStore())
	fan := id(1 << 20)
	if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"tech"}, At: now}); err != nil {
		t.Fatal(err)
	}
	for i := range MaxInbox + 20 {
		*clock = clock.Add(time.Second)
		a := published(1000+i, "tech", "s", time.Hour)
		if err := s.OnArticlePublished(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: clock.Format(events.HourLayout)}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.inbox(ctx, fan, *clock)
	if err != nil || len(all) != MaxInbox+20 {
		t.Fatalf("%d entries %v", len(all), err)
	}
	for _, at := range []int{MaxInbox - 1, MaxInbox - 2, 0} {
		n := all[at]
		forged := page.Cursor(inboxList(fan), inboxPosition{At: n.CreatedAt.UnixNano(), After: n.ID})
		p, err := s.Inbox(ctx, fan, "50", forged)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if slices.IndexFunc(all, func(n Notification) bool { return n.ID == it.ID }) >= MaxInbox {
				t.Errorf("a cursor after entry %d lists %s, past the newest %d", at, it.ID, MaxInbox)
			}
		}
		if at == MaxInbox-1 && (len(p.Items) != 0 || p.NextCursor != "") {
			t.Errorf("after the %dth entry: %d entries, next %q; want none", MaxInbox, len(p.Items), p.NextCursor)
		}
	}
	// {"a","n"}: a cursor of the id order, before this one.
	old := page.Cursor(inboxList(fan), map[string]any{"a": all[10].ID, "n": 0})
	if _, err := s.Inbox(ctx, fan, "50", old); !errors.Is(err, page.ErrCursor) {
		t.Errorf("a cursor of the earlier format: %v, want %v", err, page.ErrCursor)
	}
	oldest := page.Cursor(inboxList(fan), map[string]any{"a": all[10].ID})
	if _, err := s.Inbox(ctx, fan, "50", oldest); !errors.Is(err, page.ErrCursor) {
		t.Errorf("a cursor of the earlier format without a count: %v, want %v", err, page.ErrCursor)
	}
}

// markOnInbox marks an id read through another request right after this
// one read the inbox: two requests marking the same id at once.
type markOnInbox struct {
	Store
	other  *Service
	user   string
	id     string
	marked int
	writes int
}

func (m *markOnInbox) Inbox(ctx context.Context, userID, since string, now time.Time) (InboxState, error) {
	st, err := m.Store.Inbox(ctx, userID, since, now)
	if m.other != nil {
		other := m.other
		m.other = nil
		m.marked, err = other.MarkRead(ctx, m.user, []string{m.id})
	}
	return st, err
}

func (m *markOnInbox) MarkRead(ctx context.Context, userID, id string, expires time.Time) (bool, error) {
	m.writes++
	return m.Store.MarkRead(ctx, userID, id, expires)
}

// TestMarkedCountsTheIdsThatWereUnreadOnce: marking an id read again counts
// none and writes nothing; two requests marking it at once count it once
// between them.
func TestMarkedCountsTheIdsThatWereUnreadOnce(t *testing.T) {
	for name, newStore := range bothStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := &markOnInbox{Store: newStore(t)}
			s, _ := clocked(store)
			fan := id(1 << 20)
			if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
				t.Fatal(err)
			}
			trendIn(t, s, 1, "sports")
			trendIn(t, s, 2, "sports")
			hour := now.Format(events.HourLayout)
			first, second := NotificationID(hour, id(1)), NotificationID(hour, id(2))
			for round, want := range []int{1, 0, 0} {
				store.writes = 0
				n, err := s.MarkRead(ctx, fan, []string{first})
				if err != nil || n != want {
					t.Errorf("round %d: marked %d %v, want %d", round, n, err, want)
				}
				if round > 0 && store.writes != 0 {
					t.Errorf("round %d: %d writes for an id already read, want 0", round, store.writes)
				}
			}
			store.other, store.user, store.id = &Service{Store: store.Store, Now: s.Now}, fan, second
			n, err := s.MarkRead(ctx, fan, []string{second})
			if err != nil || n+store.marked != 1 {
				t.Errorf("two requests at once marked %d and %d (%v), want 1 in all", n, store.marked, err)
			}
		})
	}
}

// hiddenMeanwhile is a store on which an editor's moderation lands between
// Notify's read of the article and its put of the entry.
type hiddenMeanwhile struct {
	Store
	meanwhile func()
}

func (h *hiddenMeanwhile) PutTrending(ctx context.Context, n Notification, expires time.Time) (bool, error) {
	if h.meanwhile != nil {
		f := h.meanwhile
		h.meanwhile = nil
		f()
	}
	return h.Store.PutTrending(ctx, n, expires)
}

// TestAnArticleHiddenWhileItsTrendIsRecordedIsNotListed: the moderation's
// own pass over the trending list finds no entry yet; the trend's record
// must still end hidden.
func TestAnArticleHiddenWhileItsTrendIsRecordedIsNotListed(t *testing.T) {
	for name, newStore := range bothStores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := &hiddenMeanwhile{Store: newStore(t)}
			s, clock := clocked(store)
			fan := id(1 << 21)
			if err := s.OnInterestsChanged(ctx, events.InterestsChanged{UserID: fan, Interests: []string{"sports"}, At: now}); err != nil {
				t.Fatal(err)
			}
			a := published(3, "sports", "s", time.Hour)
			if err := s.OnArticlePublished(ctx, a); err != nil {
				t.Fatal(err)
			}
			store.meanwhile = func() {
				if err := s.OnArticleModerated(ctx, events.ArticleModerated{ID: a.ID, Hidden: true, At: now.Add(time.Second)}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Notify(ctx, Trend{ArticleID: a.ID, Hour: now.Format(events.HourLayout)}); err != nil {
				t.Fatal(err)
			}
			*clock = clock.Add(TrendingRefresh)
			if got := inboxIDs(t, s, fan); len(got) != 0 {
				t.Errorf("an article hidden while its trend was recorded is listed: %v", got)
			}
		})
	}
}

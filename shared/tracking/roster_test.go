package tracking

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"

	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

// rawDay is the day partial of one shard counted the old way: from every
// stored event of the day, the users of the day before read from theirs.
func rawDay(t *testing.T, st Store, day time.Time, shard int, at time.Time) Partial {
	t.Helper()
	ctx := context.Background()
	s := &Service{Store: st, Now: func() time.Time { return at }}
	var events []Stored
	before := map[string]bool{}
	for h := range 24 {
		evs, err := st.EventsOf(ctx, day.Add(time.Duration(h)*time.Hour), shard, at)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, evs...)
		prev, err := st.EventsOf(ctx, day.Add(time.Duration(h-24)*time.Hour), shard, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range prev {
			before[e.UserID] = true
		}
	}
	articles, err := s.catalogue(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := count(events, articles, Day, day.Format(dayLayout), shard, at, before)
	return p
}

func storedDay(t *testing.T, st Store, day time.Time, shard int) map[string]Counts {
	t.Helper()
	parts, err := st.Partials(context.Background(), Day, []string{day.Format(dayLayout)}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.Shard == shard {
			return p.Slices
		}
	}
	return map[string]Counts{}
}

// TestADayFromRostersEqualsTheDayFromEveryEvent: random users send random
// events over two days' hours — active in several hours, on the day before,
// some events hours late, some ids twice, some articles outside the
// catalogue, some users in an experiment's variants — with KPI runs between
// the batches. Each run reads the raw events of the marked hours only; every
// shard's day must equal the day counted from all its raw events.
func TestADayFromRostersEqualsTheDayFromEveryEvent(t *testing.T) {
	ctx := context.Background()
	for name, newStore := range map[string]func(t *testing.T) Store{
		"memory":   func(*testing.T) Store { return NewMemoryStore() },
		"dynalite": func(t *testing.T) Store { return NewDynamoStore(dynamotest.Table(t, "events")) },
	} {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			rng := rand.New(rand.NewPCG(23, 3))
			for i := range 12 {
				_ = st.PutArticle(ctx, Article{ID: art(i), Category: []string{"sports", "world", "tech"}[i%3], SourceID: fmt.Sprintf("src%d", i%4)})
			}
			day := now.Truncate(24 * time.Hour)
			users := make([]string, 40)
			for i := range users {
				users[i] = fmt.Sprintf("user-%02d", i)
			}
			clock := day.Add(-24 * time.Hour)
			n := 0
			for step := range 48 { // one step an hour over the day before and the day
				clock = clock.Add(time.Hour)
				s := &Service{Store: st, Now: func() time.Time { return clock }}
				for range 6 {
					u := users[rng.IntN(len(users))]
					var batch []Event
					for range 1 + rng.IntN(5) {
						at := clock.Add(-time.Duration(rng.IntN(50)) * time.Minute)
						if rng.IntN(6) == 0 { // late by hours
							at = clock.Add(-time.Duration(1+rng.IntN(30)) * time.Hour)
						}
						a := rng.IntN(14) // 12, 13: not in the catalogue
						n++
						e := ev(fmt.Sprintf("ev-%06d", n), []string{Impression, Impression, Click, Read, Share}[rng.IntN(5)], a, at)
						batch = append(batch, e)
					}
					if rng.IntN(5) == 0 && len(batch) > 1 {
						batch = append(batch, batch[0]) // a duplicate in the batch
					}
					if _, err := s.Track(ctx, u, batch); err != nil {
						// a duplicate in one batch is refused whole; send it once
						if _, err := s.Track(ctx, u, batch[:len(batch)-1]); err != nil {
							t.Fatal(err)
						}
					}
				}
				if step%3 == 2 {
					runKPI(t, st, clock.Add(2*time.Minute))
				}
			}
			end := clock.Add(2 * time.Hour)
			runKPI(t, st, end)
			for shard := range Shards {
				want := rawDay(t, st, day, shard, end).Slices
				if got := storedDay(t, st, day, shard); !reflect.DeepEqual(got, want) {
					t.Errorf("shard %d: the day from rosters\n%v\nwant, from every event,\n%v", shard, got, want)
				}
			}
		})
	}
}

// TestRostersAreReplacedWholeAndNeverByAnEarlierRun is the store suite's
// part for rosters, against memory and dynalite: a roster bigger than one
// item reads back whole, an earlier-started one never replaces a later
// one, and a roster outlives its day's events by a day.
func TestRostersAreReplacedWholeAndNeverByAnEarlierRun(t *testing.T) {
	ctx := context.Background()
	for name, newStore := range map[string]func(t *testing.T) Store{
		"memory":   func(*testing.T) Store { return NewMemoryStore() },
		"dynalite": func(t *testing.T) Store { return NewDynamoStore(dynamotest.Table(t, "events")) },
	} {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			hour := now.Truncate(time.Hour).Format(hourLayout)
			big := map[string]map[string]Tally{}
			for u := range 6000 { // ~4 chunks of RosterChunkBytes, numbers at their widest
				slices := map[string]Tally{"all": {1, 2, 3, 4}}
				for a := range 3 {
					slices["article:"+art(u*3+a)] = Tally{1 << 62, 1 << 62, 0, 1}
				}
				big[fmt.Sprintf("user-%05d", u)] = slices
			}
			later := Roster{Granularity: Hour, Period: hour, Shard: 3, Started: now.Add(time.Minute), Users: big}
			if ok, err := st.PutRoster(ctx, later); err != nil || !ok {
				t.Fatalf("put = %v %v", ok, err)
			}
			earlier := Roster{Granularity: Hour, Period: hour, Shard: 3, Started: now,
				Users: map[string]map[string]Tally{"stale": {"all": {1, 0, 0, 0}}}}
			if ok, err := st.PutRoster(ctx, earlier); err != nil || ok {
				t.Fatalf("an earlier-started roster put = %v %v, want superseded", ok, err)
			}
			got, err := st.Rosters(ctx, Hour, []string{hour, "2026112400"}, 3, now)
			if err != nil || len(got) != 1 {
				t.Fatalf("rosters = %d %v", len(got), err)
			}
			if r := got[hour]; !reflect.DeepEqual(r.Users, big) || !r.Started.Equal(later.Started) {
				t.Errorf("read back %d users, started %s; want %d, %s", len(r.Users), r.Started, len(big), later.Started)
			}
			// The same start again replaces (a job run twice), and so does a later one, smaller.
			small := later
			small.Users = map[string]map[string]Tally{"bob": {"all": {0, 1, 0, 0}}}
			if ok, err := st.PutRoster(ctx, small); err != nil || !ok {
				t.Fatalf("the same start again = %v %v", ok, err)
			}
			if got, _ := st.Rosters(ctx, Hour, []string{hour}, 3, now); !reflect.DeepEqual(got[hour].Users, small.Users) {
				t.Errorf("after a smaller replacement read %d users, want 1", len(got[hour].Users))
			}
			if got, _ := st.Rosters(ctx, Hour, []string{hour}, 4, now); len(got) != 0 {
				t.Errorf("another shard read %v", got)
			}
			day := now.Truncate(24 * time.Hour)
			if got, _ := st.Rosters(ctx, Hour, []string{hour}, 3, day.Add(Retention+24*time.Hour-time.Second)); len(got) != 1 {
				t.Errorf("a roster must outlive its day's correctable window and the next day's")
			}
			if got, _ := st.Rosters(ctx, Hour, []string{hour}, 3, day.Add(RosterTTL+time.Second)); len(got) != 0 {
				t.Errorf("an expired roster is read: %v", got)
			}
		})
	}
}

// snapshot is a store whose events are read as they were at a time: a
// worker that read them then and writes only now.
type snapshot struct {
	Store
	at time.Time
}

func (s snapshot) EventsOf(ctx context.Context, hour time.Time, shard int, now time.Time) ([]Stored, error) {
	evs, err := s.Store.EventsOf(ctx, hour, shard, now)
	var out []Stored
	for _, e := range evs {
		if !e.ReceivedAt.After(s.at) {
			out = append(out, e)
		}
	}
	return out, err
}

// TestTwoJobsOfAShardInterleavedAndOneTwiceCountOnce: a job run twice
// changes nothing; a slow job that read an hour before an event arrived and
// stores after a later job of the same shard (which counted the event and
// cleared the mark) does not put its stale roster back, so the next run's
// day — computed from that hour's roster — still counts the event.
func TestTwoJobsOfAShardInterleavedAndOneTwiceCountOnce(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	t1 := now.Truncate(time.Hour).Add(2 * time.Hour) // the hours of now are over
	s := &Service{Store: st, Now: func() time.Time { return t1 }}
	if _, err := s.Track(ctx, "alice", []Event{ev("a-000001", Impression, 1, now)}); err != nil {
		t.Fatal(err)
	}
	t2 := t1.Add(5 * time.Minute)
	if _, err := (&Service{Store: st, Now: func() time.Time { return t1.Add(time.Minute) }}).Track(ctx, "alice",
		[]Event{ev("a-000002", Click, 1, now)}); err != nil {
		t.Fatal(err)
	}
	job := ShardJob{Granularity: Day, Period: now.Format(dayLayout), Shard: ShardOf("alice")}
	// The later job: it counts both events and clears the mark.
	later := &Service{Store: st, Now: func() time.Time { return t2 }}
	for range 2 { // twice: the same numbers
		r, err := later.Recompute(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := later.Clear(ctx, r); err != nil {
			t.Fatal(err)
		}
		if got := storedDay(t, st, now, job.Shard)["all"]; got != (Counts{Impressions: 1, Clicks: 1, Users: 1, Viewers: 1, Clickers: 1, ViewerClicks: 1}) {
			t.Fatalf("day = %+v", got)
		}
	}
	// The slow job started at t1 and read the hour before the click arrived.
	slow := &Service{Store: snapshot{Store: st, at: t1}, Now: func() time.Time { return t1 }}
	r, err := slow.Recompute(ctx, ShardJob{Granularity: Hour, Period: now.Format(hourLayout), Shard: job.Shard})
	if err != nil {
		t.Fatal(err)
	}
	// Nor its stale hour partial, which is the later job's to announce.
	if len(r.Hours) != 1 || !r.Hours[0].Superseded {
		t.Errorf("the slow job's hour = %+v, want it superseded", r.Hours)
	}
	parts, _ := st.Partials(ctx, Hour, []string{now.Format(hourLayout)}, true)
	if len(parts) != 1 || parts[0].Slices["all"].Clicks != 1 {
		t.Errorf("after the slow job, the hour partial = %+v, want the later job's (1 click)", parts)
	}
	// An event of another hour of the day: the next run reads the first hour's roster.
	t3 := t2.Add(time.Hour)
	if _, err := (&Service{Store: st, Now: func() time.Time { return t3 }}).Track(ctx, "alice",
		[]Event{ev("a-000003", Read, 1, now.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	runKPI(t, st, t3.Add(time.Hour))
	want := rawDay(t, st, now.Truncate(24*time.Hour), job.Shard, t3.Add(time.Hour)).Slices
	if got := storedDay(t, st, now, job.Shard); !reflect.DeepEqual(got, want) {
		t.Errorf("after the slow job, the day = %+v, want %+v", got["all"], want["all"])
	}
}

// TestARosterChunkIsBoundedAndReadsBackWhole: a roster of any size is
// chunks of at most RosterChunkBytes encoded, which decode to it whole —
// numbers at their widest, names that JSON escapes, users in several
// chunks, users whose all, category and source tallies are their article
// tallies' sums (stored without them) and users whose are not.
func TestARosterChunkIsBoundedAndReadsBackWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	users := map[string]map[string]Tally{}
	of := map[string][2]string{}
	add := func(slices map[string]Tally, k string, t Tally) {
		s := slices[k]
		for i := range s {
			s[i] += t[i]
		}
		slices[k] = s
	}
	for u := range 4000 {
		slices := map[string]Tally{}
		for range 1 + rng.IntN(40) {
			a := rng.IntN(3000)
			k := fmt.Sprintf("article:%032x\"\\<%d>", a, a%3)
			of[k] = [2]string{fmt.Sprintf("category:c%d\u00e9", a%7), fmt.Sprintf("source:s%d", a%11)}
			tally := Tally{rng.Int64N(1 << 40), 1 << 40, 0, int64(rng.IntN(9))}
			for _, d := range []string{k, "all", of[k][0], of[k][1]} {
				add(slices, d, tally)
			}
			if rng.IntN(3) == 0 {
				add(slices, fmt.Sprintf("variant:exp%d=%d", a%2, a%3), tally)
			}
		}
		switch u % 10 {
		case 0: // a tally that is not the sum
			add(slices, "all", Tally{1})
		case 1: // a category without an article
			add(slices, "category:other", Tally{0, 1})
		}
		users[fmt.Sprintf("user-%05d-\u00e9", u)] = slices
	}
	users["users-only"] = map[string]Tally{"all": {}}
	users["unmapped"] = map[string]Tally{"all": {1}, "article:nowhere": {1}}
	chunks, err := rosterChunks(users, of)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 3 {
		t.Fatalf("%d chunks: the case does not span chunks", len(chunks))
	}
	got := map[string]map[string]Tally{}
	size := 0
	for i, c := range chunks {
		size += len(c)
		if len(c) > RosterChunkBytes {
			t.Errorf("chunk %d is %d bytes, over %d", i, len(c), RosterChunkBytes)
		}
		part, err := decodeRoster(c)
		if err != nil {
			t.Fatal(err)
		}
		merge(got, part)
	}
	if !reflect.DeepEqual(got, users) {
		n := 0
		for u, s := range users {
			if !reflect.DeepEqual(got[u], s) && n < 3 {
				n++
				t.Errorf("user %s read back %v, want %v", u, got[u], s)
			}
		}
		t.Errorf("read back %d users, want %d", len(got), len(users))
	}
	t.Logf("%d users in %d chunks, %d bytes", len(users), len(chunks), size)
	if empty, err := rosterChunks(nil, nil); err != nil || len(empty) != 1 {
		t.Errorf("an empty roster = %d chunks, %v; want one", len(empty), err)
	}
}

// TestADaysUsersAreStoredOnceItIsOverAndAgainAfterALateEvent: the day's
// users-only roster (the next day's Returning) is not rewritten by every
// run of the day, only by its runs once it is over; the next day reads it,
// and a late event of the day after that is in it.
func TestADaysUsersAreStoredOnceItIsOverAndAgainAfterALateEvent(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	day := now.Truncate(24 * time.Hour)
	period := day.Format(dayLayout)
	track := func(at time.Time, user, id string, when time.Time) {
		t.Helper()
		if _, err := (&Service{Store: st, Now: func() time.Time { return at }}).Track(ctx, user, []Event{ev(id, Click, 1, when)}); err != nil {
			t.Fatal(err)
		}
	}
	users := func(at time.Time) map[string]map[string]Tally {
		t.Helper()
		got, err := st.Rosters(ctx, Day, []string{period}, ShardOf("alice"), at)
		if err != nil {
			t.Fatal(err)
		}
		return got[period].Users
	}
	track(now, "alice", "a-000001", now)
	runKPI(t, st, now.Add(5*time.Minute))
	if got := users(now.Add(5 * time.Minute)); got != nil {
		t.Errorf("a run during the day stored its users: %v", got)
	}
	over := day.Add(24*time.Hour + 10*time.Minute)
	track(over, "alice", "a-000002", over) // the next day
	runKPI(t, st, over.Add(5*time.Minute))
	if got := users(over); len(got) != 1 || got["alice"] == nil {
		t.Fatalf("after the next day's run the day's users = %v, want alice (read from its events)", got)
	}
	// A late event of the day, from a user of alice's shard.
	bob := ""
	for i := 0; bob == ""; i++ {
		if u := fmt.Sprintf("bob-%d", i); ShardOf(u) == ShardOf("alice") {
			bob = u
		}
	}
	late := over.Add(time.Hour)
	track(late, bob, "b-000001", now)
	runKPI(t, st, late.Add(5*time.Minute))
	if got := users(late); len(got) != 2 || got[bob] == nil {
		t.Errorf("after a late event the day's users = %v, want alice and %s", got, bob)
	}
}

// TestAnHoursRosterIsStoredByTheRunThatClearsItsMark: the runs while an
// hour is current recompute it from its events (it stays marked), so they
// do not rewrite its roster; the run that clears its mark stores it, and
// the day read from it afterwards is the day read from every event.
func TestAnHoursRosterIsStoredByTheRunThatClearsItsMark(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	_ = st.PutArticle(ctx, Article{ID: art(1), Category: "sports", SourceID: "desk"})
	hour := now.Truncate(time.Hour)
	shard := ShardOf("alice")
	roster := func(at time.Time) (Roster, bool) {
		t.Helper()
		got, err := st.Rosters(ctx, Hour, []string{hour.Format(hourLayout)}, shard, at)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := got[hour.Format(hourLayout)]
		return r, ok
	}
	for i, at := range []time.Time{now, now.Add(10 * time.Minute)} {
		if _, err := (&Service{Store: st, Now: func() time.Time { return at }}).Track(ctx, "alice",
			[]Event{ev(fmt.Sprintf("a-%06d", i), Click, 1, at)}); err != nil {
			t.Fatal(err)
		}
		runKPI(t, st, at.Add(5*time.Minute))
		if r, ok := roster(at); ok {
			t.Fatalf("a run while the hour is current stored its roster: %v", r.Users)
		}
	}
	settled := hour.Add(time.Hour + Settle + time.Minute)
	runKPI(t, st, settled)
	r, ok := roster(settled)
	if !ok || r.Users["alice"]["all"] != (Tally{0, 2, 0, 0}) {
		t.Fatalf("after the run that cleared the mark, the roster = %v (%v), want alice's two clicks", r.Users, ok)
	}
	if marks, _ := reports(st).Marks(ctx); len(marks) != 0 {
		t.Fatalf("marks left: %v", marks)
	}
	// Another hour of the day: the next run reads the first from its roster.
	later := settled.Add(time.Hour)
	if _, err := (&Service{Store: st, Now: func() time.Time { return later }}).Track(ctx, "alice",
		[]Event{ev("a-000009", Read, 1, later)}); err != nil {
		t.Fatal(err)
	}
	runKPI(t, st, later.Add(5*time.Minute))
	want := rawDay(t, st, hour.Truncate(24*time.Hour), shard, later.Add(5*time.Minute)).Slices
	if got := storedDay(t, st, hour, shard); !reflect.DeepEqual(got, want) {
		t.Errorf("the day = %+v, want %+v", got["all"], want["all"])
	}
}

// TestTallyingAllocatesPerUserAndArticleNotPerEvent: a KPI worker's step in
// memory costs the same per event at every size. Tallying a period makes
// each article's and variant's slice names once (not per event), and a
// day summed from its hours' rosters allocates for its users and slices,
// never a map per user and hour; it counts what the merged rosters count.
func TestTallyingAllocatesPerUserAndArticleNotPerEvent(t *testing.T) {
	articles := map[string]Article{}
	for i := range 200 {
		articles[art(i)] = Article{ID: art(i), Category: fmt.Sprintf("cat%d", i%4), SourceID: fmt.Sprintf("src%d", i%20)}
	}
	day := now.Truncate(24 * time.Hour)
	const users, perHour = 400, 1000
	hours := make([][]Stored, 24)
	for h := range hours {
		for k := range perHour {
			typ := []string{Impression, Impression, Click, Read}[k%4]
			hours[h] = append(hours[h], Stored{Event: Event{ID: fmt.Sprintf("e-%d-%d", h, k), Type: typ, ArticleID: art((k * 7) % 200),
				At: day.Add(time.Duration(h) * time.Hour)}, UserID: fmt.Sprintf("user-%04d", (k+h*13)%users), Variants: []string{"exp=a"}})
		}
	}
	// The hour again with each event sent twice more (new ids): the same
	// users, articles and slices, three times the events.
	thrice := append([]Stored(nil), hours[0]...)
	for i := range 2 * perHour {
		e := hours[0][i%perHour]
		e.ID = fmt.Sprintf("again-%d", i)
		thrice = append(thrice, e)
	}
	once := testing.AllocsPerRun(3, func() { rosterOf(hours[0], articles) })
	more := testing.AllocsPerRun(3, func() { rosterOf(thrice, articles) })
	if per := (more - once) / (2 * perHour); per > 0.01 {
		t.Errorf("tallying %d events allocated %.0f times, %d events of the same users and articles %.0f: %.2f an event more; want none",
			perHour, once, 3*perHour, more, per)
	}
	rosters := make([]map[string]map[string]Tally, len(hours))
	merged := map[string]map[string]Tally{}
	for h, evs := range hours {
		rosters[h], _, _ = rosterOf(evs, articles)
		merge(merged, rosters[h])
	}
	before := map[string]bool{"user-0001": true, "user-0002": true}
	want := partialOf(merged, Day, day.Format(dayLayout), 3, now, before)
	got, _ := dayOf(rosters, day.Format(dayLayout), 3, now, before, false)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the day summed user by user differs from the merged rosters' partial:\n got %v\nwant %v", got.Slices, want.Slices)
	}
	allocs := testing.AllocsPerRun(3, func() { dayOf(rosters, day.Format(dayLayout), 3, now, before, false) })
	if allocs > 100 {
		t.Errorf("summing a day of %d users over 24 hours allocated %.0f times; want at most 100 (its index and partial, not a map per user)", users, allocs)
	}
}

// midRead is a DynamoDB client that runs during before each batch read of
// roster chunks: what replaces a roster between a reader's read of its head
// and of the chunks the head names. It records the chunks asked for.
type midRead struct {
	dynamodbiface.DynamoDBAPI
	during func()
	asked  []string
}

func (c *midRead) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	var chunks []string
	for _, req := range in.RequestItems {
		for _, k := range req.Keys {
			if pk, ok := k["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "kro#") && strings.Count(pk.Value, "#") > 3 {
				chunks = append(chunks, pk.Value)
			}
		}
	}
	if len(chunks) > 0 {
		c.asked = append(c.asked, chunks...)
		c.during()
	}
	return c.DynamoDBAPI.BatchGetItem(ctx, in, opts...)
}

// readThen is a memory store whose roster read runs during after it: a read
// that holds the store's lock is ordered before what replaces the rosters.
type readThen struct {
	*MemoryStore
	during func()
}

func (s readThen) Rosters(ctx context.Context, granularity string, periods []string, shard int, now time.Time) (map[string]Roster, error) {
	out, err := s.MemoryStore.Rosters(ctx, granularity, periods, shard, now)
	s.during()
	return out, err
}

// TestADayJobReadsTheRosterGenerationItsHeadNamesWhateverReplacesItMeanwhile:
// a day job reads an hour's roster (several chunks) while that hour's job
// replaces it, three times, between the day job's read of the head and of
// the chunks the head names, as often as the day job gets there: it reads
// the roster it started with, whole, in one pass, never failing on chunks
// gone; the next read reads the newest. Against memory and dynalite; on
// dynalite the replaced chunks are left to the table's time to live
// (ReplacedReadable), not kept for ever.
func TestADayJobReadsTheRosterGenerationItsHeadNamesWhateverReplacesItMeanwhile(t *testing.T) {
	ctx := context.Background()
	hour := now.Truncate(time.Hour).Format(hourLayout)
	big := map[string]map[string]Tally{}
	for u := range 4000 { // 3 chunks of RosterChunkBytes or so
		slices := map[string]Tally{"all": {1, 2, 3, 4}}
		for a := range 3 {
			slices["article:"+art(u*3+a)] = Tally{1 << 62, 1 << 62, 0, 1}
		}
		big[fmt.Sprintf("user-%05d", u)] = slices
	}
	// version k differs from the first roster in one user's tallies.
	version := func(k int) Roster {
		users := maps.Clone(big)
		users["user-00000"] = map[string]Tally{"all": {int64(k), 0, 0, 0}}
		return Roster{Granularity: Hour, Period: hour, Shard: 3, Started: now.Add(time.Duration(k) * time.Minute), Users: users}
	}
	for name, open := range map[string]func(t *testing.T, during func()) Store{
		"memory": func(_ *testing.T, during func()) Store { return readThen{NewMemoryStore(), during} },
		"dynalite": func(t *testing.T, during func()) Store {
			table := dynamotest.Table(t, "events")
			c := &midRead{DynamoDBAPI: dynalite.Client(dynamotest.URL(t)), during: during}
			t.Cleanup(func() {
				if len(c.asked) == 0 {
					t.Errorf("the read asked for no chunk: the roster must span several")
					return
				}
				var chunk struct {
					ExpiresAt int64 `dynamo:"expires_at"`
				}
				if err := table.Get("pk", c.asked[0]).One(ctx, &chunk); err != nil ||
					chunk.ExpiresAt == 0 || chunk.ExpiresAt > now.Add(time.Minute+ReplacedReadable).Unix() {
					t.Errorf("a replaced chunk expires at %d (%v), want within %s of its replacement", chunk.ExpiresAt, err, ReplacedReadable)
				}
			})
			return NewDynamoStore(dynamo.NewFromIface(c).Table(table.Name()))
		},
	} {
		t.Run(name, func(t *testing.T) {
			var st Store
			passes, k, live := 0, 0, true
			st = open(t, func() {
				if !live {
					return
				}
				passes++
				for range 3 { // the hour's job, its retries and the next runs
					k++
					if ok, err := st.PutRoster(ctx, version(k)); err != nil || !ok {
						t.Fatalf("replacement %d: %v %v", k, ok, err)
					}
				}
			})
			first := version(0)
			if ok, err := st.PutRoster(ctx, first); err != nil || !ok {
				t.Fatalf("put = %v %v", ok, err)
			}
			got, err := st.Rosters(ctx, Hour, []string{hour}, 3, now)
			if err != nil {
				t.Fatalf("the day job's read met %d passes of replacements: %v", passes, err)
			}
			if r := got[hour]; !reflect.DeepEqual(r.Users, first.Users) || !r.Started.Equal(first.Started) {
				t.Errorf("the day job read %d users started %s, user-00000 %v; want the roster it started with (%d users, %s, %v)",
					len(r.Users), r.Started, r.Users["user-00000"], len(first.Users), first.Started, first.Users["user-00000"])
			}
			if passes != 1 {
				t.Errorf("the day job read the rosters in %d passes, want 1", passes)
			}
			live = false
			newest := version(k)
			got, err = st.Rosters(ctx, Hour, []string{hour}, 3, now)
			if r := got[hour]; err != nil || !reflect.DeepEqual(r.Users, newest.Users) {
				t.Errorf("a later read: user-00000 %v (%v), want the newest's %v", r.Users["user-00000"], err, newest.Users["user-00000"])
			}
		})
	}
}

// TestARosterWhoseChunkIsGoneIsNotReadInPart: a day job that finds a chunk
// of the roster its head names gone (a read longer than ReplacedReadable)
// fails, to be retried, and never merges the roster without that chunk's
// users.
func TestARosterWhoseChunkIsGoneIsNotReadInPart(t *testing.T) {
	ctx := context.Background()
	table := dynamotest.Table(t, "events")
	st := NewDynamoStore(table)
	hour := now.Truncate(time.Hour).Format(hourLayout)
	users := map[string]map[string]Tally{}
	for u := range 4000 {
		users[fmt.Sprintf("user-%05d", u)] = map[string]Tally{"all": {1, 0, 0, 0}, "article:" + art(u): {1 << 62, 1 << 62, 0, 1},
			"article:" + art(u+4000): {1, 1, 1, 1}, "article:" + art(u+8000): {1, 0, 0, 0}}
	}
	if ok, err := st.PutRoster(ctx, Roster{Granularity: Hour, Period: hour, Shard: 5, Started: now, Users: users}); err != nil || !ok {
		t.Fatalf("put = %v %v", ok, err)
	}
	var head rosterItem
	if err := table.Get("pk", rosterKey(Hour, hour, 5)).One(ctx, &head); err != nil || head.Parts == 0 {
		t.Fatalf("head = %d further chunks, %v; want some", head.Parts, err)
	}
	if err := table.Delete("pk", rosterChunkKey(head.PK, head.Gen, head.Parts)).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Rosters(ctx, Hour, []string{hour}, 5, now); err == nil {
		t.Errorf("read %d of %d users with a chunk gone, want an error", len(got[hour].Users), len(users))
	}
}

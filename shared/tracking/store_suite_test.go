package tracking

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

func TestMemoryStorePassesTheStoreSuite(t *testing.T) {
	storeSuite(t, func(*testing.T) Store { return NewMemoryStore() })
}

func TestDynamoStorePassesTheStoreSuite(t *testing.T) {
	storeSuite(t, func(t *testing.T) Store { return NewDynamoStore(dynamotest.Table(t, "events")) })
}

// storeSuite holds what the service relies on from any Store.
func storeSuite(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("an event id is stored once per user", func(t *testing.T) {
		st := newStore(t)
		dwell := int64(1500)
		e := Stored{Event: Event{ID: "e-000001", Type: Read, ArticleID: art(1), At: now, DwellMS: &dwell}, UserID: "alice", ReceivedAt: now}
		if err := st.PutEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := st.PutEvent(ctx, e); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("the same id again = %v, want ErrDuplicate", err)
		}
		other := e
		other.UserID = "bob"
		if err := st.PutEvent(ctx, other); err != nil {
			t.Fatalf("another user's event of the same id = %v, want it stored", err)
		}
		got, err := st.EventsOf(ctx, now.Truncate(time.Hour), ShardOf("alice"), now)
		if err != nil || len(got) == 0 {
			t.Fatalf("EventsOf = %v, %v", got, err)
		}
		var mine *Stored
		for i := range got {
			if got[i].UserID == "alice" {
				mine = &got[i]
			}
		}
		if mine == nil || mine.ID != e.ID || mine.Type != Read || !mine.At.Equal(now) || mine.DwellMS == nil || *mine.DwellMS != dwell {
			t.Errorf("read back %+v, want %+v", mine, e)
		}
	})
	t.Run("the same write retried is stored, another attempt's is a duplicate", func(t *testing.T) {
		st := newStore(t)
		e := Stored{Event: Event{ID: "e-000002", Type: Click, ArticleID: art(1), At: now}, UserID: "alice", ReceivedAt: now, Attempt: "req-1"}
		if err := st.PutEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		// The SDK sends the same put again when the first response was lost.
		if err := st.PutEvent(ctx, e); err != nil {
			t.Fatalf("the same attempt's write again = %v, want it accepted (it is its own write)", err)
		}
		replay := e
		replay.Attempt, replay.ReceivedAt = "req-2", now.Add(24*time.Hour) // another request, a day late
		if err := st.PutEvent(ctx, replay); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("another attempt's write of the id = %v, want ErrDuplicate", err)
		}
		bare := e
		bare.Attempt = ""
		if err := st.PutEvent(ctx, bare); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("a write without an attempt = %v, want ErrDuplicate", err)
		}
		got, err := st.EventsOf(ctx, now.Truncate(time.Hour), ShardOf("alice"), now)
		if err != nil || len(got) != 1 || !got[0].ReceivedAt.Equal(now) {
			t.Fatalf("EventsOf = %+v, %v; want the first write once", got, err)
		}
	})
	t.Run("an hour's events are read by hour and user shard", func(t *testing.T) {
		st := newStore(t)
		users := []string{"u1", "u2", "u3", "u4", "u5", "u6"}
		for _, u := range users {
			for i, at := range []time.Time{now, now.Add(time.Hour)} {
				if err := st.PutEvent(ctx, Stored{Event: Event{ID: "e-00000" + string(rune('a'+i)), Type: Click, ArticleID: art(1), At: at},
					UserID: u, ReceivedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for shard := range Shards {
			got, err := st.EventsOf(ctx, now.Truncate(time.Hour), shard, now)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, u := range users {
				if ShardOf(u) == shard {
					want = append(want, u)
				}
			}
			var gotUsers []string
			for _, e := range got {
				if !e.At.Truncate(time.Hour).Equal(now.Truncate(time.Hour)) {
					t.Errorf("shard %d read an event of another hour: %+v", shard, e)
				}
				gotUsers = append(gotUsers, e.UserID)
			}
			sort.Strings(gotUsers)
			if fmt.Sprint(gotUsers) != fmt.Sprint(want) {
				t.Errorf("shard %d read users %v, want %v", shard, gotUsers, want)
			}
		}
	})
	t.Run("the catalogue answers the ids it knows", func(t *testing.T) {
		st := newStore(t)
		a := Article{ID: art(1), Category: "sports", SourceID: "desk"}
		for range 2 { // idempotent
			if err := st.PutArticle(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.Articles(ctx, []string{art(1), art(2)})
		if err != nil || len(got) != 1 || got[art(1)] != a {
			t.Errorf("Articles = %v, %v; want only %+v", got, err, a)
		}
		if got, err := st.Articles(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("Articles(nil) = %v, %v", got, err)
		}
	})
	t.Run("a partial is replaced whole and read with or without its articles", func(t *testing.T) {
		st := newStore(t)
		p := Partial{Granularity: Hour, Period: "2026112510", Shard: 3, ComputedAt: now, Slices: map[string]Counts{
			"all": {Clicks: 2}, "category:sports": {Clicks: 2}, "article:" + art(1): {Clicks: 1}, "article:" + art(2): {Clicks: 1}}}
		if _, err := st.PutPartial(ctx, p); err != nil {
			t.Fatal(err)
		}
		p2 := Partial{Granularity: Hour, Period: "2026112510", Shard: 3, ComputedAt: now.Add(time.Minute), Slices: map[string]Counts{
			"all": {Clicks: 1}, "article:" + art(1): {Clicks: 1}}}
		if _, err := st.PutPartial(ctx, p2); err != nil {
			t.Fatal(err)
		}
		other := Partial{Granularity: Day, Period: "20261125", Shard: 3, ComputedAt: now, Slices: map[string]Counts{"all": {Clicks: 9}}}
		if _, err := st.PutPartial(ctx, other); err != nil {
			t.Fatal(err)
		}
		parts, err := st.Partials(ctx, Hour, []string{"2026112510", "2026112511"}, true)
		if err != nil || len(parts) != 1 {
			t.Fatalf("Partials = %+v, %v; want the one partial", parts, err)
		}
		if got := parts[0]; got.Shard != 3 || got.Period != p2.Period || !got.ComputedAt.Equal(p2.ComputedAt) || len(got.Slices) != 2 ||
			got.Slices["all"] != p2.Slices["all"] || got.Slices["article:"+art(1)] != p2.Slices["article:"+art(1)] {
			t.Errorf("read %+v, want the replacement %+v", got, p2)
		}
		heads, err := st.Partials(ctx, Hour, []string{"2026112510"}, false)
		if err != nil || len(heads) != 1 || len(heads[0].Slices) != 1 {
			t.Errorf("without articles: %+v, %v; want only the all slice", heads, err)
		}
	})
	t.Run("a partial is replaced only by a later-started one, and read as one generation", func(t *testing.T) {
		st := newStore(t)
		const period = "2026112510"
		big := func(computed time.Time, clicks int64, articles int) Partial {
			p := Partial{Granularity: Hour, Period: period, Shard: 4, ComputedAt: computed, Slices: map[string]Counts{"all": {Clicks: clicks}}}
			for i := range articles {
				p.Slices["article:"+art(i)] = Counts{Clicks: clicks}
			}
			return p
		}
		// The later run stores first: three article chunks.
		later := big(now.Add(time.Minute), 2, 2*ArticlesPerChunk+5)
		if ok, err := st.PutPartial(ctx, later); err != nil || !ok {
			t.Fatalf("put = %v %v", ok, err)
		}
		// A slow worker that started earlier stores after it: one chunk, other numbers.
		earlier := big(now, 1, 10)
		if ok, err := st.PutPartial(ctx, earlier); err != nil || ok {
			t.Fatalf("an earlier-started partial put = %v %v, want superseded", ok, err)
		}
		check := func(want Partial) {
			t.Helper()
			parts, err := st.Partials(ctx, Hour, []string{period}, true)
			if err != nil || len(parts) != 1 {
				t.Fatalf("Partials = %d %v", len(parts), err)
			}
			got := parts[0]
			if !got.ComputedAt.Equal(want.ComputedAt) || len(got.Slices) != len(want.Slices) {
				t.Fatalf("read %d slices computed at %s, want %d of %s", len(got.Slices), got.ComputedAt, len(want.Slices), want.ComputedAt)
			}
			for k, c := range want.Slices {
				if got.Slices[k] != c {
					t.Fatalf("slice %s = %+v, want %+v (two generations mixed)", k, got.Slices[k], c)
				}
			}
		}
		check(later)
		// The same start again replaces (a job run twice), and so does a later one, smaller.
		again := big(later.ComputedAt, 3, ArticlesPerChunk+1)
		if ok, err := st.PutPartial(ctx, again); err != nil || !ok {
			t.Fatalf("the same start again = %v %v", ok, err)
		}
		check(again)
		smaller := big(later.ComputedAt.Add(time.Minute), 4, 1)
		if ok, err := st.PutPartial(ctx, smaller); err != nil || !ok {
			t.Fatalf("a later start = %v %v", ok, err)
		}
		check(smaller)
	})
	t.Run("a mark set again moves and is cleared only as it was read", func(t *testing.T) {
		st := newStore(t)
		hour := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
		first := Mark{Hour: hour.Add(20 * time.Minute), Shard: 5, SetAt: time.Now().UTC()}
		if err := st.Mark(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := Mark{Hour: hour, Shard: 5, SetAt: first.SetAt.Add(time.Second)}
		if err := st.Mark(ctx, second); err != nil {
			t.Fatal(err)
		}
		if err := st.Mark(ctx, Mark{Hour: hour.Add(-Retention - time.Hour), Shard: 5, SetAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		marks, err := st.Marks(ctx, 5, hour)
		if err != nil || len(marks) != 1 || !marks[0].Hour.Equal(hour) || !marks[0].SetAt.Equal(second.SetAt) {
			t.Fatalf("Marks = %+v, %v; want one mark of %s set at %s (the expired one invisible)", marks, err, hour, second.SetAt)
		}
		if other, _ := st.Marks(ctx, 6, hour); len(other) != 0 {
			t.Errorf("another shard's marks: %+v", other)
		}
		if ok, err := st.ClearMark(ctx, first); ok || err != nil {
			t.Errorf("clearing with a stale set time = %v, %v; want it kept", ok, err)
		}
		if ok, err := st.ClearMark(ctx, marks[0]); !ok || err != nil {
			t.Errorf("clearing as read = %v, %v; want cleared", ok, err)
		}
		if ok, err := st.ClearMark(ctx, marks[0]); ok || err != nil {
			t.Errorf("clearing again = %v, %v; want false", ok, err)
		}
		if left, _ := st.Marks(ctx, 5, hour); len(left) != 0 {
			t.Errorf("marks left: %+v", left)
		}
	})
	t.Run("an expired event is invisible although still stored", func(t *testing.T) {
		st := newStore(t)
		received := now.Add(-time.Hour)
		if err := st.PutEvent(ctx, Stored{Event: Event{ID: "e-expiring", Type: Click, ArticleID: art(1), At: received},
			UserID: "alice", ReceivedAt: received}); err != nil {
			t.Fatal(err)
		}
		hour, shard := received.Truncate(time.Hour), ShardOf("alice")
		for _, c := range []struct {
			at   time.Time
			want int
		}{{received, 1}, {received.Add(Retention), 1}, {received.Add(Retention + time.Second), 0}, {received.Add(40 * 24 * time.Hour), 0}} {
			got, err := st.EventsOf(ctx, hour, shard, c.at)
			if err != nil || len(got) != c.want {
				t.Errorf("EventsOf at %s (received %s) = %d events, %v; want %d", c.at, received, len(got), err, c.want)
			}
		}
		// Expired is not deleted: the id is still taken until TTL removes it.
		if err := st.PutEvent(ctx, Stored{Event: Event{ID: "e-expiring", Type: Click, ArticleID: art(1), At: received},
			UserID: "alice", ReceivedAt: received}); !errors.Is(err, ErrDuplicate) {
			t.Errorf("storing the expired event again = %v, want ErrDuplicate (it is still stored)", err)
		}
	})
	t.Run("an article is marked trending once", func(t *testing.T) {
		st := newStore(t)
		if yes, err := st.IsTrending(ctx, art(1)); yes || err != nil {
			t.Fatalf("IsTrending before = %v, %v", yes, err)
		}
		for i, want := range []bool{true, false} {
			if got, err := st.MarkTrending(ctx, art(1), now); got != want || err != nil {
				t.Errorf("MarkTrending #%d = %v, %v; want %v", i+1, got, err, want)
			}
		}
		if yes, err := st.IsTrending(ctx, art(1)); !yes || err != nil {
			t.Errorf("IsTrending after = %v, %v", yes, err)
		}
		if yes, _ := st.IsTrending(ctx, art(2)); yes {
			t.Error("another article is trending")
		}
	})
}

package tracking

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchDay seeds one shard's day of n events spread over its 24 hours (20
// events a user, 200 catalogue articles), as the scale workload's day does,
// straight into a memory store.
func benchDay(b *testing.B, n int) (*MemoryStore, time.Time, int) {
	ctx := context.Background()
	st := NewMemoryStore()
	for i := range 200 {
		_ = st.PutArticle(ctx, Article{ID: art(i), Category: []string{"world", "sports", "tech", "science"}[i%4], SourceID: fmt.Sprintf("src%d", i%20)})
	}
	day := now.Truncate(24 * time.Hour)
	const shard = 5
	var users []string
	for u := 0; len(users) < max(1, n/20); u++ {
		if id := fmt.Sprintf("user-%06d", u); ShardOf(id) == shard {
			users = append(users, id)
		}
	}
	for k := range n {
		typ := Impression
		switch {
		case k%25 == 0:
			typ = Read
		case k%10 == 0:
			typ = Click
		}
		e := Stored{Event: Event{ID: fmt.Sprintf("e-%08d", k), Type: typ, ArticleID: art((k * 7) % 200),
			At: day.Add(time.Duration(k%24)*time.Hour + time.Duration(k%3600)*time.Second)},
			UserID: users[(k/24)%len(users)], ReceivedAt: day.Add(25 * time.Hour)}
		if err := st.PutEvent(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	return st, day, shard
}

// BenchmarkRecomputeDay is a shard worker's day job over n events: every
// hour marked (the first run of a day, or main's design: every run read the
// whole day), and only the newest hour marked (the 5-minute schedule late in
// the day: the other hours from their rosters). Profile with
// go test -run '^$' -bench RecomputeDay -cpuprofile cpu.out ./shared/tracking
func BenchmarkRecomputeDay(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{12000, 24000, 48000} {
		for _, marked := range []int{24, 1} {
			b.Run(fmt.Sprintf("events=%d/marked=%d", n, marked), func(b *testing.B) {
				st, day, shard := benchDay(b, n)
				at := day.Add(26 * time.Hour)
				s := &Service{Store: st, Now: func() time.Time { return at }}
				job := ShardJob{Granularity: Day, Period: day.Format(dayLayout), Shard: shard}
				mark := func(from int) {
					for h := from; h < 24; h++ {
						_ = st.Mark(ctx, Mark{Hour: day.Add(time.Duration(h) * time.Hour), Shard: shard, SetAt: day})
					}
				}
				run := func() {
					r, err := s.Recompute(ctx, job)
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if _, err := s.Clear(ctx, r); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				mark(0)
				run() // the rosters of every hour
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					mark(24 - marked)
					b.StartTimer()
					run()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/event")
			})
		}
	}
}

package eval

import (
	"maps"
	"time"
)

// Numbers are an article's counts as Kiosk's tracking domain reports them
// to the feed (article.stats): per day, distinct readers who saw it and, of
// those, who clicked it, summed over days; DayReaders is the most readers of
// any one day (the feed's MinReaders rule reads it).
type Numbers struct {
	Impressions  int64
	Clicks       int64
	DayReaders   int64
	TodayReaders int64 // today's distinct viewers, so one more reader can be added
}

// Signals is what the log tells the rankers as of At: no event at or after
// At is in it.
type Signals struct {
	At      time.Time
	Numbers map[string]Numbers // by article: tracking's distinct-reader counts
	// Clicks24h counts click events per article in the 24 h before At, the
	// way a naive popularity counter does: a burst from one install counts
	// every time.
	Clicks24h map[string]int
	// StoryClickers counts distinct readers who clicked each story; Readers
	// the distinct readers seen (novelty).
	StoryClickers map[string]int
	Readers       int
}

// tracker replays the log into Signals, with tracking's semantics: a reader
// counts once per article per UTC day.
type tracker struct {
	news    map[string]*Article
	day     time.Time
	numbers map[string]*Numbers
	prevMax map[string]int64
	seen    map[[2]int32]uint8 // (article, user) today: 1 saw, 2 clicked
	ids     map[string]int32   // articles and users interned, so a day of MIND's displays fits in memory
	clicks  []timedClick
	stories map[string]map[string]bool
	readers map[string]bool
}

type timedClick struct {
	at time.Time
	id string
}

func newTracker(news map[string]*Article) *tracker {
	return &tracker{news: news, numbers: map[string]*Numbers{}, prevMax: map[string]int64{},
		seen: map[[2]int32]uint8{}, ids: map[string]int32{}, stories: map[string]map[string]bool{}, readers: map[string]bool{}}
}

func (t *tracker) add(imp Impression) {
	day := imp.Time.UTC().Truncate(24 * time.Hour)
	if !day.Equal(t.day) {
		for id, n := range t.numbers {
			t.prevMax[id] = max(t.prevMax[id], n.TodayReaders)
			n.TodayReaders = 0
		}
		clear(t.seen)
		t.day = day
	}
	t.readers[imp.User] = true
	for i, id := range imp.Shown {
		n := t.numbers[id]
		if n == nil {
			n = &Numbers{}
			t.numbers[id] = n
		}
		k := [2]int32{t.intern(id), t.intern("u:" + imp.User)}
		f := t.seen[k]
		if f&1 == 0 {
			n.Impressions++
			n.TodayReaders++
			f |= 1
		}
		if imp.Clicked[i] {
			t.clicks = append(t.clicks, timedClick{imp.Time, id})
			if f&2 == 0 {
				n.Clicks++
				f |= 2
			}
			if a := t.news[id]; a != nil {
				if t.stories[a.Story] == nil {
					t.stories[a.Story] = map[string]bool{}
				}
				t.stories[a.Story][imp.User] = true
			}
		}
		t.seen[k] = f
	}
}

func (t *tracker) intern(s string) int32 {
	n, ok := t.ids[s]
	if !ok {
		n = int32(len(t.ids))
		t.ids[s] = n
	}
	return n
}

// snapshot is the signals as of at (every added impression is before at).
func (t *tracker) snapshot(at time.Time) *Signals {
	s := &Signals{At: at, Numbers: make(map[string]Numbers, len(t.numbers)), Clicks24h: map[string]int{},
		StoryClickers: make(map[string]int, len(t.stories)), Readers: len(t.readers)}
	for id, n := range t.numbers {
		c := *n
		c.DayReaders = max(t.prevMax[id], n.TodayReaders)
		s.Numbers[id] = c
	}
	// Drop clicks older than a day from the front; they never count again.
	from := at.Add(-24 * time.Hour)
	i := 0
	for i < len(t.clicks) && !t.clicks[i].at.After(from) {
		i++
	}
	t.clicks = t.clicks[i:]
	for _, c := range t.clicks {
		s.Clicks24h[c.id]++
	}
	for story, users := range t.stories {
		s.StoryClickers[story] = len(users)
	}
	return s
}

// withReader returns a copy of s in which one more reader, new today, saw
// and clicked each of ids times times (a burst from one install).
func (s *Signals) withReader(ids []string, times int) *Signals {
	c := *s
	c.Numbers = maps.Clone(s.Numbers)
	c.Clicks24h = maps.Clone(s.Clicks24h)
	for _, id := range ids {
		n := c.Numbers[id]
		n.Impressions++
		n.Clicks++
		n.TodayReaders++
		n.DayReaders = max(n.DayReaders, n.TodayReaders)
		c.Numbers[id] = n
		c.Clicks24h[id] += times
	}
	return &c
}

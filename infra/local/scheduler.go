package local

import (
	"encoding/json"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/infra/schedule"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// virtualClock is the local cloud's time: the real clock plus an offset that
// /_local/clock can set or advance.
type virtualClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (v *virtualClock) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return time.Now().Add(v.offset).UTC()
}

func (v *virtualClock) Offset() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.offset
}

// scheduler fires the declared schedules by the (virtual) clock, delivering
// each scheduled event through the bus (retries, dead letters) as EventBridge
// does. Advancing the clock fires everything due in between, in time order.
type scheduler struct {
	bus     *Bus
	clock   *virtualClock
	on      bool
	mu      sync.Mutex
	entries []*scheduleEntry
	kick    chan struct{}
	stop    chan struct{}
	wg      sync.WaitGroup
}

type scheduleEntry struct {
	fn     string
	i      int
	sc     schedule.Schedule
	anchor time.Time
	cursor time.Time // fired through here
}

func startScheduler(cloud topology.Cloud, bus *Bus, clock *virtualClock, on bool) *scheduler {
	s := &scheduler{bus: bus, clock: clock, on: on, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	now := clock.Now()
	for _, f := range cloud.Functions {
		for i, sc := range f.Schedules {
			parsed, err := schedule.Parse(sc.Expression)
			if err != nil {
				continue // Validate has already refused it
			}
			s.entries = append(s.entries, &scheduleEntry{fn: f.Name, i: i, sc: parsed, anchor: now, cursor: now})
		}
	}
	if on {
		s.wg.Add(1)
		go s.loop()
	}
	return s
}

// loop fires schedules as the clock reaches them.
func (s *scheduler) loop() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		now := s.clock.Now()
		var next time.Time
		for _, e := range s.entries {
			if t := e.sc.Next(e.anchor, e.cursor); !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		s.mu.Unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(now)
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-s.kick:
			t.Stop()
			continue
		case <-t.C:
		}
		s.fire(s.clock.Now(), true)
	}
}

type firing struct {
	at time.Time
	e  *scheduleEntry
}

// fireThrough delivers every firing due up to t, in time order, and returns
// how many each function got.
func (s *scheduler) fireThrough(t time.Time) map[string]int { return s.fire(t, false) }

// fire delivers the firings due up to t; background ones (the real clock's)
// are skipped while the bus is paused (Quiesce), as a disabled EventBridge
// schedule skips them: nothing catches up on Resume.
func (s *scheduler) fire(t time.Time, background bool) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []firing
	for _, e := range s.entries {
		for at := e.sc.Next(e.anchor, e.cursor); !at.IsZero() && !at.After(t); at = e.sc.Next(e.anchor, at) {
			due = append(due, firing{at, e})
		}
		if t.After(e.cursor) {
			e.cursor = t
		}
	}
	sort.SliceStable(due, func(i, j int) bool {
		if !due[i].at.Equal(due[j].at) {
			return due[i].at.Before(due[j].at)
		}
		return due[i].e.fn < due[j].e.fn
	})
	fired := map[string]int{}
	for _, f := range due {
		trigger, event := "schedule:"+f.e.sc.String(), ScheduledEvent(f.e.fn, f.e.i, f.at)
		if !background {
			s.bus.Deliver(f.e.fn, trigger, event, Trace{Root: NewTraceRoot()})
		} else if !s.bus.deliverInBackground(f.e.fn, trigger, event, Trace{Root: NewTraceRoot()}) {
			continue
		}
		fired[f.e.fn]++
	}
	return fired
}

// moveTo sets the clock to t: forward fires what falls due in between; back
// only rewinds the schedules.
func (s *scheduler) moveTo(t time.Time) map[string]int {
	s.clock.mu.Lock()
	s.clock.offset = time.Until(t)
	s.clock.mu.Unlock()
	fired := s.fireThrough(t)
	s.mu.Lock()
	for _, e := range s.entries {
		if e.cursor.After(t) {
			e.cursor = t
		}
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return fired
}

func (s *scheduler) Close() {
	close(s.stop)
	s.wg.Wait()
}

// ScheduledEvent is the event EventBridge sends a scheduled target.
func ScheduledEvent(fn string, i int, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": newUUID(), "detail-type": "Scheduled Event", "source": "aws.events",
		"account": Account, "time": at.UTC().Format(time.RFC3339), "region": Region,
		"resources": []string{ScheduleARN(fn, i)}, "detail": map[string]any{},
	})
	return b
}

// ScheduleARN names the rule of a function's i-th schedule.
func ScheduleARN(fn string, i int) string {
	return "arn:aws:events:" + Region + ":" + Account + ":rule/" + fn + "-schedule-" + strconv.Itoa(i)
}

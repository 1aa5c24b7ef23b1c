package local

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/infra/schedule"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// scheduler fires the declared schedules on the real clock, delivering each
// scheduled event through the bus (retries, dead letters) as EventBridge does.
type scheduler struct {
	bus  *Bus
	stop chan struct{}
	wg   sync.WaitGroup
}

func startScheduler(cloud topology.Cloud, bus *Bus, on bool) *scheduler {
	s := &scheduler{bus: bus, stop: make(chan struct{})}
	if !on {
		return s
	}
	anchor := time.Now()
	for _, f := range cloud.Functions {
		for i, sc := range f.Schedules {
			parsed, err := schedule.Parse(sc.Expression)
			if err != nil {
				continue // Validate has already refused it
			}
			s.wg.Add(1)
			go s.loop(f.Name, i, parsed, anchor)
		}
	}
	return s
}

func (s *scheduler) loop(fn string, i int, sc schedule.Schedule, anchor time.Time) {
	defer s.wg.Done()
	after := time.Now()
	for {
		next := sc.Next(anchor, after)
		if next.IsZero() {
			return
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
		s.bus.Deliver(fn, "schedule:"+sc.String(), ScheduledEvent(fn, i, next))
		after = next
	}
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

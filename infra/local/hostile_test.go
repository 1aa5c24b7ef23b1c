package local_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
)

// hostileClients is the reliability load's "hostile clients" phase (issue
// 17), mixed into TestNothingIsLostUnderFaults: under the same faults as the
// app clients,
//   - a late client posts, for the load's catalogue article, events 26 h,
//     50 h and 6 d 23 h old (the API accepts 7 days);
//   - a random-ids client posts batches of 500 clicks on random 32-hex ids;
//   - a heavy reader posts batches of 500 reads of random ids;
//   - one install bursts clicks without impressions on an article of its own
//     category, which a fan follows.
//
// Afterwards every period those events (and the app clients') fell in must
// count exactly what was accepted, by hour and by day; the random ids count
// in the one unknown bucket; no dead letter caused by their input is left
// once redriven with faults off (a delivery that failed because of its input
// fails again); and the burst makes nothing trending and reaches no inbox.
type hostileClients struct {
	run                   string
	article, burstArticle string
	eventTime             time.Time
	late, random, heavy   registration
	burst, fan            registration
	mu                    sync.Mutex
	lateAccepted          map[time.Duration]int // offset → events accepted
	randomClicks          int
	heavyReads            int
	burstClicks           int
	faultLetters          map[string]string // dead letter id → error, of deliveries naming a hostile user
	pending               []pendingBatch    // batches not accepted under faults
	recovered             int               // batches accepted only once the faults were off
}

// pendingBatch is a batch a hostile client has yet to get accepted.
type pendingBatch struct {
	token    string
	evs      []map[string]any
	accepted func()
}

// lateOffsets are how old the late client's events are.
var lateOffsets = []time.Duration{26 * time.Hour, 50 * time.Hour, 6*24*time.Hour + 23*time.Hour}

// strangeHour is how old the random-id clicks and the heavy reader's reads
// are: an hour no other test writes to, so the unknown bucket's count for it
// is theirs alone.
const strangeHour = 5 * time.Hour

const (
	randomBatches, heavyBatches, burstBatches = 6, 4, 3
	burstPerBatch                             = 200
	hostileCategory                           = "hostileburst"
)

// newHostileClients registers the hostile installs and the fan, and announces
// the burst's article (before the faults are on: setup, not load).
func newHostileClients(t *testing.T, run, article string, eventTime time.Time) *hostileClients {
	h := &hostileClients{run: run, article: article, eventTime: eventTime,
		burstArticle: catalogueArticle(t, hostileCategory),
		late:         register(t), random: register(t), heavy: register(t), burst: register(t), fan: register(t),
		lateAccepted: map[time.Duration]int{}, faultLetters: map[string]string{}}
	if status, body := admin(t, "PUT", "/v1/users/me/interests", h.fan.Token, "application/json", `{"categories":["`+hostileCategory+`"]}`); status != 200 {
		t.Fatalf("the fan's interests: %d %s", status, body)
	}
	return h
}

// users are the hostile installs' user ids.
func (h *hostileClients) users() []string {
	return []string{h.late.UserID, h.random.UserID, h.heavy.UserID, h.burst.UserID}
}

// underFaultTries is how often a hostile client tries a batch under the
// faults before putting it aside for after them: a batch of 500 events is 500
// conditional puts, and each try repeats them all (the stored ones answer
// "duplicate"), so under 25 % DynamoDB faults a full batch seldom gets
// through in one call.
const underFaultTries = 3

// start runs each hostile client in its own goroutine, its batches spread
// over the load; deliver posts a batch as the app clients do (retrying 503,
// 429 and a killed instance's 500 with the same ids) at most tries times and
// reports whether it was accepted. A batch not accepted is kept for flush.
func (h *hostileClients) start(wg *sync.WaitGroup, start time.Time, duration time.Duration, deliver func(token string, evs []map[string]any, tries int) bool) {
	send := func(token string, evs []map[string]any, accepted func()) {
		if deliver(token, evs, underFaultTries) {
			h.mu.Lock()
			accepted()
			h.mu.Unlock()
			return
		}
		h.mu.Lock()
		h.pending = append(h.pending, pendingBatch{token, evs, accepted})
		h.mu.Unlock()
	}
	paced := func(n int, batch func(i int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				// Pacing, not synchronisation: batch i goes out at (i+1)/(n+1) of the load.
				time.Sleep(time.Until(start.Add(duration * time.Duration(i+1) / time.Duration(n+1))))
				batch(i)
			}
		}()
	}
	randomIDs := func(n int, typ, prefix string, at time.Time) []map[string]any {
		evs := make([]map[string]any, n)
		for i := range n {
			id := make([]byte, 16)
			_, _ = rand.Read(id)
			evs[i] = map[string]any{"id": fmt.Sprintf("%s-%s-%04d", prefix, h.run, i), "type": typ, "article_id": hex.EncodeToString(id), "at": at.Format(time.RFC3339)}
		}
		return evs
	}
	paced(len(lateOffsets), func(i int) {
		at := h.eventTime.Add(-lateOffsets[i]).Format(time.RFC3339)
		var evs []map[string]any
		for k, typ := range []string{"impression", "impression", "impression", "impression", "impression", "click", "click"} {
			evs = append(evs, map[string]any{"id": fmt.Sprintf("late-%s-%d-%d", h.run, i, k), "type": typ, "article_id": h.article, "at": at})
		}
		send(h.late.Token, evs, func() { h.lateAccepted[lateOffsets[i]] += len(evs) })
	})
	paced(randomBatches, func(i int) {
		send(h.random.Token, randomIDs(500, "click", fmt.Sprintf("rnd%d", i), h.eventTime.Add(-strangeHour)), func() { h.randomClicks += 500 })
	})
	paced(heavyBatches, func(i int) {
		send(h.heavy.Token, randomIDs(500, "read", fmt.Sprintf("heavy%d", i), h.eventTime.Add(-strangeHour)), func() { h.heavyReads += 500 })
	})
	paced(burstBatches, func(i int) {
		evs := make([]map[string]any, burstPerBatch)
		for k := range evs {
			evs[k] = map[string]any{"id": fmt.Sprintf("burst-%s-%d-%04d", h.run, i, k), "type": "click", "article_id": h.burstArticle, "at": h.eventTime.Format(time.RFC3339)}
		}
		send(h.burst.Token, evs, func() { h.burstClicks += burstPerBatch })
	})
}

// flush retries, with deliver, the batches not accepted under the faults,
// and returns the sizes of those still not accepted.
func (h *hostileClients) flush(deliver func(token string, evs []map[string]any) bool) []int {
	h.mu.Lock()
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	var failed []int
	for _, b := range pending {
		if !deliver(b.token, b.evs) {
			failed = append(failed, len(b.evs))
			continue
		}
		h.mu.Lock()
		b.accepted()
		h.recovered++
		h.mu.Unlock()
	}
	return failed
}

// watch notes the dead letters there are now whose event names a hostile
// install (the operator calls it before each redrive): under faults a
// delivery of their events may dead-letter like any other.
func (h *hostileClients) watch(t *testing.T) {
	var out struct {
		DeadLetters []local.DeadLetter `json:"dead_letters"`
	}
	get(t, "/_local/dead-letters", &out)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range out.DeadLetters {
		if h.names(string(d.Event)) {
			h.faultLetters[d.ID] = d.Function + ": " + d.Error
		}
	}
}

func (h *hostileClients) names(s string) bool {
	for _, u := range h.users() {
		if strings.Contains(s, u) {
			return true
		}
	}
	return false
}

// lettersLeft lists the dead letters there are now whose event names a
// hostile install.
func (h *hostileClients) lettersLeft(t *testing.T) []string {
	var out struct {
		DeadLetters []local.DeadLetter `json:"dead_letters"`
	}
	get(t, "/_local/dead-letters", &out)
	var left []string
	for _, d := range out.DeadLetters {
		if h.names(string(d.Event)) {
			left = append(left, d.Function+": "+d.Error)
		}
	}
	return left
}

// period is one KPI period of the load's article: what was accepted in it and
// what the KPI batch counts.
type period struct {
	Name, Granularity string
	At                time.Time
	Accepted          int64
	Counted           int64
}

// periods are every hour and day the load's article got events in: the app
// clients' (sent, at the load's time) and the late client's.
func (h *hostileClients) periods(sent int) []period {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := []period{{"now (app clients)", "hour", h.eventTime, int64(sent), 0}, {"now (app clients)", "day", h.eventTime, int64(sent), 0}}
	for _, off := range lateOffsets {
		name := fmt.Sprintf("%d h late", off/time.Hour)
		if off >= 72*time.Hour {
			name = fmt.Sprintf("%d d %d h late", off/(24*time.Hour), off%(24*time.Hour)/time.Hour)
		}
		ps = append(ps, period{name, "hour", h.eventTime.Add(-off), int64(h.lateAccepted[off]), 0},
			period{name, "day", h.eventTime.Add(-off), int64(h.lateAccepted[off]), 0})
	}
	return ps
}

// count fills in what the KPI batch counts for each period.
func (h *hostileClients) count(t *testing.T, ps []period) {
	for i := range ps {
		r := kpi(t, ps[i].Granularity, "article", ps[i].At)[h.article]
		ps[i].Counted = r.Impressions + r.Clicks + r.Reads
	}
}

// unknown is the unknown bucket's row for the hour of the random ids.
func (h *hostileClients) unknown(t *testing.T) kpiRow {
	return kpi(t, "hour", "article", h.eventTime.Add(-strangeHour))["unknown"]
}

// trending reports whether the burst's article was marked trending (its
// reason in its category's feed, once every delivery has landed and the
// feeds are ranked), and whether the fan's inbox has it.
func (h *hostileClients) trending(t *testing.T) (marked, inbox bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cloud.Quiesce(ctx); err != nil {
		t.Errorf("quiesce before reading the feed: %v", err)
	}
	cloud.Resume()
	runNow(t, "rank-feeds")
	why := feedReason(t, hostileCategory, h.burstArticle)
	if why == "" {
		t.Errorf("the burst's article is not in its category's feed")
	}
	status, body := admin(t, "GET", "/v1/notifications", h.fan.Token, "", "")
	var in struct {
		Items []struct {
			ArticleID string `json:"article_id"`
		} `json:"items"`
	}
	if status != 200 || json.Unmarshal(body, &in) != nil {
		t.Errorf("the fan's inbox: %d %s", status, body)
	}
	for _, it := range in.Items {
		inbox = inbox || it.ArticleID == h.burstArticle
	}
	return why == "trending", inbox
}

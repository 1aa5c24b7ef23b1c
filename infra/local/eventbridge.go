package local

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/pattern"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// target is one rule's subscription of a function.
type target struct {
	function string
	rule     string
	pattern  *pattern.Pattern
}

// DeadLetter is an event whose delivery failed after every retry.
type DeadLetter struct {
	ID       string          `json:"id"`
	Function string          `json:"function"`
	Trigger  string          `json:"trigger"`
	Event    json.RawMessage `json:"event"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error"`
	At       time.Time       `json:"at"`
	Trace    string          `json:"trace"`
	trace    Trace
}

// Bus emulates an EventBridge bus: PutEvents, rule matching, asynchronous
// delivery with retries and backoff, and dead letters for what still fails.
// Schedules deliver through it too.
type Bus struct {
	faults     *faultState
	cloud      topology.Cloud
	duplicates bool
	duplicated atomic.Int64 // copies delivered because of duplicates
	now        func() time.Time
	name       string
	host       *Host
	targets    []target
	attempts   int
	backoff    time.Duration
	logs       *logSink

	mu       sync.Mutex
	dead     []DeadLetter
	deadSeq  int
	inflight sync.WaitGroup
	closed   chan struct{}
	// pending counts deliveries not finished (queued, invoking, waiting to
	// retry, a duplicate waiting to be sent), under mu; idle is signalled
	// when it reaches zero. paused refuses background deliveries
	// (schedules, start-up work) for Quiesce.
	pending int
	paused  bool
	idle    *sync.Cond
}

func newBus(cloud topology.Cloud, name string, host *Host, attempts int, backoff time.Duration, logs *logSink) *Bus {
	b := &Bus{cloud: cloud, now: time.Now, name: name, host: host, attempts: attempts, backoff: backoff, logs: logs, closed: make(chan struct{})}
	b.idle = sync.NewCond(&b.mu)
	for _, f := range cloud.Functions {
		for _, r := range f.Rules {
			b.targets = append(b.targets, target{function: f.Name, rule: r.Name, pattern: pattern.MustParse(r.Pattern())})
		}
	}
	return b
}

type putEntry struct {
	Source       string   `json:"Source"`
	DetailType   string   `json:"DetailType"`
	Detail       string   `json:"Detail"`
	EventBusName string   `json:"EventBusName"`
	Resources    []string `json:"Resources"`
	Time         *float64 `json:"Time"`        // epoch seconds, as the SDK sends it
	TraceHeader  string   `json:"TraceHeader"` // X-Ray header: the trace flows on to the targets
}

type putResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// ServeHTTP answers the EventBridge JSON 1.1 protocol's PutEvents.
func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || target == "" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "only POST with X-Amz-Target is served")
		return
	}
	if target != "AWSEvents.PutEvents" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "the local bus serves PutEvents only, not "+target)
		return
	}
	if _, isFunction := caller(r); isFunction && b.faults != nil && b.faults.bus() {
		awsError(w, http.StatusInternalServerError, "InternalException", "internal error (injected)")
		return
	}
	var in struct {
		Entries []putEntry `json:"Entries"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		awsError(w, http.StatusBadRequest, "ValidationException", "request too large")
		return
	}
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		awsError(w, http.StatusBadRequest, "ValidationException", "Entries must hold 1 to 10 entries")
		return
	}
	// A function may put only the detail types it declares (its IAM policy
	// has the same condition).
	if fn, ok := caller(r); ok {
		f, _ := b.cloud.Function(fn)
		for _, e := range in.Entries {
			if !slices.Contains(f.Publishes, e.DetailType) {
				accessDenied(w, http.StatusBadRequest, "application/x-amz-json-1.1", fn, "events:PutEvents",
					"arn:aws:events:"+Region+":"+Account+":event-bus/"+b.name+" (detail-type "+e.DetailType+")")
				return
			}
		}
	}
	out := struct {
		Entries          []putResult `json:"Entries"`
		FailedEntryCount int         `json:"FailedEntryCount"`
	}{}
	for _, e := range in.Entries {
		res := b.put(e)
		if res.ErrorCode != "" {
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (b *Bus) put(e putEntry) putResult {
	switch {
	case e.Source == "" || e.DetailType == "":
		return putResult{ErrorCode: "InvalidArgument", ErrorMessage: "Source and DetailType are required"}
	case e.EventBusName != "" && e.EventBusName != b.name:
		return putResult{ErrorCode: "InvalidArgument", ErrorMessage: fmt.Sprintf("event bus %s does not exist", e.EventBusName)}
	case len(e.Detail)+len(e.Source)+len(e.DetailType) > 256*1024:
		return putResult{ErrorCode: "InvalidArgument", ErrorMessage: "entry larger than 256 KB"}
	}
	var detail map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
		return putResult{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
	}
	// Kiosk's own events must be in the catalogue and pass their schema: a
	// producer that drifts from its contract fails here, not in a consumer.
	if strings.HasPrefix(e.Source, "kiosk.") {
		t, ok := events.Lookup(e.DetailType)
		if !ok || t.Source != e.Source {
			return putResult{ErrorCode: "InvalidArgument", ErrorMessage: fmt.Sprintf("%s from %s is not in the event catalogue", e.DetailType, e.Source)}
		}
		if err := events.Validate(events.Schema(t), []byte(e.Detail)); err != nil {
			return putResult{ErrorCode: "InvalidArgument", ErrorMessage: fmt.Sprintf("%s detail fails its schema: %v", e.DetailType, err)}
		}
	}
	at := b.now().UTC()
	if e.Time != nil {
		at = time.Unix(0, int64(*e.Time*1e9)).UTC()
	}
	if e.Resources == nil {
		e.Resources = []string{}
	}
	id := newUUID()
	event, _ := json.Marshal(map[string]any{
		"version": "0", "id": id, "detail-type": e.DetailType, "source": e.Source,
		"account": Account, "time": at.Format(time.RFC3339), "region": Region,
		"resources": e.Resources, "detail": json.RawMessage(e.Detail),
	})
	tr := ParseTraceHeader(e.TraceHeader)
	if tr.Root == "" {
		tr = Trace{Root: NewTraceRoot()}
	}
	for _, t := range b.targets {
		if t.pattern.Match(event) {
			b.Deliver(t.function, "rule:"+t.rule, event, tr)
			if b.duplicates {
				// EventBridge delivers at least once: here, twice, the copy late
				// enough to land after later events.
				b.duplicated.Add(1)
				b.begin()
				go func() {
					defer b.end()
					select {
					case <-b.closed:
					case <-time.After(time.Duration(50+mrand.IntN(250)) * time.Millisecond):
						b.Deliver(t.function, "rule:"+t.rule, event, tr)
					}
				}()
			}
		}
	}
	return putResult{EventID: id}
}

// begin counts a delivery that has started; end, one that has finished.
func (b *Bus) begin() {
	b.mu.Lock()
	b.pending++
	b.inflight.Add(1)
	b.mu.Unlock()
}

func (b *Bus) end() {
	b.mu.Lock()
	b.pending--
	if b.pending == 0 {
		b.idle.Broadcast()
	}
	b.mu.Unlock()
	b.inflight.Done()
}

// deliverInBackground delivers work nobody asked for just now (a schedule
// firing on the clock, start-up work) unless the bus is paused, and reports
// whether it did. The check and the count are one step, so Quiesce never
// misses one.
func (b *Bus) deliverInBackground(fn, trigger string, event []byte, tr Trace) bool {
	b.mu.Lock()
	if b.paused {
		b.mu.Unlock()
		return false
	}
	b.pending++
	b.inflight.Add(1)
	b.mu.Unlock()
	b.deliver(fn, trigger, event, tr)
	return true
}

// quiesce pauses background deliveries and waits until no delivery is
// pending, or ctx ends.
func (b *Bus) quiesce(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.idle.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.paused = true
	for b.pending > 0 && ctx.Err() == nil {
		b.idle.Wait()
	}
	return ctx.Err()
}

func (b *Bus) resume() {
	b.mu.Lock()
	b.paused = false
	b.mu.Unlock()
}

func (b *Bus) busy() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pending
}

// Deliver invokes fn asynchronously with event, retrying with backoff, and
// records a dead letter if every attempt fails.
func (b *Bus) Deliver(fn, trigger string, event []byte, tr Trace) {
	b.begin()
	b.deliver(fn, trigger, event, tr)
}

// deliver runs a delivery counted by begin.
func (b *Bus) deliver(fn, trigger string, event []byte, tr Trace) {
	go func() {
		defer b.end()
		var lastErr string
		wait := b.backoff
		throttledSince := time.Time{}
		for attempt := 1; attempt <= b.attempts; attempt++ {
			res, err := b.host.Invoke(WithTrace(context.Background(), tr), fn, trigger, event)
			// Lambda keeps a throttled asynchronous event queued (for up to six
			// hours) without spending a retry; here for up to ten minutes.
			if errors.Is(err, ErrThrottled) {
				if throttledSince.IsZero() {
					throttledSince = time.Now()
				}
				if time.Since(throttledSince) < 10*time.Minute {
					attempt--
					select {
					case <-b.closed:
						return
					case <-time.After(time.Second):
					}
					continue
				}
			}
			switch {
			case err != nil:
				lastErr = err.Error()
			case res.FunctionError != "":
				lastErr = res.FunctionError + ": " + res.ErrorMessage
			default:
				return
			}
			if attempt == b.attempts {
				break
			}
			select {
			case <-b.closed:
				return
			case <-time.After(wait):
			}
			wait *= 2
		}
		b.mu.Lock()
		b.deadSeq++
		dl := DeadLetter{ID: strconv.Itoa(b.deadSeq), Function: fn, Trigger: trigger, Event: event,
			Attempts: b.attempts, Error: lastErr, At: time.Now().UTC(), Trace: tr.Root, trace: tr}
		b.dead = append(b.dead, dl)
		b.mu.Unlock()
		b.logs.console("%-18s %-28s dead-lettered after %d attempts: %s", fn, trigger, b.attempts, truncate([]byte(lastErr), 200))
	}()
}

// DeadLetters lists what failed delivery.
func (b *Bus) DeadLetters() []DeadLetter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]DeadLetter{}, b.dead...)
}

// Redrive removes a dead letter and delivers it again.
func (b *Bus) Redrive(id string) bool {
	b.mu.Lock()
	var found *DeadLetter
	for i, d := range b.dead {
		if d.ID == id {
			found = &d
			b.dead = append(b.dead[:i:i], b.dead[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	if found == nil {
		return false
	}
	b.Deliver(found.Function, found.Trigger, found.Event, found.trace)
	return true
}

// Close stops retrying and waits briefly for deliveries in flight.
func (b *Bus) Close() {
	close(b.closed)
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

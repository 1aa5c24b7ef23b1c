package scale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/feed"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
	"github.com/kiosk-news/kiosk/shared/platform/experiment"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
	"github.com/kiosk-news/kiosk/shared/tracking"
	"github.com/kiosk-news/kiosk/shared/user"
)

// Point is one measured run of a workload at one size. For a batch the
// figures are the run's totals (every invocation it caused, the chain of a
// fan-out included); for a route they are per request, averaged over
// Requests requests.
type Point struct {
	Size        float64 `json:"size"`
	Requests    int     `json:"requests,omitempty"`
	WallMS      float64 `json:"wall_ms"`       // batch: first invocation's start to the last one's end; route: mean duration
	Invocations float64 `json:"invocations"`   // per run (batch) or per request (route)
	MaxInvokeMS float64 `json:"max_invoke_ms"` // the longest single invocation
	GBSeconds   float64 `json:"gb_seconds"`    // configured memory × billed duration (rounded up to 1 ms; a wait for a free instance is not billed)
	ReadUnits   float64 `json:"read_units"`
	WriteUnits  float64 `json:"write_units"`
	Calls       float64 `json:"calls"`                 // DynamoDB calls
	BusEvents   float64 `json:"bus_events"`            // events delivered by the bus to the measured functions
	PeakMiB     float64 `json:"peak_mib"`              // the largest resident size of one instance's bootstrap sampled
	Instances   int     `json:"instances"`             // the most instances running at once
	LogBytes    float64 `json:"log_bytes"`             // bytes the functions logged
	Failed      int     `json:"failed"`                // invocations that did not end ok
	Concurrent  int     `json:"concurrent"`            // the most invocations running at once
	EventReads  float64 `json:"event_reads,omitempty"` // items the run's DynamoDB queries returned (KPI: raw events read, and marks)
	// Seen is the fan-out's readers' side: when sampled readers' inbox
	// pages listed the trend. SeedMS is the time the fan-out's readers took
	// to seed, and DynaliteMiB dynalite's resident size after.
	Seen        *Seen   `json:"seen,omitempty"`
	SeedMS      float64 `json:"seed_ms,omitempty"`
	DynaliteMiB float64 `json:"dynalite_mib,omitempty"`
	// Refresh is what one reload of a cached list adds to the request that
	// makes it (GET /v1/notifications: the trending list), measured at this
	// size; the point's own figures include the reloads its requests made.
	Refresh *Unit `json:"refresh,omitempty"`
	// Ops is the DynamoDB calls by operation (totals, not per request): what
	// a figure that differs from its expectation was made of.
	Ops map[string]int `json:"-"`
}

// Harness drives workloads on a running local cloud: it seeds state straight
// into the tables with the domains' own stores (where the gateway would only
// measure the laptop), starts a run the way its trigger would (a scheduled
// event, a bus event, a request through the local gateway), waits for the
// cloud to be quiet, and reads what every invocation did.
type Harness struct {
	Cloud *local.Cloud
	Log   io.Writer
	db    *dynamo.DB
	http  *http.Client

	placed  int // articles placed in the feed table so far (rank-feeds)
	stored  int // articles stored in the articles table so far (ingest-feeds)
	sources int // sources registered for the sources workload so far
	inbox   int // entries in the inbox reader's inbox so far

	announced     int // articles stored for the relay so far (announce-articles)
	published     int // article.published events delivered so far (feed-events)
	engaged       int // users stored for learn-interests so far
	learnHours    int // learn-interests runs so far: each learns a later hour
	personalToken string

	inboxToken, inboxUser string
	readers               []reader        // the fan-out's sampled readers, registered once
	events                int             // events accepted in the current hour so far (tracking)
	kpiDays               int             // days seeded for the day-spread KPI workload so far
	kpiMarks              []tracking.Mark // the fresh marks of the last day's newest hour, never cleared by its runs
	tokens                []string
}

// NewHarness wraps a started cloud; it meters the functions' DynamoDB calls.
func NewHarness(c *local.Cloud, log io.Writer) *Harness {
	return &Harness{Cloud: c, Log: log, db: dynamo.NewFromIface(dynalite.Client(c.DynamoURL)),
		http: &http.Client{Transport: local.ManyClients(), Timeout: time.Minute}}
}

func (h *Harness) table(logical string) dynamo.Table { return h.db.Table(h.Cloud.TableName(logical)) }

func (h *Harness) logf(format string, args ...any) {
	if h.Log != nil {
		fmt.Fprintf(h.Log, "scale: "+format+"\n", args...)
	}
}

// ingestion are the functions one ingestion run invokes: ingest-feeds, and
// parse-feed for every document it fetched (a synchronous invoke), whose
// GB-seconds are the run's too.
var ingestion = []string{"ingest-feeds", contract.ParseFeedFunction}

// measure runs do and reports what the invocations of fns that started
// meanwhile did, once the cloud is quiet again.
func (h *Harness) measure(ctx context.Context, fns []string, do func() error) (Point, error) {
	logSize := func() int64 {
		var n int64
		for _, fn := range fns {
			if st, err := os.Stat(filepath.Join(h.Cloud.LogDir, fn+".log")); err == nil {
				n += st.Size()
			}
		}
		return n
	}
	if err := h.Cloud.Quiesce(ctx); err != nil {
		return Point{}, err
	}
	h.Cloud.Resume()
	before := logSize()
	h.Cloud.MeterDynamo()
	var (
		mu       sync.Mutex
		peak     float64
		peakInst int
		stop     = make(chan struct{})
		done     = make(chan struct{})
	)
	go func() { // sample the instances' memory while the run goes on
		defer close(done)
		t := time.NewTicker(300 * time.Millisecond)
		defer t.Stop()
		for {
			n := 0
			top := 0.0
			for _, fn := range fns {
				rss := h.Cloud.InstanceRSS(fn)
				n += len(rss)
				for _, m := range rss {
					top = max(top, m)
				}
			}
			mu.Lock()
			peak, peakInst = max(peak, top), max(peakInst, n)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	t0 := h.Cloud.InvocationNow()
	err := do()
	if err == nil {
		err = h.Cloud.Quiesce(ctx)
		h.Cloud.Resume()
	}
	close(stop)
	<-done
	if err != nil {
		return Point{}, err
	}
	var p Point
	var last time.Time
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, fn := range fns {
		f, _ := h.Cloud.Topology.Function(fn)
		for _, inv := range h.Cloud.InvocationsOf(fn) {
			// A throttled invocation never ran: its event stays queued and
			// is delivered again, as Lambda keeps it; nothing is billed.
			if inv.At.Before(t0) || inv.Status == "throttled" {
				continue
			}
			p.Invocations++
			ms := inv.DurationMS
			p.GBSeconds += ceilMS(ms) / 1000 * float64(f.MemoryMB) / 1024
			p.MaxInvokeMS = max(p.MaxInvokeMS, ms)
			if strings.HasPrefix(inv.Trigger, "rule:") {
				p.BusEvents++
			}
			if inv.Status != "ok" {
				p.Failed++
			}
			end := inv.At.Add(time.Duration(ms * float64(time.Millisecond)))
			if end.After(last) {
				last = end
			}
			edges = append(edges, edge{inv.At, 1}, edge{end, -1})
		}
		u := h.Cloud.DynamoUsage()[fn]
		p.ReadUnits += u.ReadUnits
		p.WriteUnits += u.WriteUnits
		p.Calls += float64(u.Calls)
		p.EventReads += float64(u.QueryItems)
		for op, n := range u.ByOp {
			if p.Ops == nil {
				p.Ops = map[string]int{}
			}
			p.Ops[op] += n
		}
	}
	if !last.IsZero() {
		p.WallMS = float64(last.Sub(t0).Microseconds()) / 1000
	}
	// The most invocations at once: ends before starts at the same instant.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	running := 0
	for _, e := range edges {
		running += e.delta
		p.Concurrent = max(p.Concurrent, running)
	}
	p.PeakMiB, p.Instances = peak, peakInst
	p.LogBytes = float64(logSize() - before)
	return p, nil
}

func ceilMS(ms float64) float64 {
	if ms <= 0 {
		return 0
	}
	c := float64(int64(ms))
	if c < ms {
		c++
	}
	return c
}

// perRequest turns a route's totals into per-request figures.
func (p Point) perRequest(n int) Point {
	f := float64(n)
	p.Requests = n
	p.WallMS = p.GBSeconds / f // replaced below by the mean duration
	p.Invocations /= f
	p.GBSeconds /= f
	p.ReadUnits /= f
	p.WriteUnits /= f
	p.Calls /= f
	p.BusEvents /= f
	p.LogBytes /= f
	return p
}

// Fanout measures notify-trending: one trending article whose category n
// readers follow, to the end of every invocation it causes. The readers'
// interests are seeded in bulk through the feed store (LoadProfiles: the
// items SetProfile writes, as user.interests.changed would), once per size
// (a category of its own). The inbox is computed on read, so the event
// writes one entry whatever n. Then the readers' side: sampled readers of
// the population (the first, the last and the rest at random; readers
// registered through POST /v1/users, so they hold real tokens) ask for their
// inbox page through the gateway, once before the event (their
// notifications-api instances hold a fresh copy of the trending list: the
// worst case) and again after it until each page lists the trend
// (Point.Seen). Each repeat is another article of the category.
func (h *Harness) Fanout(ctx context.Context, n, sampled, repeat int) (Point, error) {
	store := feed.NewDynamoStore(h.table(contract.FeedTable))
	cat := fmt.Sprintf("fanout%d", n)
	now := h.Cloud.Now().UTC()
	positions := samplePositions(n, sampled)
	for len(h.readers) < len(positions) {
		token, userID, err := h.register(ctx)
		if err != nil {
			return Point{}, err
		}
		h.readers = append(h.readers, reader{token, userID})
	}
	var seedMS, dynaliteMiB float64
	if repeat == 0 {
		at := map[int]reader{}
		for k, i := range positions {
			at[i] = h.readers[k]
		}
		t := time.Now()
		interests := []string{cat}
		for from := 0; from < n; from += seedChunk { // a chunk at a time: a million profiles need not be in memory at once
			ps := make([]feed.Profile, 0, min(seedChunk, n-from))
			for i := from; i < min(n, from+seedChunk); i++ {
				u := fmt.Sprintf("scale-reader-%s-%07d", cat, i)
				if r, ok := at[i]; ok {
					u = r.userID
				}
				ps = append(ps, feed.Profile{UserID: u, Interests: interests, At: now})
			}
			if err := store.LoadProfiles(ctx, ps, seedWorkers); err != nil {
				return Point{}, fmt.Errorf("seed %d readers: %w", n, err)
			}
		}
		seedMS = float64(time.Since(t).Microseconds()) / 1000
		dynaliteMiB = h.Cloud.Footprint().DynaliteMiB
		h.logf("fan-out to %d readers: seeded in %s (%.0f readers a second), dynalite resident %.0f MiB", n,
			time.Since(t).Round(time.Millisecond), float64(n)/time.Since(t).Seconds(), dynaliteMiB)
	}
	id := fmt.Sprintf("%032x", 0x5ca1e000000+n*10+repeat)
	if _, err := store.PlaceArticle(ctx, feed.Article{ID: id, URL: "https://scale.example/" + id, Title: "Trending " + cat,
		SourceID: "scale-desk", Category: cat, Story: "story-" + id, PublishedAt: now.Add(-time.Hour)}, now.Add(feed.ArticleRetention)); err != nil {
		return Point{}, err
	}
	sample := h.readers[:len(positions)]
	// The sampled readers read their inbox before the trend: it must not
	// list it yet, and their instances now hold a fresh trending list.
	if err := eachN(sample, pollers, func(r reader) error {
		listed, err := h.lists(ctx, r, id)
		if err == nil && listed {
			err = fmt.Errorf("reader %s: the inbox lists %s before it trends", r.userID, id)
		}
		return err
	}); err != nil {
		return Point{}, err
	}
	var trended time.Time
	p, err := h.measure(ctx, []string{"notify-trending"}, func() error {
		trended = h.Cloud.Now()
		h.Cloud.Deliver("notify-trending", "rule:on-trending", busEvent(h.Cloud, events.ArticleTrendingType, events.SourceTracking,
			events.ArticleTrending{ID: id, Hour: now.Format(events.HourLayout), Clicks: 100}))
		return nil
	})
	if err != nil || len(sample) == 0 {
		return p, err
	}
	seen := &Seen{Readers: len(sample)}
	readers, err := h.measure(ctx, []string{"notifications-api"}, func() error {
		pending := sample
		for len(pending) > 0 {
			if h.Cloud.Now().Sub(trended) > seenWithin {
				return fmt.Errorf("%d of %d sampled readers' inboxes do not list the trend %s after it", len(pending), len(sample), seenWithin)
			}
			var mu sync.Mutex
			var still []reader
			if err := eachN(pending, pollers, func(r reader) error {
				listed, err := h.lists(ctx, r, id)
				at := h.Cloud.Now()
				mu.Lock()
				defer mu.Unlock()
				seen.Pages++
				switch {
				case err != nil:
				case listed:
					ms := float64(at.Sub(trended).Microseconds()) / 1000
					if seen.FirstMS == 0 || ms < seen.FirstMS {
						seen.FirstMS = ms
					}
					seen.LastMS = max(seen.LastMS, ms)
				default:
					still = append(still, r)
				}
				return err
			}); err != nil {
				return err
			}
			if pending = still; len(pending) > 0 {
				time.Sleep(pollEvery) // the trend shows when an instance's copy of the list is TrendingRefresh old
			}
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("the readers' side: %w", err)
	}
	seen.MaxInvokeMS, seen.Failed, seen.Instances = readers.MaxInvokeMS, readers.Failed, readers.Instances
	h.logf("fan-out to %d readers: the trend in %d sampled readers' inboxes %.1f s to %.1f s after the event (%d pages, longest %.0f ms)",
		n, seen.Readers, seen.FirstMS/1000, seen.LastMS/1000, seen.Pages, seen.MaxInvokeMS)
	p.Seen, p.SeedMS, p.DynaliteMiB = seen, seedMS, dynaliteMiB
	return p, nil
}

// The fan-out's seeding and its readers' side.
const (
	seedChunk   = 100000 // profiles built and loaded at a time
	seedWorkers = 4      // batch writes in flight (dynalite's rate: about as fast at 2 as at 16)
	pollers     = 4      // inbox pages in flight: several notifications-api instances, each with its own copy of the list
	pollEvery   = 250 * time.Millisecond
	seenWithin  = 2 * time.Minute // a sampled reader who has not seen the trend by then is an error, not a figure
)

// Seen is the readers' side of a trend: sampled readers of the population
// ask for their first inbox page through the gateway until it lists the
// trend. Times are on the cloud's (virtual) clock, from the moment the
// trending event is delivered.
type Seen struct {
	Readers     int     `json:"readers"`       // readers sampled
	FirstMS     float64 `json:"first_ms"`      // until the first sampled reader's page listed the trend
	LastMS      float64 `json:"last_ms"`       // until the last one's did
	Pages       int     `json:"pages"`         // inbox pages asked for after the event
	Instances   int     `json:"instances"`     // notifications-api instances running meanwhile
	MaxInvokeMS float64 `json:"max_invoke_ms"` // the longest notifications-api invocation meanwhile
	Failed      int     `json:"failed"`        // notifications-api invocations that did not end ok
}

// reader is a registered app install the fan-out samples.
type reader struct{ token, userID string }

// lists says whether r's first inbox page lists the article.
func (h *Harness) lists(ctx context.Context, r reader, articleID string) (bool, error) {
	status, body, err := h.call(ctx, "GET", "/v1/notifications", r.token, "")
	if err != nil || status != 200 {
		return false, fmt.Errorf("GET /v1/notifications: %d %s %v", status, body, err)
	}
	var page struct {
		Items []struct {
			ArticleID string `json:"article_id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return false, fmt.Errorf("GET /v1/notifications: %s: %w", body, err)
	}
	for _, it := range page.Items {
		if it.ArticleID == articleID {
			return true, nil
		}
	}
	return false, nil
}

// samplePositions are the readers of n the fan-out samples, at most k: the
// first, the last, the rest drawn at random (the same for every run of n).
func samplePositions(n, k int) []int {
	k = min(k, n)
	if k <= 0 {
		return nil
	}
	picked := map[int]bool{0: true, n - 1: true}
	out := []int{0}
	if n > 1 && k > 1 {
		out = append(out, n-1)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 23))
	for len(out) < k {
		if i := rng.IntN(n); !picked[i] {
			picked[i] = true
			out = append(out, i)
		}
	}
	return out
}

// rankCategories are the categories the ranking workload spreads its
// articles over.
var rankCategories = []string{"world", "tech", "sports", "science", "business", "culture", "health", "politics"}

// Rank measures one rank-feeds run over n articles in the ranking window
// (the articles placed so far are kept: n only grows).
func (h *Harness) Rank(ctx context.Context, n int) (Point, error) {
	store := feed.NewDynamoStore(h.table(contract.FeedTable))
	now := h.Cloud.Now().UTC()
	var ids []int
	for i := h.placed; i < n; i++ {
		ids = append(ids, i)
	}
	if err := each(ids, func(i int) error {
		id := fmt.Sprintf("%032x", 0xa27000000+i)
		at := now.Add(-time.Duration(i%2880) * time.Minute) // over the last 48 h
		_, err := store.PlaceArticle(ctx, feed.Article{ID: id, URL: "https://scale.example/a/" + id,
			Title: fmt.Sprintf("Article %d of the scale run, a title of ordinary length", i), SourceID: fmt.Sprintf("scale-src-%d", i%50),
			Category: rankCategories[i%len(rankCategories)], Story: "story-" + id, PublishedAt: at}, at.Add(feed.ArticleRetention))
		return err
	}); err != nil {
		return Point{}, fmt.Errorf("place articles: %w", err)
	}
	h.placed = max(h.placed, n)
	h.logf("rank-feeds over %d articles: seeded", n)
	return h.measure(ctx, []string{"rank-feeds"}, func() error {
		h.Cloud.Deliver("rank-feeds", "schedule:scale", local.ScheduledEvent("rank-feeds", 0, h.Cloud.Now()))
		return nil
	})
}

// FeedPage measures GET /v1/feed (a category's first page) with n articles
// ranked: requests requests, per request.
func (h *Harness) FeedPage(ctx context.Context, n, requests int) (Point, error) {
	// A warm instance first: a cold start's init is not the route's cost.
	if status, body, err := h.call(ctx, "GET", "/v1/feed?category=world", "", ""); err != nil || status != 200 {
		return Point{}, fmt.Errorf("GET /v1/feed: %d %s %v", status, body, err)
	}
	p, err := h.measure(ctx, []string{"feed-api"}, func() error {
		for i := range requests {
			status, body, err := h.call(ctx, "GET", "/v1/feed?category="+rankCategories[i%len(rankCategories)], "", "")
			if err != nil || status != 200 {
				return fmt.Errorf("GET /v1/feed: %d %s %v", status, body, err)
			}
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	return h.route(p, "feed-api", n, requests), nil
}

// route turns a route's totals into per-request figures, the wall time the
// requests' mean duration.
func (h *Harness) route(p Point, fn string, size, requests int) Point {
	mean := 0.0
	if p.Invocations > 0 {
		f, _ := h.Cloud.Topology.Function(fn)
		mean = p.GBSeconds / p.Invocations / (float64(f.MemoryMB) / 1024) * 1000
	}
	p = p.perRequest(requests)
	p.WallMS = mean
	p.Size = float64(size)
	return p
}

// Events posts events until n are accepted in the current hour, in batches
// of 25 through the gateway, and reports POST /v1/events per event.
func (h *Harness) Events(ctx context.Context, n int) (Point, error) {
	const batch = 25
	todo := n - h.events
	if todo <= 0 {
		return Point{}, fmt.Errorf("events: %d already posted", h.events)
	}
	batches := (todo + batch - 1) / batch
	for len(h.tokens) < (batches+19)/20 { // a user per 20 batches stays inside the per-user limit
		token, _, err := h.register(ctx)
		if err != nil {
			return Point{}, err
		}
		h.tokens = append(h.tokens, token)
	}
	now := h.Cloud.Now().UTC()
	if h.events == 0 { // a warm instance first: a cold start's init is not the route's cost
		body := fmt.Sprintf(`{"events":[{"id":"scale-warm","type":"impression","article_id":"%032x","at":%q}]}`, 0xa27000000, now.Format(time.RFC3339))
		if status, out, err := h.call(ctx, "POST", "/v1/events", h.tokens[0], body); err != nil || status != 202 {
			return Point{}, fmt.Errorf("POST /v1/events: %d %s %v", status, out, err)
		}
		h.events, todo = 1, todo-1
		batches = (todo + batch - 1) / batch
	}
	p, err := h.measure(ctx, []string{"tracking-api"}, func() error {
		for b := range batches {
			var evs []map[string]any
			for i := range min(batch, todo-b*batch) {
				k := h.events + b*batch + i
				typ := "impression"
				if k%10 == 0 {
					typ = "click"
				}
				evs = append(evs, map[string]any{"id": fmt.Sprintf("scale-%08d", k), "type": typ,
					"article_id": fmt.Sprintf("%032x", 0xa27000000+k%max(h.placed, 1)), "at": now.Format(time.RFC3339)})
			}
			body, _ := json.Marshal(map[string]any{"events": evs})
			status, out, err := h.call(ctx, "POST", "/v1/events", h.tokens[b/20], string(body))
			if err != nil || status != 202 {
				return fmt.Errorf("POST /v1/events: %d %s %v", status, out, err)
			}
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	h.events = n
	p = h.route(p, "tracking-api", n, todo) // per event
	return p, nil
}

// register installs the app once: a user's token and id. A 429 from the
// route's throttle (20 a second, bursts of 40) is waited out, 100 ms at a
// time, at most 100 times.
func (h *Harness) register(ctx context.Context) (token, userID string, err error) {
	status, body, err := h.call(ctx, "POST", "/v1/users", "", "")
	for tries := 0; err == nil && status == http.StatusTooManyRequests && tries < 100; tries++ {
		time.Sleep(100 * time.Millisecond)
		status, body, err = h.call(ctx, "POST", "/v1/users", "", "")
	}
	if err != nil || status >= 300 {
		return "", "", fmt.Errorf("POST /v1/users: %d %s %v", status, body, err)
	}
	var u struct {
		Token  string `json:"token"`
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.Token == "" || u.UserID == "" {
		return "", "", fmt.Errorf("POST /v1/users: %s: %v", body, err)
	}
	return u.Token, u.UserID, nil
}

// Inbox measures GET /v1/notifications (the first page) for a reader who
// follows world while n stories trend, half of them in world (recorded
// straight into the feed table, grown from the previous size): requests
// requests, then one more once feed.TrendingRefresh has passed since the
// last, so that it reads the trending list again as a warm instance does
// every TrendingRefresh; per request, the reload amortized over the
// requests+1 (Point.Calls over 1 by it), and Point.Refresh the reload's own
// cost (the last request less the mean of the others).
func (h *Harness) Inbox(ctx context.Context, n, requests int) (Point, error) {
	if h.inboxToken == "" {
		var err error
		if h.inboxToken, h.inboxUser, err = h.register(ctx); err != nil {
			return Point{}, err
		}
	}
	store := feed.NewDynamoStore(h.table(contract.FeedTable))
	now := h.Cloud.Now().UTC()
	var ids []int
	for i := h.inbox; i < n; i++ {
		ids = append(ids, i)
	}
	if h.inbox == 0 {
		if err := store.SetProfile(ctx, feed.Profile{UserID: h.inboxUser, Interests: []string{"world"}, At: now}); err != nil {
			return Point{}, err
		}
	}
	if err := each(ids, func(i int) error {
		story := fmt.Sprintf("%032x", 0x1b0c000000+i)
		at := now.Add(-time.Duration(n-i) * time.Minute)
		cat := "world"
		if i%2 == 1 {
			cat = "sports" // trending in a category the reader does not follow
		}
		_, err := store.PutTrending(ctx, feed.Notification{ID: feed.NotificationID(at.Format(events.HourLayout), story),
			ArticleID: story, Story: story, Title: fmt.Sprintf("Trending story %d of the scale run", i), URL: "https://scale.example/n/" + story,
			Category: cat, CreatedAt: at}, now.Add(feed.InboxRetention))
		return err
	}); err != nil {
		return Point{}, fmt.Errorf("seed the trending stories: %w", err)
	}
	h.inbox = max(h.inbox, n)
	page := func(k int) func() error {
		return func() error {
			for range k {
				status, body, err := h.call(ctx, "GET", "/v1/notifications", h.inboxToken, "")
				if err != nil || status != 200 {
					return fmt.Errorf("GET /v1/notifications: %d %s %v", status, body, err)
				}
			}
			return nil
		}
	}
	// A fresh warm instance first: a cold start's init is not the route's
	// cost, and its first page reads the trending list of this size.
	h.Cloud.Recycle("notifications-api")
	if err := page(1)(); err != nil {
		return Point{}, err
	}
	pages, err := h.measure(ctx, []string{"notifications-api"}, page(requests))
	if err != nil {
		return pages, err
	}
	// The instance's list was read at the latest when the pages ended (the
	// measurement waits for them): a request TrendingRefresh later reads it
	// again. A wait for the refresh to come due, not for something to happen.
	time.Sleep(feed.TrendingRefresh + 100*time.Millisecond)
	reload, err := h.measure(ctx, []string{"notifications-api"}, page(1))
	if err != nil {
		return reload, err
	}
	per := 1 / float64(requests)
	// Calls and units exactly (the point less Refresh/Requests is then the
	// pages' own mean), time and logs not below zero (noise).
	refresh := Unit{Calls: reload.Calls - pages.Calls*per, ReadUnits: reload.ReadUnits - pages.ReadUnits*per,
		WriteUnits: reload.WriteUnits - pages.WriteUnits*per,
		GBSeconds:  max(0, reload.GBSeconds-pages.GBSeconds*per), LogBytes: max(0, reload.LogBytes-pages.LogBytes*per)}
	refresh.MS = refresh.GBSeconds / (float64(h.memoryMB("notifications-api")) / 1024) * 1000
	p := h.route(pages.plus(reload), "notifications-api", n, requests+1)
	p.Refresh = &refresh
	return p, nil
}

// plus is two measurements of the same functions as one.
func (p Point) plus(q Point) Point {
	p.Requests += q.Requests
	p.Invocations += q.Invocations
	p.MaxInvokeMS = max(p.MaxInvokeMS, q.MaxInvokeMS)
	p.GBSeconds += q.GBSeconds
	p.ReadUnits += q.ReadUnits
	p.WriteUnits += q.WriteUnits
	p.Calls += q.Calls
	p.BusEvents += q.BusEvents
	p.PeakMiB = max(p.PeakMiB, q.PeakMiB)
	p.Instances = max(p.Instances, q.Instances)
	p.LogBytes += q.LogBytes
	p.Failed += q.Failed
	p.Concurrent = max(p.Concurrent, q.Concurrent)
	return p
}

func (h *Harness) memoryMB(fn string) int {
	f, _ := h.Cloud.Topology.Function(fn)
	return f.MemoryMB
}

// KPI measures one aggregate-kpi run (the coordinator and every shard worker
// it fans out to) over the events accepted this hour so far.
func (h *Harness) KPI(ctx context.Context) (Point, error) {
	p, err := h.measure(ctx, []string{"aggregate-kpi"}, func() error {
		h.Cloud.Deliver("aggregate-kpi", "schedule:scale", local.ScheduledEvent("aggregate-kpi", 0, h.Cloud.Now()))
		return nil
	})
	p.Size = float64(h.events)
	return p, err
}

func (h *Harness) call(ctx context.Context, method, path, token, body string) (int, []byte, error) {
	return h.Cloud.Call(ctx, h.http, method, path, token, body)
}

// busEvent is an EventBridge event as a rule target receives it.
func busEvent(c *local.Cloud, detailType, source string, detail any) []byte {
	b, _ := json.Marshal(map[string]any{"version": "0", "id": fmt.Sprintf("%s-%d", detailType, time.Now().UnixNano()),
		"detail-type": detailType, "source": source, "account": local.Account, "time": c.Now().UTC().Format(time.RFC3339),
		"region": local.Region, "resources": []string{}, "detail": detail})
	return b
}

// vocabulary makes the seeded titles: six words of it rarely tell the same
// story twice, so the window is mostly distinct stories, as a day's news is.
var vocabulary = strings.Fields(`council harbour festival orchard bridge library vineyard glacier market stadium observatory
railway museum forest canal theatre election budget minister court strike storm flood wildfire vaccine hospital school
university startup merger tariff inflation currency airline airport port factory mine reactor satellite rocket telescope
league final derby coach transfer record marathon olympic summit treaty border ceasefire protest parliament senate governor
mayor police verdict appeal lawsuit patent chip battery solar wind turbine pipeline refinery harvest drought heatwave snow
earthquake volcano tsunami river dam reservoir highway tunnel metro tram ferry cruise hotel tourism museum gallery concert
album film festival award novel author poet painter architect designer fashion retailer supermarket bakery brewery winery`)

// Ingest measures one ingest-feeds run for articlesPerDay new articles a day:
// the 48 h story window holds two days of them (seeded straight into the
// articles table, grown from the previous size), and the run fetches a
// 15-minute run's share (articlesPerDay / 96) from fresh generated feeds of
// the local cloud, clustering each against the window.
func (h *Harness) Ingest(ctx context.Context, articlesPerDay, repeat int) (Point, error) {
	store := article.NewDynamoStore(h.table(contract.ArticlesTable))
	now := h.Cloud.Now().UTC()
	window := 2 * articlesPerDay
	var ids []int
	for i := h.stored; i < window; i++ {
		ids = append(ids, i)
	}
	if err := each(ids, func(i int) error {
		id := fmt.Sprintf("%032x", 0x1e57000000+i)
		var words []string
		for k := range 6 {
			words = append(words, vocabulary[(i*7919+k*104729+k*k*31)%len(vocabulary)])
		}
		at := now.Add(-time.Duration(i%2870) * time.Minute) // inside the last 48 h
		err := store.PutArticle(ctx, article.Article{ID: id, URL: "https://scale.example/w/" + id,
			Title: strings.Join(words, " ") + fmt.Sprintf(" %d", i), SourceID: fmt.Sprintf("scale-src-%d", i%50), Category: "world",
			Story: id, Language: "en", PublishedAt: at, IngestedAt: at, SourceWeight: 1})
		return err
	}); err != nil {
		return Point{}, fmt.Errorf("seed the window: %w", err)
	}
	h.stored = max(h.stored, window)
	perRun := max(1, articlesPerDay/96)
	sources := (perRun + 199) / 200 // a generated feed serves up to 200 items
	for s := range sources {
		name := fmt.Sprintf("scale-%d-%d-%d", articlesPerDay, repeat, s)
		items := perRun / sources
		if s < perRun%sources {
			items++
		}
		if err := store.PutSource(ctx, article.Source{ID: name, Name: name, Category: "world", Weight: 1, CreatedAt: now, UpdatedAt: now,
			URL: fmt.Sprintf("%s/_local/feeds/%s?items=%d", h.Cloud.APIURL, name, items)}); err != nil {
			return Point{}, fmt.Errorf("register a source: %w", err)
		}
	}
	h.logf("ingest-feeds at %d articles a day: %d in the window, %d new from %d sources", articlesPerDay, window, perRun, sources)
	p, err := h.measure(ctx, ingestion, h.ingestRun)
	// A source with no failure is due on every run: the next measurement
	// must not fetch this one's sources again.
	for s := range sources {
		if err := store.DeleteSource(ctx, fmt.Sprintf("scale-%d-%d-%d", articlesPerDay, repeat, s)); err != nil {
			return p, err
		}
	}
	return p, err
}

func (h *Harness) ingestRun() error {
	h.Cloud.Deliver("ingest-feeds", "schedule:scale", local.ScheduledEvent("ingest-feeds", 0, h.Cloud.Now()))
	return nil
}

// Sources measures one ingest-feeds run over n registered sources, every
// one due, with nothing new: each source's generated feed (one item, no validators, so
// fetched in full every run) was ingested once before the measurement, so
// the run fetches, parses and re-offers every item, and each put is refused
// as a duplicate: the floor a source costs every 15 minutes.
func (h *Harness) Sources(ctx context.Context, n int) (Point, error) {
	store := article.NewDynamoStore(h.table(contract.ArticlesTable))
	now := h.Cloud.Now().UTC()
	var ids []int
	for i := h.sources; i < n; i++ {
		ids = append(ids, i)
	}
	if err := each(ids, func(i int) error {
		name := fmt.Sprintf("scale-src-%05d", i)
		err := store.PutSource(ctx, article.Source{ID: name, Name: name, Category: "world", Weight: 1, CreatedAt: now, UpdatedAt: now,
			URL: fmt.Sprintf("%s/_local/feeds/%s?items=1", h.Cloud.APIURL, name)})
		return err
	}); err != nil {
		return Point{}, fmt.Errorf("register sources: %w", err)
	}
	h.sources = max(h.sources, n)
	if len(ids) > 0 { // the new sources' first fetch, not measured
		if err := h.ingestRun(); err != nil {
			return Point{}, err
		}
		if err := h.Cloud.Quiesce(ctx); err != nil {
			return Point{}, err
		}
		h.Cloud.Resume()
	}
	// Every source due on the measured run, whatever interval the last run
	// gave it (a poll schedule that spaces sources out makes a run cheaper;
	// this is the run where all are due).
	sources, err := store.ListSources(ctx)
	if err != nil {
		return Point{}, fmt.Errorf("list the sources: %w", err)
	}
	byID := map[string]article.Source{}
	for _, src := range sources {
		byID[src.ID] = src
	}
	var due []int
	for i := range n {
		due = append(due, i)
	}
	at := h.Cloud.Now().UTC()
	if err := each(due, func(i int) error {
		id := fmt.Sprintf("scale-src-%05d", i)
		src, ok := byID[id]
		if !ok {
			return fmt.Errorf("source %s is not registered", id)
		}
		return store.RecordFetch(ctx, src, article.FetchState{LastChecked: at, LastSuccess: at, NextFetchAt: at})
	}); err != nil {
		return Point{}, fmt.Errorf("make the sources due: %w", err)
	}
	h.logf("ingest-feeds over %d sources: registered and fetched once, all due", n)
	return h.measure(ctx, ingestion, h.ingestRun)
}

// each runs f over items, eight at a time (the stores' own fan-out), and
// returns the first error.
func each[T any](items []T, f func(T) error) error { return eachN(items, 8, f) }

// eachN runs f over items, n at a time, and returns the first error.
func eachN[T any](items []T, n int, f func(T) error) error {
	var (
		mu    sync.Mutex
		first error
	)
	parallel.Each(items, n, func(_ int, item T) {
		if err := f(item); err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
	})
	return first
}

// KPIDay measures one aggregate-kpi run as the 5-minute schedule sees it
// late in a day of n events spread evenly over its 24 hours: the earlier
// runs (not measured) counted hours 0 to 22, and only the newest hour is
// marked, freshly (a run while it is current). The events are seeded straight into the events table with
// tracking's own store, each size on a day of its own with an empty day
// before it (a past day: every hour over, still correctable). repeat marks
// the newest hour again for each repetition. The point's EventReads is the
// event items the run's queries returned (a run's few marks included), so
// EventReads / n is the run's raw reads per event of the day.
func (h *Harness) KPIDay(ctx context.Context, n, repeat int) (Point, error) {
	store := tracking.NewDynamoStore(h.table(contract.EventsTable))
	now := h.Cloud.Now().UTC()
	if h.kpiDays == 0 {
		for i := range 200 {
			id := fmt.Sprintf("%032x", 0xda7000000+i)
			if err := store.PutArticle(ctx, tracking.Article{ID: id, Category: []string{"world", "sports", "tech", "science"}[i%4],
				SourceID: fmt.Sprintf("scale-src-%d", i%20)}); err != nil {
				return Point{}, err
			}
		}
	}
	if repeat == 0 {
		// The last size's newest hour stays marked (its runs leave a fresh
		// mark): cleared here, so this size's run is of its own day only.
		for _, m := range h.kpiMarks {
			if _, err := store.ClearMark(ctx, m); err != nil {
				return Point{}, err
			}
		}
		h.kpiMarks = nil
		h.kpiDays++
	}
	day := now.Truncate(24 * time.Hour).Add(-time.Duration(2*h.kpiDays) * 24 * time.Hour)
	users := max(1, n/20) // 20 events per user and day: users active in several hours
	event := func(k int) tracking.Stored {
		typ := tracking.Impression
		switch {
		case k%25 == 0:
			typ = tracking.Read
		case k%10 == 0:
			typ = tracking.Click
		}
		hour := k % 24
		return tracking.Stored{Event: tracking.Event{ID: fmt.Sprintf("day-%08d", k), Type: typ,
			ArticleID: fmt.Sprintf("%032x", 0xda7000000+(k*7)%200), At: day.Add(time.Duration(hour)*time.Hour + time.Duration(k%3600)*time.Second)},
			UserID: fmt.Sprintf("scale-day%d-%05d", h.kpiDays, (k/24)%users), ReceivedAt: now}
	}
	mark := func(hour int, setAt time.Time) error {
		shards := map[int]bool{}
		for u := range users {
			shards[tracking.ShardOf(fmt.Sprintf("scale-day%d-%05d", h.kpiDays, u))] = true
		}
		for s := range shards {
			m := tracking.Mark{Hour: day.Add(time.Duration(hour) * time.Hour), Shard: s, SetAt: setAt}
			if err := store.Mark(ctx, m); err != nil {
				return err
			}
			if setAt.Equal(now) {
				h.kpiMarks = append(h.kpiMarks, m)
			}
		}
		return nil
	}
	seed := func(newest bool) error {
		var ks []int
		for k := range n {
			if (k%24 == 23) == newest {
				ks = append(ks, k)
			}
		}
		return each(ks, func(k int) error {
			if err := store.PutEvent(ctx, event(k)); err != nil && !errors.Is(err, tracking.ErrDuplicate) {
				return err
			}
			return nil
		})
	}
	if repeat == 0 {
		// The day's earlier runs: hours 0 to 22, marked and counted.
		if err := seed(false); err != nil {
			return Point{}, fmt.Errorf("seed the day: %w", err)
		}
		for hour := range 23 {
			if err := mark(hour, now.Add(-10*time.Minute)); err != nil {
				return Point{}, err
			}
		}
		if _, err := h.KPI(ctx); err != nil {
			return Point{}, fmt.Errorf("the day's earlier runs: %w", err)
		}
		if err := seed(true); err != nil {
			return Point{}, fmt.Errorf("seed the newest hour: %w", err)
		}
	}
	// The newest hour's mark is fresh, as the current hour's is on each of
	// its runs (they recompute it and leave the mark for the next); only the
	// run that settles the hour, one in 13, also stores its roster.
	if err := mark(23, now); err != nil {
		return Point{}, err
	}
	p, err := h.measure(ctx, []string{"aggregate-kpi"}, func() error {
		h.Cloud.Deliver("aggregate-kpi", "schedule:scale", local.ScheduledEvent("aggregate-kpi", 0, h.Cloud.Now()))
		return nil
	})
	p.Size = float64(n)
	return p, err
}

// inControl says whether every experiment active at now puts the user in a
// variant without parameters (the control).
func inControl(userID string, now time.Time) bool {
	for _, e := range experiment.All {
		if e.Active(now) && len(e.Assign(userID).Params) > 0 {
			return false
		}
	}
	return true
}

// PersonalPage measures GET /v1/feed/me (the first page) for a reader
// following two categories with n articles ranked: requests requests, per
// request. The reader's interests are seeded into the feed table's profile.
func (h *Harness) PersonalPage(ctx context.Context, n, requests int) (Point, error) {
	if h.personalToken == "" {
		// A reader in every active experiment's control: the harness ranks
		// the default feeds, and a variant's reader would read them after a
		// miss on the variant's (a call or two more, as the variant's readers
		// do until a run ranks it), which depends on the random user id.
		var token, userID string
		for tries := 0; ; tries++ {
			if tries == 64 {
				return Point{}, fmt.Errorf("no reader in every experiment's control in 64 registrations")
			}
			var err error
			if token, userID, err = h.register(ctx); err != nil {
				return Point{}, err
			}
			if inControl(userID, h.Cloud.Now()) {
				break
			}
		}
		store := feed.NewDynamoStore(h.table(contract.FeedTable))
		if err := store.SetProfile(ctx, feed.Profile{UserID: userID, Interests: []string{"tech", "sports"}, At: h.Cloud.Now().UTC()}); err != nil {
			return Point{}, fmt.Errorf("seed the reader's interests: %w", err)
		}
		h.personalToken = token
	}
	// A warm instance first: a cold start's init is not the route's cost.
	if status, body, err := h.call(ctx, "GET", "/v1/feed/me", h.personalToken, ""); err != nil || status != 200 {
		return Point{}, fmt.Errorf("GET /v1/feed/me: %d %s %v", status, body, err)
	}
	p, err := h.measure(ctx, []string{"feed-api"}, func() error {
		for range requests {
			status, body, err := h.call(ctx, "GET", "/v1/feed/me", h.personalToken, "")
			if err != nil || status != 200 || !strings.Contains(string(body), `"id"`) {
				return fmt.Errorf("GET /v1/feed/me: %d %s %v", status, body, err)
			}
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	return h.route(p, "feed-api", n, requests), nil
}

// Announce measures one announce-articles run relaying n articles: they are
// stored straight into the articles table, stamped as ingested just after
// the relay's checkpoint (moved first to just behind the relay's lag, so
// only they are due), and the run publishes each as article.published.
func (h *Harness) Announce(ctx context.Context, n int) (Point, error) {
	store := article.NewDynamoStore(h.table(contract.ArticlesTable))
	cp, err := store.Checkpoint(ctx)
	if err != nil {
		return Point{}, err
	}
	if behind := h.Cloud.Now().UTC().Add(-article.AnnounceLag - time.Second); cp.Before(behind) {
		cp = behind
	}
	if err := store.AdvanceCheckpoint(ctx, cp); err != nil {
		return Point{}, err
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = h.announced + i
	}
	if err := each(ids, func(i int) error {
		id := fmt.Sprintf("%032x", 0xa22000000+i)
		at := cp.Add(time.Duration(i-h.announced+1) * time.Microsecond)
		return store.PutArticle(ctx, article.Article{ID: id, URL: "https://scale.example/n/" + id,
			Title: fmt.Sprintf("Announced article %d of the scale run", i), SourceID: fmt.Sprintf("scale-src-%d", i%50),
			Category: rankCategories[i%len(rankCategories)], Story: id, Language: "en", PublishedAt: at, IngestedAt: at, SourceWeight: 1})
	}); err != nil {
		return Point{}, fmt.Errorf("store articles to announce: %w", err)
	}
	h.announced += n
	last := cp.Add(time.Duration(n) * time.Microsecond)
	p, err := h.measure(ctx, []string{"announce-articles"}, func() error {
		h.Cloud.Deliver("announce-articles", "schedule:scale", local.ScheduledEvent("announce-articles", 0, h.Cloud.Now()))
		return nil
	})
	if err != nil {
		return p, err
	}
	// The checkpoint moves only past what the bus accepted.
	if got, err := store.Checkpoint(ctx); err != nil || got.Before(last) {
		return p, fmt.Errorf("announce-articles: checkpoint %s (%v), want past the last of the %d articles (%s)", got, err, n, last)
	}
	return p, nil
}

// FeedEvents measures feed-events keeping the feed's copy of n newly
// announced articles: n article.published events, one invocation each (as
// EventBridge delivers them), two at a time (the machine's cores), so an
// invocation's duration holds no wait for a free instance.
func (h *Harness) FeedEvents(ctx context.Context, n int) (Point, error) {
	now := h.Cloud.Now().UTC()
	evs := make([][]byte, n)
	for i := range evs {
		k := h.published + i
		id := fmt.Sprintf("%032x", 0xfe0000000+k)
		evs[i] = busEvent(h.Cloud, events.ArticlePublishedType, events.SourceArticles, events.ArticlePublished{ID: id,
			URL: "https://scale.example/p/" + id, Title: fmt.Sprintf("Published article %d of the scale run", k),
			SourceID: fmt.Sprintf("scale-src-%d", k%50), Category: rankCategories[k%len(rankCategories)], Story: id,
			PublishedAt: now.Add(-time.Duration(k%60) * time.Minute), Language: "en", SourceWeight: 1})
	}
	h.published += n
	return h.measure(ctx, []string{"feed-events"}, func() error { return h.deliverAll(ctx, "feed-events", "rule:on-article", evs) })
}

// Learn measures learn-interests over one hour in which n users engaged: the
// users are stored (grown from the previous size), and the hour's
// user.engaged events (100 users each, as the KPI batch publishes them) are
// delivered two at a time. Each run is a later hour, so every user learns.
func (h *Harness) Learn(ctx context.Context, n int) (Point, error) {
	store := user.NewDynamoStore(h.table(contract.UsersTable))
	now := h.Cloud.Now().UTC()
	var ids []int
	for i := h.engaged; i < n; i++ {
		ids = append(ids, i)
	}
	if err := each(ids, func(i int) error {
		return store.Create(ctx, user.User{ID: learner(i), CreatedAt: now})
	}); err != nil {
		return Point{}, fmt.Errorf("store users: %w", err)
	}
	h.engaged = max(h.engaged, n)
	h.learnHours++ // hours from 400 back, one later each run: each run's hour is new to every user
	hour := now.Truncate(time.Hour).Add(time.Duration(h.learnHours-400) * time.Hour).Format(events.HourLayout)
	var evs [][]byte
	for i := 0; i < n; i += 100 {
		e := events.UserEngaged{Hour: hour}
		for k := i; k < min(i+100, n); k++ {
			e.Users = append(e.Users, events.UserEngagement{UserID: learner(k),
				Weights: map[string]float64{rankCategories[k%len(rankCategories)]: 2, rankCategories[(k+1)%len(rankCategories)]: 1}})
		}
		evs = append(evs, busEvent(h.Cloud, events.UserEngagedType, events.SourceTracking, e))
	}
	return h.measure(ctx, []string{"learn-interests"}, func() error { return h.deliverAll(ctx, "learn-interests", "rule:on-user-engaged", evs) })
}

func learner(i int) string { return fmt.Sprintf("scale-learner-%07d", i) }

// deliverAll delivers evs to fn as a rule does, two at a time: a pair, then
// the cloud quiet, then the next.
func (h *Harness) deliverAll(ctx context.Context, fn, trigger string, evs [][]byte) error {
	for i := 0; i < len(evs); i += 2 {
		for _, e := range evs[i:min(i+2, len(evs))] {
			h.Cloud.Deliver(fn, trigger, e)
		}
		if err := h.Cloud.Quiesce(ctx); err != nil {
			return err
		}
		h.Cloud.Resume()
	}
	return nil
}

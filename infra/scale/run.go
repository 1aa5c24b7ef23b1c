package scale

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Sizes are the sizes each workload is measured at, smallest first.
type Sizes struct {
	Readers   []int // interested readers of one trending article (notify-trending)
	Sampled   int   // readers of each size whose inbox is read until the trend shows (the first, the last, the rest at random)
	Articles  []int // articles in the ranking window (rank-feeds, GET /v1/feed)
	Events    []int // events accepted in one hour (POST /v1/events, aggregate-kpi)
	DayEvents []int // events of a day spread over its hours (aggregate-kpi over a day: a run with the newest hour marked)
	PerDay    []int // new articles a day (ingest-feeds: a run's share, clustered against two days of them)
	Sources   []int // registered sources (ingest-feeds: a run that fetches each, nothing new)
	Inbox     []int // entries in a reader's inbox (GET /v1/notifications)
	Announce  []int // articles one announce-articles run relays
	Publish   []int // article.published events feed-events keeps (one invocation each)
	Engaged   []int // users engaged in one hour (learn-interests)
	Requests  int   // requests per route measurement
	// Repeat runs each batch this many times at each size and keeps the
	// median of each figure: the machine is shared, and one slow run would
	// bend a fit.
	Repeat int
}

// Full is what make scale measures: the largest sizes that fit the 2-core
// development machine in well under 15 minutes; larger scales are
// extrapolated from the fits.
var Full = Sizes{
	Readers:   []int{1000, 10000, 100000, 1000000},
	Sampled:   50,
	Articles:  []int{300, 1000, 3000, 10000},
	Events:    []int{1000, 3000, 10000, 20000},
	DayEvents: []int{4800, 19200, 48000, 96000},
	PerDay:    []int{1000, 2000, 5000, 10000},
	Sources:   []int{100, 300, 1000, 3000},
	Inbox:     []int{10, 50, 200, 1000},
	Announce:  []int{100, 300, 1000, 3000},
	Publish:   []int{30, 100, 300, 1000},
	Engaged:   []int{100, 300, 1000, 3000},
	Requests:  40,
	Repeat:    3,
}

// Smoke is the harness's own test: tiny sizes, every workload once.
var Smoke = Sizes{Readers: []int{20, 120}, Sampled: 10, Articles: []int{20, 40}, Events: []int{30, 60}, DayEvents: []int{48, 96}, PerDay: []int{100, 200},
	Sources: []int{3, 6}, Inbox: []int{5, 10}, Announce: []int{5, 15}, Publish: []int{2, 3}, Engaged: []int{20, 120}, Requests: 2, Repeat: 1}

// Workloads name the workloads for Only, and the curves each measures.
var Workloads = map[string][]string{
	"fanout":      {"notify-trending fan-out"},
	"rank":        {"rank-feeds", "GET /v1/feed", "GET /v1/feed/me"},
	"events":      {"POST /v1/events", "aggregate-kpi"},
	"kpiday":      {"aggregate-kpi over a day"},
	"ingest":      {"ingest-feeds"},
	"sources":     {"ingest-feeds over sources"},
	"inbox":       {"GET /v1/notifications"},
	"announce":    {"announce-articles"},
	"feed-events": {"feed-events"},
	"learn":       {"learn-interests"},
}

// Only keeps the sizes of the named workloads (keys of Workloads).
func (s Sizes) Only(names []string) (Sizes, error) {
	keep := map[string]bool{}
	for _, n := range names {
		if _, ok := Workloads[n]; !ok {
			names := slices.Sorted(maps.Keys(Workloads))
			return s, fmt.Errorf("no workload %q (%s)", n, strings.Join(names, ", "))
		}
		keep[n] = true
	}
	if !keep["fanout"] {
		s.Readers = nil
	}
	if !keep["rank"] {
		s.Articles = nil
	}
	if !keep["events"] {
		s.Events = nil
	}
	if !keep["kpiday"] {
		s.DayEvents = nil
	}
	if !keep["ingest"] {
		s.PerDay = nil
	}
	if !keep["sources"] {
		s.Sources = nil
	}
	if !keep["inbox"] {
		s.Inbox = nil
	}
	if !keep["announce"] {
		s.Announce = nil
	}
	if !keep["feed-events"] {
		s.Publish = nil
	}
	if !keep["learn"] {
		s.Engaged = nil
	}
	return s, nil
}

// WorkloadOf names the workload that measures a curve.
func WorkloadOf(curve string) string {
	for w, cs := range Workloads {
		if slices.Contains(cs, curve) {
			return w
		}
	}
	return ""
}

// Curve is one workload's measurements: a batch (totals per run, expected to
// grow linearly with Size) or a route (per request, expected flat).
type Curve struct {
	Name     string        `json:"name"`
	Function string        `json:"function"`
	Route    bool          `json:"route"`
	Per      string        `json:"per"`  // what a point's figures are per: run, request, event
	Unit     string        `json:"unit"` // what Size counts
	MemoryMB int           `json:"memory_mb"`
	Timeout  time.Duration `json:"timeout"`
	Points   []Point       `json:"points"`
	Took     time.Duration `json:"took"`
}

// Run measures every workload at its sizes on the harness's cloud.
func Run(ctx context.Context, h *Harness, s Sizes) ([]Curve, error) {
	curve := func(name, fn, unit string, route bool) Curve {
		f, _ := h.Cloud.Topology.Function(fn)
		per := "run"
		if route {
			per = "request"
		}
		return Curve{Name: name, Function: fn, Unit: unit, Route: route, Per: per, MemoryMB: f.MemoryMB, Timeout: f.Timeout}
	}
	fan := curve("notify-trending fan-out", "notify-trending", "interested readers", false)
	rank := curve("rank-feeds", "rank-feeds", "articles in the window", false)
	page := curve("GET /v1/feed", "feed-api", "articles in the window", true)
	personal := curve("GET /v1/feed/me", "feed-api", "articles in the window", true)
	announce := curve("announce-articles", "announce-articles", "articles announced by the run", false)
	published := curve("feed-events", "feed-events", "article.published events (one invocation each)", false)
	learn := curve("learn-interests", "learn-interests", "users engaged in the hour", false)
	post := curve("POST /v1/events", "tracking-api", "events in the hour", true)
	post.Per = "event, posted in batches of 25,"
	ing := curve("ingest-feeds", "ingest-feeds", "new articles a day", false)
	src := curve("ingest-feeds over sources", "ingest-feeds", "sources", false)
	inbox := curve("GET /v1/notifications", "notifications-api", "stories trending (half in the reader's categories)", true)
	kpi := curve("aggregate-kpi", "aggregate-kpi", "events in the day (all in one hour)", false)
	kpiDay := curve("aggregate-kpi over a day", "aggregate-kpi", "events in the day (spread over its hours; the newest marked)", false)
	timed := func(c *Curve, f func(repeat int) (Point, error)) error {
		t := time.Now()
		var runs []Point
		for i := range max(s.Repeat, 1) {
			p, err := f(i)
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			runs = append(runs, p)
		}
		p := Median(runs)
		c.Points = append(c.Points, p)
		c.Took += time.Since(t)
		h.logf("%s at %.0f %s: %.0f ms, %d invocations, %.1f RRU, %.1f WRU", c.Name, p.Size, c.Unit, p.WallMS,
			int(p.Invocations), p.ReadUnits, p.WriteUnits)
		return nil
	}
	// Warm instances first (a cold start's init is not the workload's cost):
	// a ranking run over what is placed, a KPI run.
	if _, err := h.Rank(ctx, 0); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if _, err := h.KPI(ctx); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	for _, n := range s.Articles {
		if err := timed(&rank, func(int) (Point, error) {
			p, err := h.Rank(ctx, n)
			p.Size = float64(n)
			return p, err
		}); err != nil {
			return nil, err
		}
		if err := timed(&page, func(int) (Point, error) { return h.FeedPage(ctx, n, s.Requests) }); err != nil {
			return nil, err
		}
		if err := timed(&personal, func(int) (Point, error) { return h.PersonalPage(ctx, n, s.Requests) }); err != nil {
			return nil, err
		}
	}
	for _, n := range s.Events {
		// Posting is not repeated (it would add events): its figures are
		// already the mean over every batch.
		t := time.Now()
		p, err := h.Events(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", post.Name, err)
		}
		post.Points = append(post.Points, p)
		post.Took += time.Since(t)
		if err := timed(&kpi, func(int) (Point, error) { return h.KPI(ctx) }); err != nil {
			return nil, err
		}
	}
	for _, n := range s.DayEvents {
		if err := timed(&kpiDay, func(i int) (Point, error) { return h.KPIDay(ctx, n, i) }); err != nil {
			return nil, err
		}
		p := kpiDay.Points[len(kpiDay.Points)-1]
		h.logf("aggregate-kpi over a day at %d events: %.3f RRU, %.2g GB-s and %.3f raw reads per event of the day", n,
			p.ReadUnits/p.Size, p.GBSeconds/p.Size, p.EventReads/p.Size)
	}
	// sized measures c at each size with f after one warm-up call of f at
	// size warm (a warm instance: a cold start's init is not the cost).
	sized := func(c *Curve, sizes []int, warm int, f func(n int) (Point, error)) error {
		if len(sizes) == 0 {
			return nil
		}
		if _, err := f(warm); err != nil {
			return fmt.Errorf("%s: warm-up: %w", c.Name, err)
		}
		for _, n := range sizes {
			if err := timed(c, func(int) (Point, error) {
				p, err := f(n)
				p.Size = float64(n)
				return p, err
			}); err != nil {
				return err
			}
		}
		return nil
	}
	// The relay first, before anything is ingested: what it announces is
	// only what the workload stored (the warm-up run announces nothing).
	if err := sized(&announce, s.Announce, 0, func(n int) (Point, error) { return h.Announce(ctx, n) }); err != nil {
		return nil, err
	}
	if err := sized(&published, s.Publish, 1, func(n int) (Point, error) { return h.FeedEvents(ctx, n) }); err != nil {
		return nil, err
	}
	if err := sized(&learn, s.Engaged, 1, func(n int) (Point, error) { return h.Learn(ctx, n) }); err != nil {
		return nil, err
	}
	if _, err := h.Ingest(ctx, 0, 0); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	for _, n := range s.PerDay {
		if err := timed(&ing, func(i int) (Point, error) {
			p, err := h.Ingest(ctx, n, i)
			p.Size = float64(n)
			return p, err
		}); err != nil {
			return nil, err
		}
	}
	for _, n := range s.Sources {
		if err := timed(&src, func(int) (Point, error) {
			p, err := h.Sources(ctx, n)
			p.Size = float64(n)
			return p, err
		}); err != nil {
			return nil, err
		}
	}
	for _, n := range s.Inbox {
		if err := timed(&inbox, func(int) (Point, error) { return h.Inbox(ctx, n, s.Requests) }); err != nil {
			return nil, err
		}
	}
	// The fan-out last: its million readers stay in dynalite's memory (some
	// 3 GB), under no other workload. A fan-out to one reader warms
	// notify-trending first.
	if len(s.Readers) > 0 {
		if _, err := h.Fanout(ctx, 1, 0, 0); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	for _, n := range s.Readers {
		if err := timed(&fan, func(i int) (Point, error) {
			p, err := h.Fanout(ctx, n, s.Sampled, i)
			p.Size = float64(n)
			return p, err
		}); err != nil {
			return nil, err
		}
	}
	var out []Curve
	for _, c := range []Curve{fan, rank, page, personal, inbox, post, kpi, kpiDay, ing, src, announce, published, learn} {
		if len(c.Points) > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// TTLEvery is the local cloud's background TTL sweep for make scale: none.
// A sweep scans every table (some 13 s for the fan-out's two million items
// on the 2-core machine, every 30 s), work DynamoDB's own TTL does not take
// from a table's throughput, and in a run of minutes on the unmoved clock it
// would delete nothing (items go DefaultTTLDelay after their expiry).
const TTLEvery time.Duration = -1

// Functions are the functions the workloads need; the cloud runs only these
// (the rules whose targets are left out deliver nowhere), so what is measured
// is not slowed by consumers no workload measures.
var Functions = []string{"ingest-feeds", contract.ParseFeedFunction, "notify-trending", "rank-feeds", "feed-api", "notifications-api", "tracking-api", "aggregate-kpi", "users-api", "authorizer",
	"announce-articles", "feed-events", "learn-interests"}

// quiet are the rules the cut topology gives the functions whose events the
// harness delivers itself, in place of theirs (none: the function keeps its
// schedule), so that what other workloads publish (tracking's user.read, the
// KPI batch's article.stats and user.engaged, the relay's article.published,
// feed-events' ranking requests) starts no unmeasured work beside the
// measured one. A function needs a trigger: each keeps the rule the harness
// names when it delivers, narrowed to a value no event carries.
var quiet = map[string][]topology.Rule{
	"feed-events":     {topology.On("on-article", events.ArticlePublishedType).Where("source_id", "delivered-by-the-harness")},
	"learn-interests": {topology.On("on-user-engaged", events.UserEngagedType).Where("hour", "delivered-by-the-harness")},
	"rank-feeds":      nil,
}

// FanOut are the batches whose runs invoke the function many times at once
// (the KPI batch's coordinator fans out to its shard workers). On this
// machine their invocations would share its few cores, and each one's
// duration — what Lambda bills — would stretch with the others', which
// Lambda, one invocation per execution environment, does not do: the cut
// topology gives them the reserved concurrency Concurrency, so each
// invocation has a core and dynalite, which serves them, another; the
// others wait their turn queued (the bus keeps a throttled event, and the
// wait is not billed: local.Result.Queued).
var FanOut = []string{"aggregate-kpi"}

// Concurrency is the reserved concurrency of the FanOut batches: the
// machine's cores but one (dynalite's), at least one.
func Concurrency() int { return max(1, runtime.NumCPU()-1) }

// Topology is Kiosk's topology cut to Functions.
func Topology() topology.Cloud {
	t := topology.Kiosk()
	var keep []topology.Function
	for _, f := range t.Functions {
		if slices.Contains(Functions, f.Name) {
			if rules, ok := quiet[f.Name]; ok {
				f.Rules = rules
			}
			if slices.Contains(FanOut, f.Name) {
				f.Concurrency = Concurrency()
			}
			keep = append(keep, f)
		}
	}
	t.Functions = keep
	return t
}

// Median is the median of each figure over runs of one size (the upper
// median of an even count).
func Median(runs []Point) Point {
	if len(runs) == 0 {
		return Point{}
	}
	med := func(of func(Point) float64) float64 {
		v := make([]float64, len(runs))
		for i, p := range runs {
			v[i] = of(p)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := runs[0]
	out.WallMS = med(func(p Point) float64 { return p.WallMS })
	out.Invocations = med(func(p Point) float64 { return p.Invocations })
	out.MaxInvokeMS = med(func(p Point) float64 { return p.MaxInvokeMS })
	out.GBSeconds = med(func(p Point) float64 { return p.GBSeconds })
	out.ReadUnits = med(func(p Point) float64 { return p.ReadUnits })
	out.WriteUnits = med(func(p Point) float64 { return p.WriteUnits })
	out.Calls = med(func(p Point) float64 { return p.Calls })
	out.BusEvents = med(func(p Point) float64 { return p.BusEvents })
	out.PeakMiB = med(func(p Point) float64 { return p.PeakMiB })
	out.LogBytes = med(func(p Point) float64 { return p.LogBytes })
	out.EventReads = med(func(p Point) float64 { return p.EventReads })
	// The readers' side: the run whose last reader saw the trend latest (the
	// figure held against the 60 s goal is the worst), its longest
	// invocation and failures over every run.
	for _, p := range runs {
		if p.Seen == nil {
			continue
		}
		worst := *p.Seen
		if out.Seen != nil && out.Seen.LastMS > worst.LastMS {
			worst = *out.Seen
		}
		if out.Seen != nil {
			worst.MaxInvokeMS = max(worst.MaxInvokeMS, out.Seen.MaxInvokeMS, p.Seen.MaxInvokeMS)
			worst.Failed = max(worst.Failed, out.Seen.Failed, p.Seen.Failed)
		}
		out.Seen = &worst
	}
	for _, p := range runs {
		out.SeedMS = max(out.SeedMS, p.SeedMS) // seeded once, on the first run
		out.DynaliteMiB = max(out.DynaliteMiB, p.DynaliteMiB)
		out.Instances = max(out.Instances, p.Instances)
		out.Concurrent = max(out.Concurrent, p.Concurrent)
		out.Failed = max(out.Failed, p.Failed)
	}
	return out
}

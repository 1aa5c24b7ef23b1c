package scale

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/infra/price"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/article"
	"github.com/kiosk-news/kiosk/shared/feed"
)

// Environment is the machine a report was measured on.
type Environment struct {
	CPU, Go, Date string
	CPUs          int
	Load          string // /proc/loadavg's 1, 5 and 15 minute averages when the run started
}

// EnvironmentNow describes this machine.
func EnvironmentNow() Environment {
	e := Environment{Go: runtime.Version(), CPUs: runtime.NumCPU(), Date: time.Now().UTC().Format("2006-01-02")}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			e.Load = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return e
}

// Metric is one figure of a point, and how to read it off.
type Metric struct {
	Name string
	Of   func(Point) float64
}

// Metrics are the figures every curve is fitted on.
var Metrics = []Metric{
	{"wall ms", func(p Point) float64 { return p.WallMS }},
	{"DynamoDB units", func(p Point) float64 { return p.ReadUnits + p.WriteUnits }},
	{"Lambda GB-s", func(p Point) float64 { return p.GBSeconds }},
	{"invocations", func(p Point) float64 { return p.Invocations }},
	{"longest invocation ms", func(p Point) float64 { return p.MaxInvokeMS }},
}

// Fits fits every metric of c against its sizes.
func (c Curve) Fits() map[string]Fit {
	out := map[string]Fit{}
	for _, m := range Metrics {
		if f, err := c.fit(m.Of); err == nil {
			out[m.Name] = f
		}
	}
	return out
}

func (c Curve) fit(of func(Point) float64) (Fit, error) {
	var xs, ys []float64
	for _, p := range c.Points {
		xs, ys = append(xs, p.Size), append(ys, of(p))
	}
	return FitPower(xs, ys)
}

// TailSizes is how many of the largest sizes the extrapolating fit uses: at
// small sizes a run's fixed part (an invocation's overhead, a table read
// whatever the size) flattens the curve, so a fit over every size
// understates how the largest grow.
const TailSizes = 3

// Tail is the curve cut to its TailSizes largest sizes.
func (c Curve) Tail() Curve {
	if len(c.Points) > TailSizes {
		c.Points = c.Points[len(c.Points)-TailSizes:]
	}
	return c
}

// at is a metric extrapolated to size x by the tail's fit (0 without one).
func (c Curve) at(x float64, of func(Point) float64) float64 {
	f, err := c.Tail().fit(of)
	if err != nil {
		return 0
	}
	return f.At(x)
}

// Target is the scale each curve is extrapolated to, and why.
type Target struct {
	Size float64
	Why  string
}

// Targets are Gunosy's scale for each workload.
var Targets = map[string]Target{
	"notify-trending fan-out":   {1e6, "one trending article followed by 1M readers (10% of 10M monthly readers): its cost does not grow with them"},
	"rank-feeds":                {3e5, "100k new articles a day × the 72 h window"},
	"GET /v1/feed":              {3e5, "100k new articles a day × the 72 h window"},
	"POST /v1/events":           {4.2e7, "1B events a day: 42M an hour"},
	"aggregate-kpi":             {1e9, "1B events a day, all in the hour a run reads raw (the worst case)"},
	"aggregate-kpi over a day":  {1e9, "1B events a day: a run late in the day, its newest hour marked"},
	"ingest-feeds":              {1e5, "100k new articles a day"},
	"ingest-feeds over sources": {1e4, "10,000 sources"},
	"GET /v1/notifications":     {600, "20 trending stories a day kept 30 days"},
	"GET /v1/feed/me":           {3e5, "100k new articles a day × the 72 h window"},
	"announce-articles":         {1e5, "a day's 100k new articles in one run (the backlog of a day-long outage)"},
	"feed-events":               {1e5, "100k new articles a day, one event each"},
	"learn-interests":           {3.1e5, "3M daily readers, the busiest hour's share (2.5 × 1/24)"},
}

// Limit is a quota or ceiling and the scale at which the measured curve
// meets it.
type Limit struct {
	What, Limit, BreaksAt, From string
}

// Report is make scale's result.
type Report struct {
	Curves []Curve
	Env    Environment
	Took   time.Duration
	Usage  Usage
	Per    Measured
	Month  Month
	Limits []Limit
}

func (r *Report) curve(name string) Curve {
	for _, c := range r.Curves {
		if c.Name == name {
			return c
		}
	}
	return Curve{Name: name}
}

// NewReport fits the curves, derives the per-item figures, prices the month
// and finds the limits.
func NewReport(curves []Curve, env Environment, took time.Duration) *Report {
	r := &Report{Curves: curves, Env: env, Took: took, Usage: Gunosy}
	r.Per = r.measured(r.Usage)
	r.Month = Price(r.Usage, r.Per)
	r.Limits = r.limits()
	return r
}

// unit reads a point's figures as a Unit divided by n.
func unit(p Point, memMB int, n float64) Unit {
	ms := 0.0
	if memMB > 0 {
		ms = p.GBSeconds / (float64(memMB) / 1024) * 1000
	}
	return Unit{GBSeconds: p.GBSeconds / n, ReadUnits: p.ReadUnits / n, WriteUnits: p.WriteUnits / n,
		Invocations: p.Invocations / n, BusEvents: p.BusEvents / n, LogBytes: p.LogBytes / n, MS: ms / n, Calls: p.Calls / n}
}

// less is u without f times v.
func (u Unit) less(v Unit, f float64) Unit {
	return Unit{GBSeconds: max(0, u.GBSeconds-f*v.GBSeconds), ReadUnits: u.ReadUnits - f*v.ReadUnits, WriteUnits: u.WriteUnits - f*v.WriteUnits,
		Invocations: u.Invocations - f*v.Invocations, BusEvents: u.BusEvents - f*v.BusEvents, LogBytes: max(0, u.LogBytes-f*v.LogBytes),
		MS: max(0, u.MS-f*v.MS), Calls: u.Calls - f*v.Calls}
}

func last(c Curve) Point {
	if len(c.Points) == 0 {
		return Point{}
	}
	return c.Points[len(c.Points)-1]
}

// extrapolated is the curve's point fitted at x, metric by metric.
func extrapolated(c Curve, x float64) Point {
	return Point{Size: x,
		GBSeconds: c.at(x, func(p Point) float64 { return p.GBSeconds }), ReadUnits: c.at(x, func(p Point) float64 { return p.ReadUnits }),
		WriteUnits: c.at(x, func(p Point) float64 { return p.WriteUnits }), Invocations: c.at(x, func(p Point) float64 { return p.Invocations }),
		BusEvents: c.at(x, func(p Point) float64 { return p.BusEvents }), LogBytes: c.at(x, func(p Point) float64 { return p.LogBytes }),
		WallMS: c.at(x, func(p Point) float64 { return p.WallMS })}
}

// measured derives the per-item figures: routes and the fan-out at their
// largest measured size (per request, per reader); the two batches whose
// run reads a whole window extrapolated to u's window.
func (r *Report) measured(u Usage) Measured {
	page, post, fan := r.curve("GET /v1/feed"), r.curve("POST /v1/events"), r.curve("notify-trending fan-out")
	rank := r.curve("rank-feeds")
	m := Measured{FeedPage: unit(last(page), page.MemoryMB, 1), Event: unit(last(post), post.MemoryMB, 1)}
	if c := r.curve("GET /v1/feed/me"); len(c.Points) > 0 {
		m.Personal = unit(last(c), c.MemoryMB, 1)
	}
	// The relay runs a minute: a run carries a minute's share of the day's
	// articles, below the measured sizes, where its fixed part weighs most.
	if c := r.curve("announce-articles"); len(c.Points) > 0 && u.AnnounceRunsPerDay > 0 {
		m.Announce = unit(extrapolated(c, u.ArticlesPerDay/u.AnnounceRunsPerDay), c.MemoryMB, 1)
	}
	if c := r.curve("feed-events"); last(c).Size > 0 {
		m.Kept = unit(last(c), c.MemoryMB, last(c).Size)
	}
	if c := r.curve("learn-interests"); last(c).Size > 0 {
		m.Learned = unit(last(c), c.MemoryMB, last(c).Size)
	}
	m.Inbox = m.FeedPage // priced as a feed page unless measured
	if in := r.curve("GET /v1/notifications"); len(in.Points) > 0 {
		p := last(in)
		m.Inbox = unit(p, in.MemoryMB, 1)
		if p.Refresh != nil && p.Requests > 0 {
			// The measured requests made one reload of the trending list,
			// which Price counts per instance and TrendingRefresh instead:
			// the page alone is the point less the reload's share.
			m.Reload = *p.Refresh
			m.Inbox = m.Inbox.less(m.Reload, 1/float64(p.Requests))
		}
	}
	if p := last(fan); p.Size > 0 {
		m.Trend = unit(p, fan.MemoryMB, 1)
	}
	m.RankRun = unit(extrapolated(rank, u.WindowArticles), rank.MemoryMB, 1)
	// A KPI run at half a day's events (its mean over the day's runs).
	m.KPIRun = r.kpiRunAt(u.DAU*u.EventBatches*u.EventsPerBatch/2, true)
	// A run is a coordinator and a worker per shard and period (16 shards, an
	// hour and its day): its invocations do not grow past that.
	m.KPIRun.Invocations = math.Min(m.KPIRun.Invocations, 1+2*16)
	m.KPIRun.BusEvents = math.Min(m.KPIRun.BusEvents, 2*16)
	// An ingestion run: its new articles against the window, and the fetch of
	// every source (measured apart; the fixed part of a run counts twice).
	ing, src := r.curve("ingest-feeds"), r.curve("ingest-feeds over sources")
	a, b := unit(extrapolated(ing, u.ArticlesPerDay), ing.MemoryMB, 1), unit(extrapolated(src, u.Sources), src.MemoryMB, 1)
	m.Ingest = Unit{GBSeconds: a.GBSeconds + b.GBSeconds, ReadUnits: a.ReadUnits + b.ReadUnits, WriteUnits: a.WriteUnits + b.WriteUnits,
		Invocations: max(a.Invocations, b.Invocations), BusEvents: a.BusEvents + b.BusEvents, LogBytes: a.LogBytes + b.LogBytes, MS: a.MS + b.MS}
	return m
}

// kpiRun is the curve a KPI run's cost is taken from: the day-spread
// workload when measured (a run late in a day, its newest hour marked, as
// the schedule sees it), else the one-hour workload (every event in the
// hour a run reads raw: an upper bound).
func (r *Report) kpiRun() Curve {
	if day := r.curve("aggregate-kpi over a day"); len(day.Points) > 1 {
		return day
	}
	return r.curve("aggregate-kpi")
}

// kpiRunAt is a KPI run at x events in the day. The day-spread workload's
// run is a fixed part (a coordinator, 16 workers, their marks and rosters'
// heads) plus a part per event of the day, and at the measured sizes the
// fixed part is most of it: a power fit would bend it low, so it is
// extrapolated linearly through its two largest sizes (marginal). The
// one-hour workload by its largest sizes' fit. byUnits: when its workers
// ran more at once than there are cores, their time grew with the
// contention too, so its compute is carried from the largest size in
// proportion to its DynamoDB units (the work it reads and writes).
func (r *Report) kpiRunAt(x float64, byUnits bool) Unit {
	c := r.kpiRun()
	day := c.Name == "aggregate-kpi over a day"
	p, l := extrapolated(c, x), last(c)
	if day {
		p = marginal(c, x)
	}
	if byUnits && contended(c, r.Env) && l.Size > 0 {
		by := math.Pow(x/l.Size, c.Tail().Fits()["DynamoDB units"].Exponent)
		if day && l.ReadUnits+l.WriteUnits > 0 {
			by = (p.ReadUnits + p.WriteUnits) / (l.ReadUnits + l.WriteUnits)
		}
		p.GBSeconds, p.WallMS = l.GBSeconds*by, l.WallMS*by
	}
	return unit(p, c.MemoryMB, 1)
}

// marginal is the curve's point at x on the line through its two largest
// sizes, metric by metric (a metric that fell keeps its largest size's
// value).
func marginal(c Curve, x float64) Point {
	if len(c.Points) < 2 {
		return last(c)
	}
	a, b := c.Points[len(c.Points)-2], c.Points[len(c.Points)-1]
	at := func(of func(Point) float64) float64 {
		slope := 0.0
		if b.Size > a.Size {
			slope = math.Max(0, (of(b)-of(a))/(b.Size-a.Size))
		}
		return of(b) + slope*(x-b.Size)
	}
	return Point{Size: x,
		GBSeconds: at(func(p Point) float64 { return p.GBSeconds }), ReadUnits: at(func(p Point) float64 { return p.ReadUnits }),
		WriteUnits: at(func(p Point) float64 { return p.WriteUnits }), Invocations: at(func(p Point) float64 { return p.Invocations }),
		BusEvents: at(func(p Point) float64 { return p.BusEvents }), LogBytes: at(func(p Point) float64 { return p.LogBytes }),
		WallMS: at(func(p Point) float64 { return p.WallMS })}
}

func fmtSize(v float64) string {
	if math.IsInf(v, 1) || v > 1e15 {
		return "beyond reach (the fit barely grows)"
	}
	return human(v)
}

// limits finds, for each quota that would break first, the scale at which
// the measured curves meet it.
func (r *Report) limits() []Limit {
	u := r.Usage
	fan, rank, kpi, page := r.curve("notify-trending fan-out"), r.curve("rank-feeds"), r.curve("aggregate-kpi"), r.curve("GET /v1/feed")
	var out []Limit
	fits := func(c Curve) map[string]Fit { return c.Tail().Fits() }
	if p := last(fan); p.Invocations > 0 {
		seen := time.Duration(p.WallMS*float64(time.Millisecond)) + feed.TrendingRefresh
		measured := ""
		if p.Seen != nil {
			measured = fmt.Sprintf("; measured: the last of %d sampled readers of %s saw it %.1f s after the event (virtual time)", p.Seen.Readers,
				human(p.Size), p.Seen.LastMS/1000)
		}
		out = append(out, Limit{"notify-trending: the last interested reader sees a trending article", "60 s (the issue's goal)",
			"any number of interested readers",
			fmt.Sprintf("computed on read: the event records one entry (%.0f invocation, %.0f ms, %.1f WRU at %s readers; wall exponent %.2f), and each notifications-api instance reads the trending list again every %s, so every reader sees it within %s whatever their number%s",
				p.Invocations, p.WallMS, p.WriteUnits, human(p.Size), fits(fan)["wall ms"].Exponent, feed.TrendingRefresh, seen.Round(100*time.Millisecond), measured)})
	}
	if f, ok := fits(fan)["longest invocation ms"]; ok {
		out = append(out, Limit{"notify-trending: one invocation within its timeout", fmt.Sprintf("%s configured (Lambda's maximum 15 min)", fan.Timeout),
			"any number of interested readers",
			fmt.Sprintf("one write per trending story, whatever the readers: the longest invocation's exponent is %.2f (%.0f ms at %s)", f.Exponent, last(fan).MaxInvokeMS, human(last(fan).Size))})
	}
	if f, ok := fits(rank)["wall ms"]; ok {
		out = append(out, Limit{"rank-feeds: one run within its timeout", fmt.Sprintf("%s configured; Lambda's maximum 15 min", rank.Timeout),
			fmtSize(f.Reach(rank.Timeout.Seconds()*1000)) + " articles in the window (15 min: " + fmtSize(f.Reach(900000)) + ")",
			fmt.Sprintf("one invocation ranks the whole window: exponent %.2f (%.0f ms at %s articles)", f.Exponent, last(rank).WallMS, human(last(rank).Size))})
	}
	if f, err := rank.Tail().fit(func(p Point) float64 { return p.PeakMiB }); err == nil {
		out = append(out, Limit{"rank-feeds: memory", fmt.Sprintf("%d MB configured; Lambda's maximum 10,240 MB", rank.MemoryMB),
			fmtSize(f.Reach(float64(rank.MemoryMB))) + " articles (10 GB: " + fmtSize(f.Reach(10240)) + ")",
			fmt.Sprintf("the bootstrap's resident size, sampled: %.0f MiB at %s articles, exponent %.2f",
				last(rank).PeakMiB, human(last(rank).Size), f.Exponent)})
	}
	if f, err := kpi.Tail().fit(func(p Point) float64 { return p.GBSeconds / (float64(max(kpi.MemoryMB, 1)) / 1024) * 1000 }); err == nil {
		how := "compute per run grows with exponent %.2f in the day's events (%.0f ms at %s)"
		if uf := kpi.Tail().Fits()["DynamoDB units"]; contended(kpi, r.Env) && uf.Exponent > 0 {
			// As for the cost: the contended time carried by the units' exponent.
			p := last(kpi)
			ms := p.GBSeconds / (float64(max(kpi.MemoryMB, 1)) / 1024) * 1000
			f = Fit{Exponent: uf.Exponent, Coef: ms / math.Pow(p.Size, uf.Exponent)}
			how = "compute per run grows with the events it reads, exponent %.2f (its DynamoDB units'; its time, contended, grew faster), %.0f ms at %s, " +
				fmt.Sprintf("measured with %d invocations at once on %d cores: an early estimate, the limit may lie up to %d× further", p.Concurrent, r.Env.CPUs, max(1, p.Concurrent/r.Env.CPUs))
		}
		limit := kpi.Timeout.Seconds() * 1000 * 16
		out = append(out, Limit{"aggregate-kpi: a shard worker within its timeout", fmt.Sprintf("%s configured; 16 shards share a run", kpi.Timeout),
			fmtSize(f.Reach(limit)) + " events in a day",
			"a run recomputes each marked hour from its raw events and the day from its hours' rosters; measured with every event in one marked hour, " +
				"the worst case (a day's events all in the hour a run reads raw): " + fmt.Sprintf(how, f.Exponent, f.At(last(kpi).Size), human(last(kpi).Size))})
	}
	for _, ing := range []Curve{r.curve("ingest-feeds"), r.curve("ingest-feeds over sources")} {
		if f, ok := fits(ing)["wall ms"]; ok {
			why := "each run places its new articles against the postings of their titles' words, not the window"
			if ing.Unit == "sources" {
				why = "each run fetches every source (those without validators in full) and re-offers every item"
			}
			out = append(out, Limit{ing.Name + ": one run within its timeout", fmt.Sprintf("%s configured; Lambda's maximum 15 min", ing.Timeout),
				fmtSize(f.Reach(ing.Timeout.Seconds()*1000)) + " " + ing.Unit + " (15 min: " + fmtSize(f.Reach(900000)) + ")",
				fmt.Sprintf("%s: exponent %.2f (%.0f ms at %s)", why, f.Exponent, last(ing).WallMS, human(last(ing).Size))})
		}
	}
	perDAU := (u.PublicPages + u.PersonalPages + u.InboxReads + u.EventBatches) / 86400 * u.PeakFactor // peak requests/s per daily reader
	rru := last(page).ReadUnits
	if rru > 0 {
		const topShare = 0.6
		reads := 3000 / rru * feed.HeadCopies
		perReader := u.PublicPages*topShare + u.PersonalPages // reads of top's head a reader a day
		out = append(out, Limit{"a category's feed head: one item every app reads, in feed.HeadCopies copies", fmt.Sprintf("3,000 RCU/s per partition (on-demand too), × %d copies", feed.HeadCopies),
			fmtSize(reads/(perReader/86400*u.PeakFactor)) + " daily readers (at a breaking-news second of 10× the mean: " + fmtSize(reads/(perReader/86400*10)) + ")",
			fmt.Sprintf("%.2f RRU a page (measured) ⇒ %.0f head reads/s a copy, %.0f of top's %d copies; %.0f%% of %.0f public pages a reader a day on top (all counted as first pages) and the personal page, which reads top's head too; peak %.1f× the mean; each ranking run writes every copy (%d × the head's size in WRU a feed)",
				rru, 3000/rru, reads, feed.HeadCopies, topShare*100, u.PublicPages, u.PeakFactor, feed.HeadCopies)})
	}
	if c := r.curve("announce-articles"); len(c.Points) > 0 {
		if f, ok := fits(c)["wall ms"]; ok {
			out = append(out, Limit{"announce-articles: one run within its timeout", fmt.Sprintf("%s configured", c.Timeout),
				fmtSize(f.Reach(c.Timeout.Seconds()*1000)) + " articles due at once",
				fmt.Sprintf("one invocation relays every article due, 10 a PutEvents call: exponent %.2f (%.0f ms at %s); a run cut off resumes after the last chunk the bus accepted", f.Exponent, last(c).WallMS, human(last(c).Size))})
		}
	}
	if c := r.curve("feed-events"); last(c).Size > 0 {
		p := last(c)
		out = append(out, Limit{"feed-events: the pending ranking request, one item every new article writes", "1,000 WCU/s per partition (on-demand too)",
			"1,000 new articles a second (the day's 100k average 1.2 a second: only a backlog's burst comes near)",
			fmt.Sprintf("%.2f WRU an article.published (measured): its placement, and a conditional write of the one `rank` `state` item, "+
				"charged even when refused because a request is pending; a burst past it is throttled and retried by EventBridge, nothing lost", p.WriteUnits/p.Size)})
	}
	if c := r.curve("learn-interests"); len(c.Points) > 0 && last(c).Invocations > 0 {
		p := last(c)
		per := p.GBSeconds / (float64(max(c.MemoryMB, 1)) / 1024) * 1000 / p.Invocations
		out = append(out, Limit{"learn-interests: one invocation within its timeout", fmt.Sprintf("%s configured", c.Timeout),
			"not reached by readers: 100 users an event", fmt.Sprintf("the KPI batch publishes 100 users a user.engaged event: %.0f ms an invocation at %s users (%.1f ms a user)", per, human(p.Size), per/100)})
	}
	out = append(out, Limit{"API Gateway HTTP API", "10,000 requests/s per account and region (default quota)",
		fmtSize(10000/perDAU) + " daily readers",
		fmt.Sprintf("%.0f requests a reader a day, peak %.1f× the mean", u.PublicPages+u.PersonalPages+u.InboxReads+u.EventBatches, u.PeakFactor)})
	evRate := u.EventBatches * u.EventsPerBatch / 86400 * u.PeakFactor
	out = append(out, Limit{"events' by-hour index: 16 keys an hour (hour × user shard)", "1,000 WCU/s per partition ⇒ 16,000 events/s",
		fmtSize(16000/evRate) + " daily readers", fmt.Sprintf("%.0f events a reader a day (%s a day at 3M readers)", u.EventBatches*u.EventsPerBatch, human(u.EventBatches*u.EventsPerBatch*3e6))})
	reads := u.EventBatches * 0.2 / 86400 * u.PeakFactor // a fifth of batches carry reads: one PutEvents call each
	out = append(out, Limit{"EventBridge PutEvents", "10,000 requests/s in us-east-1 (10 entries a call; tracking-api sends one entry a call)",
		fmtSize(10000/reads) + " daily readers", "one user.read event on a fifth of event batches"})
	if ms := last(page).WallMS; ms > 0 {
		out = append(out, Limit{"Lambda concurrency", "1,000 concurrent executions per account and region (default quota)",
			fmtSize(1000/(perDAU*ms/1000)) + " daily readers",
			fmt.Sprintf("peak requests/s × the routes' mean duration (%.1f ms measured for GET /v1/feed; Lambda in AWS is slower than this machine's warm instances, so earlier)", ms)})
	}
	out = append(out, Limit{"400 KB item size", "400 KB per item", "not reached",
		"no item grows with the workload: feed pages are chunks of a fixed count, inbox entries and reads one item each, KPI partials chunked"})
	return out
}

func slug(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// Charts draws each curve on log–log axes: file name → SVG.
func (r *Report) Charts() map[string]string {
	out := map[string]string{}
	for _, c := range r.Curves {
		fits := c.Fits()
		var series []Series
		for _, m := range Metrics[:3] {
			s := Series{Name: m.Name}
			for _, p := range c.Points {
				s.X, s.Y = append(s.X, p.Size), append(s.Y, m.Of(p))
			}
			if f, ok := fits[m.Name]; ok {
				s.Fit = &f
			}
			series = append(series, s)
		}
		per := "per " + strings.TrimSuffix(c.Per, ",")
		out["scale-"+slug(c.Name)+".svg"] = LogLogChart(c.Name+" ("+per+")", c.Unit, per, series)
	}
	return out
}

func (r *Report) superLinear() []string {
	var out []string
	for _, c := range r.Curves {
		want := 1.1
		if c.Route {
			want = 0.2
		}
		var over []string
		// A route whose requests reload a cached list (the inbox's trending
		// list, once per instance per TrendingRefresh) is judged by the
		// page's own cost: the reload's is per instance and time, not per
		// request, and grows with the list by design (the inbox finding and
		// the cost table show it apart).
		own, amortized := c.PageOwn(), ""
		all, tail := own.Fits(), own.Tail().Fits()
		for _, m := range Metrics[:3] {
			if a, t := all[m.Name], tail[m.Name]; t.Exponent > want {
				over = append(over, fmt.Sprintf("%s %.2f, largest sizes %.2f", m.Name, a.Exponent, t.Exponent))
			}
		}
		if own.Name != c.Name {
			amortized = " (the page's own; with the reload amortized over the measured requests: " + c.tailExponents() + ")"
		}
		if len(over) > 0 {
			out = append(out, fmt.Sprintf("%s%s (%s)", c.Name, amortized, strings.Join(over, "; ")))
		}
	}
	return out
}

// PageOwn is a route's curve without what its requests' reloads of a cached
// list added (each point less its Refresh share); c itself when no point
// reloaded. Its Name says so.
func (c Curve) PageOwn() Curve {
	own := c
	own.Points = make([]Point, len(c.Points))
	reloaded := false
	for i, p := range c.Points {
		if p.Refresh != nil && p.Requests > 0 {
			n := float64(p.Requests)
			p.ReadUnits -= p.Refresh.ReadUnits / n
			p.WriteUnits -= p.Refresh.WriteUnits / n
			p.GBSeconds -= p.Refresh.GBSeconds / n
			p.Calls -= p.Refresh.Calls / n
			reloaded = true
		}
		own.Points[i] = p
	}
	if !reloaded {
		return c
	}
	own.Name = c.Name + " (the page's own)"
	return own
}

// tailExponents lists the largest sizes' exponents of wall time, DynamoDB
// units and GB-s.
func (c Curve) tailExponents() string {
	tail := c.Tail().Fits()
	var parts []string
	for _, m := range Metrics[:3] {
		parts = append(parts, fmt.Sprintf("%s %.2f", m.Name, tail[m.Name].Exponent))
	}
	return strings.Join(parts, ", ")
}

// seen is the curve's points with a readers' side (the fan-out's).
func (c Curve) seen() []Point {
	var out []Point
	for _, p := range c.Points {
		if p.Seen != nil {
			out = append(out, p)
		}
	}
	return out
}

// timeoutOf is a function's configured timeout (from the topology: the
// readers' side is reported with the fan-out, which a run with -only fanout
// measures without the notifications-api curve).
func timeoutOf(fn string) time.Duration {
	f, _ := topology.Kiosk().Function(fn)
	return f.Timeout
}

// Markdown is SCALE.md; charts is the folder of the charts, relative to it.
func (r *Report) Markdown(charts string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Scale\n\n")
	load := ""
	if r.Env.Load != "" {
		load = "; load average " + r.Env.Load + " when it started, the machine being shared"
	}
	w("The last `make scale` report (%s; %d CPUs, %s; %s; took %s%s). `make scale` starts the local cloud (the real bootstraps, "+
		"dynalite, the bus), seeds each workload straight into the tables with the domains' own stores, runs the batch the way "+
		"its trigger does (a bus event, a scheduled event) or sends the requests through the local gateway, waits for the cloud to "+
		"be quiet, and reads what every invocation did (its background TTL sweep off: a sweep scans every table, which DynamoDB's TTL "+
		"does not take from a table's throughput, and in a run this short nothing passes its deletion delay). Sizes are those that fit this 2-core machine in a few minutes; everything "+
		"beyond them is **extrapolated** from a least-squares fit on log–log axes (y = c·x^k; k = 1 is linear, a flat cost per item; "+
		"for a route, measured per request, k = 0 is flat) over the largest three sizes, where a run's fixed part weighs least; each table "+
		"also gives the exponent over every size. Each batch ran three times per size and the median of each figure is shown.\n\n", r.Env.Date, r.Env.CPUs, r.Env.CPU, r.Env.Go, r.Took.Round(time.Second), load)
	w("How each figure is measured:\n\n")
	w("- **Wall time**: a batch, from the trigger to the end of the last invocation it caused (a fan-out's whole chain); a route, the "+
		"function's mean duration. On this machine's warm local instances: an order of magnitude for AWS, where the shape (the exponent) is what carries over. "+
		"The batches that fan out to their own invocations (%s: its coordinator and shard workers) run "+
		"here with a reserved concurrency of the machine's cores but one (dynalite's), so their wall time is that of their invocations "+
		"taking turns, longer than AWS's parallel run, which lasts about its longest invocation.\n", strings.Join(FanOut, ", "))
	w("- **DynamoDB units**: the local cloud meters every function call (`Cloud.MeterDynamo`): it asks dynalite for `ReturnConsumedCapacity: TOTAL` " +
		"and adds up what dynalite returns, which it computes as DynamoDB does for the base table (reads per 4 KB, halved when eventually " +
		"consistent; writes per 1 KB); a write refused by its condition, which dynalite reports without units and DynamoDB charges, counts " +
		"1 WRU. Global secondary index writes are not in dynalite's figure: the write units here are a lower bound.\n")
	w("- **Lambda GB-s**: configured memory × each invocation's duration as the local host measures it (from the moment an instance "+
		"takes the call to its answer, rounded up to 1 ms), which includes a cold start (the harness warms every function first) but not "+
		"a wait for a free instance, which Lambda does not bill either. Each invocation runs with a core of its own, as in Lambda, where "+
		"every invocation has its execution environment: the batches that fan out (%s) are measured with "+
		"their invocations taking turns (the reserved concurrency above), since run all at once on this machine each would wait for the "+
		"CPU the others hold and its duration, so its GB-s, would grow with the number running — contention Lambda does not have.\n", strings.Join(FanOut, ", "))
	w("- **Peak memory**: the largest resident size of one instance's bootstrap (without the runtime interface emulator that starts it; " +
		"read from /proc by `Cloud.InstanceRSS`), sampled every 300 ms: a sampled peak, so a lower bound of the true one.\n")
	w("- **Invocations**, **bus events** (deliveries by a rule), **log bytes** (what the functions wrote to their logs): counted by the local cloud.\n\n")
	w("Reproduce: `make scale` (writes SCALE.md, docs/scale-*.svg and build/scale/points.json); the harness's own check at tiny sizes is " +
		"`go test -run TestTheHarnessMeasuresEveryWorkload ./infra/scale` (part of `make test`).\n\n")

	w("## Findings\n\n")
	if sl := r.superLinear(); len(sl) > 0 {
		w("- **Super-linear today** (cost per item grows with the size: the largest sizes' exponent above 1.1 for a batch's run, "+
			"above 0.2 for a route's request; both fits shown): %s.\n", strings.Join(sl, "; "))
	} else {
		w("- No curve is super-linear over the measured range (the largest sizes' exponent at most 1.1 for a batch's run, 0.2 for a route's request).\n")
	}
	w("- **Noise**: the exponents of time (wall, GB-s) carry the noise of a shared 2-core machine: in the runs made while " +
		"building this harness, minutes apart, they moved by up to ±0.3 (ingest-feeds' run time over its largest sizes: 1.36, " +
		"1.07, 1.15), while the DynamoDB units, exact, reproduced to 0.01. Read a time exponent within 0.3 of 1 as linear, and " +
		"a time limit below as an order of magnitude.\n")
	for _, route := range []struct {
		curve, what, reads string
		want               float64
	}{{"GET /v1/feed", "a feed page", "one DynamoDB read", 1}, {"GET /v1/feed/me", "a personal page", "two DynamoDB reads (the profile, then the streams' chunks)", 2},
		{"GET /v1/notifications", "an inbox page", "one DynamoDB read", 1}} {
		c := r.curve(route.curve)
		if len(c.Points) == 0 {
			continue
		}
		var calls, amortized []string
		same := true
		for _, p := range c.Points {
			page := p.Calls
			if p.Refresh != nil && p.Requests > 0 {
				page = p.Calls - p.Refresh.Calls/float64(p.Requests)
				amortized = append(amortized, fmt.Sprintf("%.2f (%.2f RRU; the reload %.0f call, %.1f RRU) at %s",
					p.Calls, p.ReadUnits, p.Refresh.Calls, p.Refresh.ReadUnits, human(p.Size)))
			}
			calls = append(calls, fmt.Sprintf("%.2f (%.2f RRU) at %s", page, p.ReadUnits, human(p.Size)))
			same = same && math.Abs(page-route.want) < 1e-9
		}
		verdict := "yes"
		if !same {
			verdict = "**no**"
		}
		w("- **Does %s stay %s at every size?** %s: DynamoDB calls per %s: %s %s.",
			route.what, route.reads, verdict, route.curve, strings.Join(calls, ", "), c.Unit)
		if len(amortized) > 0 {
			u := r.Usage
			perInstance := u.DAU * u.InboxReads / 86400 * u.PeakFactor / u.InboxInstances
			w(" That is the page's own read; each notifications-api instance also reads the trending list again once "+
				"its copy is %s old, on the request that finds it so. The measured requests include one such reload (%d "+
				"requests, the last %s after the others), amortized: %s %s. The reload is one Query of every trending "+
				"story of the last 30 days, so its read units grow with the stories that trend (never with readers), "+
				"and so does the amortized figure (over the largest sizes: %s; judged by the page's own in the super-linear check); the page's own read does not. In service an instance reloads at most once every %s, "+
				"so at r requests a second an instance a page costs 1 + 1/(%.0f r) calls: %.2f at the cost table's peak "+
				"(%.1f inbox requests a second over %.0f instances).",
				feed.TrendingRefresh, last(c).Requests, feed.TrendingRefresh, strings.Join(amortized, ", "), c.Unit, c.tailExponents(),
				feed.TrendingRefresh, feed.TrendingRefresh.Seconds(), 1+1/(feed.TrendingRefresh.Seconds()*perInstance),
				perInstance*u.InboxInstances, u.InboxInstances)
		}
		w("\n")
	}
	fan := r.curve("notify-trending fan-out")
	if p := last(fan); p.Invocations > 0 {
		w("- **A trending article costs the same for 1k or 1M interested readers**: the inbox is computed on read, so the event "+
			"records one entry (%.0f invocation, %.1f DynamoDB calls, %.1f WRU at %s readers; DynamoDB units exponent %.2f, wall exponent "+
			"%.2f against the readers) and every reader sees it on their next inbox page, within the %s each notifications-api instance "+
			"keeps its copy of the trending list. The readers' side is the inbox page: one read of the reader's own partition (interests "+
			"copy and read marks), whatever the readers; the trending list is read once per instance per %s.",
			p.Invocations, p.Calls, p.WriteUnits, human(p.Size), fan.Fits()["DynamoDB units"].Exponent, fan.Fits()["wall ms"].Exponent,
			feed.TrendingRefresh, feed.TrendingRefresh)
		if seen := fan.seen(); len(seen) > 0 {
			q := seen[len(seen)-1]
			var each []string
			maxRead, failed := 0.0, 0
			for _, x := range seen {
				each = append(each, fmt.Sprintf("%.1f s at %s", x.Seen.LastMS/1000, human(x.Size)))
				maxRead, failed = math.Max(maxRead, x.Seen.MaxInvokeMS), failed+x.Seen.Failed+x.Failed
			}
			maxFan := 0.0
			for _, x := range fan.Points {
				maxFan = math.Max(maxFan, x.MaxInvokeMS)
			}
			verdict := "within the issue's 60 s"
			if q.Seen.LastMS > 60000 {
				verdict = "**over the issue's 60 s**"
			}
			w(" **Measured at %s readers** (seeded through the feed store, %s of them sampled: the first, the last, the rest at random): "+
				"the last sampled reader's inbox page listed the trend %.1f s after the event on the virtual clock (the worst of the runs; "+
				"%s), %s; no invocation over its timeout (the longest notify-trending %.0f ms of %s, notifications-api %.0f ms of %s; %d failed). "+
				"Seeding them took %.0f s (%.0f readers a second, two items each); dynalite then held %.0f MiB resident.",
				human(q.Size), fmt.Sprint(q.Seen.Readers), q.Seen.LastMS/1000, strings.Join(each, ", "), verdict, maxFan, fan.Timeout,
				maxRead, timeoutOf("notifications-api"), failed, q.SeedMS/1000, q.Size/math.Max(q.SeedMS/1000, 1e-3), q.DynaliteMiB)
		}
		w("\n")
	}
	if ing := r.curve("ingest-feeds"); len(ing.Points) > 0 {
		p, first := last(ing), ing.Points[0]
		perRun := func(p Point) float64 { return math.Max(1, math.Floor(p.Size/96)) }
		w("- **Ingestion reads its candidates, not the window**: at %s new articles a day a run stores about %.0f and reads %.0f RRU "+
			"(%.1f RRU per new article; %.1f at %s a day: a word's postings are read once a run, however many of its titles have "+
			"it): the postings of each new title's words (the newest %d of each), the articles it could join, read from the "+
			"table, and their stories — not the 48 h window, so faster polling or a larger window does not multiply it "+
			"(DynamoDB units exponent %.2f over the largest sizes). It writes %.1f WRU per new article: the article and one posting per word of its title (the index's writes, "+
			"which dynalite does not meter, double them in AWS). The decision compares each new article with that pool only: %s.\n",
			human(p.Size), perRun(p), p.ReadUnits, p.ReadUnits/perRun(p), first.ReadUnits/perRun(first), human(first.Size),
			article.PostingsRead, ing.Tail().Fits()["DynamoDB units"].Exponent, p.WriteUnits/perRun(p), clustering(ing))
	}
	for _, c := range r.Curves {
		if contended(c, r.Env) {
			w("- **%s ran %d invocations at once on %d cores**: its durations (so wall time and GB-s) include CPU contention that "+
				"Lambda, one invocation per execution environment, does not have; its DynamoDB units are exact.\n", c.Name, last(c).Concurrent, r.Env.CPUs)
		}
	}
	if day := r.curve("aggregate-kpi over a day"); len(day.Points) > 0 && last(day).Size > 0 {
		p, fits, runs := last(day), day.Tail().Fits(), r.Usage.KPIRunsPerDay
		m := marginal(day, p.Size+1) // a run with one event more
		reads := p.EventReads / p.Size
		w("- **The KPI batch reads the raw events of its marked hours only**: late in a day of %s events spread over its hours, a run "+
			"(its newest hour marked, as the 5-minute schedule sees it while the hour is current) reads %.3f raw events per event of the day (the newest hour's 1/24, "+
			"and the marks) and the day's other hours from their rosters (a tally per user and slice). Over the day's %g runs, at the "+
			"day's mean fill of a half, an event is read raw about %.0f times (%g × %.3f / 2), where recomputing the whole day from its "+
			"raw events read it about %.0f times (%g × (1 + 1/24) / 2). Per event of the day that run costs %.3g RRU, %.3g WRU and %.2g GB-s; "+
			"between its two largest sizes each further event of the day adds %.3g RRU and %.3g WRU to a run (what a run's rosters and "+
			"newest hour grow by), and over the largest sizes its DynamoDB units grow with exponent %.2f and its GB-s %.2f (a run's "+
			"fixed part — 17 invocations, 16 shards' marks, heads and partials — is most of it at these sizes). Every run still reads "+
			"the rosters of the day's other hours, so a run's work still grows with the day, by its tallies (one per user, article or "+
			"variant, and hour), only no longer by re-reading its raw events. The ranking batch still reads the whole 72 h window each run.\n\n",
			human(p.Size), reads, runs, runs*reads/2, runs, reads, runs*(1+1.0/24)/2, runs, p.ReadUnits/p.Size, p.WriteUnits/p.Size, p.GBSeconds/p.Size,
			m.ReadUnits-p.ReadUnits, m.WriteUnits-p.WriteUnits, fits["DynamoDB units"].Exponent, fits["Lambda GB-s"].Exponent)
	} else {
		w("- **The KPI batch's one-hour workload is its worst case**: every event falls in the one hour a run reads raw; spread " +
			"over a day (`-only kpiday`), a run reads the raw events of its marked hours only and the day's other hours from their " +
			"rosters. The ranking batch reads the whole 72 h window each run.\n\n")
	}

	w("## Curves\n\n")
	for _, c := range r.Curves {
		per := "per run (totals of every invocation the run caused)"
		if c.Route {
			per = "per " + c.Per + " averaged at each size"
		}
		w("### %s\n\n`%s`, %d MB, timeout %s; x: %s; figures %s; measured in %s.\n\n", c.Name, c.Function, c.MemoryMB, c.Timeout,
			c.Unit, per, c.Took.Round(time.Second))
		w("| %s | wall ms | invocations | longest ms | RRU | WRU | DynamoDB calls | GB-s | bus events | peak MiB of an instance (instances) | log bytes | failed |\n", c.Unit)
		w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range c.Points {
			w("| %s | %.1f | %.3g | %.1f | %.3g | %.3g | %.3g | %.3g | %.3g | %.0f (%d) | %.0f | %d |\n", human(p.Size), p.WallMS, p.Invocations,
				p.MaxInvokeMS, p.ReadUnits, p.WriteUnits, p.Calls, p.GBSeconds, p.BusEvents, p.PeakMiB, p.Instances, p.LogBytes, p.Failed)
		}
		if seen := c.seen(); len(seen) > 0 {
			w("\nThe readers' side, after the event: sampled readers of the population (the first, the last, the rest at random; "+
				"registered through POST /v1/users, their interests seeded with the others') read their inbox page through the gateway "+
				"once before the event and then until it lists the trend, %d pages in flight, every %s. Times on the cloud's virtual "+
				"clock from the event's delivery, the worst of the runs; the readers were seeded once per size, in BatchWriteItem calls "+
				"of 25 items (the profile and the inbox's copy of the interests, as SetProfile writes them), %d in flight.\n\n", pollers, pollEvery, seedWorkers)
			w("| %s | seeded in s (readers a second) | dynalite resident MiB after | sampled readers | first saw the trend, s | last saw it, s | "+
				"inbox pages after the event | notifications-api instances | longest notifications-api ms (timeout %s) | failed |\n", c.Unit, timeoutOf("notifications-api"))
			w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, p := range seen {
				w("| %s | %.1f (%.0f) | %.0f | %d | %.1f | %.1f | %d | %d | %.0f | %d |\n", human(p.Size), p.SeedMS/1000, p.Size/math.Max(p.SeedMS/1000, 1e-3),
					p.DynaliteMiB, p.Seen.Readers, p.Seen.FirstMS/1000, p.Seen.LastMS/1000, p.Seen.Pages, p.Seen.Instances, p.Seen.MaxInvokeMS, p.Seen.Failed)
			}
		}
		fits, tail := c.Fits(), c.Tail().Fits()
		t := Targets[c.Name]
		w("\n| fitted | exponent, all sizes (R²) | exponent, largest %d sizes (R²) | at %s (%s), extrapolated by the largest sizes' fit |\n|---|---:|---:|---:|\n",
			TailSizes, human(t.Size), t.Why)
		for _, m := range Metrics {
			if f, ok := fits[m.Name]; ok {
				tf := tail[m.Name]
				w("| %s | %.2f (%.2f) | %.2f (%.2f) | %s |\n", m.Name, f.Exponent, f.R2, tf.Exponent, tf.R2, human(tf.At(t.Size)))
			}
		}
		w("\n![%s](%s/scale-%s.svg)\n\nReproduce this curve alone: `go run ./infra/cmd/scale -only %s` (into build/scale/).\n\n", c.Name, charts, slug(c.Name), WorkloadOf(c.Name))
	}

	w("## Limits: what breaks first\n\n")
	w("Each quota or ceiling against the measured curve, and the scale at which it is met (extrapolated; the usage assumptions are those of the cost table below).\n\n")
	w("| what | limit | breaks at | from |\n|---|---|---|---|\n")
	for _, l := range r.Limits {
		w("| %s | %s | %s | %s |\n", l.What, l.Limit, l.BreaksAt, l.From)
	}

	u := r.Usage
	w("\n## Cost at scale\n\n")
	w("A month (%g days) at %s monthly and %s daily readers. Assumptions, per daily reader and day: %g public feed pages, %g personal "+
		"page, %g inbox read, %g interest changes (each a write of the inbox's copy of the interests), %g event batches of %g events (%s events a day); "+
		"%g trending articles a day (each the same cost whatever its readers), the trending list read again by each of %.0f notifications-api "+
		"instances at most once every %s; "+
		"%s articles in the 72 h ranking window, %g ranking runs and %g KPI runs a day; %s new articles a day from %s sources in %g ingestion runs; the busiest hour %.1f× the mean; a stored event %.1f KB, kept 35 days.\n\n",
		u.Days, human(u.MAU), human(u.DAU), u.PublicPages, u.PersonalPages, u.InboxReads, u.InterestChanges, u.EventBatches, u.EventsPerBatch,
		human(u.DAU*u.EventBatches*u.EventsPerBatch), u.TrendingPerDay, u.InboxInstances, feed.TrendingRefresh, human(u.WindowArticles),
		u.RankRunsPerDay, u.KPIRunsPerDay, human(u.ArticlesPerDay), human(u.Sources), u.IngestRunsPerDay, u.PeakFactor, u.EventItemKB)
	kpiFrom := "the day-spread workload: a run late in a day of that many events, its newest hour read raw and the others from their rosters, " +
		"extrapolated linearly through its two largest sizes"
	if c := r.kpiRun(); c.Name == "aggregate-kpi" {
		kpiFrom = "the one-hour workload, every event in the hour a run reads raw (an upper bound: the day-spread workload was not measured)"
	}
	w("Per-item figures, measured: a feed page and an event at the largest measured size, per request; a trending article's "+
		"event at the largest measured audience; an inbox page and a reload of the trending list at the largest measured list; a ranking run extrapolated to the window's %s articles, an ingestion run to %s new articles a day plus the fetch of %s sources, "+
		"and a KPI run to half a day's events (its mean over the day's runs) from %s. The personal page at the "+
		"largest measured window (priced as a public page when not measured); the inbox read at the largest measured inbox. The relay's run "+
		"extrapolated to a minute's share of the day's articles (%s a run, %g runs a day); feed-events per article.published and "+
		"learn-interests per user at their largest measured sizes, each daily reader learned in %g hours a day. The write of the inbox's "+
		"copy of a user's interests is priced at 1 WRU a change (an item under 1 KB). Left out: feed-events' other "+
		"events (article.stats, article.moderated, article.trending, user.read, user.interests.changed), not measured by make scale.\n\n",
		human(u.WindowArticles), human(u.ArticlesPerDay), human(u.Sources), kpiFrom, human(u.ArticlesPerDay/math.Max(u.AnnounceRunsPerDay, 1)), u.AnnounceRunsPerDay, u.EngagedHours)
	w("| per item | GB-s | RRU | WRU | invocations | bus events | log bytes |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, it := range []struct {
		name string
		u    Unit
	}{{"feed page", r.Per.FeedPage}, {"personal page", r.Per.Personal}, {"inbox page", r.Per.Inbox}, {"trending list reload", r.Per.Reload},
		{"event", r.Per.Event}, {"trending article", r.Per.Trend},
		{"ranking run at " + human(u.WindowArticles) + " articles", r.Per.RankRun},
		{"ingestion run at " + human(u.ArticlesPerDay) + " articles a day, " + human(u.Sources) + " sources", r.Per.Ingest}, {"KPI run at " + human(u.DAU*u.EventBatches*u.EventsPerBatch/2) + " events", r.Per.KPIRun},
		{"relay run at " + human(u.ArticlesPerDay/math.Max(u.AnnounceRunsPerDay, 1)) + " articles", r.Per.Announce}, {"article kept by feed-events", r.Per.Kept},
		{"user learned for an hour", r.Per.Learned}} {
		w("| %s | %.3g | %.3g | %.3g | %.3g | %.3g | %.3g |\n", it.name, it.u.GBSeconds, it.u.ReadUnits, it.u.WriteUnits, it.u.Invocations, it.u.BusEvents, it.u.LogBytes)
	}
	sv, ct := Total(r.Month.Serverless), Total(r.Month.Containers)
	noKPI := r.Per
	noKPI.KPIRun = Unit{}
	kpiShare := sv - Total(Price(u, noKPI).Serverless)
	w("\n| service | serverless USD/month | from |\n|---|---:|---|\n")
	for _, l := range r.Month.Serverless {
		w("| %s | %.0f | %s |\n", l.Service, l.USD, l.From)
	}
	w("| **total** | **%.0f** | %.2f per 1,000 daily readers |\n", sv, sv/u.DAU*1000)
	how := "extrapolated by its largest sizes' fit"
	kpi := r.kpiRun()
	if kpi.Name != "aggregate-kpi" {
		how = "extrapolated linearly through its two largest sizes (a fixed part and a part per event of the day)"
	}
	if contended(kpi, r.Env) {
		timeFit := r.Per
		timeFit.KPIRun = r.kpiRunAt(u.DAU*u.EventBatches*u.EventsPerBatch/2, false)
		timeFit.KPIRun.Invocations, timeFit.KPIRun.BusEvents = r.Per.KPIRun.Invocations, r.Per.KPIRun.BusEvents
		by := "by its DynamoDB units' exponent"
		if kpi.Name != "aggregate-kpi" {
			by = "in proportion to its DynamoDB units"
		}
		how += fmt.Sprintf(", its compute carried from the largest measured size %s, since its parallel "+
			"shard workers' time grew with CPU contention too (by its measured time, the month would be $%.0f)", by, Total(Price(u, timeFit).Serverless))
	}
	w("\nThe KPI batch is $%.0f of the $%.0f (%.0f%%): %s.\n", kpiShare, sv, kpiShare/sv*100, how)
	w("\nThe same load on always-on containers (the APIs and batches on Fargate behind a load balancer; DynamoDB, EventBridge and logs as above):\n\n")
	w("| service | containers USD/month | from |\n|---|---:|---|\n")
	for _, l := range r.Month.Containers {
		w("| %s | %.0f | %s |\n", l.Service, l.USD, l.From)
	}
	w("| **total** | **%.0f** | %.2f per 1,000 daily readers |\n", ct, ct/u.DAU*1000)
	w("\nThe request tier alone (the routes' compute and front door, no batches): serverless $%.0f a month (Lambda and HTTP API), "+
		"containers $%.0f (%.0f always-on tasks and the load balancer). The batches cost the same compute time on both sides here; "+
		"a 512 MB Lambda gets about a third of a vCPU, so in AWS its batch durations would be longer than these, measured on a full core.\n",
		r.Month.RequestTierServerless, r.Month.RequestTierContainers, r.Month.Tasks)
	w("\nWhere each wins (the same assumptions, readers scaled):\n\n| daily readers | serverless USD/month | containers USD/month | per 1,000 daily readers (serverless / containers) | request tier alone (serverless / containers) |\n|---:|---:|---:|---:|---:|\n")
	for _, dau := range []float64{1e3, 1e4, 1e5, 1e6, 3e6, 1e7} {
		s := u
		s.DAU, s.MAU = dau, dau*u.MAU/u.DAU
		m := Price(s, r.measured(s))
		a, c := Total(m.Serverless), Total(m.Containers)
		w("| %s | %.0f | %.0f | %.2f / %.2f | %.0f / %.0f |\n", human(dau), a, c, a/dau*1000, c/dau*1000, m.RequestTierServerless, m.RequestTierContainers)
	}
	if x := crossover(u, r.measured); x > 0 {
		w("\nThe request tier alone costs the same both ways at about %s daily readers: below, Lambda and HTTP API cost less than "+
			"two always-on tasks; above, the tasks do. The whole bill is dominated by the batches, which cost the same compute either way here.\n", human(x))
	}
	w("\nThe comparison holds DynamoDB, EventBridge and logs equal; what differs is compute and the front door. %s\n", price.Note)
	return b.String()
}

// clustering says how ingestion's compute grows, from its wall time.
func clustering(ing Curve) string {
	f := ing.Tail().Fits()["wall ms"]
	if f.Exponent > 1.1 {
		return fmt.Sprintf("the run's time grows super-linearly (exponent %.2f over the largest sizes, where its DynamoDB units stay linear)", f.Exponent)
	}
	return fmt.Sprintf("the run's time grows with exponent %.2f over the largest sizes, cheap at the measured sizes", f.Exponent)
}

// crossover is the daily readers at which the request tier costs the same
// serverless and on containers (0 if it does not within 1k–100M).
func crossover(u Usage, per func(Usage) Measured) float64 {
	diff := func(dau float64) float64 {
		s := u
		s.DAU, s.MAU = dau, dau*u.MAU/u.DAU
		m := Price(s, per(s))
		return m.RequestTierServerless - m.RequestTierContainers
	}
	lo, hi := 1e3, 1e8
	if diff(lo) >= 0 || diff(hi) <= 0 {
		return 0
	}
	for range 60 {
		mid := math.Sqrt(lo * hi)
		if diff(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// contended says whether a batch ran more invocations at once than the
// machine has cores, so that its durations include CPU contention.
func contended(c Curve, env Environment) bool {
	return !c.Route && env.CPUs > 0 && last(c).Concurrent > env.CPUs
}

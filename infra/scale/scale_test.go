package scale

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/shared/feed"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestFitPowerAgainstHandComputedValues checks the log–log least squares on
// an exact power law and on points worked out by hand.
func TestFitPowerAgainstHandComputedValues(t *testing.T) {
	f, err := FitPower([]float64{1, 2, 4}, []float64{3, 12, 48}) // 3·x²
	if err != nil || !near(f.Exponent, 2) || !near(f.Coef, 3) || !near(f.R2, 1) || f.N != 3 {
		t.Errorf("3·x²: %+v, %v", f, err)
	}
	if got := f.Reach(300); !near(got, 10) {
		t.Errorf("3·x² reaches 300 at %g, want 10", got)
	}
	if got := f.At(5); !near(got, 75) {
		t.Errorf("3·x² at 5 = %g, want 75", got)
	}
	// (1,1), (10,10), (100,1000): with a = ln 10, x = 0, a, 2a and y = 0, a, 3a;
	// slope Sxy/Sxx = 3a²/2a² = 1.5, intercept 4a/3 − 1.5a = −a/6 (c = 10^(−1/6)),
	// residuals a/6, −a/3, a/6: R² = 1 − (a²/6)/(14a²/3) = 27/28.
	f, err = FitPower([]float64{1, 10, 100}, []float64{1, 10, 1000})
	if err != nil || !near(f.Exponent, 1.5) || !near(f.Coef, math.Pow(10, -1.0/6)) || !near(f.R2, 27.0/28) {
		t.Errorf("hand-computed: %+v, %v; want exponent 1.5, coef %g, R² %g", f, err, math.Pow(10, -1.0/6), 27.0/28)
	}
	// A flat curve: exponent 0, and it never reaches more.
	f, _ = FitPower([]float64{10, 100, 1000}, []float64{1, 1, 1})
	if !near(f.Exponent, 0) || !math.IsInf(f.Reach(2), 1) {
		t.Errorf("flat: %+v, reaches 2 at %g", f, f.Reach(2))
	}
	// Points with a zero are left off the log axes; one size is not a fit.
	if f, err := FitPower([]float64{0, 1, 2}, []float64{5, 0, 4}); err == nil {
		t.Errorf("one usable point fitted: %+v", f)
	}
	if f, err := FitPower([]float64{3, 3}, []float64{1, 2}); err == nil {
		t.Errorf("one size fitted: %+v", f)
	}
}

// TestPriceAgainstHandComputedValues prices a small month whose every line
// was worked out by hand (see the comments).
func TestPriceAgainstHandComputedValues(t *testing.T) {
	u := Usage{DAU: 1000, MAU: 2000, Days: 30, PublicPages: 2, PersonalPages: 1, InboxReads: 1, EventBatches: 2, EventsPerBatch: 10,
		InterestChanges: 2, TrendingPerDay: 1, InboxInstances: 1, RankRunsPerDay: 10, KPIRunsPerDay: 5, IngestRunsPerDay: 2, PeakFactor: 2, EventItemKB: 1,
		TaskRPS: 100, MinTasks: 2}
	m := Measured{
		FeedPage: Unit{GBSeconds: 0.001, ReadUnits: 0.5, Invocations: 1, LogBytes: 500},
		Inbox:    Unit{GBSeconds: 0.001, ReadUnits: 0.5, Invocations: 1, LogBytes: 500},
		Event:    Unit{GBSeconds: 0.0005, WriteUnits: 1, Invocations: 0.1},
		Reload:   Unit{GBSeconds: 0.0002, ReadUnits: 4},
		Trend:    Unit{GBSeconds: 0.01, ReadUnits: 0.5, WriteUnits: 2, Invocations: 1, BusEvents: 1, MS: 50},
		RankRun:  Unit{GBSeconds: 10, ReadUnits: 1000, WriteUnits: 100, Invocations: 1, MS: 20000},
		KPIRun:   Unit{GBSeconds: 2, ReadUnits: 500, Invocations: 3, BusEvents: 2, MS: 4000},
		Ingest:   Unit{GBSeconds: 1, ReadUnits: 100, Invocations: 1, MS: 1000},
	}
	// 30,000 reader-days: 120,000 pages and inbox reads, 60,000 batches of
	// 600,000 events, 60,000 interest changes, 30 trending articles, 300
	// ranking, 150 KPI and 60 ingestion runs; the one instance could reload
	// the trending list 30 × 86,400 / 10 = 259,200 times, but only 30,000
	// requests ask: 30,000 reloads.
	month := Price(u, m)
	want := map[string]float64{
		// 120 (pages and inbox) + 300 (events) + 0.3 (trends) + 6 (reloads) +
		// 3,000 (ranking) + 300 (KPI) + 60 (ingestion) = 3,786.3 GB-s ×
		// $0.0000133334, and 180,840 invocations (120,000 + 60,000 + 30 +
		// 300 + 450 + 60) × $0.20/M
		"Lambda": 3786.3*0.0000133334 + 180840*0.2e-6,
		// 180,000 requests × $1/M
		"API Gateway HTTP API": 0.18,
		// RRU: 60,000 (pages and inbox) + 120,000 (reloads) + 15 (trends) +
		// 300,000 (ranking) + 75,000 (KPI) + 6,000 (ingestion) = 561,015 ×
		// $0.125/M; WRU: 600,000 (events) + 60 (trends) + 60,000 (copies)
		// + 30,000 (ranking) = 690,060 × $0.625/M; + 0.7 GB × $0.25
		"DynamoDB on-demand": 561015*0.125e-6 + 690060*0.625e-6 + 0.175,
		// 300 (KPI) + 30 (trends) = 330 events × $1/M
		"EventBridge": 0.00033,
		// 0.06 GB × ($0.50 + $0.03)
		"CloudWatch Logs": 0.06 * 0.53,
	}
	for _, l := range month.Serverless {
		if w, ok := want[l.Service]; !ok || !near(l.USD, w) {
			t.Errorf("%s: $%.9f, want $%.9f (%s)", l.Service, l.USD, w, l.From)
		}
	}
	if len(month.Serverless) != len(want) {
		t.Errorf("%d serverless lines, want %d", len(month.Serverless), len(want))
	}
	if !near(month.Requests, 180000) || !near(month.PeakRPS, 180000.0/(30*86400)*2) || month.Tasks != 2 {
		t.Errorf("requests %g, peak %g rps, tasks %g", month.Requests, month.PeakRPS, month.Tasks)
	}
	// Containers: 2 tasks × 720 h + (300 × 20 s + 150 × 4 s + 30 × 0.05 s +
	// 60 × 1 s) = 6,661.5 s of batches, at $0.03238 + 2 × $0.00356 an hour
	// (the reloads run inside the tasks' requests); the load balancer 720 h
	// × ($0.0225 + 1 LCU × $0.008).
	wantC := map[string]float64{"Fargate (arm64)": (1440 + 6661.5/3600) * 0.0395, "Application Load Balancer": 720 * 0.0305,
		"DynamoDB on-demand": want["DynamoDB on-demand"], "EventBridge": want["EventBridge"], "CloudWatch Logs": want["CloudWatch Logs"]}
	for _, l := range month.Containers {
		if w, ok := wantC[l.Service]; !ok || !near(l.USD, w) {
			t.Errorf("containers, %s: $%.9f, want $%.9f", l.Service, l.USD, w)
		}
	}
	if got, w := Total(month.Containers), (1440+6661.5/3600)*0.0395+21.96+want["DynamoDB on-demand"]+0.00033+0.0318; !near(got, w) {
		t.Errorf("containers total $%.9f, want $%.9f", got, w)
	}
	// The request tier: 120,000 pages × (0.001 GB-s, 1 invocation), 30,000
	// reloads × 0.0002 GB-s and 600,000 events × (0.0005 GB-s, 0.1
	// invocation), plus 180,000 HTTP API requests; against the 2 tasks'
	// 1,440 hours and the load balancer.
	if got, w := month.RequestTierServerless, 426*0.0000133334+180000*0.2e-6+0.18; !near(got, w) {
		t.Errorf("serverless request tier $%.9f, want $%.9f", got, w)
	}
	if got, w := month.RequestTierContainers, 1440*0.0395+720*0.0305; !near(got, w) {
		t.Errorf("containers request tier $%.9f, want $%.9f", got, w)
	}
	// A million readers on the one instance: it reloads the trending list
	// 259,200 times a month, not once per each of the 30M inbox requests:
	// 259,200 × 4 RRU × $0.125/M; 60M interest changes × 1 WRU × $0.625/M;
	// 600M events stored 35 days, 700 GB × $0.25.
	big := u
	big.DAU = 1e6
	for _, l := range Price(big, Measured{Reload: Unit{ReadUnits: 4}}).Serverless {
		if w := 259200*4*0.125e-6 + 60e6*0.625e-6 + 175; l.Service == "DynamoDB on-demand" && !near(l.USD, w) {
			t.Errorf("one instance at 1M readers: DynamoDB $%.9f, want $%.9f (%s)", l.USD, w, l.From)
		}
	}
	// More readers than the minimum tasks serve: tasks follow the peak.
	u.DAU, u.TaskRPS = 1e6, 50
	if got := Price(u, m).Tasks; got != math.Ceil(1e6*6/86400*2/50) {
		t.Errorf("%g tasks at 1M daily readers, want %g", got, math.Ceil(1e6*6/86400*2/50))
	}
}

// TestTheReportNamesSuperLinearCurvesAndTheFeedRead builds a report from
// made-up points: a batch growing as x² is named super-linear, a linear one
// is not, and a feed page of two reads is reported as not one read.
func TestTheReportNamesSuperLinearCurvesAndTheFeedRead(t *testing.T) {
	pts := func(f func(x float64) float64, calls float64) []Point {
		var out []Point
		for _, x := range []float64{100, 1000, 10000} {
			out = append(out, Point{Size: x, WallMS: f(x), ReadUnits: f(x), GBSeconds: f(x) / 1000, Invocations: 1, Calls: calls, MaxInvokeMS: 10})
		}
		return out
	}
	lin, sq := func(x float64) float64 { return x }, func(x float64) float64 { return x * x / 100 }
	flat := func(float64) float64 { return 3 }
	r := NewReport([]Curve{
		{Name: "rank-feeds", Per: "run", MemoryMB: 512, Points: pts(sq, 10)},
		{Name: "notify-trending fan-out", Per: "run", MemoryMB: 256, Points: pts(lin, 10)},
		{Name: "GET /v1/feed", Route: true, Per: "request", MemoryMB: 256, Points: pts(flat, 2)},
	}, Environment{CPUs: 2}, 0)
	md := r.Markdown("docs")
	if !strings.Contains(md, "**Super-linear today**") || !strings.Contains(md, "rank-feeds (wall ms 2.00, largest sizes 2.00; DynamoDB units 2.00, largest sizes 2.00; Lambda GB-s 2.00, largest sizes 2.00)") {
		t.Errorf("the quadratic batch is not named super-linear:\n%s", md)
	}
	if strings.Contains(md, "notify-trending fan-out (wall") || strings.Contains(md, "GET /v1/feed (wall") {
		t.Error("a linear batch or a flat route is named super-linear")
	}
	if !strings.Contains(md, "Does a feed page stay one DynamoDB read at every size?** **no**") {
		t.Error("a feed page of two reads is not reported as more than one read")
	}
	if len(r.Charts()) != 3 {
		t.Errorf("%d charts, want one per curve", len(r.Charts()))
	}
}

// TestTheHeadLimitCountsEveryCopy: the feed head's per-partition limit is
// met HeadCopies times later than one item's, by hand: 3,000 RCU/s ÷ 2.5 RRU
// a page = 1,200 reads/s a copy, × 8 copies = 9,600; a reader reads top's
// head 3 × 0.6 + 1 = 2.8 times a day, at 2.5× the mean 8.1e-5 reads/s: 118.5M
// daily readers.
func TestTheHeadLimitCountsEveryCopy(t *testing.T) {
	if feed.HeadCopies != 8 {
		t.Skipf("worked out for 8 copies, not %d", feed.HeadCopies)
	}
	pts := []Point{{Size: 100, ReadUnits: 2.5, Calls: 1, WallMS: 3, Invocations: 1}, {Size: 1000, ReadUnits: 2.5, Calls: 1, WallMS: 3, Invocations: 1}}
	r := NewReport([]Curve{{Name: "GET /v1/feed", Route: true, Per: "request", MemoryMB: 256, Points: pts}}, Environment{CPUs: 2}, 0)
	for _, l := range r.Limits {
		if strings.HasPrefix(l.What, "a category's feed head") {
			if !strings.HasPrefix(l.BreaksAt, "118.5M daily readers") {
				t.Errorf("the head breaks at %s, want 118.5M daily readers", l.BreaksAt)
			}
			return
		}
	}
	t.Error("no limit of the feed head")
}

// TestTheFanOutBatchesAreMeasuredWithACoreEach: run all at once on this
// machine, the KPI batch's shard workers would wait for each other's CPU and
// bill the wait as duration; the cut topology reserves the cores but
// dynalite's for them, so the others queue, unbilled.
func TestTheFanOutBatchesAreMeasuredWithACoreEach(t *testing.T) {
	cores := max(1, runtime.NumCPU()-1)
	for _, name := range FanOut {
		f, ok := Topology().Function(name)
		if !ok {
			t.Fatalf("%s is not in the cut topology", name)
		}
		if f.Concurrency < 1 || f.Concurrency > cores {
			t.Errorf("%s: reserved concurrency %d, want 1 to %d (the cores but dynalite's)", name, f.Concurrency, cores)
		}
	}
	if err := Topology().Validate(); err != nil {
		t.Error(err)
	}
}

// TestTheFanoutKeepsItsWorstReadersSide: of a fan-out's repeated runs, the
// readers' side shown is the run whose last reader saw the trend latest (the
// figure held against the 60 s goal), with the longest invocation and the
// failures of any run, and the seeding of the run that seeded.
func TestTheFanoutKeepsItsWorstReadersSide(t *testing.T) {
	runs := []Point{
		{WallMS: 5, SeedMS: 1200, DynaliteMiB: 300, Seen: &Seen{Readers: 50, FirstMS: 9000, LastMS: 9500, MaxInvokeMS: 80}},
		{WallMS: 6, Seen: &Seen{Readers: 50, FirstMS: 9900, LastMS: 12000, MaxInvokeMS: 20}},
		{WallMS: 7, Seen: &Seen{Readers: 50, FirstMS: 9700, LastMS: 10000, MaxInvokeMS: 30, Failed: 1}},
	}
	got := Median(runs)
	want := Seen{Readers: 50, FirstMS: 9900, LastMS: 12000, MaxInvokeMS: 80, Failed: 1}
	if got.Seen == nil || *got.Seen != want || got.SeedMS != 1200 || got.DynaliteMiB != 300 || got.WallMS != 6 {
		t.Errorf("median of the fan-out's runs: %+v (seen %+v), want seen %+v, seeded in 1200 ms at 300 MiB, wall 6", got, got.Seen, want)
	}
	if runs[0].Seen.LastMS != 9500 {
		t.Error("the median changed a run's readers' side")
	}
	for _, c := range []struct{ n, k, want int }{{1, 50, 1}, {20, 50, 20}, {1000000, 50, 50}, {5, 0, 0}} {
		ps := samplePositions(c.n, c.k)
		seen := map[int]bool{}
		for _, p := range ps {
			if p < 0 || p >= c.n || seen[p] {
				t.Errorf("sample of %d from %d: %v, a position out of range or twice", c.k, c.n, ps)
			}
			seen[p] = true
		}
		if len(ps) != c.want || (c.want > 1 && (ps[0] != 0 || ps[1] != c.n-1)) {
			t.Errorf("sample of %d from %d: %v, want %d positions, the first and the last first", c.k, c.n, ps, c.want)
		}
	}
}

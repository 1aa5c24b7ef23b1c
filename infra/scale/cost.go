package scale

import (
	"fmt"
	"math"

	"github.com/kiosk-news/kiosk/infra/price"
	"github.com/kiosk-news/kiosk/shared/feed"
)

// Usage is the month the cost table prices: who reads, how much, and what the
// batches see. Every figure is an assumption, stated in the report.
type Usage struct {
	DAU, MAU float64 // daily and monthly readers
	Days     float64
	// Per daily reader and day.
	PublicPages, PersonalPages, InboxReads float64
	EventBatches, EventsPerBatch           float64
	// Interest changes per daily reader and day (learned hours announced and
	// explicit changes): each writes the inbox's copy beside the profile.
	InterestChanges float64
	// Trending articles a day: each costs the event's fixed work, whatever
	// the readers who follow its category (the inbox is computed on read).
	TrendingPerDay float64
	// InboxInstances is how many notifications-api instances serve at once
	// (kept all month, a generous bound): each reads the trending list again
	// at most once a feed.TrendingRefresh.
	InboxInstances float64
	// The ranking window's articles (72 h of new articles) and the runs a day.
	WindowArticles, RankRunsPerDay   float64
	KPIRunsPerDay                    float64
	ArticlesPerDay, IngestRunsPerDay float64
	Sources                          float64
	AnnounceRunsPerDay               float64 // the relay's runs (one a minute)
	EngagedHours                     float64 // hours a day a daily reader engages in: each is learned once
	PeakFactor                       float64 // the busiest hour's rate over the day's mean
	EventItemKB                      float64 // a stored event, for storage
	// The container alternative: requests a 1 vCPU / 2 GB task serves at its
	// target utilisation, and the fewest tasks (one per availability zone).
	TaskRPS  float64
	MinTasks float64
}

// Gunosy is the scale the issue asks to price: 10M monthly and 3M daily
// readers, 100k new articles a day.
var Gunosy = Usage{DAU: 3e6, MAU: 10e6, Days: 30,
	PublicPages: 3, PersonalPages: 1, InboxReads: 1, EventBatches: 3, EventsPerBatch: 20, InterestChanges: 2,
	TrendingPerDay: 20, InboxInstances: 50,
	WindowArticles: 300000, RankRunsPerDay: 288 + 96, KPIRunsPerDay: 288, ArticlesPerDay: 100000, IngestRunsPerDay: 96, Sources: 10000,
	AnnounceRunsPerDay: 1440, EngagedHours: 2,
	PeakFactor: 2.5, EventItemKB: 0.5, TaskRPS: 500, MinTasks: 2}

// Unit is what one item of a workload costs, as measured (or fitted).
type Unit struct {
	GBSeconds, ReadUnits, WriteUnits, Invocations, BusEvents, LogBytes float64
	MS                                                                 float64 // compute time, for the container alternative
	Calls                                                              float64 // DynamoDB calls (reported, not priced: units are)
}

// Measured are the per-item figures the cost table multiplies.
type Measured struct {
	FeedPage Unit // per public feed request
	Personal Unit // per personal feed request (zero: priced as FeedPage)
	Inbox    Unit // per inbox request, without the trending list's reload
	Reload   Unit // one reload of the trending list by a notifications-api instance
	Event    Unit // per event accepted (POST /v1/events)
	Trend    Unit // one trending article recorded (notify-trending), whatever its readers
	KPIRun   Unit // one aggregate-kpi run (coordinator and shards) over half a day's events
	RankRun  Unit // one rank-feeds run over the window's articles
	Ingest   Unit // one ingest-feeds run at the day's rate of new articles
	Announce Unit // one announce-articles run at a minute's share of the day's articles
	Kept     Unit // per article.published feed-events keeps
	Learned  Unit // per user learn-interests learns an hour of
}

// ServiceCost is one service's share of the month.
type ServiceCost struct {
	Service string  `json:"service"`
	USD     float64 `json:"usd"`
	From    string  `json:"from"`
}

// Month is the month priced both ways.
type Month struct {
	Serverless, Containers []ServiceCost
	// Requests are the month's HTTP requests; PeakRPS the busiest hour's rate.
	Requests, PeakRPS float64
	Tasks             float64 // containers needed at the peak
	// The request tier alone (the routes' compute and front door: Lambda and
	// HTTP API, or the always-on tasks and the load balancer), the batches
	// left out: where the two designs differ most.
	RequestTierServerless, RequestTierContainers float64
}

// Total adds the lines.
func Total(lines []ServiceCost) float64 {
	t := 0.0
	for _, l := range lines {
		t += l.USD
	}
	return t
}

// Price prices a month of u with the per-item figures m.
func Price(u Usage, m Measured) Month {
	d := u.DAU * u.Days
	pages := d * u.PublicPages
	personal := d * u.PersonalPages
	if m.Personal == (Unit{}) {
		m.Personal = m.FeedPage
	}
	articles := u.ArticlesPerDay * u.Days
	announceRuns := u.AnnounceRunsPerDay * u.Days
	learned := d * u.EngagedHours
	inbox := d * u.InboxReads
	batches := d * u.EventBatches
	evs := batches * u.EventsPerBatch
	// A trend is one event's fixed work (an invocation, the article's read,
	// the story's first hour and its entry written): 20 a day are 600 a
	// month, however many readers follow them.
	trends := u.TrendingPerDay * u.Days
	// Each instance reads the trending list again when a request finds its
	// copy TrendingRefresh old: at most 30 × 86,400 s / 10 s = 259,200 reloads
	// an instance a month (50 instances: 12.96M), and never more than the
	// inbox requests (an idle instance reads nothing). A reload is one Query
	// of the tn partition, sized by the month's trending entries, not readers.
	reloads := math.Min(inbox, u.InboxInstances*u.Days*86400/feed.TrendingRefresh.Seconds())
	// Every interest change (and each registration's empty profile) writes
	// the inbox's copy beside the profile: one more put of an item under
	// 1 KB, 1 WRU (the bound, 20 explicit and 50 learned categories, is
	// about 1.5 KB: 2 WRU). 3M daily readers × 2 changes × 30 days = 180M WRU.
	copies := d * u.InterestChanges
	rankRuns := u.RankRunsPerDay * u.Days
	kpiRuns := u.KPIRunsPerDay * u.Days
	ingestRuns := u.IngestRunsPerDay * u.Days
	requests := pages + personal + inbox + batches
	sum := func(f func(Unit) float64) float64 {
		return pages*f(m.FeedPage) + personal*f(m.Personal) + inbox*f(m.Inbox) + reloads*f(m.Reload) + evs*f(m.Event) + trends*f(m.Trend) +
			rankRuns*f(m.RankRun) + kpiRuns*f(m.KPIRun) + ingestRuns*f(m.Ingest) + announceRuns*f(m.Announce) + articles*f(m.Kept) + learned*f(m.Learned)
	}
	gbs := sum(func(x Unit) float64 { return x.GBSeconds })
	invocations := sum(func(x Unit) float64 { return x.Invocations })
	rru := sum(func(x Unit) float64 { return x.ReadUnits })
	wru := sum(func(x Unit) float64 { return x.WriteUnits }) + copies*copyWRU
	bus := sum(func(x Unit) float64 { return x.BusEvents })
	logGB := sum(func(x Unit) float64 { return x.LogBytes }) / 1e9
	storedGB := evs / u.Days * 35 * u.EventItemKB / 1e6 // events are kept 35 days
	month := Month{Requests: requests, PeakRPS: requests / (u.Days * 86400) * u.PeakFactor}
	dynamo := ServiceCost{"DynamoDB on-demand", rru*price.DynamoRRU + wru*price.DynamoWRU + storedGB*price.DynamoStoreGBMo,
		fmt.Sprintf("%s RRU, %s WRU, %.0f GB of events stored", human(rru), human(wru), storedGB)}
	bridge := ServiceCost{"EventBridge", bus * price.EventBridgeEvent, fmt.Sprintf("%s custom events", human(bus))}
	logs := ServiceCost{"CloudWatch Logs", logGB * (price.LogsIngestGB + price.LogsStoreGBMo), fmt.Sprintf("%.0f GB ingested (and kept a month)", logGB)}
	month.Serverless = []ServiceCost{
		{"Lambda", gbs*price.LambdaGBSecondArm + invocations*price.LambdaRequest,
			fmt.Sprintf("%s GB-s, %s invocations", human(gbs), human(invocations))},
		{"API Gateway HTTP API", requests * price.HTTPAPIRequest, fmt.Sprintf("%s requests", human(requests))},
		dynamo, bridge, logs,
	}
	// The same load on always-on containers: enough 1 vCPU / 2 GB tasks for
	// the peak (at least MinTasks), the batches' compute on top, an
	// Application Load Balancer; DynamoDB, EventBridge and logs alike.
	month.Tasks = math.Max(u.MinTasks, math.Ceil(month.PeakRPS/u.TaskRPS))
	hours := u.Days * 24
	taskHours := month.Tasks * hours // the requests' compute is inside the tasks sized for the peak
	batchHours := (rankRuns*m.RankRun.MS + kpiRuns*m.KPIRun.MS + trends*m.Trend.MS + ingestRuns*m.Ingest.MS +
		announceRuns*m.Announce.MS + articles*m.Kept.MS + learned*m.Learned.MS) / 1000 / 3600
	lcu := math.Max(1, requests/(u.Days*86400)/1000*u.PeakFactor) // rule evaluations, 1,000/s per LCU
	routes := pages*(m.FeedPage.GBSeconds*price.LambdaGBSecondArm+m.FeedPage.Invocations*price.LambdaRequest) +
		personal*(m.Personal.GBSeconds*price.LambdaGBSecondArm+m.Personal.Invocations*price.LambdaRequest) +
		inbox*(m.Inbox.GBSeconds*price.LambdaGBSecondArm+m.Inbox.Invocations*price.LambdaRequest) + reloads*m.Reload.GBSeconds*price.LambdaGBSecondArm +
		evs*(m.Event.GBSeconds*price.LambdaGBSecondArm+m.Event.Invocations*price.LambdaRequest)
	month.RequestTierServerless = routes + requests*price.HTTPAPIRequest
	month.RequestTierContainers = taskHours*(price.FargateVCPUHourArm+2*price.FargateGBHourArm) + hours*(price.ALBHour+lcu*price.ALBLCUHour)
	month.Containers = []ServiceCost{
		{"Fargate (arm64)", (taskHours + batchHours) * (price.FargateVCPUHourArm + 2*price.FargateGBHourArm),
			fmt.Sprintf("%.0f tasks of 1 vCPU / 2 GB always on (%.0f rps each at the peak of %.0f rps), and %.0f task-hours of batches",
				month.Tasks, u.TaskRPS, month.PeakRPS, batchHours)},
		{"Application Load Balancer", hours * (price.ALBHour + lcu*price.ALBLCUHour), fmt.Sprintf("%.1f LCU", lcu)},
		dynamo, bridge, logs,
	}
	return month
}

// copyWRU is the write of the inbox's copy of a user's interests, an item
// under 1 KB.
const copyWRU = 1

// human writes v with an SI prefix: 1.5M, 300.0k, 12.5.
func human(v float64) string { return withPrefix(v, "%.1f", "%.3g") }

var prefixes = []struct {
	at     float64
	prefix string
}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}

// withPrefix writes v divided by its largest SI prefix in format, or as it is
// in small below a thousand.
func withPrefix(v float64, format, small string) string {
	for _, p := range prefixes {
		if v >= p.at {
			return fmt.Sprintf(format, v/p.at) + p.prefix
		}
	}
	return fmt.Sprintf(small, v)
}

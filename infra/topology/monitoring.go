package topology

import (
	"fmt"
	"time"

	"github.com/kiosk-news/kiosk/infra/schedule"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// Monitoring is what operators watch, declared once: the business metrics
// each domain's dashboard shows beside its Lambdas' (shared/platform/metrics'
// catalogue, by the metric's Domain), the alarms on what users feel, and the
// saved Logs Insights queries. The CDK stacks build CloudWatch dashboards,
// alarms (on the platform's alarm topic) and query definitions from it; the
// local cloud's /_local/metrics shows the same metric names and the alarms'
// thresholds.
type Monitoring struct {
	// SLO is the HTTP API's service-level objective over a month.
	SLO SLO
	// Alarms on business metrics (each on the alarm topic).
	Alarms []MetricAlarm
	// Queries are saved as Logs Insights query definitions in every domain's
	// stack, over that domain's functions' log groups.
	Queries []Query
}

// SLO is the API's objective: Availability of requests answered without a
// 5xx, and a share LatencyTarget of requests (p99) within LatencyMS, both
// over Window. The error budget is 1 - Availability of the window's requests.
type SLO struct {
	Availability float64
	LatencyMS    float64
	Window       time.Duration
}

// BurnWindow is one multi-window burn-rate alarm (Google's SRE workbook,
// "Alerting on SLOs", recommendation 5): it fires when the budget burns at
// Rate times the sustainable pace over both the Long window and the Short
// one (the short one makes it clear as soon as the burn stops).
type BurnWindow struct {
	Long, Short time.Duration
	Rate        float64
	// Budget is the share of the month's error budget a burn this long spends.
	Budget float64
}

// BurnWindows are the workbook's paging windows: 2% of a month's budget in
// an hour, 5% in six hours.
var BurnWindows = []BurnWindow{
	{Long: time.Hour, Short: 5 * time.Minute, Rate: 14.4, Budget: 0.02},
	{Long: 6 * time.Hour, Short: 30 * time.Minute, Rate: 6, Budget: 0.05},
}

// MetricAlarm fires when a business metric's Statistic over Period passes
// Threshold (GreaterThan, else less than); Missing says whether no data
// (the function did not run) counts as breaching.
type MetricAlarm struct {
	Name        string
	Description string
	Metric      metrics.Metric
	Statistic   string // Maximum, Minimum, Sum, Average
	Period      time.Duration
	Threshold   float64
	GreaterThan bool
	// MissingBreaches: no data points count as the alarm's condition.
	MissingBreaches bool
	// Periods is how many consecutive periods the alarm looks at (1 when
	// unset): it fires when any one of them breaches, so a metric recorded
	// less often than its period (a backed-off source's failures) keeps it
	// firing.
	Periods int
	// Runbook is the README's runbook anchor for this alarm.
	Runbook string
}

// The README runbook's sections of the alarms the stacks add for every
// batch, the API and every dead-letter queue.
const (
	BatchRunbook      = "a-batch-has-not-succeeded"
	APIBudgetRunbook  = "api-error-budget-burn"
	DeadLetterRunbook = "dead-letters-waiting"
	FunctionRunbook   = "a-function-fails-or-is-throttled"
)

// Query is a saved Logs Insights query.
type Query struct {
	Name string
	Text string
}

// BatchDeadline is how long a scheduled batch may go without a successful
// run before its alarm fires: two periods of its schedule (one missed run is
// not yet an incident), at least 15 minutes, a day for a cron.
func BatchDeadline(f Function) time.Duration {
	var d time.Duration
	for _, sc := range f.Schedules {
		rate := 24 * time.Hour
		if s, err := schedule.Parse(sc.Expression); err == nil && s.Rate() > 0 {
			rate = s.Rate()
		}
		d = max(d, 2*rate)
	}
	return max(d, 15*time.Minute)
}

// DomainMetrics are the business metrics a domain's dashboard shows.
func DomainMetrics(domain string) []metrics.Metric {
	var out []metrics.Metric
	for _, m := range metrics.Catalogue() {
		if m.Domain == domain {
			out = append(out, m)
		}
	}
	return out
}

// APIFunctionsOf are the functions of a stack that serve routes: httpapi's
// wrapper records RequestsRefused{reason} for each of their 4xx answers, and
// the stack's dashboard shows it for them.
func (c Cloud) APIFunctionsOf(domain string) []string {
	var out []string
	for _, f := range c.FunctionsOf(domain) {
		if len(f.Routes) > 0 {
			out = append(out, f.Name)
		}
	}
	return out
}

// declared reports whether the cloud declares monitoring (a test's small
// cloud may not).
func (m Monitoring) declared() bool {
	return m.SLO != (SLO{}) || len(m.Alarms) > 0 || len(m.Queries) > 0
}

func (m Monitoring) validate(c Cloud, fail func(string, ...any)) {
	if m.SLO.Availability <= 0 || m.SLO.Availability >= 1 || m.SLO.LatencyMS <= 0 || m.SLO.Window <= 0 {
		fail("monitoring: the API's SLO needs an availability in (0, 1), a latency and a window")
	}
	declared := map[string]bool{}
	for _, mm := range metrics.Catalogue() {
		declared[mm.Name] = true
	}
	names := map[string]bool{}
	for _, a := range m.Alarms {
		if names[a.Name] || !nameRe.MatchString(a.Name) {
			fail("alarm %q: name must be unique lower-case kebab", a.Name)
		}
		names[a.Name] = true
		if !declared[a.Metric.Name] {
			fail("alarm %s: metric %s is not in the catalogue", a.Name, a.Metric.Name)
		}
		if a.Period < time.Minute || a.Period%time.Minute != 0 || a.Statistic == "" || a.Runbook == "" {
			fail("alarm %s: needs a period of whole minutes, a statistic and a runbook anchor", a.Name)
		}
	}
	for _, q := range m.Queries {
		if names[q.Name] || !nameRe.MatchString(q.Name) || q.Text == "" {
			fail("query %q: name must be unique lower-case kebab, with a text", q.Name)
		}
		names[q.Name] = true
	}
}

// LatencyShare is the share of requests the latency objective covers: p99.
func (s SLO) LatencyShare() float64 { return 0.99 }

// String describes an alarm's condition for people (/_local/metrics, the
// runbook).
func (a MetricAlarm) String() string {
	op := "<"
	if a.GreaterThan {
		op = ">"
	}
	s := fmt.Sprintf("%s of %s over %s %s %g %s", a.Statistic, a.Metric.Name, a.Period, op, a.Threshold, a.Metric.Unit)
	if a.Periods > 1 {
		s += fmt.Sprintf(" in any of %d periods", a.Periods)
	}
	return s
}

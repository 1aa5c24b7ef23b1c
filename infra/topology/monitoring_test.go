package topology

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article/ingest"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// TestEveryMetricIsRecordedByADeclaredFunctionOfItsDomain: the catalogue
// and the topology agree, so each domain's dashboard shows what its own
// functions record.
func TestEveryMetricIsRecordedByADeclaredFunctionOfItsDomain(t *testing.T) {
	c := Kiosk()
	for _, m := range metrics.Catalogue() {
		if m.Function == "" {
			continue // every function's (cold starts, batch runs)
		}
		f, ok := c.Function(m.Function)
		if !ok || f.Domain != m.Domain {
			t.Errorf("metric %s: recorded by %q (declared %v, domain %q), want a function of %q", m.Name, m.Function, ok, f.Domain, m.Domain)
		}
	}
}

func TestMonitoringThatCannotBeBuiltIsRefused(t *testing.T) {
	c := Kiosk()
	c.Monitoring.Alarms = append(c.Monitoring.Alarms, MetricAlarm{Name: "made-up", Metric: metrics.Metric{Name: "NoSuchMetric"},
		Statistic: "Sum", Period: 90 * time.Second, Runbook: "x"}, c.Monitoring.Alarms[0])
	c.Monitoring.SLO.Availability = 1
	err := c.Validate()
	for _, want := range []string{"NoSuchMetric is not in the catalogue", "period of whole minutes", `alarm "top-stale": name must be unique`, "availability in (0, 1)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to say %q", err, want)
		}
	}
}

func TestABatchMayMissOneRunBeforeItsAlarm(t *testing.T) {
	c := Kiosk()
	for name, want := range map[string]time.Duration{"ingest-feeds": 15 * time.Minute, "rank-feeds": 15 * time.Minute, "announce-articles": 15 * time.Minute} {
		f, _ := c.Function(name)
		if got := BatchDeadline(f); got != want {
			t.Errorf("%s: deadline %s, want %s", name, got, want)
		}
	}
}

// TestEveryAlarmsRunbookIsInTheREADME: the anchor each alarm's description
// names (README #…) is a section of the README's runbook.
func TestEveryAlarmsRunbookIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := []string{BatchRunbook, APIBudgetRunbook, DeadLetterRunbook, FunctionRunbook} // infra/stack's own alarms
	for _, a := range Kiosk().Monitoring.Alarms {
		anchors = append(anchors, a.Runbook)
	}
	for _, id := range anchors {
		if !strings.Contains(string(readme), `<a id="`+id+`"></a>`) {
			t.Errorf("the README's runbook has no section %q", id)
		}
	}
}

// A source broken for good is fetched ever more rarely (its backoff doubles
// to a day), and the outside tester found the first sources-failing alarm
// ("failed in every run of the hour") silent after its second failure. The
// alarm must see each failure of such a source: its window (period × periods)
// outlasts the longest backoff plus a polling period, and it reads the streak,
// not the runs.
func TestTheSourcesFailingAlarmOutlastsTheLongestBackoff(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	longest := ingest.NextFetch(t0, 1000).Sub(t0)
	for _, a := range Kiosk().Monitoring.Alarms {
		if a.Name != "sources-failing" {
			continue
		}
		window := a.Period * time.Duration(max(1, a.Periods))
		if window < longest+ingest.MinInterval {
			t.Errorf("sources-failing looks at %v; a broken source fails once every %v", window, longest)
		}
		if a.Metric != metrics.FailureStreak || a.Statistic != "Maximum" {
			t.Errorf("sources-failing reads %s of %s, want the Maximum of %s", a.Statistic, a.Metric.Name, metrics.FailureStreak.Name)
		}
		return
	}
	t.Fatal("no sources-failing alarm")
}

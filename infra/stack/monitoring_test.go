package stack_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/infra/stack"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// inComposite reports whether a composite alarm of tmpl names the alarm in
// its rule.
func inComposite(tmpl map[string]any, alarmID string) bool {
	for _, c := range resources(tmpl, "AWS::CloudWatch::CompositeAlarm") {
		rule, _ := json.Marshal(c.Props["AlarmRule"])
		if strings.Contains(string(rule), `"`+alarmID+`"`) {
			return true
		}
	}
	return false
}

type alarmMetric struct {
	name, namespace, stat, dimension string
	period                           float64
}

// metricOf reads an alarm's single metric, in either form CloudFormation
// takes (top-level, or one MetricStat in Metrics).
func metricOf(a resource) alarmMetric {
	p := a.Props
	if list, ok := p["Metrics"].([]any); ok && len(list) == 1 {
		ms := list[0].(map[string]any)["MetricStat"].(map[string]any)
		m := ms["Metric"].(map[string]any)
		p = map[string]any{"MetricName": m["MetricName"], "Namespace": m["Namespace"], "Dimensions": m["Dimensions"],
			"Statistic": ms["Stat"], "Period": ms["Period"]}
	}
	out := alarmMetric{}
	out.name, _ = p["MetricName"].(string)
	out.namespace, _ = p["Namespace"].(string)
	out.stat, _ = p["Statistic"].(string)
	out.period, _ = p["Period"].(float64)
	if dims, _ := p["Dimensions"].([]any); len(dims) > 0 {
		out.dimension, _ = dims[0].(map[string]any)["Value"].(string)
	}
	return out
}

// TestEveryFunctionIsTracedWithAWSsManagedGrant: active tracing on every
// Lambda, the grant AWS's managed AWSXRayDaemonWriteAccess on its role (no
// inline '*' statement), and no nag suppression of the tracing rule left.
func TestEveryFunctionIsTracedWithAWSsManagedGrant(t *testing.T) {
	s := kiosk(t, "dev")
	for _, f := range s.cloud.Functions {
		name, tmpl := s.stackOf(f)
		fn, _, roleID := function(t, tmpl, f.Name)
		if tc, _ := fn.Props["TracingConfig"].(map[string]any); tc["Mode"] != "Active" {
			t.Errorf("%s (%s): tracing %v, want Active", f.Name, name, fn.Props["TracingConfig"])
		}
		role := resources(tmpl, "AWS::IAM::Role")
		i := slices.IndexFunc(role, func(r resource) bool { return r.ID == roleID })
		managed, _ := json.Marshal(role[i].Props["ManagedPolicyArns"])
		if !strings.Contains(string(managed), ":iam::aws:policy/AWSXRayDaemonWriteAccess") {
			t.Errorf("%s: role's managed policies %s, want AWSXRayDaemonWriteAccess", f.Name, managed)
		}
		for _, st := range statements(tmpl, roleID) {
			if slices.Contains(toStrings(st["Action"]), "xray:PutTraceSegments") {
				t.Errorf("%s: an inline X-Ray statement %v beside the managed policy", f.Name, st)
			}
		}
		if ns := fn.Props["Environment"].(map[string]any)["Variables"].(map[string]any)["KIOSK_METRICS_NAMESPACE"]; ns != "Kiosk/dev" {
			t.Errorf("%s: metrics namespace %v, want Kiosk/dev", f.Name, ns)
		}
	}
	for name, tmpl := range s.templates {
		raw, _ := json.Marshal(tmpl)
		if strings.Contains(string(raw), "Serverless-LambdaTracing") {
			t.Errorf("%s still suppresses Serverless-LambdaTracing", name)
		}
	}
}

// TestTheAlarmsOnWhatUsersFeel: top's freshness and the failing sources
// alarm in their domains' stacks, a "not succeeded" alarm per batch with
// missing data breaching, and the API's burn-rate composites in the
// gateway, every one notifying the alarm topic.
func TestTheAlarmsOnWhatUsersFeel(t *testing.T) {
	s := kiosk(t, "dev")
	byName := func(tmpl map[string]any, name string) (resource, bool) {
		for _, a := range resources(tmpl, "AWS::CloudWatch::Alarm") {
			if a.Props["AlarmName"] == name {
				return a, true
			}
		}
		return resource{}, false
	}
	onTopic := func(tmpl map[string]any, a resource) bool {
		for _, k := range []string{"AlarmActions", "OKActions"} {
			list, _ := a.Props[k].([]any)
			if len(list) != 1 || paramOf(tmpl, list[0]) != s.param("alarms", "topic") {
				return false
			}
		}
		return true
	}
	feed := s.templates[stack.StackName(s.prefix, "feed")]
	stale, ok := byName(feed, "kiosk-dev-top-stale")
	if !ok {
		t.Fatal("no top-stale alarm in the feed stack")
	}
	if m := metricOf(stale); m.name != metrics.FeedFreshness.Name || m.namespace != "Kiosk/dev" || m.stat != "Minimum" ||
		stale.Props["Threshold"] != 900.0 || stale.Props["ComparisonOperator"] != "GreaterThanThreshold" ||
		stale.Props["TreatMissingData"] != "breaching" || !onTopic(feed, stale) {
		t.Errorf("top-stale: %+v", stale.Props)
	}
	for _, f := range s.cloud.Batches() {
		name, tmpl := s.stackOf(f)
		a, ok := byName(tmpl, "kiosk-dev-"+f.Name+"-not-succeeded")
		if !ok {
			t.Errorf("%s: no not-succeeded alarm in %s", f.Name, name)
			continue
		}
		if m := metricOf(a); m.name != metrics.BatchSucceeded.Name || a.Props["TreatMissingData"] != "breaching" || m.dimension != f.Name ||
			a.Props["ComparisonOperator"] != "LessThanThreshold" || m.period != topology.BatchDeadline(f).Seconds() || !onTopic(tmpl, a) {
			t.Errorf("%s: not-succeeded alarm %+v", f.Name, a.Props)
		}
	}
	gw := s.templates[stack.StackName(s.prefix, topology.Gateway)]
	composites := resources(gw, "AWS::CloudWatch::CompositeAlarm")
	if len(composites) != 2*len(topology.BurnWindows) {
		t.Fatalf("%d composite alarms in the gateway, want errors and latency per burn window (%d)", len(composites), 2*len(topology.BurnWindows))
	}
	halves := resources(gw, "AWS::CloudWatch::Alarm")
	for _, c := range composites {
		if !onTopic(gw, c) {
			t.Errorf("%s does not notify the topic: %+v", c.ID, c.Props)
		}
		n := 0
		for _, h := range halves {
			if inComposite(gw, h.ID) {
				rule, _ := json.Marshal(c.Props["AlarmRule"])
				if strings.Contains(string(rule), `"`+h.ID+`"`) {
					n++
				}
			}
		}
		if rule, _ := json.Marshal(c.Props["AlarmRule"]); n != 2 || !strings.Contains(string(rule), "ALARM(") || !strings.Contains(string(rule), " AND ") {
			t.Errorf("%s: rule %s over %d windows, want ALARM(long) AND ALARM(short)", c.ID, rule, n)
		}
	}
	// The 1 h window of the 5xx share pages at 14.4 × the 0.1% budget.
	found := false
	for _, h := range halves {
		if strings.HasPrefix(h.ID, "ApiErrorBudget1h5m1h") {
			found = true
			if th, _ := h.Props["Threshold"].(float64); th < 0.01439 || th > 0.01441 {
				t.Errorf("1 h 5xx-share window at %v, want 14.4 × 0.1%%", h.Props["Threshold"])
			}
		}
		if strings.HasPrefix(h.ID, "ApiLatencyBudget1h5m") {
			raw, _ := json.Marshal(h.Props)
			if !strings.Contains(string(raw), `"p85.6"`) || h.Props["Threshold"] != 1000.0 {
				t.Errorf("latency window %s: %s, want p85.6 > 1000 ms", h.ID, raw)
			}
		}
	}
	if !found {
		var ids []string
		for _, h := range halves {
			ids = append(ids, h.ID)
		}
		t.Errorf("no 1 h 5xx-share window among %v", ids)
	}
}

// TestEveryStackWithFunctionsSavesTheOperatorsQueries: each query of the
// topology as a query definition over the stack's function log groups.
func TestEveryStackWithFunctionsSavesTheOperatorsQueries(t *testing.T) {
	s := kiosk(t, "dev")
	cloud := topology.Kiosk()
	for _, name := range append([]string{topology.Platform}, cloud.Domains()...) {
		tmpl := s.templates[stack.StackName(s.prefix, name)]
		qs := resources(tmpl, "AWS::Logs::QueryDefinition")
		if len(qs) != len(cloud.Monitoring.Queries) {
			t.Errorf("%s: %d query definitions, want %d", name, len(qs), len(cloud.Monitoring.Queries))
			continue
		}
		for i, q := range cloud.Monitoring.Queries {
			d := qs[slices.IndexFunc(qs, func(r resource) bool { return r.Props["Name"] == "kiosk-dev/"+name+"/"+q.Name })]
			if d.Props["QueryString"] != q.Text {
				t.Errorf("%s: query %d is %v", name, i, d.Props["QueryString"])
			}
			groups, _ := d.Props["LogGroupNames"].([]any)
			if len(groups) != len(cloud.FunctionsOf(name)) {
				t.Errorf("%s: query %s over %d log groups for %d functions", name, q.Name, len(groups), len(cloud.FunctionsOf(name)))
			}
		}
	}
}

// TestEveryDomainDashboardShowsItsBusinessMetrics: the catalogue's metrics
// of a domain on its dashboard, beside its Lambdas.
func TestEveryDomainDashboardShowsItsBusinessMetrics(t *testing.T) {
	s := kiosk(t, "dev")
	for _, m := range metrics.Catalogue() {
		if m.Domain == "" {
			continue
		}
		tmpl := s.templates[stack.StackName(s.prefix, m.Domain)]
		body, _ := json.Marshal(resources(tmpl, "AWS::CloudWatch::Dashboard")[0].Props["DashboardBody"])
		if !strings.Contains(string(body), m.Name) || !strings.Contains(string(body), "Kiosk/dev") {
			t.Errorf("%s's dashboard does not show %s", m.Domain, m.Name)
		}
	}
}

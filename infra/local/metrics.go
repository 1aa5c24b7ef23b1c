package local

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// MetricSeries is one metric as CloudWatch would hold it: a name and its
// dimensions' values, with every value the functions' EMF lines gave it.
type MetricSeries struct {
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name"`
	Unit       string            `json:"unit"`
	Dimensions map[string]string `json:"dimensions"`
	Count      int               `json:"count"` // values seen (CloudWatch's SampleCount)
	Sum        float64           `json:"sum"`
	Min        float64           `json:"min"`
	Max        float64           `json:"max"`
	Last       float64           `json:"last"`
	LastAt     time.Time         `json:"last_at"`
}

// metricStore reads the EMF lines of the functions' logs, as CloudWatch Logs
// extracts them in AWS.
type metricStore struct {
	mu     sync.Mutex
	series map[string]*MetricSeries
}

// line takes one log line; lines that are not EMF are ignored.
func (s *metricStore) line(text string) {
	if !strings.HasPrefix(text, `{"_aws":`) {
		return
	}
	var top map[string]any
	if json.Unmarshal([]byte(text), &top) != nil {
		return
	}
	var d metrics.Directive
	if json.Unmarshal([]byte(text), &d) != nil {
		return
	}
	at := time.UnixMilli(d.AWS.Timestamp).UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.series == nil {
		s.series = map[string]*MetricSeries{}
	}
	for _, cw := range d.AWS.CloudWatchMetrics {
		for _, set := range cw.Dimensions {
			dims := map[string]string{}
			for _, name := range set {
				v, _ := top[name].(string)
				dims[name] = v
			}
			for _, m := range cw.Metrics {
				var values []float64
				switch v := top[m.Name].(type) {
				case float64:
					values = []float64{v}
				case []any:
					for _, e := range v {
						if f, ok := e.(float64); ok {
							values = append(values, f)
						}
					}
				}
				key := cw.Namespace + "\x00" + m.Name
				names := make([]string, 0, len(dims))
				for k := range dims {
					names = append(names, k)
				}
				sort.Strings(names)
				for _, k := range names {
					key += "\x00" + k + "=" + dims[k]
				}
				ser := s.series[key]
				for _, v := range values {
					if ser == nil {
						ser = &MetricSeries{Namespace: cw.Namespace, Name: m.Name, Unit: m.Unit, Dimensions: dims, Min: v, Max: v}
						s.series[key] = ser
					}
					ser.Count++
					ser.Sum += v
					ser.Min, ser.Max = min(ser.Min, v), max(ser.Max, v)
					ser.Last, ser.LastAt = v, at
				}
			}
		}
	}
}

// Metrics returns every series the functions reported, filtered by metric
// name and function when given, sorted by name then dimensions.
func (c *Cloud) Metrics(name, function string) []MetricSeries {
	s := c.logs.metrics()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []MetricSeries{}
	for _, ser := range s.series {
		if (name == "" || ser.Name == name) && (function == "" || ser.Dimensions["function"] == function) {
			cp := *ser
			cp.Dimensions = map[string]string{}
			for k, v := range ser.Dimensions {
				cp.Dimensions[k] = v
			}
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return dimsKey(out[i].Dimensions) < dimsKey(out[j].Dimensions)
	})
	return out
}

func dimsKey(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + d[k] + ",")
	}
	return b.String()
}

// metricsRoutes mounts GET /_local/metrics: the EMF metrics parsed from the
// functions' logs (?name=, ?function=), the dead letters waiting per
// function (what the queues' depth alarms watch), and the topology's alarms
// with their conditions; ?format=html is the same as a page for operators.
func (c *Cloud) metricsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_local/metrics", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		series := c.Metrics(q.Get("name"), q.Get("function"))
		waiting := map[string]int{}
		for _, d := range c.bus.DeadLetters() {
			waiting[d.Function]++
		}
		type alarm struct {
			Name        string `json:"name"`
			Condition   string `json:"condition"`
			Description string `json:"description"`
			Runbook     string `json:"runbook"`
		}
		alarms := []alarm{}
		for _, a := range c.Topology.Monitoring.Alarms {
			alarms = append(alarms, alarm{a.Name, a.String(), a.Description, a.Runbook})
		}
		if slo := c.Topology.Monitoring.SLO; slo.Window > 0 {
			for _, bw := range topology.BurnWindows {
				alarms = append(alarms, alarm{fmt.Sprintf("api-budget-burn-%s-%s", bw.Long, bw.Short),
					fmt.Sprintf("5xx share > %g × %.3g, or p%.3g latency > %g ms, over both %s and %s", bw.Rate, 1-slo.Availability,
						100-bw.Rate*100*(1-slo.LatencyShare()), slo.LatencyMS, bw.Long, bw.Short),
					"the API burns its monthly error or latency budget (API Gateway's metrics: not emulated locally)", topology.APIBudgetRunbook})
			}
		}
		for _, f := range c.Topology.Batches() {
			alarms = append(alarms, alarm{f.Name + "-not-succeeded",
				"Sum of BatchSucceeded{function=" + f.Name + "} over " + topology.BatchDeadline(f).String() + " < 1 (no data breaches)",
				f.Name + ": no successful scheduled run", topology.BatchRunbook})
		}
		if q.Get("format") == "html" {
			metricsPage(w, series, waiting, alarms)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metrics": series, "dead_letters_waiting": waiting, "alarms": alarms})
	})
}

func metricsPage(w http.ResponseWriter, series []MetricSeries, waiting map[string]int, alarms any) {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><title>Kiosk local metrics</title>` +
		`<style>body{font:14px system-ui;margin:2em}td,th{padding:2px 8px;text-align:left}td.n{text-align:right}</style>` +
		`<h1>Business metrics</h1><p>Parsed from the functions' embedded-metric log lines, as CloudWatch extracts them; the names are the dashboards'.</p>` +
		`<table><tr><th>metric</th><th>dimensions</th><th>unit</th><th>count</th><th>sum</th><th>min</th><th>max</th><th>last</th><th>last at</th></tr>`)
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, s := range series {
		b.WriteString("<tr><td>" + html.EscapeString(s.Name) + "</td><td>" + html.EscapeString(dimsKey(s.Dimensions)) + "</td><td>" +
			html.EscapeString(s.Unit) + `</td><td class="n">` + strconv.Itoa(s.Count) + `</td><td class="n">` + num(s.Sum) +
			`</td><td class="n">` + num(s.Min) + `</td><td class="n">` + num(s.Max) + `</td><td class="n">` + num(s.Last) +
			"</td><td>" + s.LastAt.Format(time.RFC3339) + "</td></tr>")
	}
	b.WriteString("</table><h2>Dead letters waiting</h2><table>")
	fns := make([]string, 0, len(waiting))
	for f := range waiting {
		fns = append(fns, f)
	}
	sort.Strings(fns)
	for _, f := range fns {
		b.WriteString("<tr><td>" + html.EscapeString(f) + `</td><td class="n">` + strconv.Itoa(waiting[f]) + "</td></tr>")
	}
	b.WriteString("</table><h2>Alarms (in AWS)</h2><table>")
	raw, _ := json.Marshal(alarms)
	var list []map[string]string
	_ = json.Unmarshal(raw, &list)
	for _, a := range list {
		b.WriteString("<tr><td>" + html.EscapeString(a["name"]) + "</td><td>" + html.EscapeString(a["condition"]) + "</td><td>" +
			html.EscapeString(a["description"]) + "</td></tr>")
	}
	b.WriteString("</table>")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write([]byte(b.String()))
}

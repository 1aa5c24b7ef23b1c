package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// metricSum is the sum of a metric's values over the series matching the
// dimensions (CloudWatch's Sum statistic over all time), read from
// /_local/metrics.
func metricSum(t *testing.T, name string, dims map[string]string) (sum float64, count int) {
	t.Helper()
	var out struct {
		Metrics []local.MetricSeries `json:"metrics"`
	}
	get(t, "/_local/metrics?name="+name, &out)
	for _, s := range out.Metrics {
		match := true
		for k, v := range dims {
			match = match && s.Dimensions[k] == v
		}
		if match {
			sum += s.Sum
			count += s.Count
		}
	}
	return sum, count
}

// waitMetric waits until a metric's sum reaches want, then holds it to
// exactly want. An invocation's own lines have landed by its answer (the
// host records it once they have); what it caused asynchronously (the
// deliveries of the events it published) lands later.
func waitMetric(t *testing.T, name string, dims map[string]string, want float64) {
	t.Helper()
	var got float64
	eventually(t, fmt.Sprintf("%s%v reaches %g", name, dims, want), func() bool {
		got, _ = metricSum(t, name, dims)
		return got >= want
	})
	if got != want {
		t.Errorf("%s%v = %g, want exactly %g", name, dims, got, want)
	}
}

// TestTheDashboardsMetricsAreTheFunctionsEmbeddedMetricLines: an ingestion
// run's stored count and a refused event batch's reason reach
// /_local/metrics under the catalogue's names (the dashboards' names), from
// the functions' own EMF log lines.
func TestTheDashboardsMetricsAreTheFunctionsEmbeddedMetricLines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cloud.Quiesce(ctx); err != nil { // no scheduled ingestion in between
		t.Fatal(err)
	}
	defer cloud.Resume()

	ingest := map[string]string{"function": "ingest-feeds"}
	stored, _ := metricSum(t, metrics.ArticlesStored.Name, ingest)
	succeeded, _ := metricSum(t, metrics.BatchSucceeded.Name, ingest)
	source := fmt.Sprintf("metrics-%d", time.Now().UnixNano())
	if status, body := admin(t, "POST", "/admin/api/sources", cloud.AdminToken(), "application/json", fmt.Sprintf(
		`{"id":%q,"name":"Metrics","category":"load","weight":1,"url":%q}`, source, cloud.APIURL+"/_local/feeds/"+source+"?items=7")); status != 201 {
		t.Fatalf("register a generated feed: %d %s", status, body)
	}
	runSchedule(t, "ingest-feeds", "", "")
	waitMetric(t, metrics.ArticlesStored.Name, ingest, stored+7)
	waitMetric(t, metrics.BatchSucceeded.Name, ingest, succeeded+1)
	if _, n := metricSum(t, metrics.ColdStarts.Name, ingest); n == 0 {
		t.Error("ingest-feeds' cold start was not counted")
	}

	// A refused batch: counted by its reason, the error code the client got.
	user := register(t)
	refused := func(code string) map[string]string {
		return map[string]string{"function": "tracking-api", "reason": code}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	batch := `{"events":[{"id":"ev-m0000001","type":"impression","article_id":"0123456789abcdef0123456789abcdef","at":"` + now + `"},` +
		`{"id":"ev-m0000002","type":"bogus","article_id":"0123456789abcdef0123456789abcdef","at":"` + now + `"}]}`
	before, _ := metricSum(t, metrics.EventsRefused.Name, refused("invalid_argument"))
	status, body := admin(t, "POST", "/v1/events", user.Token, "application/json", batch)
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if status != 400 || json.Unmarshal(body, &e) != nil || e.Error.Code != "invalid_argument" {
		t.Fatalf("a batch with a bogus event type: %d %s", status, body)
	}
	waitMetric(t, metrics.EventsRefused.Name, refused("invalid_argument"), before+2)
	accepted, _ := metricSum(t, metrics.EventsAccepted.Name, map[string]string{"function": "tracking-api"})
	good := strings.Replace(strings.Replace(batch, `"bogus"`, `"click"`, 1), "ev-m", "ev-n", 2)
	if status, body := admin(t, "POST", "/v1/events", user.Token, "application/json", good); status != 202 {
		t.Fatalf("the batch made good: %d %s", status, body)
	}
	waitMetric(t, metrics.EventsAccepted.Name, map[string]string{"function": "tracking-api"}, accepted+2)

	status, page := admin(t, "GET", "/_local/metrics?format=html", "", "", "")
	if status != 200 || !strings.Contains(string(page), "EventsRefused") || !strings.Contains(string(page), "reason=invalid_argument") ||
		!strings.Contains(string(page), "top-stale") {
		t.Errorf("the operators' page: %d %.300s", status, page)
	}
}

// TestEveryRefusedRequestIsCountedOnceByItsCode: on POST /v1/events, a body
// that does not decode (400), a valid-JSON batch with a bad event (400), a
// body over the route's cap (413), a wrong media type (415) and the request
// past the per-user limit (429) each move RequestsRefused{reason} by one;
// EventsRefused counts only the events of the decoded batch.
func TestEveryRefusedRequestIsCountedOnceByItsCode(t *testing.T) {
	awayFromTheWindowEdge(time.Minute)
	user := register(t)
	c := oneClient("127.0.43.1")
	requests := func(code string) map[string]string {
		return map[string]string{"function": "tracking-api", "reason": code}
	}
	codes := []string{"invalid_argument", "payload_too_large", "unsupported_media_type", "rate_limited"}
	before := map[string]float64{}
	eventsBefore := map[string]float64{}
	for _, code := range codes {
		before[code], _ = metricSum(t, metrics.RequestsRefused.Name, requests(code))
		eventsBefore[code], _ = metricSum(t, metrics.EventsRefused.Name, requests(code))
	}
	now := time.Now().UTC().Format(time.RFC3339)
	event := func(id, typ, at string) string {
		return fmt.Sprintf(`{"id":%q,"type":%q,"article_id":"0123456789abcdef0123456789abcdef","at":%q}`, id, typ, at)
	}
	many := []string{event("refused-0000", "click", "yesterday")} // a decode that stops at the first event
	for i := 1; i < 300; i++ {
		many = append(many, event(fmt.Sprintf("refused-%04d", i), "click", now))
	}
	expect := func(status int, contentType, body string) {
		t.Helper()
		req, err := http.NewRequest("POST", cloud.APIURL+"/v1/events", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+user.Token)
		req.Header.Set("Content-Type", contentType)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Fatalf("want %d: %d %.200s", status, resp.StatusCode, out)
		}
	}
	expect(400, "application/json", `{"events":[`+strings.Join(many, ",")+`]}`)
	expect(400, "application/json", `{"events":[`+event("refused-a001", "click", now)+","+event("refused-a002", "bogus", now)+","+
		event("refused-a003", "read", now)+`]}`)
	expect(415, "text/plain", `{"events":[`+event("refused-b001", "click", now)+`]}`)
	expect(413, "application/json", `{"events":[`+strings.Repeat(event("refused-c001", "click", now)+",", 6000)+`]}`)
	// The per-user limit: 120 requests a minute, the two 400s and the 415
	// included (the 413 is refused before it counts).
	for i := range 117 {
		expect(202, "application/json", `{"events":[`+event(fmt.Sprintf("refused-d%03d", i), "impression", now)+`]}`)
	}
	expect(429, "application/json", `{"events":[`+event("refused-e001", "impression", now)+`]}`)

	for code, n := range map[string]float64{"invalid_argument": 2, "payload_too_large": 1, "unsupported_media_type": 1, "rate_limited": 1} {
		waitMetric(t, metrics.RequestsRefused.Name, requests(code), before[code]+n)
	}
	waitMetric(t, metrics.EventsRefused.Name, requests("invalid_argument"), eventsBefore["invalid_argument"]+3)
	for _, code := range codes[1:] {
		if got, _ := metricSum(t, metrics.EventsRefused.Name, requests(code)); got != eventsBefore[code] {
			t.Errorf("EventsRefused{%s} moved by %g: no batch of that answer was decoded", code, got-eventsBefore[code])
		}
	}
}

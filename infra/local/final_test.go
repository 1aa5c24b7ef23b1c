package local_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// kpiCloud is a cloud with the KPI path (registration, the authorizer, the
// events API and the KPI batch) whose TTL deletes expired items at once. The
// KPI batch's schedule is stretched to a year: forty days of a 5-minute
// schedule are 11,520 coordinator runs that are not the subject; the test runs
// the batch itself.
func kpiCloud(t *testing.T) *local.Cloud {
	t.Helper()
	return smallCloud(t, func(f *topology.Function) bool {
		switch f.Name {
		case "users-api", "authorizer", "tracking-api":
			return true
		case "aggregate-kpi":
			f.Schedules = []topology.Schedule{{Expression: "rate(365 days)", Description: f.Schedules[0].Description}}
			return true
		}
		return false
	}, local.Config{TTLImmediate: true})
}

// kpiOn reads one period's merged KPI row (by all) through the admin API.
func kpiOn(t *testing.T, c *local.Cloud, granularity string, at time.Time) kpiRow {
	t.Helper()
	ts := at.UTC().Format(time.RFC3339)
	status, body := on(t, c, "GET", fmt.Sprintf("/admin/api/kpi?from=%s&to=%s&granularity=%s&by=all", ts, ts, granularity), c.AdminToken(), "")
	var out struct {
		Rows []kpiRow `json:"rows"`
	}
	if status != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("kpi: %d %s", status, body)
	}
	if len(out.Rows) == 0 {
		return kpiRow{}
	}
	return out.Rows[0]
}

// runKPIOn runs the KPI batch now with a detail and returns its status and
// error as the local cloud reports them.
func runKPIOn(t *testing.T, c *local.Cloud, detail string) (string, string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		status, body := on(t, c, "POST", "/_local/schedules/aggregate-kpi/run", "", detail)
		var out struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if status != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("run aggregate-kpi: %d %s", status, body)
		}
		if out.Status != "throttled" || time.Now().After(deadline) {
			return out.Status, out.Error
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// userEvents counts the raw events the user has stored, expired or not.
func userEvents(t *testing.T, c *local.Cloud, userID string) int {
	t.Helper()
	out, err := dynalite.Client(c.DynamoURL).Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String(c.TableName("events")), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "ev#" + userID + "#"}}})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// TestAKPIPeriodOutlivesItsEvents counts a user's events, lets forty days
// pass (TTL deletes the 35-day events, as DynamoDB does), then asks for the
// period to be recomputed as an operator and as a late dead letter would:
// the stored numbers stay as they were counted, through the API.
func TestAKPIPeriodOutlivesItsEvents(t *testing.T) {
	c := kpiCloud(t)
	now := c.Now().UTC()
	u := registerOn(t, c)
	article := fmt.Sprintf("%032x", 26)
	var batch []map[string]any
	for i, typ := range []string{"impression", "impression", "click", "click", "click"} {
		batch = append(batch, map[string]any{"id": fmt.Sprintf("final-%s-%02d", typ, i), "type": typ, "article_id": article,
			"at": now.Format(time.RFC3339)})
	}
	b, _ := json.Marshal(map[string]any{"events": batch})
	if status, body := on(t, c, "POST", "/v1/events", u.Token, string(b)); status != 202 || !strings.Contains(string(body), `"accepted":5`) {
		t.Fatalf("events: %d %s", status, body)
	}
	hour, day := now.Format(events.HourLayout), now.Format(events.DayLayout)
	for _, detail := range []string{
		fmt.Sprintf(`{"granularity":"hour","period":%q}`, hour), fmt.Sprintf(`{"granularity":"day","period":%q}`, day)} {
		if status, msg := runKPIOn(t, c, detail); status != "ok" {
			t.Fatalf("run %s: %s %s", detail, status, msg)
		}
	}
	counted := func() bool {
		h, d := kpiOn(t, c, "hour", now), kpiOn(t, c, "day", now)
		return h.Clicks == 3 && h.Impressions == 2 && d.Clicks == 3 && d.Impressions == 2
	}
	deadline := time.Now().Add(90 * time.Second)
	for !counted() {
		if time.Now().After(deadline) {
			t.Fatalf("the KPI shards never counted the batch: hour %+v, day %+v", kpiOn(t, c, "hour", now), kpiOn(t, c, "day", now))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := userEvents(t, c, u.UserID); n != 5 {
		t.Fatalf("%d raw events stored, want 5", n)
	}

	c.MoveClock(now.Add(40 * 24 * time.Hour))
	if n := userEvents(t, c, u.UserID); n != 0 {
		t.Fatalf("%d raw events left 40 days later; TTL should have deleted them", n)
	}
	// An operator's run now of the 40-day-old periods is refused, as a bad
	// period is: the function's error says why.
	for _, detail := range []string{
		fmt.Sprintf(`{"granularity":"hour","period":%q}`, hour), fmt.Sprintf(`{"granularity":"day","period":%q}`, day)} {
		status, msg := runKPIOn(t, c, detail)
		if status != "error" || !strings.Contains(msg, "final") || !strings.Contains(msg, "35 days") {
			t.Errorf("run now of %s 40 days later = %s %q; want an error saying the period is final", detail, status, msg)
		}
	}
	// A worker event of them (a redrive, a late dead letter) succeeds and
	// leaves the partials alone: no error, so nothing retries it.
	for _, job := range []events.KPIShardRequested{{Granularity: "hour", Period: hour}, {Granularity: "day", Period: day}} {
		for shard := range 16 {
			job.Shard = shard
			ev, _ := json.Marshal(map[string]any{"version": "0", "id": fmt.Sprintf("late-%s-%d", job.Period, shard),
				"detail-type": events.KPIShardRequestedType, "source": events.SourceTracking, "account": local.Account,
				"time": c.Now().UTC().Format(time.RFC3339), "region": local.Region, "resources": []string{}, "detail": job})
			rep, err := c.InvokeDirect(context.Background(), "aggregate-kpi", ev)
			if err != nil || rep.Status != "ok" {
				t.Fatalf("a late job of %s shard %d: %v %+v", job.Period, shard, err, rep)
			}
		}
	}
	if !counted() {
		t.Errorf("40 days later the hour reads %+v and the day %+v; want the 3 clicks and 2 impressions counted while the events lived",
			kpiOn(t, c, "hour", now), kpiOn(t, c, "day", now))
	}
}

package local_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/infra/local"
)

// TestOneTraceFromScheduleToConsumer runs the heartbeat now and follows its
// trace: the batch's invocation caused the consumer's, through PutEvents, and
// both functions logged the same id.
func TestOneTraceFromScheduleToConsumer(t *testing.T) {
	status, body := admin(t, "POST", "/_local/schedules/heartbeat/run", "", "", "")
	var run struct {
		Trace string `json:"trace"`
	}
	if status != 200 || json.Unmarshal(body, &run) != nil || run.Trace == "" {
		t.Fatalf("run: %d %s", status, body)
	}
	var tree struct {
		Invocations []local.TraceNode `json:"invocations"`
	}
	eventually(t, "the consumer in the trace", func() bool {
		status, body := admin(t, "GET", "/_local/traces/"+run.Trace, "", "", "")
		// (At least one: with duplicate delivery on, the consumer runs twice.)
		return status == 200 && json.Unmarshal(body, &tree) == nil && len(tree.Invocations) == 1 &&
			len(tree.Invocations[0].Caused) >= 1 && tree.Invocations[0].Caused[0].Function == "record-heartbeat"
	})
	if root := tree.Invocations[0]; root.Function != "heartbeat" || root.Caused[0].Trigger != "rule:on-heartbeat" || root.Caused[0].Status != "ok" {
		t.Errorf("trace tree = %+v", tree)
	}
	for _, fn := range []string{"heartbeat", "record-heartbeat"} {
		var logs struct {
			Lines []string `json:"lines"`
		}
		get(t, "/_local/logs?function="+fn+"&contains="+run.Trace, &logs)
		if len(logs.Lines) == 0 || !strings.Contains(logs.Lines[0], `"trace":"`+run.Trace+`"`) {
			t.Errorf("%s logged no line with the trace: %v", fn, logs.Lines)
		}
	}
	if status, _ := admin(t, "GET", "/_local/traces/1-00000000-000000000000000000000000", "", "", ""); status != 404 {
		t.Errorf("an unknown trace: %d", status)
	}
}

// TestARequestsTraceIsInItsLogs: the gateway's trace root reaches the
// function, its access-log line and /_local/traces.
func TestARequestsTraceIsInItsLogs(t *testing.T) {
	get(t, "/v1/health", nil)
	invs := invocationsFull(t, "health-api")
	last := invs[len(invs)-1]
	if last.Trace == "" {
		t.Fatal("the request's invocation has no trace")
	}
	var tree struct {
		Invocations []local.TraceNode `json:"invocations"`
	}
	if status, body := admin(t, "GET", "/_local/traces/"+last.Trace, "", "", ""); status != 200 || json.Unmarshal(body, &tree) != nil ||
		len(tree.Invocations) != 1 || tree.Invocations[0].Trigger != "GET /v1/health" {
		t.Errorf("trace of a request: %d %s", status, body)
	}
	var logs struct {
		Lines []string `json:"lines"`
	}
	get(t, "/_local/logs?function=health-api&contains="+last.Trace, &logs)
	if len(logs.Lines) == 0 || !strings.Contains(logs.Lines[0], `"msg":"request"`) {
		t.Errorf("the access-log line does not carry the trace: %v", logs.Lines)
	}
}

func invocationsFull(t *testing.T, fn string) []local.Invocation {
	t.Helper()
	var out struct {
		Invocations []local.Invocation `json:"invocations"`
	}
	get(t, "/_local/invocations?function="+fn, &out)
	if len(out.Invocations) == 0 {
		t.Fatalf("no invocation of %s", fn)
	}
	return out.Invocations
}

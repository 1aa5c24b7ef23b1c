package local_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kiosk-news/kiosk/infra/local"
)

// TestInvokeAndLogs is `make invoke` and the log filter against the running
// local cloud.
func TestInvokeAndLogs(t *testing.T) {
	for _, spec := range []string{"GET /v1/health", "scheduled", "platform.heartbeat"} {
		payload, err := local.SampleEvent(root, spec)
		if err != nil || !json.Valid(payload) {
			t.Fatalf("SampleEvent(%q): %v", spec, err)
		}
	}
	payload, _ := local.SampleEvent(root, "GET /v1/health")
	status, body := admin(t, "POST", "/_local/invoke/health-api", "", "application/json", string(payload))
	var rep local.InvokeReport
	if status != 200 || json.Unmarshal(body, &rep) != nil {
		t.Fatalf("invoke: %d %s", status, body)
	}
	if rep.Status != "ok" || !strings.Contains(string(rep.Response), `"statusCode":200`) || len(rep.Logs) == 0 {
		t.Errorf("invoke report = %+v", rep)
	}
	if status, _ := admin(t, "POST", "/_local/invoke/no-such-function", "", "application/json", "{}"); status != 404 {
		t.Errorf("an unknown function: %d", status)
	}
	if _, err := local.SampleEvent(root, "nonsense"); err == nil {
		t.Error("a nonsense event spec was accepted")
	}
	var logs struct {
		Lines []string `json:"lines"`
	}
	get(t, "/_local/logs?function=health-api&contains=%22route%22", &logs)
	if len(logs.Lines) == 0 || !strings.Contains(logs.Lines[len(logs.Lines)-1], `"route":"GET /v1/health"`) {
		t.Errorf("filtered logs = %v", logs.Lines)
	}
}

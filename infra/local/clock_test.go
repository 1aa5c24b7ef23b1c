package local_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// TestAdvancingTheClockADay runs a small cloud (the heartbeat canary) on a
// virtual clock: a day's advance fires rate(5 minutes) exactly 288 times, every
// firing reaches its consumer through the bus, and the functions see the
// virtual time.
func TestAdvancingTheClockADay(t *testing.T) {
	small := topology.Kiosk()
	var keep []topology.Function
	for _, f := range small.Functions {
		switch f.Name {
		case "health-api", "heartbeat", "record-heartbeat", "ingest-feeds", "parse-feed":
			keep = append(keep, f)
		}
	}
	small.Functions, small.Authorizer = keep, ""
	c, err := local.Start(context.Background(), local.Config{Root: root, Dist: dist, Topology: &small, NoSamples: true,
		Console: io.Discard, LogDir: filepath.Join(t.TempDir(), "logs"), Backoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := c.Now()
	fired := c.MoveClock(start.Add(24 * time.Hour))
	if fired["heartbeat"] != 288 || fired["ingest-feeds"] != 288 || len(fired) != 2 {
		t.Fatalf("a day fired %v, want heartbeat and ingest-feeds (rate 5 minutes) 288 each", fired)
	}
	if got := c.Now().Sub(start); got < 24*time.Hour || got > 24*time.Hour+time.Minute {
		t.Errorf("the clock moved %s", got)
	}
	var report struct {
		Heartbeat     string `json:"heartbeat"`
		LastHeartbeat *struct {
			At time.Time `json:"at"`
		} `json:"last_heartbeat"`
	}
	deadline := time.Now().Add(3 * time.Minute)
	ok := func(fn string) int {
		n := 0
		for _, inv := range c.InvocationsOf(fn) {
			if inv.Status == "ok" {
				n++
			}
		}
		return n
	}
	for ok("record-heartbeat") < 288 || ok("ingest-feeds") < 288 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 288 heartbeats were recorded and %d of 288 ingest runs ran", ok("record-heartbeat"), ok("ingest-feeds"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := ok("heartbeat"); n != 288 {
		t.Errorf("heartbeat ran %d times, want 288", n)
	}
	resp, err := http.Get(c.APIURL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
		t.Fatal(err)
	}
	// The last firing is at start+24h in virtual time, and health-api, which
	// reads the virtual clock, calls it fresh.
	if report.LastHeartbeat == nil || report.LastHeartbeat.At.Before(start.Add(24*time.Hour-5*time.Minute)) || report.Heartbeat != "fresh" {
		t.Errorf("health after the advance = %+v", report)
	}

	// A run now is stamped on the cloud's clock too, as the console's Run
	// now is: its heartbeat is the newest, not one from a day before the
	// schedule's last.
	before := c.Now().Truncate(time.Second)
	if status, body := on(t, c, "POST", "/_local/schedules/heartbeat/run", "", ""); status != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("run the heartbeat now: %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Quiesce(ctx); err != nil { // its heartbeat recorded
		t.Fatal(err)
	}
	c.Resume()
	report.LastHeartbeat = nil
	if status, body := on(t, c, "GET", "/v1/health", "", ""); status != 200 || json.Unmarshal(body, &report) != nil ||
		report.LastHeartbeat == nil || report.LastHeartbeat.At.Before(before) {
		t.Errorf("health after a run now at %s = %d %s, want its heartbeat the last", before, status, body)
	}
}

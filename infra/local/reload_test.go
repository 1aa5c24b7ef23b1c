package local_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
)

func TestAffected(t *testing.T) {
	names := []string{}
	for _, f := range cloud.Topology.Functions {
		names = append(names, f.Name)
	}
	cases := map[string]string{
		"shared/health":       "[health-api record-heartbeat]",
		"shared/user":         "[authorizer learn-interests users-api]", // the authorizer checks sessions
		"functions/heartbeat": "[heartbeat]",
		"infra/pattern":       "[]",
	}
	for dir, want := range cases {
		got, err := local.Affected(root, names, []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != want && !(want == "[]" && len(got) == 0) {
			t.Errorf("a change in %s affects %v, want %s", dir, got, want)
		}
	}
}

// TestLiveReloadSwapsWithoutDroppingCalls rebuilds health-api while calls are
// in flight: every call succeeds, and calls after the swap get new instances.
func TestLiveReloadSwapsWithoutDroppingCalls(t *testing.T) {
	get(t, "/v1/health", nil) // a warm instance
	old := healthPIDs(t)
	if len(old) == 0 {
		t.Fatal("no health-api instance before the reload")
	}
	// The caller paces itself under the stage's throttle (a 429 is the
	// gateway's, not a dropped call) and never blocks on reporting: however
	// many calls fail, the loop ends when the rebuild does.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []int
		calls    int
	)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			status := -1
			if resp, err := http.Get(cloud.APIURL + "/v1/health"); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			if calls++; status != 200 {
				failures = append(failures, status)
			}
			mu.Unlock()
		}
	}()
	affected, err := cloud.Rebuild([]string{"shared/health"})
	close(stop)
	wg.Wait()
	if err != nil || fmt.Sprint(affected) != "[health-api record-heartbeat]" {
		t.Fatalf("Rebuild = %v, %v", affected, err)
	}
	if calls == 0 {
		t.Fatal("no call was made during the reload")
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d calls during the reload failed (statuses %v)", len(failures), calls, failures[:min(len(failures), 10)])
	}
	get(t, "/v1/health", nil)
	for pid := range healthPIDs(t) {
		if old[pid] {
			t.Errorf("instance %d from before the reload still serves", pid)
		}
	}
}

func healthPIDs(t *testing.T) map[int]bool {
	t.Helper()
	var out struct {
		Functions []struct {
			Name      string `json:"name"`
			Instances []struct {
				PID int `json:"pid"`
			} `json:"instances"`
		} `json:"functions"`
	}
	get(t, "/_local/functions", &out)
	pids := map[int]bool{}
	for _, f := range out.Functions {
		if f.Name == "health-api" {
			for _, i := range f.Instances {
				pids[i.PID] = true
			}
		}
	}
	return pids
}

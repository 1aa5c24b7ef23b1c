package local_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

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
	var wg sync.WaitGroup
	failures := make(chan int, 100)
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Get(cloud.APIURL + "/v1/health")
			if err != nil {
				failures <- -1
				continue
			}
			if resp.StatusCode != 200 {
				failures <- resp.StatusCode
			}
			resp.Body.Close()
		}
	}()
	affected, err := cloud.Rebuild([]string{"shared/health"})
	close(stop)
	wg.Wait()
	close(failures)
	if err != nil || fmt.Sprint(affected) != "[health-api record-heartbeat]" {
		t.Fatalf("Rebuild = %v, %v", affected, err)
	}
	for f := range failures {
		t.Errorf("a call during the reload failed: %d", f)
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

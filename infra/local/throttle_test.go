package local_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRoutesAreThrottledAsTheStackConfigures hammers the sign-in route (the
// topology throttles it to 5/s, burst 10): past the burst the gateway answers
// 429 in the error contract with Retry-After, as API Gateway would, and
// requests pass again once the bucket refills.
func TestRoutesAreThrottledAsTheStackConfigures(t *testing.T) {
	defer time.Sleep(2500 * time.Millisecond) // leave the bucket full for later tests
	// The 30 requests go at once, so they reach the gateway within a few
	// milliseconds however slow each sign-in is on a busy machine (one
	// after another, each taking over 200 ms, the bucket would refill
	// between them).
	var (
		mu      sync.Mutex
		limited int
		wg      sync.WaitGroup
	)
	for range 30 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", cloud.APIURL+"/admin/login", strings.NewReader("token=wrong"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				mu.Lock()
				limited++
				mu.Unlock()
				if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"code":"rate_limited"`) {
					t.Errorf("429 without Retry-After or the error contract: %v %s", resp.Header, body)
				}
			}
		})
	}
	wg.Wait()
	if limited < 15 {
		t.Errorf("%d of 30 simultaneous sign-ins were throttled, want at least 15 (burst 10)", limited)
	}
	time.Sleep(1200 * time.Millisecond)
	resp, err := http.Post(cloud.APIURL+"/admin/login", "application/x-www-form-urlencoded", strings.NewReader("token=wrong"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.Error("still throttled after the bucket refilled")
	}
}

// TestTheLogScanFindsSecrets checks the end-of-run log scan (see TestMain)
// would catch a token or the admin token if a function logged one.
func TestTheLogScanFindsSecrets(t *testing.T) {
	dir := t.TempDir()
	u := register(t)
	for name, line := range map[string]string{"a.log": `{"msg":"request","auth":"Bearer ` + u.Token + `"}`, "b.log": "admin " + cloud.AdminToken()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if leaks := secretsInLogs(dir); len(leaks) != 2 {
		t.Errorf("the scan found %v, want the token and the admin token", leaks)
	}
}

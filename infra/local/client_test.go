package local_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// npx runs a tool pinned in package.json from the project's node_modules
// (make tools installs them; nothing is fetched).
func npx(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("npx", append([]string{"--no-install"}, args...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npx %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestTheCommittedTypeScriptClientIsCurrent regenerates the client's types
// from openapi.json as make client does: a spec change without make client
// fails here.
func TestTheCommittedTypeScriptClientIsCurrent(t *testing.T) {
	fresh := filepath.Join(t.TempDir(), "schema.d.ts")
	npx(t, "openapi-typescript", "infra/topology/openapi.json", "-o", fresh)
	want, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "clients", "typescript", "schema.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("clients/typescript/schema.d.ts is stale: run make client and commit it")
	}
}

// TestTheTypeScriptClientRunsAnAppSession compiles the typed client and its
// scenario with the pinned tsc, then runs the scenario with Node against the
// local cloud through a proxy that checks every exchange against the spec:
// register, read the feed, send events, read the inbox, refresh the token,
// read the profile with the new one, and see a reused refresh token refused.
func TestTheTypeScriptClientRunsAnAppSession(t *testing.T) {
	out := filepath.Join(root, "build", "clients", "typescript-"+strings.ReplaceAll(t.Name(), "/", "-")+"-"+time.Now().Format("150405.000000"))
	t.Cleanup(func() { os.RemoveAll(out) })
	npx(t, "tsc", "-p", "clients/typescript", "--outDir", out)
	if err := os.WriteFile(filepath.Join(out, "package.json"), []byte(`{"type":"module"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	api, err := url.Parse(cloud.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(api)
	proxy.Transport = checked(nil)
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		t.Errorf("%s %s: %v", r.Method, r.URL.Path, err)
		w.WriteHeader(http.StatusBadGateway)
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	rankedFeed(t, "top", 1) // the feed has items to read

	cmd := exec.Command("node", filepath.Join(out, "scenario.js"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "KIOSK_API_URL="+srv.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node scenario.js: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var got struct {
		UserID        string `json:"user_id"`
		FeedItems     int    `json:"feed_items"`
		Accepted      int    `json:"accepted"`
		Duplicates    int    `json:"duplicates"`
		Notifications *int   `json:"notifications"`
		Refreshed     bool   `json:"refreshed"`
		Me            string `json:"me"`
		Reused        string `json:"reused_refresh_token"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("the scenario printed %q: %v", stdout.String(), err)
	}
	switch {
	case got.UserID == "" || got.Me != got.UserID || !got.Refreshed:
		t.Errorf("the refreshed token does not read the same user's profile: %+v", got)
	case got.FeedItems == 0:
		t.Errorf("the feed was empty: %+v", got)
	case got.Accepted != 3 || got.Duplicates != 0:
		t.Errorf("events: %d accepted, %d duplicates; want 3 and 0", got.Accepted, got.Duplicates)
	case got.Notifications == nil:
		t.Errorf("no inbox read: %+v", got)
	case !strings.Contains(got.Reused, "401"):
		t.Errorf("a reused refresh token: %q, want a 401", got.Reused)
	}
	t.Logf("scenario: %s", strings.TrimSpace(stdout.String()))
}

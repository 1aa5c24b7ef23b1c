package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/events"
	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/openapi"
	"github.com/kiosk-news/kiosk/shared/kiosk"
	"github.com/kiosk-news/kiosk/shared/platform/awsenv"
	"github.com/kiosk-news/kiosk/shared/platform/bus"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
	"github.com/kiosk-news/kiosk/shared/platform/httpapi"
)

var (
	root  string
	dist  string
	cloud *local.Cloud
	// conformance checks every exchange of the suite's clients against
	// infra/topology/openapi.json; a violation fails the request's test and
	// the run.
	conformance *openapi.Conformance
)

// checked wraps a transport (nil: the default) with the contract check.
func checked(rt http.RoundTripper) http.RoundTripper { return conformance.Transport(rt) }

// TestMain builds the functions with the project's own build command into a
// temporary dist and boots one local cloud for the package's tests.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if root, err = dynamotest.Root(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "kiosk-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	dist = filepath.Join(tmp, "dist")
	if conformance, err = openapi.NewConformance(filepath.Join(root, "infra", "topology", "openapi.json")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Every test request comes from its own address, as app installs do: the
	// per-client limits count public requests by source address.
	http.DefaultClient = &http.Client{Transport: checked(local.ManyClients())}
	build := exec.Command("go", "run", "./infra/cmd/build", "-out", dist)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		return 1
	}
	// KIOSK_TEST_DUPLICATES=on reruns the suite with every bus event delivered
	// twice and out of order: every consumer must be idempotent.
	cloud, err = local.Start(context.Background(), local.Config{
		Root: root, Dist: dist, Backoff: 20 * time.Millisecond, Console: io.Discard, LogDir: filepath.Join(tmp, "logs"),
		Duplicates: os.Getenv("KIOSK_TEST_DUPLICATES") == "on",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the local cloud:", err)
		return 1
	}
	defer cloud.Close()
	code := m.Run()
	exchanges, kinds := conformance.Counts()
	if v := conformance.Violations(); len(v) > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d exchanges break infra/topology/openapi.json:\n%s\n", len(v), exchanges, strings.Join(v, "\n"))
		return 1
	}
	if testing.Verbose() {
		left, all := conformance.Unexercised(), len(conformance.Spec.Documented())
		fmt.Printf("conformance: %d exchanges (%d kinds of method, path and status), all matching infra/topology/openapi.json, showed %d of its %d documented (operation, status) pairs; not shown: %s\n",
			exchanges, kinds, all-len(left), all, strings.Join(left, ", "))
	}
	if leaks := secretsInLogs(filepath.Join(tmp, "logs")); len(leaks) > 0 {
		fmt.Fprintln(os.Stderr, "secrets or tokens in the logs:\n"+strings.Join(leaks, "\n"))
		return 1
	}
	return code
}

var tokenShape = regexp.MustCompile(`v1\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}|s1\.\d{9,}\.[A-Za-z0-9_-]{10,}|r1\.[A-Za-z0-9_-]{43}`)

// secretsInLogs scans every function's log of the whole run (every test's
// requests, the bad-input corpus included) for the admin token, the signing
// key, and anything shaped like a user access or refresh token or a console
// session.
func secretsInLogs(dir string) []string {
	var leaks []string
	secrets := []string{cloud.AdminToken(), cloud.SecretValue("token-signing")}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, s := range secrets {
				if s != "" && strings.Contains(line, s) {
					leaks = append(leaks, fmt.Sprintf("%s:%d: a secret", filepath.Base(path), i+1))
				}
			}
			if tokenShape.MatchString(line) {
				leaks = append(leaks, fmt.Sprintf("%s:%d: a token: %.160s", filepath.Base(path), i+1, line))
			}
		}
		return nil
	})
	return leaks
}

func get(t *testing.T, path string, v any) *http.Response {
	t.Helper()
	return do(t, "GET", path, nil, v)
}

func do(t *testing.T, method, path string, body io.Reader, v any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, cloud.APIURL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp
}

type healthReport struct {
	Status        string `json:"status"`
	Heartbeat     string `json:"heartbeat"`
	LastHeartbeat *struct {
		Run     string `json:"run"`
		EventID string `json:"event_id"`
	} `json:"last_heartbeat"`
}

type invocation struct {
	ID       string `json:"id"`
	Function string `json:"function"`
	Trigger  string `json:"trigger"`
	Status   string `json:"status"`
	Cold     bool   `json:"cold"`
}

func invocations(t *testing.T, fn string) []invocation {
	t.Helper()
	var out struct {
		Invocations []invocation `json:"invocations"`
	}
	get(t, "/_local/invocations?function="+fn, &out)
	return out.Invocations
}

// invocationsAfter lists fn's invocations newer than mark (lastInvocation).
// The host keeps the last 5,000 invocations of every function together, so
// a function's count can drop while it runs (the suite's load tests alone
// pass 5,000): "more than before" is told by the invocation's number, never
// by a count.
func invocationsAfter(t *testing.T, fn string, mark int) []invocation {
	t.Helper()
	var out []invocation
	for _, i := range invocations(t, fn) {
		if n, err := strconv.Atoi(i.ID); err == nil && n > mark {
			out = append(out, i)
		}
	}
	return out
}

// lastInvocation is the number of the newest invocation recorded so far.
func lastInvocation(t *testing.T) int {
	t.Helper()
	last := 0
	for _, i := range invocations(t, "") {
		if n, err := strconv.Atoi(i.ID); err == nil {
			last = max(last, n)
		}
	}
	return last
}

// eventually polls cond for up to 15 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestHealthAnswers(t *testing.T) {
	var r healthReport
	resp := get(t, "/v1/health", &r)
	if resp.StatusCode != 200 || r.Status != "ok" {
		t.Fatalf("GET /v1/health = %d %+v, want 200 ok", resp.StatusCode, r)
	}
	if resp.Header.Get("Apigw-Requestid") == "" || resp.Header.Get("X-Request-Id") != resp.Header.Get("Apigw-Requestid") {
		t.Errorf("the function should see the gateway's request id: apigw %q, function %q",
			resp.Header.Get("Apigw-Requestid"), resp.Header.Get("X-Request-Id"))
	}
}

func TestGatewayErrorsFollowTheContract(t *testing.T) {
	cases := []struct {
		name, method, path string
		body               io.Reader
		status             int
		code               string
	}{
		{"an unknown route", "GET", "/v1/nothing-here", nil, 404, kiosk.ENOTFOUND},
		{"an unknown version", "GET", "/v2/health", nil, 404, kiosk.ENOTFOUND},
		{"a wrong method", "DELETE", "/v1/health", nil, 405, kiosk.EMETHOD},
		{"a body over API Gateway's 10 MB", "GET", "/v1/health", bytes.NewReader(make([]byte, local.MaxPayload+1)), 413, kiosk.ETOOLARGE},
		// Under API Gateway's 10 MB but over Lambda's 6 MB invocation payload:
		// API Gateway answers 413 for Lambda's refusal (once a 500 here).
		{"a body over Lambda's 6 MB payload", "GET", "/v1/health", bytes.NewReader(bytes.Repeat([]byte("a"), 7<<20)), 413, kiosk.ETOOLARGE},
	}
	for _, c := range cases {
		t.Run(c.name+" gets "+strconv.Itoa(c.status), func(t *testing.T) {
			var e httpapi.ErrorBody
			resp := do(t, c.method, c.path, c.body, &e)
			if resp.StatusCode != c.status || e.Error.Code != c.code || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, e, c.status, c.code)
			}
			if e.Error.RequestID == "" || e.Error.RequestID != resp.Header.Get("Apigw-Requestid") {
				t.Errorf("request_id %q does not match the response's %q", e.Error.RequestID, resp.Header.Get("Apigw-Requestid"))
			}
		})
	}
}

// publisher is the functions' own publisher, pointed at the local bus the way
// the local cloud points functions at it: through the environment.
func publisher(t *testing.T) *bus.Publisher { return publisherAs(t, events.SourcePlatform) }

// publisherAs publishes as the given source (kiosk.<domain>).
func publisherAs(t *testing.T, source string) *bus.Publisher {
	t.Helper()
	t.Setenv("AWS_REGION", local.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", cloud.BusURL)
	t.Setenv(contract.BusEnv, cloud.BusName())
	cfg, err := awsenv.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bus.New(bus.Client(cfg), cloud.BusName(), source)
}

func TestAPublishedEventReachesItsRuleTarget(t *testing.T) {
	run := "e2e-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	err := publisher(t).Publish(context.Background(), bus.Event{
		DetailType: events.HeartbeatType,
		Detail:     events.Heartbeat{Run: run, At: time.Now().Add(time.Hour)}, // newer than any schedule run
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the heartbeat to reach /v1/health", func() bool {
		var r healthReport
		get(t, "/v1/health", &r)
		return r.LastHeartbeat != nil && r.LastHeartbeat.Run == run
	})
	// The host records an invocation once the function has answered, a moment
	// after the function's write is visible.
	eventually(t, "a successful rule:on-heartbeat invocation recorded", func() bool {
		for _, i := range invocations(t, "record-heartbeat") {
			if i.Trigger == "rule:on-heartbeat" && i.Status == "ok" {
				return true
			}
		}
		return false
	})
}

func TestAScheduleRunsNowAndItsEventIsDelivered(t *testing.T) {
	before := lastInvocation(t)
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	resp := do(t, "POST", "/_local/schedules/heartbeat/run", nil, &out)
	if resp.StatusCode != 200 || out.Status != "ok" {
		t.Fatalf("run now = %d %+v", resp.StatusCode, out)
	}
	eventually(t, "record-heartbeat to consume the scheduled run's event", func() bool {
		return len(invocationsAfter(t, "record-heartbeat", before)) > 0
	})

	var e httpapi.ErrorBody
	if resp := do(t, "POST", "/_local/schedules/health-api/run", nil, &e); resp.StatusCode != 404 {
		t.Errorf("running a function with no schedule = %d, want 404", resp.StatusCode)
	}
}

func TestAFailingDeliveryIsRetriedThenDeadLettered(t *testing.T) {
	marker := "bad-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	// A detail the consumer's type refuses: every attempt fails. (The local bus
	// refuses it at PutEvents, so it is handed to the rule target directly.)
	bad := fmt.Sprintf(`{"version":"0","id":"%s","detail-type":"platform.heartbeat","source":"kiosk.platform","account":"%s",`+
		`"time":"2026-11-25T10:00:00Z","region":"%s","resources":[],"detail":{"run":"%s","at":"not a time"}}`, marker, local.Account, local.Region, marker)
	cloud.Deliver("record-heartbeat", "rule:on-heartbeat", []byte(bad))
	type deadLetter struct {
		Function string          `json:"function"`
		Attempts int             `json:"attempts"`
		Event    json.RawMessage `json:"event"`
	}
	var found *deadLetter
	eventually(t, "a dead letter", func() bool {
		var out struct {
			DeadLetters []deadLetter `json:"dead_letters"`
		}
		get(t, "/_local/dead-letters", &out)
		for _, d := range out.DeadLetters {
			if strings.Contains(string(d.Event), marker) {
				found = &d
				return true
			}
		}
		return false
	})
	if found.Function != "record-heartbeat" || found.Attempts != 3 {
		t.Errorf("dead letter = %+v, want record-heartbeat after 3 attempts", found)
	}
}

func TestOverlappingCallsGetTheirOwnInstances(t *testing.T) {
	const n = 6
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(cloud.APIURL + "/v1/health")
			if err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	if pids := healthPIDs(t); len(pids) < 2 {
		t.Errorf("health-api has %d instance(s) after %d overlapping calls, want several", len(pids), n)
	}
}

func TestPutEventsRefusesWhatEventBridgeRefuses(t *testing.T) {
	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", cloud.BusURL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	entry := `{"Source":"kiosk.platform","DetailType":"platform.heartbeat","Detail":"{\"run\":\"r\",\"at\":\"2026-11-25T10:00:00Z\"}"}`
	if status, _ := post(`{"Entries":[` + strings.TrimSuffix(strings.Repeat(entry+",", 11), ",") + `]}`); status != 400 {
		t.Errorf("11 entries: status %d, want 400", status)
	}
	for name, bad := range map[string]string{
		"a malformed detail":          `{"Source":"kiosk.platform","DetailType":"platform.heartbeat","Detail":"not json"}`,
		"a detail failing its schema": `{"Source":"kiosk.platform","DetailType":"platform.heartbeat","Detail":"{\"run\":1}"}`,
		"a type not in the catalogue": `{"Source":"kiosk.platform","DetailType":"platform.unknown","Detail":"{}"}`,
		"a type from another source":  `{"Source":"kiosk.users","DetailType":"platform.heartbeat","Detail":"{\"run\":\"r\",\"at\":\"2026-11-25T10:00:00Z\"}"}`,
	} {
		status, m := post(`{"Entries":[` + bad + `,` + entry + `]}`)
		if status != 200 || m["FailedEntryCount"].(float64) != 1 {
			t.Errorf("%s: %d %v, want exactly that entry refused", name, status, m)
		}
	}
}

// TestDevStopsEveryChildOnInterrupt runs `make dev`'s binary, lets it start
// dynalite and function instances, sends Ctrl-C and checks no process is left.
func TestDevStopsEveryChildOnInterrupt(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "kiosk-dev")
	build := exec.Command("go", "build", "-o", bin, "./infra/cmd/dev")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build dev: %v\n%s", err, out)
	}
	// A root of its own whose dist is the test's build.
	for _, name := range []string{"go.mod", "go.sum", "node_modules"} {
		if err := os.Symlink(filepath.Join(root, name), filepath.Join(tmp, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(dist, filepath.Join(tmp, "dist")); err != nil {
		t.Fatal(err)
	}
	// dev picks its own port (KIOSK_PORT=0) and prints it: a port picked
	// here and closed would be free for anyone until dev binds it, seconds
	// later, after dynalite is up.
	cmd := exec.Command(bin)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "KIOSK_PORT=0", "KIOSK_SCHEDULES=off")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill() // its children die with it (Pdeathsig)
		if t.Failed() {
			t.Logf("dev's output:\n%s", out.String())
		}
	}()
	printed := regexp.MustCompile(`HTTP API +(http://127\.0\.0\.1:\d+) `)
	var url string
	eventually(t, "make dev to print its URL", func() bool {
		m := printed.FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	eventually(t, "make dev's /v1/health", func() bool {
		resp, err := http.Get(url + "/v1/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if resp, err := http.Post(url+"/_local/schedules/heartbeat/run", "", nil); err == nil {
		resp.Body.Close()
	}
	pids := descendants(cmd.Process.Pid)
	if len(pids) < 3 {
		t.Fatalf("expected dynalite and emulator processes under dev, found %v", pids)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("dev did not stop on Ctrl-C:\n%s", out.String())
	}
	eventually(t, "every child to exit", func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	})
	if !strings.Contains(out.String(), "/v1/health") {
		t.Errorf("dev did not print its URLs:\n%s", out.String())
	}
}

// lockedBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// descendants lists every process below pid, from /proc.
func descendants(pid int) []int {
	var out []int
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	for _, f := range strings.Fields(string(raw)) {
		child, _ := strconv.Atoi(f)
		out = append(out, child)
		out = append(out, descendants(child)...)
	}
	// Threads other than the main one can be parents too.
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		if task.Name() == strconv.Itoa(pid) {
			continue
		}
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(raw)) {
			child, _ := strconv.Atoi(f)
			out = append(out, child)
			out = append(out, descendants(child)...)
		}
	}
	return out
}

// alive is true for a live process; a zombie waiting to be reaped is dead.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

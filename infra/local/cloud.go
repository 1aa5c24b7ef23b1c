// Package local is Kiosk's local cloud: dynalite for DynamoDB, the real
// bootstrap binaries under the Lambda runtime interface emulator, an HTTP API
// (payload 2.0) gateway, an EventBridge bus with rules, schedules and dead
// letters, and a small /_local/ control API. Everything is built from the
// topology, the same description the CDK stack reads. Nothing here is deployed.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/article/samplefeeds"
	"github.com/kiosk-news/kiosk/shared/platform/clock"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// Config configures the local cloud. Zero values take the defaults below.
type Config struct {
	Root        string          // repository root: dist/ and node_modules/ live here
	Dist        string          // built functions (default <Root>/dist)
	Port        int             // HTTP API port; 0 picks a free one
	DataDir     string          // persist DynamoDB here; empty means in memory
	Schedules   bool            // fire schedules on the real clock
	AdminToken  string          // local admin credential
	FetchAllow  string          // the developer's KIOSK_FETCH_ALLOW; the sample-feed server is added
	NoSamples   bool            // skip registering and ingesting the sample feeds
	Watch       bool            // live reload: rebuild and swap functions whose sources change
	Duplicates  bool            // deliver every bus event twice, the copy late (at-least-once, out of order)
	MaxInstance int             // instances per function (default 10)
	IdleTimeout time.Duration   // stop idle instances after (default 5m)
	Attempts    int             // async delivery attempts before a dead letter (default 3)
	Backoff     time.Duration   // first retry delay (default 1s), doubling
	Console     io.Writer       // readable log lines (default stdout)
	Topology    *topology.Cloud // the cloud to run (default topology.Kiosk(); tests run smaller ones)
	LogDir      string          // full logs per function (default <Root>/.kiosk/logs)
	// TTLDelay is how long after its expiry (on the cloud's clock) an item of
	// a table with a TTL attribute is deleted, as DynamoDB does late
	// (default DefaultTTLDelay); TTLImmediate deletes at the next sweep after
	// expiry, for tests.
	TTLDelay     time.Duration
	TTLImmediate bool
	// TTLEvery is how often, in real time, the background sweep looks for
	// expired items (default DefaultTTLEvery); negative: never in the
	// background, only when the clock moves or SweepTTL is called. A sweep
	// scans every table with a TTL attribute, so its cost grows with the
	// tables: make scale, whose million readers take a sweep some 13 s,
	// turns it off (DynamoDB's own TTL takes no table throughput).
	TTLEvery time.Duration
}

// Cloud is a running local cloud.
type Cloud struct {
	Topology  topology.Cloud
	APIURL    string
	BusURL    string
	DynamoURL string // dynalite itself
	LogDir    string
	faults    faultState
	meter     meter

	functionDynamoURL string // what functions get: dynalite behind the grant check

	cfg      Config
	dynalite *dynalite.Dynalite
	dynLog   io.WriteCloser
	host     *Host
	bus      *Bus
	sched    *scheduler
	servers  []*http.Server
	clock    *virtualClock
	logs     *logSink
	stop     context.CancelFunc
	secrets  *secretsManager
	ttl      *ttlSweeper
	// background is cancelled by Close.
	background context.Context
}

// SecretValue is a declared secret's local value (for tests that mint tokens).
func (c *Cloud) SecretValue(name string) string { return c.secrets.values[c.SecretID(name)] }

// TableName is a table's physical name in the local cloud.
func (c *Cloud) TableName(logical string) string { return c.Topology.Name + "-" + logical }

// SecretID names a secret locally; the local Secrets Manager answers for it
// (the admin token is KIOSK_ADMIN_TOKEN, other secrets are random per start).
func (c *Cloud) SecretID(name string) string { return c.Topology.Name + "/" + name }

// BusName is the local event bus's name.
func (c *Cloud) BusName() string { return c.Topology.Name + "-bus" }

// Start boots the whole local cloud; Close stops every process it started.
func Start(ctx context.Context, cfg Config) (_ *Cloud, err error) {
	if cfg.MaxInstance == 0 {
		cfg.MaxInstance = 10
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Dist == "" {
		cfg.Dist = filepath.Join(cfg.Root, "dist")
	}
	// Instances run in their own folders: every path they get is absolute.
	for _, p := range []*string{&cfg.Root, &cfg.Dist, &cfg.LogDir} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	if cfg.Console == nil {
		cfg.Console = os.Stdout
	}
	if cfg.LogDir == "" {
		cfg.LogDir = filepath.Join(cfg.Root, ".kiosk", "logs")
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = RandomToken()
	}
	cloud := topology.Kiosk()
	if cfg.Topology != nil {
		cloud = *cfg.Topology
	}
	if err := cloud.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		return nil, err
	}
	c := &Cloud{Topology: cloud, cfg: cfg, LogDir: cfg.LogDir, clock: &virtualClock{}}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	logs := &logSink{dir: cfg.LogDir, out: cfg.Console}
	c.logs = logs
	samples, err := samplefeeds.New(time.Now())
	if err != nil {
		return nil, err
	}

	rie, err := rieBinary(cfg.Root)
	if err != nil {
		return nil, err
	}
	c.dynLog = logs.writer("dynalite")
	if c.dynalite, err = dynalite.Start(cfg.Root, cfg.DataDir, c.dynLog); err != nil {
		return nil, err
	}
	c.DynamoURL = c.dynalite.URL
	if err := dynalite.CreateTables(ctx, dynalite.Client(c.DynamoURL), cloud.Tables, c.TableName); err != nil {
		return nil, err
	}
	delay := cfg.TTLDelay
	if delay == 0 {
		delay = DefaultTTLDelay
	}
	if cfg.TTLImmediate {
		delay = 0
	}
	c.ttl = newTTLSweeper(dynalite.Client(c.DynamoURL), cloud, c.TableName, c.clock.Now, delay)
	guard, err := newDynamoGuard(cloud, c.DynamoURL, c.TableName)
	if err != nil {
		return nil, err
	}
	guard.faults = &c.faults
	guard.meter = &c.meter
	guardLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.serve(guardLn, guard, 0)
	c.functionDynamoURL = "http://" + guardLn.Addr().String()

	busLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.BusURL = "http://" + busLn.Addr().String()
	apiLn, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.Port))
	if err != nil {
		busLn.Close()
		return nil, fmt.Errorf("HTTP API port: %w", err)
	}
	c.APIURL = "http://" + apiLn.Addr().String()

	secrets := &secretsManager{values: map[string]string{}, allowed: map[string][]string{}}
	for _, f := range cloud.Functions {
		for _, sc := range f.Secrets {
			secrets.allowed[f.Name] = append(secrets.allowed[f.Name], c.SecretID(sc))
		}
	}
	c.secrets = secrets
	for _, sc := range cloud.Secrets {
		v := RandomToken()
		if sc.Name == topology.AdminTokenSecret {
			v = cfg.AdminToken
		}
		secrets.values[c.SecretID(sc.Name)] = v
	}
	c.host = newHost(cloud, HostConfig{
		RIE: rie, Dist: cfg.Dist, Env: c.functionEnv,
		MaxInstances: cfg.MaxInstance, IdleTimeout: cfg.IdleTimeout, Logs: logs,
	})
	c.bus = newBus(cloud, c.BusName(), c.host, cfg.Attempts, cfg.Backoff, logs)
	c.bus.duplicates = cfg.Duplicates
	c.bus.faults = &c.faults
	c.host.faults = &c.faults
	c.bus.now = c.clock.Now
	c.sched = startScheduler(cloud, c.bus, c.clock, cfg.Schedules)

	// Background work (sample announcing, live reload, TTL sweeps) ends
	// when the cloud closes.
	c.background, c.stop = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	c.control(mux)
	mux.Handle("GET /_local/samples/{file}", samples)
	mux.HandleFunc("GET /_local/feeds/{name}", generatedFeed)
	apiDocs := docs(cfg.Root)
	mux.Handle("GET "+DocsPath, apiDocs)
	mux.Handle("GET "+DocsPath+"/", apiDocs)
	gw := newGateway(cloud, c.host)
	gw.now = c.clock.Now
	mux.Handle("/", gw)
	c.serve(apiLn, api(mux, gw), MaxHeaderBytes)
	c.serve(busLn, &awsEndpoint{bus: c.bus, secrets: secrets}, 0)
	if !cfg.NoSamples {
		if err := c.seedSamples(ctx); err != nil {
			return nil, err
		}
	}
	wctx := c.background
	if !cfg.NoSamples {
		go c.announceSamples(wctx)
	}
	if cfg.Watch {
		go c.watch(wctx)
	}
	every := cfg.TTLEvery
	if every == 0 {
		every = DefaultTTLEvery
	}
	go c.ttl.run(wctx, every)
	return c, nil
}

// MaxHeaderBytes is API Gateway's HTTP API quota on the request line and
// headers together (10240 bytes, not adjustable); net/http answers a larger
// request 431 (it allows itself 4 KiB of slack over the figure).
const MaxHeaderBytes = 10240

// api serves the local tools' paths through mux and everything else through
// the gateway. An unclean path (//v1/health, /v1//health, /v1/a/../health)
// goes to the gateway as sent: ServeMux would redirect it to the clean one,
// API Gateway matches it against the routes as it is (no route: a 404).
func api(mux *http.ServeMux, gw http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.EscapedPath(); p != "" && path.Clean(p) != p && path.Clean(p)+"/" != p {
			gw.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (c *Cloud) serve(ln net.Listener, h http.Handler, maxHeader int) {
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: maxHeader}
	c.servers = append(c.servers, s)
	go func() { _ = s.Serve(ln) }()
}

// functionEnv is the environment a function instance gets: what the topology
// declares, the local endpoints, a region and dummy credentials — and nothing
// from the developer's shell, as on Lambda.
func (c *Cloud) functionEnv(f topology.Function) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"TZ=UTC",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + functionKeyPrefix + f.Name,
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_DYNAMODB=" + c.functionDynamoURL,
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + c.BusURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + c.BusURL,
		"AWS_ENDPOINT_URL_LAMBDA=" + c.BusURL,
		"AWS_ENDPOINT_URL_SQS=" + c.BusURL,
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		clock.OffsetEnv + "=" + strconv.FormatInt(int64(c.clock.Offset()), 10),
	}
	for k, v := range c.Topology.FunctionEnv(f, c.TableName, c.SecretID, c.BusName()) {
		switch k {
		case contract.FetchAllowEnv:
			v = strings.Trim(c.cfg.FetchAllow+","+strings.TrimPrefix(c.APIURL, "http://"), ",")
		case contract.PublicAPIEnv:
			v = c.APIURL
		}
		env = append(env, k+"="+v)
	}
	if f.Operator {
		env = append(env, topology.OperationsEnv+"="+c.operations())
	}
	return env
}

// operations is OperationsEnv locally: functions are invoked by name, and
// each asynchronous function's dead letters are a queue on the local AWS
// endpoint.
func (c *Cloud) operations() string {
	ops := contract.Operations{Functions: map[string]string{}, Queues: map[string]string{}, Batches: c.Topology.BatchList()}
	for _, f := range c.Topology.Functions {
		if f.Async() {
			ops.Functions[f.Name] = f.Name
			ops.Queues[f.Name] = c.BusURL + "/queue/" + f.Name + "-dlq"
		}
	}
	b, _ := json.Marshal(ops)
	return string(b)
}

// Now is the local cloud's (possibly virtual) time.
func (c *Cloud) Now() time.Time { return c.clock.Now() }

// MoveClock sets the virtual clock to t. Moving forward fires every schedule
// due in between, in order; every function's instances are swapped so they see
// the new time. It returns how many firings each function got.
// The TTL sweep runs before it returns, so what expired is gone.
func (c *Cloud) MoveClock(t time.Time) map[string]int {
	fired := c.moveClock(t)
	if _, err := c.SweepTTL(context.Background()); err != nil {
		c.logs.console("%-18s | ttl sweep after the clock moved: %v", "dynamodb", err)
	}
	return fired
}

// moveClockSweepLater moves the clock and starts a TTL sweep in the background, as
// POST /_local/clock does: expired items go a little later, as in DynamoDB,
// and the call does not wait for tens of thousands of deletes.
func (c *Cloud) moveClockSweepLater(t time.Time) map[string]int {
	fired := c.moveClock(t)
	go func() {
		if _, err := c.SweepTTL(c.background); err != nil && c.background.Err() == nil {
			c.logs.console("%-18s | ttl sweep after the clock moved: %v", "dynamodb", err)
		}
	}()
	return fired
}

func (c *Cloud) moveClock(t time.Time) map[string]int {
	fired := c.sched.moveTo(t)
	for _, f := range c.Topology.Functions {
		c.host.Swap(f.Name)
	}
	return fired
}

// SweepTTL deletes now what DynamoDB's TTL would have deleted by the cloud's
// clock (items expired more than the TTL delay ago), returning the deletions
// per table. The cloud also sweeps every 30 s and whenever the clock moves.
func (c *Cloud) SweepTTL(ctx context.Context) (map[string]int, error) { return c.ttl.sweep(ctx) }

// TTLDeleted is how many expired items the local cloud has deleted so far.
func (c *Cloud) TTLDeleted() int64 { return c.ttl.deleted.Load() }

// InvocationNow is the time on the clock invocations are stamped with (At):
// a caller selecting invocations by time compares with this, not time.Now.
func (c *Cloud) InvocationNow() time.Time { return c.host.Now() }

// InvocationsOf lists the recent invocations of one function.
func (c *Cloud) InvocationsOf(fn string) []Invocation {
	var out []Invocation
	for _, i := range c.host.Invocations() {
		if i.Function == fn {
			out = append(out, i)
		}
	}
	return out
}

// Quiesce makes the local cloud quiet for a test that compares tables before
// and after: it pauses background work (schedules firing on the clock, the
// start-up announcer run), then waits until no delivery (queued, invoking,
// waiting to retry, a duplicate not yet sent) and no invocation is in flight,
// by exact counts. Afterwards nothing writes unless the test asks (a request,
// a run now, a clock move, a delivery) — until Resume. Schedules that fall
// due meanwhile are skipped, as a disabled EventBridge schedule's are.
func (c *Cloud) Quiesce(ctx context.Context) error {
	if err := c.bus.quiesce(ctx); err != nil {
		return fmt.Errorf("quiesce: %d deliveries still in flight: %w", c.bus.busy(), err)
	}
	// A synchronous invocation (a gateway request, /_local/invoke) is not a
	// delivery; wait for those too, and for deliveries they start.
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for c.host.running.Load() > 0 || c.bus.busy() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("quiesce: %d invocations and %d deliveries still in flight: %w", c.host.running.Load(), c.bus.busy(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Resume lets background work (the schedules) run again after Quiesce.
func (c *Cloud) Resume() { c.bus.resume() }

// Deliver hands an event to a function asynchronously, as a rule target:
// retries, then a dead letter.
func (c *Cloud) Deliver(fn, trigger string, event []byte) {
	c.bus.Deliver(fn, trigger, event, Trace{Root: NewTraceRoot()})
}

// FunctionDynamoURL is the DynamoDB endpoint functions use: dynalite behind
// the check of each call against the caller's grants.
func (c *Cloud) FunctionDynamoURL() string { return c.functionDynamoURL }

// Close stops the servers, the scheduler, deliveries, every instance and dynalite.
func (c *Cloud) Close() {
	if c.stop != nil {
		c.stop()
	}
	for _, s := range c.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = s.Shutdown(ctx)
		cancel()
	}
	if c.sched != nil {
		c.sched.Close()
	}
	if c.bus != nil {
		c.bus.Close()
	}
	if c.host != nil {
		c.host.Close()
	}
	if c.dynalite != nil {
		c.dynalite.Close()
	}
	if c.dynLog != nil {
		c.dynLog.Close()
	}
}

// AdminToken is the local admin credential.
func (c *Cloud) AdminToken() string { return c.cfg.AdminToken }

// rieBinary builds (or finds in the build cache) the emulator pinned in go.mod.
func rieBinary(root string) (string, error) {
	cmd := exec.Command("go", "tool", "-n", "aws-lambda-rie")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go tool -n aws-lambda-rie: %v: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("go tool -n aws-lambda-rie: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// RandomToken returns a fresh random credential.
func RandomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Recycle stops fn's idle instances, so its next invocation is a cold start
// (the benchmark's cold-start figures).
func (c *Cloud) Recycle(fn string) { c.host.Swap(fn) }

// SetFaults sets the failures injected into functions' DynamoDB and
// EventBridge calls (the zero value turns them off) and returns how many
// were injected so far.
func (c *Cloud) SetFaults(f Faults) FaultCounts {
	c.faults.set(f)
	_, n := c.faults.get()
	return n
}

// Duplicated is how many deliveries were extra copies (Config.Duplicates).
func (c *Cloud) Duplicated() int64 { return c.bus.duplicated.Load() }

// Faults returns the injected failures and their counts.
func (c *Cloud) Faults() (Faults, FaultCounts) { return c.faults.get() }

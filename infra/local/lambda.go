package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// Errors an invocation can end with besides a function error.
var (
	ErrThrottled = errors.New("no instance free within the wait: throttled")
	ErrTimeout   = errors.New("function timed out")
	ErrCrashed   = errors.New("function runtime failed")
)

// Result is the outcome of one invocation.
type Result struct {
	Payload       []byte
	FunctionError string // errorType when the handler returned an error
	ErrorMessage  string
	Cold          bool
	Init          time.Duration // exec → first response, on a cold start
	// Duration is from the moment an instance took the call (a cold start's
	// init included) to its answer, as Lambda reports and bills it; Queued
	// is the wait for a free instance before that (past the function's
	// reserved concurrency or the host's instance limit), which Lambda does
	// not bill: a throttled invocation is all Queued.
	Duration time.Duration
	Queued   time.Duration
	answered time.Time // when the instance answered
}

// logFlushLimit bounds the wait for an invocation's log lines to land (a
// guard: the reader keeps up with any output).
const logFlushLimit = 10 * time.Second

// Invocation is a record of one invocation, for /_local/invocations.
type Invocation struct {
	ID         string    `json:"id"`
	Function   string    `json:"function"`
	Trigger    string    `json:"trigger"`
	Status     string    `json:"status"` // ok, error, timeout, throttled, crashed
	Cold       bool      `json:"cold"`
	InitMS     float64   `json:"init_ms,omitempty"`
	DurationMS float64   `json:"duration_ms"`         // from an instance taking the call to its answer (Result.Duration)
	QueuedMS   float64   `json:"queued_ms,omitempty"` // the wait for a free instance before it (Result.Queued)
	At         time.Time `json:"at"`                  // when an instance took the call (after QueuedMS)
	Error      string    `json:"error,omitempty"`
	Trace      string    `json:"trace,omitempty"`  // the X-Ray-style root id shared by everything one request caused
	Parent     string    `json:"parent,omitempty"` // the invocation whose PutEvents caused this one
}

// Trace carries a correlation id, X-Ray style: Root names the whole tree,
// Parent the invocation that caused this one.
type Trace struct{ Root, Parent string }

type traceKey struct{}

// WithTrace attaches a trace to the context of an invocation.
func WithTrace(ctx context.Context, t Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// NewTraceRoot makes an X-Ray-format root id: 1-<epoch hex>-<96 random bits>.
func NewTraceRoot() string {
	return fmt.Sprintf("1-%08x-%s", time.Now().Unix(), strings.ReplaceAll(newUUID(), "-", "")[:24])
}

// ParseTraceHeader reads "Root=…;Parent=…;Sampled=…".
func ParseTraceHeader(h string) Trace {
	var t Trace
	for _, part := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			t.Root = v
		case "Parent":
			t.Parent = v
		}
	}
	return t
}

// Host runs functions' real bootstrap binaries under the Lambda runtime
// interface emulator: one emulator process per instance, each serving one
// invocation at a time, started on demand and stopped when idle.
type Host struct {
	faults  *faultState
	rie     string
	dist    string
	baseEnv func(topology.Function) []string
	max     int
	idle    time.Duration
	wait    time.Duration
	logs    *logSink

	// running counts invocations in flight, whoever asked (gateway, bus,
	// control API), for Quiesce.
	running atomic.Int64

	stamps *stampClock // stamps invocation records

	mu      sync.Mutex
	pools   map[string]*pool
	history []Invocation
	seq     int
	stop    chan struct{}
	done    sync.WaitGroup
}

type pool struct {
	fn    topology.Function
	slots chan struct{} // one token per instance allowed to run
	mu    sync.Mutex
	idle  []*instance
	all   map[*instance]bool
	gen   int // bumped by Swap: older instances finish their call and stop
	// waiting counts invocations queued for a free instance (past the
	// function's concurrency or the host's instance limit).
	waiting atomic.Int32
}

type instance struct {
	gen      int
	cmd      *exec.Cmd
	url      string
	started  time.Time
	lastUsed time.Time
	used     int
	warm     bool
	exited   chan struct{}
	out      *logPipe // its output, on its way to the function's log
}

// HostConfig configures a Host.
type HostConfig struct {
	RIE          string // path of the aws-lambda-rie binary
	Dist         string // folder holding <function>/bootstrap
	Env          func(topology.Function) []string
	MaxInstances int           // per function
	IdleTimeout  time.Duration // stop instances idle this long
	Logs         *logSink
}

func newHost(cloud topology.Cloud, c HostConfig) *Host {
	h := &Host{rie: c.RIE, dist: c.Dist, baseEnv: c.Env, max: c.MaxInstances, idle: c.IdleTimeout,
		wait: 3 * time.Second, logs: c.Logs, pools: map[string]*pool{}, stop: make(chan struct{}), stamps: newStampClock(time.Now)}
	for _, f := range cloud.Functions {
		n := c.MaxInstances
		if f.Concurrency > 0 {
			n = f.Concurrency // reserved concurrency in AWS
		}
		h.pools[f.Name] = &pool{fn: f, slots: make(chan struct{}, n), all: map[*instance]bool{}}
	}
	h.done.Add(1)
	go h.reap()
	return h
}

// Invoke runs one invocation of fn with payload and records it.
func (h *Host) Invoke(ctx context.Context, fn, trigger string, payload []byte) (Result, error) {
	p, ok := h.pools[fn]
	if !ok {
		return Result{}, fmt.Errorf("unknown function %q", fn)
	}
	h.running.Add(1)
	defer h.running.Add(-1)
	tr, _ := ctx.Value(traceKey{}).(Trace)
	if tr.Root == "" {
		tr.Root = NewTraceRoot()
	}
	h.mu.Lock()
	h.seq++
	id := strconv.Itoa(h.seq)
	h.mu.Unlock()
	// The function gets the trace as Lambda does (Lambda-Runtime-Trace-Id), with
	// this invocation as the parent of whatever it publishes.
	header := fmt.Sprintf("Root=%s;Parent=%016s;Sampled=0", tr.Root, id)
	start := time.Now()
	res, err := h.invoke(ctx, p, payload, header, start)
	end := res.answered
	if end.IsZero() { // it never reached an instance
		end = time.Now()
	}
	res.Duration = end.Sub(start) - res.Queued
	h.record(id, fn, trigger, tr, h.stamps.stamp(start.Add(res.Queued)), h.stamps.stamp(end), res, err)
	return res, err
}

// stampClock stamps the readings of an invocation record: the wall time of
// one reading plus the monotonic time since, to the microsecond.
// time.Now reads the wall and monotonic clocks one after the other, so the
// wall times of two readings differ from their monotonic difference by up
// to tens of ms on a loaded machine (the process descheduled between the
// two reads): an invocation handed its slot a µs after the one before it
// answered could be recorded as beginning before that one ended, and the
// scale harness, counting invocations at once from the records, would see
// two where reserved concurrency allows one. Stamps from one reading keep
// the order the host saw.
type stampClock struct {
	mu    sync.Mutex
	bases []stampBase      // in the order taken; a reading is stamped from the last taken before it
	now   func() time.Time // time.Now (a test's wall clock)
}

// stampBase is a reading of the monotonic clock and the wall time stamps
// count from there.
type stampBase struct{ mono, wall time.Time }

func (b stampBase) at(t time.Time) time.Time {
	return b.wall.Add(t.Sub(b.mono).Truncate(time.Microsecond)).UTC()
}

func newStampClock(now func() time.Time) *stampClock {
	return &stampClock{bases: []stampBase{{time.Now(), now().Round(0)}}, now: now}
}

func (c *stampClock) stamp(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The monotonic clock stops while the machine sleeps (a laptop's lid
	// closed on make dev): stamps would lag the wall clock by the sleep.
	// Past a second behind, a new base is taken. Readings are stamped when
	// an invocation ends, not in the order they were taken, so each is
	// stamped from the base in force when it was taken: stamps never
	// decrease as readings advance, and only a span across the sleep grows.
	mono := time.Now()
	if wall := c.now().Round(0); wall.Sub(c.bases[len(c.bases)-1].at(mono)) > time.Second {
		c.bases = append(c.bases, stampBase{mono, wall})
	}
	i := len(c.bases) - 1
	for i > 0 && t.Before(c.bases[i].mono) {
		i--
	}
	return c.bases[i].at(t)
}

// Now is the time on the clock the invocation records are stamped with.
func (h *Host) Now() time.Time { return h.stamps.stamp(time.Now()) }

func (h *Host) invoke(ctx context.Context, p *pool, payload []byte, traceHeader string, start time.Time) (Result, error) {
	wait, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	p.waiting.Add(1)
	select {
	case p.slots <- struct{}{}:
		p.waiting.Add(-1)
	case <-wait.Done():
		p.waiting.Add(-1)
		return Result{Queued: time.Since(start)}, ErrThrottled
	}
	defer func() { <-p.slots }()

	inst, res := p.take(), Result{Queued: time.Since(start)}
	if inst == nil {
		// The generation is the one before the start: a swap (a rebuilt
		// bootstrap, a moved clock) while the instance starts may not be in
		// its binary or environment, so it is retired after its first call.
		p.mu.Lock()
		gen := p.gen
		p.mu.Unlock()
		var err error
		if inst, err = h.start(p.fn); err != nil {
			res.answered = time.Now()
			return res, fmt.Errorf("%w: start: %v", ErrCrashed, err)
		}
		p.mu.Lock()
		inst.gen = gen
		p.all[inst] = true
		p.mu.Unlock()
	}
	res.Cold = !inst.warm
	if h.faults != nil && h.faults.kill() {
		// A fault: the instance dies mid-invocation, as when Lambda's host
		// fails or the process runs out of memory.
		go func() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond); inst.kill() }()
	}
	out, err := inst.call(ctx, p.fn.Timeout, payload, traceHeader)
	res.answered = time.Now()
	// What the invocation logged (a crash's panic too) lands before it is
	// recorded and its answer passed on: a log line or metric read after the
	// answer is there. The wait is not the function's, so not its duration.
	inst.out.flush(logFlushLimit)
	if !inst.warm {
		res.Init = res.answered.Sub(inst.started)
		inst.warm = true
	}
	inst.used++
	inst.lastUsed = time.Now()
	p.mu.Lock()
	stale := inst.gen != p.gen
	p.mu.Unlock()
	if err != nil || stale {
		// Lambda replaces an environment after a timeout or a crash; a swapped
		// function's old instances stop after their last call.
		h.retire(p, inst)
		if err != nil {
			return res, err
		}
	} else {
		p.put(inst)
	}
	res.Payload = out
	var fe struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	if isErrorPayload(out) && json.Unmarshal(out, &fe) == nil {
		res.FunctionError, res.ErrorMessage = fe.Type, fe.Message
		if res.FunctionError == "" {
			res.FunctionError = "Error"
		}
	}
	return res, nil
}

// isErrorPayload recognises the {"errorMessage","errorType"[,"stackTrace"]}
// object a runtime reports to /error; the emulator returns it with status 200.
func isErrorPayload(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	if _, ok := m["errorMessage"]; !ok {
		return false
	}
	for k := range m {
		switch k {
		case "errorMessage", "errorType", "stackTrace", "cause":
		default:
			return false
		}
	}
	return true
}

func (p *pool) take() *instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		i := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		select {
		case <-i.exited:
			delete(p.all, i)
			continue
		default:
		}
		return i
	}
	return nil
}

func (p *pool) put(i *instance) {
	p.mu.Lock()
	p.idle = append(p.idle, i)
	p.mu.Unlock()
}

func (h *Host) retire(p *pool, i *instance) {
	p.mu.Lock()
	delete(p.all, i)
	p.mu.Unlock()
	i.kill()
}

// start starts an instance of f. Its two ports are free when picked, but
// can be taken before the emulator binds them — by another process (a
// parallel test package's cloud) or as the local port of a connection any
// process opens (the kernel hands those out from the same range) — and the
// emulator then exits without listening: the start is tried again on new
// ports, up to dynalite.StartTries times in all.
func (h *Host) start(f topology.Function) (*instance, error) {
	for try := 1; ; try++ {
		i, err := h.startOnce(f)
		if !errors.Is(err, dynalite.ErrExitedEarly) || try == dynalite.StartTries {
			return i, err
		}
		h.logs.console("%-18s | the emulator exited before it listened (a port taken?); starting again", f.Name)
	}
}

// pickPort picks a free loopback port for an instance (a variable for the
// test that hands out a taken one).
var pickPort = freePort

func (h *Host) startOnce(f topology.Function) (*instance, error) {
	riePort, err := pickPort()
	if err != nil {
		return nil, err
	}
	apiPort, err := pickPort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(h.dist, f.Name)
	bootstrap := filepath.Join(dir, "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("%s is missing; run make build", bootstrap)
	}
	cmd := exec.Command(h.rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(riePort),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--log-level", "error",
		bootstrap)
	cmd.Dir = dir
	cmd.Env = append(h.baseEnv(f),
		"AWS_LAMBDA_FUNCTION_NAME="+f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(f.Timeout.Seconds())),
	)
	out, err := h.logs.pipe(f.Name)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out.w, out.w // the bootstrap inherits them: its lines go straight into the pipe
	cmd.SysProcAttr = childAttrs()
	i := &instance{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", riePort),
		started: time.Now(), exited: make(chan struct{}), out: out}
	if err := cmd.Start(); err != nil {
		out.close()
		return nil, err
	}
	go func() { _ = cmd.Wait(); out.close(); close(i.exited) }()
	// Both ports: the emulator can listen for invocations, then find its
	// runtime API port taken and exit, failing the first call.
	for _, port := range []int{riePort, apiPort} {
		if err := waitListening(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second, i.exited); err != nil {
			i.kill()
			return nil, err
		}
	}
	return i, nil
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}

func (i *instance) call(ctx context.Context, timeout time.Duration, payload []byte, traceHeader string) ([]byte, error) {
	// The emulator enforces the function timeout; this deadline only guards
	// against an emulator that stops answering.
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amzn-Trace-Id", traceHeader)
	// The emulator does not hand X-Amzn-Trace-Id on to the runtime (its tracer
	// is a no-op), so the header also rides in the client context, which it does.
	cc, _ := json.Marshal(map[string]any{"custom": map[string]string{"x-amzn-trace-id": traceHeader}})
	req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString(cc))
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ErrTimeout
		}
		return nil, fmt.Errorf("%w: %v", ErrCrashed, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 7<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCrashed, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: emulator answered %d: %s", ErrCrashed, resp.StatusCode, truncate(body, 200))
	}
	if bytes.HasPrefix(body, []byte("Task timed out after")) {
		return nil, ErrTimeout
	}
	return body, nil
}

func (i *instance) kill() {
	if i.cmd.Process != nil {
		_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	}
	select {
	case <-i.exited:
	case <-time.After(5 * time.Second):
	}
}

func (h *Host) record(id, fn, trigger string, tr Trace, began, ended time.Time, res Result, err error) {
	inv := Invocation{ID: id, Function: fn, Trigger: trigger, Status: "ok", Cold: res.Cold, At: began,
		DurationMS: ms(ended.Sub(began)), QueuedMS: ms(res.Queued), Trace: tr.Root, Parent: strings.TrimLeft(tr.Parent, "0")}
	if res.Cold {
		inv.InitMS = ms(res.Init)
	}
	switch {
	case errors.Is(err, ErrThrottled):
		inv.Status, inv.Error = "throttled", err.Error()
	case errors.Is(err, ErrTimeout):
		inv.Status, inv.Error = "timeout", err.Error()
	case err != nil:
		inv.Status, inv.Error = "crashed", err.Error()
	case res.FunctionError != "":
		inv.Status, inv.Error = "error", res.FunctionError+": "+res.ErrorMessage
	}
	h.mu.Lock()
	h.history = append(h.history, inv)
	if len(h.history) > 5000 {
		h.history = h.history[len(h.history)-5000:]
	}
	h.mu.Unlock()
	cold := ""
	if inv.Cold {
		cold = fmt.Sprintf(" cold start, init %.0f ms", inv.InitMS)
	}
	h.logs.console("%-18s %-28s %-9s %7.1f ms%s", fn, trigger, inv.Status, inv.DurationMS, cold)
}

// Swap makes the next invocations of fn start instances from its (rebuilt)
// bootstrap: idle instances stop now, busy ones after their call, so nothing
// in flight is dropped.
func (h *Host) Swap(fn string) {
	p, ok := h.pools[fn]
	if !ok {
		return
	}
	p.mu.Lock()
	p.gen++
	idle := p.idle
	p.idle = nil
	for _, i := range idle {
		delete(p.all, i)
	}
	p.mu.Unlock()
	for _, i := range idle {
		i.kill()
	}
}

// Invocations returns the recent invocations, newest last.
func (h *Host) Invocations() []Invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Invocation(nil), h.history...)
}

// InstanceInfo describes a running instance for /_local/functions.
type InstanceInfo struct {
	PID         int       `json:"pid"`
	Started     time.Time `json:"started"`
	Invocations int       `json:"invocations"`
	Busy        bool      `json:"busy"`
}

// Instances lists a function's instances.
func (h *Host) Instances(fn string) []InstanceInfo {
	p, ok := h.pools[fn]
	if !ok {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	idle := map[*instance]bool{}
	for _, i := range p.idle {
		idle[i] = true
	}
	out := []InstanceInfo{}
	for i := range p.all {
		out = append(out, InstanceInfo{PID: i.cmd.Process.Pid, Started: i.started.UTC(), Invocations: i.used, Busy: !idle[i]})
	}
	return out
}

// reap stops instances idle longer than the idle timeout.
func (h *Host) reap() {
	defer h.done.Done()
	t := time.NewTicker(min(h.idle/2, 10*time.Second))
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		for _, p := range h.pools {
			p.mu.Lock()
			var keep, drop []*instance
			for _, i := range p.idle {
				if time.Since(i.lastUsed) > h.idle {
					drop = append(drop, i)
					delete(p.all, i)
				} else {
					keep = append(keep, i)
				}
			}
			p.idle = keep
			p.mu.Unlock()
			for _, i := range drop {
				i.kill()
				h.logs.console("%-18s stopped an instance idle for %s", p.fn.Name, h.idle)
			}
		}
	}
}

// Close stops every instance.
func (h *Host) Close() {
	close(h.stop)
	h.done.Wait()
	var wg sync.WaitGroup
	for _, p := range h.pools {
		p.mu.Lock()
		for i := range p.all {
			wg.Add(1)
			go func() { defer wg.Done(); i.kill() }()
		}
		p.all = map[*instance]bool{}
		p.idle = nil
		p.mu.Unlock()
	}
	wg.Wait()
}

// freePort finds a port nothing listens on and that no other instance of
// this cloud was handed in the last minute. A port the OS just gave out is
// free again once its probe closes, and Linux hands the same one to the next
// probe: two instances starting at once would both get it, and the second
// emulator would fail to bind (a 500 for its request).
func freePort() (int, error) {
	handed.Lock()
	defer handed.Unlock()
	now := time.Now()
	for p, at := range handed.at {
		if now.Sub(at) > time.Minute {
			delete(handed.at, p)
		}
	}
	for range 50 {
		p, err := dynalite.FreePort()
		if err != nil {
			return 0, err
		}
		if _, taken := handed.at[p]; !taken {
			handed.at[p] = now
			return p, nil
		}
	}
	return 0, errors.New("no free port that was not just handed out")
}

var handed = struct {
	sync.Mutex
	at map[int]time.Time
}{at: map[int]time.Time{}}

func waitListening(addr string, limit time.Duration, exited <-chan struct{}) error {
	return dynalite.WaitListening(addr, limit, exited)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func truncate(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// logSink keeps each function's full output in its own file and prints short
// lines to the console.
type logSink struct {
	dir string
	out io.Writer
	mu  sync.Mutex
	emf metricStore // the EMF lines' metrics (metrics.go)
}

func (l *logSink) metrics() *metricStore { return &l.emf }

func (l *logSink) console(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

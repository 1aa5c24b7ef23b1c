// Command bench is `make bench`: it builds every function (host and arm64)
// and a hello-world baseline, boots the local cloud on loopback, and
// measures binary sizes, cold starts against the baseline, package init
// costs, warm latency through the local gateway against a bare net/http
// server doing the same DynamoDB calls, DynamoDB calls per route,
// throughput, and a cost model. Times are reported as ratios against a
// baseline measured in the same run. It writes build/bench/REPORT.md and
// build/bench/chart.svg and prints the report. Every loop is bounded in count
// and time.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/infra/dist"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/topology"
)

func main() {
	out := flag.String("out", "build/bench", "report folder")
	n := flag.Int("n", 300, "warm requests per route (bounded by 60 s each)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the local cloud (gateway, proxies) during the latency runs")
	steps := flag.String("steps", "", "comma-separated steps to run after the build (modules, inits, peer, colds, latency, calls, throughput, metrics); default all")
	flag.Parse()
	if *steps != "" {
		only = map[string]bool{}
		for _, s := range strings.Split(*steps, ",") {
			only[strings.TrimSpace(s)] = true
		}
	}
	if err := run(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var cpuProfile string

// only are the steps -steps asks for; nil runs all.
var only map[string]bool

func wanted(step string) bool { return only == nil || only[step] }

type bench struct {
	root, out string
	n         int
	cloud     *local.Cloud
	topo      topology.Cloud
	r         *Report
	started   time.Time
	token     string // a registered app user's
	article   string // a sample article's id
}

func run(out string, n int) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	b := &bench{root: root, out: out, n: n, r: &Report{}, started: time.Now()}
	b.r.Environment = environment()
	step := func(name string, f func() error) error {
		t := time.Now()
		fmt.Fprintf(os.Stderr, "bench: %s…\n", name)
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %.1fs\n", name, time.Since(t).Seconds())
		return nil
	}
	if err := step("build (host, arm64, baselines)", b.sizes); err != nil {
		return err
	}
	for _, s := range []struct {
		key, name string
		f         func() error
	}{
		{"modules", "what each bootstrap links, by module", b.moduleSizes},
		{"inits", "package init costs (GODEBUG=inittrace=1)", b.initTraces},
	} {
		if !wanted(s.key) {
			continue
		}
		if err := step(s.name, s.f); err != nil {
			return err
		}
	}
	if err := step("start the local cloud", b.start); err != nil {
		return err
	}
	defer b.cloud.Close()
	for _, s := range []struct {
		key, name string
		f         func() error
	}{
		{"peer", "the read route against the peer-shaped baseline", b.peer},
		{"latency", "wait for the sample news to be ranked", b.waitRanked},
		{"colds", "cold starts", b.coldStarts},
		{"latency", "warm latency against a bare server", b.profiled(b.latency)},
		{"calls", "DynamoDB calls per route", b.callsPerRoute},
		{"throughput", "throughput", b.throughput},
		{"metrics", "business metrics per invocation", b.metricsCost},
	} {
		if !wanted(s.key) {
			continue
		}
		if err := step(s.name, s.f); err != nil {
			return err
		}
	}
	b.r.Cost = costModel(b.r)
	b.r.Took = time.Since(b.started).Round(time.Second).String()
	md := b.r.Markdown()
	if err := os.WriteFile(filepath.Join(out, "REPORT.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "chart.svg"), []byte(b.r.Chart()), 0o644); err != nil {
		return err
	}
	fmt.Println(md)
	fmt.Fprintf(os.Stderr, "bench: wrote %s and %s in %s\n", filepath.Join(out, "REPORT.md"), filepath.Join(out, "chart.svg"), b.r.Took)
	return nil
}

func environment() Environment {
	e := Environment{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version(),
		Date: time.Now().UTC().Format("2006-01-02")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		e.MemGiB = float64(kb) / (1 << 20)
	}
	return e
}

// dist is the host build the local cloud runs; the baseline sits beside the
// functions as "hello".
func (b *bench) dist() string  { return filepath.Join(b.out, "dist") }
func (b *bench) arm64() string { return filepath.Join(b.out, "dist-arm64") }

func goCmd(env []string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	return cmd.Run()
}

func (b *bench) sizes() error {
	if err := goCmd(nil, "run", "./infra/cmd/build", "-out", b.dist()); err != nil {
		return err
	}
	if err := goCmd(nil, "run", "./infra/cmd/build", "-arm64", "-out", b.arm64()); err != nil {
		return err
	}
	flags := []string{"build", "-tags", dist.Tags, "-trimpath", "-ldflags", "-s -w"}
	// The baselines, built as the functions are: hello world and the peer.
	for _, base := range []string{"hello", "peer"} {
		if err := goCmd([]string{"CGO_ENABLED=0"}, append(flags, "-o", filepath.Join(b.dist(), base, "bootstrap"), "./infra/bench/"+base)...); err != nil {
			return err
		}
		arm := filepath.Join(b.arm64(), base, "bootstrap")
		if err := goCmd([]string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}, append(flags, "-o", arm, "./infra/bench/"+base)...); err != nil {
			return err
		}
		if _, err := dist.Zip(arm, filepath.Join(b.arm64(), base+".zip")); err != nil {
			return err
		}
	}
	names := append([]string{"hello", "peer"}, functionNames(topology.Kiosk())...)
	for _, name := range names {
		s := Size{Function: name}
		s.Host = fileSize(filepath.Join(b.dist(), name, "bootstrap"))
		s.Arm64 = fileSize(filepath.Join(b.arm64(), name, "bootstrap"))
		s.Zip = fileSize(filepath.Join(b.arm64(), name+".zip"))
		b.r.Sizes = append(b.r.Sizes, s)
	}
	return nil
}

func functionNames(c topology.Cloud) []string {
	var out []string
	for _, f := range c.Functions {
		out = append(out, f.Name)
	}
	return out
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// initTraces runs each bootstrap outside Lambda with GODEBUG=inittrace=1:
// package initialisation runs and is reported before main fails for want of
// its environment.
func (b *bench) initTraces() error {
	for _, name := range append([]string{"hello"}, functionNames(topology.Kiosk())...) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(b.dist(), name, "bootstrap"))
		cmd.Env = []string{"GODEBUG=inittrace=1", "PATH=/usr/bin:/bin"}
		var stderr bytes.Buffer
		cmd.Stderr, cmd.Stdout = &stderr, io.Discard
		_ = cmd.Run() // it exits: there is no Runtime API
		cancel()
		it := InitTrace{Function: name}
		type pkg struct {
			name string
			ms   float64
		}
		var pkgs []pkg
		for _, l := range strings.Split(stderr.String(), "\n") {
			var p string
			var at, clock float64
			var bytes, allocs int64
			if n, _ := fmt.Sscanf(l, "init %s @%f ms, %f ms clock, %d bytes, %d allocs", &p, &at, &clock, &bytes, &allocs); n == 5 {
				it.Packages++
				it.ClockMS += clock
				it.Bytes += bytes
				it.Allocs += allocs
				pkgs = append(pkgs, pkg{p, clock})
			}
		}
		sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].ms > pkgs[j].ms })
		for _, p := range pkgs[:min(3, len(pkgs))] {
			it.Top = append(it.Top, fmt.Sprintf("%s %.2f", p.name, p.ms))
		}
		b.r.Inits = append(b.r.Inits, it)
	}
	return nil
}

// benchTopology is Kiosk's plus the hello-world baseline function.
func benchTopology() topology.Cloud {
	c := topology.Kiosk()
	c.Functions = append(c.Functions, topology.Function{Name: "hello", Domain: "health", // beside the canary
		Description: "cold-start baseline (infra/bench/hello); the route only satisfies the topology's rule that a function has a trigger",
		Routes:      []topology.Route{{Method: "GET", Path: "/bench/hello", Auth: topology.Public}}, MemoryMB: 128, Timeout: 5 * time.Second})
	return c
}

func (b *bench) start() error {
	b.topo = benchTopology()
	// The DynamoDB calls per route are read from these logs: start them empty,
	// or an earlier run's lines would be counted too.
	logs := filepath.Join(b.out, "logs")
	if err := os.RemoveAll(logs); err != nil {
		return err
	}
	c, err := local.Start(context.Background(), local.Config{Root: b.root, Dist: b.dist(), Topology: &b.topo,
		Console: io.Discard, LogDir: logs})
	if err != nil {
		return err
	}
	b.cloud = c
	return nil
}

// call sends one request to the local gateway.
func (b *bench) call(method, path, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, b.cloud.APIURL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// installs sends each request from a new loopback address, as installs do.
var installs = &http.Client{Timeout: 30 * time.Second, Transport: local.ManyClients()}

// waitRanked waits for the sample news (announced about 32 s after start)
// to fill the top feed, so the feed is measured at its real size.
func (b *bench) waitRanked() error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		_, body, err := b.call("GET", "/v1/feed?category=top&limit=50", "", "")
		if err == nil && bytes.Count(body, []byte(`"reason"`)) >= 20 {
			return nil
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("the sample news was not ranked within 2 minutes")
}

// register makes an app user. Each registration comes from its own loopback
// address, as installs do: the topology limits registrations per address.
func (b *bench) register() (string, error) {
	req, _ := http.NewRequest("POST", b.cloud.APIURL+"/v1/users", nil)
	resp, err := installs.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	status := resp.StatusCode
	var reg struct {
		Token string `json:"token"`
	}
	if status != 201 || json.Unmarshal(body, &reg) != nil {
		return "", fmt.Errorf("register: %d %s", status, body)
	}
	return reg.Token, nil
}

// profiled runs f under the CPU profiler when -cpuprofile is set: the local
// cloud runs in this process, so the profile shows the gateway's and the
// proxies' share of the overhead.
func (b *bench) profiled(f func() error) func() error {
	return func() error {
		if cpuProfile == "" {
			return f()
		}
		out, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		return f()
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
	"github.com/kiosk-news/kiosk/shared/platform/dynalite"
)

// Peer is articles-api's GET /v1/articles/{id} against the peer-shaped
// baseline (infra/bench/peer) reading the same item: each figure for both and
// their ratio, with the spread of the per-round ratios.
type Peer struct {
	Rounds  int
	Figures []PeerFigure
}

// PeerFigure is one figure of the comparison.
type PeerFigure struct {
	Name, Unit   string
	Kiosk, Peer  float64
	Lower        bool    // lower is better
	Min, Max     float64 // the per-round Kiosk/peer ratios
	Note         string
	roundsRatios []float64
}

// Ratio is Kiosk / peer.
func (f PeerFigure) Ratio() float64 { return f.Kiosk / f.Peer }

// proc is one function instance run as the local cloud runs it — the pinned
// runtime interface emulator and the bootstrap, with a Lambda-like
// environment — but straight on dynalite (no least-privilege proxy) and
// owned by the bench, so its process can be read: CPU time and peak RSS.
type proc struct {
	cmd      *exec.Cmd
	url      string
	started  time.Time
	bootPID  int
	exited   chan struct{}
	firstRes time.Duration // exec → first response
}

var procClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}, Timeout: 30 * time.Second}

func startProc(rie, bootstrap string, env []string, log io.Writer) (*proc, error) {
	port, err := freshPort()
	if err != nil {
		return nil, err
	}
	api, err := freshPort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(port),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(api), "--log-level", "error", bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &proc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port), exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	if err := dynalite.WaitListening(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second, p.exited); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// handed are the ports this run gave out: Linux may offer the same free port
// to back-to-back probes, and two instances must never share one.
var handed = map[int]bool{}

func freshPort() (int, error) {
	for range 50 {
		p, err := dynalite.FreePort()
		if err != nil {
			return 0, err
		}
		if !handed[p] {
			handed[p] = true
			return p, nil
		}
	}
	return 0, fmt.Errorf("no fresh free port")
}

// invoke sends one event and checks the proxy response's status.
func (p *proc) invoke(payload []byte) (time.Duration, error) {
	t := time.Now()
	resp, err := procClient.Post(p.url, "application/json", bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t)
	if err != nil {
		return 0, err
	}
	if p.firstRes == 0 {
		p.firstRes = time.Since(p.started)
	}
	var out struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(body, &out) != nil || out.StatusCode != 200 {
		return 0, fmt.Errorf("answered %.200s", body)
	}
	if p.bootPID == 0 {
		p.bootPID = childOf(p.cmd.Process.Pid)
	}
	return d, nil
}

func (p *proc) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
}

// childOf is the first child process of pid (the emulator's bootstrap).
func childOf(pid int) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			n, _ := strconv.Atoi(filepath.Base(d))
			return n
		}
	}
	return 0
}

// cpu is the bootstrap's CPU time so far: the sum of its threads' run time
// (schedstat, in ns; Go does not retire its threads).
func (p *proc) cpu() time.Duration { return cpuOf(p.bootPID) }

// emulatorCPU is the emulator's own CPU time so far (it relays the
// bootstrap's stdout, so its share grows with what the function logs).
func (p *proc) emulatorCPU() time.Duration { return cpuOf(p.cmd.Process.Pid) }

func cpuOf(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			ns += n
		}
	}
	return time.Duration(ns)
}

// peakRSS is the bootstrap's high-water resident memory in MiB.
func (p *proc) peakRSS() float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.bootPID))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// peerSide is one side of the comparison: how to start an instance.
type peerSide struct {
	name      string
	bootstrap string
	env       []string
	payload   []byte
}

// peer measures articles-api against the peer baseline, alternating them in
// every step: cold first requests, warm latency and CPU per request, peak
// RSS, and throughput with 4 clients on 4 instances each.
func (b *bench) peer() error {
	rie, err := exec.Command("go", "tool", "-n", "aws-lambda-rie").Output()
	if err != nil {
		return fmt.Errorf("go tool -n aws-lambda-rie: %w", err)
	}
	art, err := b.sampleArticle()
	if err != nil {
		return err
	}
	event, err := local.SampleEvent(b.root, "GET /v1/articles/{id}")
	if err != nil {
		return err
	}
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return err
	}
	path := "/v1/articles/" + art
	ev["rawPath"], ev["pathParameters"] = path, map[string]string{"id": art}
	ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = path
	payload, _ := json.Marshal(ev)

	f, _ := b.topo.Function("articles-api")
	base := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TZ=UTC", "AWS_REGION=" + local.Region, "AWS_DEFAULT_REGION=" + local.Region,
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_ENDPOINT_URL_DYNAMODB=" + b.cloud.DynamoURL,
		"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(f.MemoryMB), "AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(f.Timeout.Seconds()))}
	kenv := append(append([]string(nil), base...), "AWS_LAMBDA_FUNCTION_NAME=articles-api")
	for k, v := range b.topo.FunctionEnv(f, b.cloud.TableName, b.cloud.SecretID, b.cloud.BusName()) {
		kenv = append(kenv, k+"="+v)
	}
	penv := append(append([]string(nil), base...), "AWS_LAMBDA_FUNCTION_NAME=peer",
		contract.TableEnv(contract.ArticlesTable)+"="+b.cloud.TableName(contract.ArticlesTable))
	dist, err := filepath.Abs(b.dist())
	if err != nil {
		return err
	}
	sides := []peerSide{
		{"articles-api", filepath.Join(dist, "articles-api", "bootstrap"), kenv, payload},
		{"peer", filepath.Join(dist, "peer", "bootstrap"), penv, payload},
	}
	logf, err := os.Create(filepath.Join(b.out, "peer.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	// The functions write through a pipe, as to Lambda's log collector.
	log := struct{ io.Writer }{logf}

	res := &Peer{Rounds: 7}
	fig := func(name, unit string, lower bool, note string) *PeerFigure {
		res.Figures = append(res.Figures, PeerFigure{Name: name, Unit: unit, Lower: lower, Note: note})
		return &res.Figures[len(res.Figures)-1]
	}
	// Figures are filled by index below; keep the pointers stable by
	// allocating them all first.
	res.Figures = make([]PeerFigure, 0, 8)
	cold := fig("cold first request (exec → response)", "ms", true, "median of the rounds; each a new instance")
	p50 := fig("warm p50", "ms", true, "")
	p99 := fig("warm p99", "ms", true, "")
	cpu := fig("bootstrap CPU per warm request", "µs", true, "schedstat of the bootstrap's threads")
	rieCPU := fig("emulator CPU per warm request", "µs", true, "the emulator relays the function's stdout: the access line's cost outside the bootstrap")
	tput := fig("throughput, 4 clients on 4 instances", "req/s", false, "")
	rss := fig("peak RSS of an instance", "MiB", true, "VmHWM after the warm requests")

	// Cold first requests, alternating which side starts first.
	colds := map[string][]float64{}
	for r := range res.Rounds {
		for i := range sides {
			s := sides[(i+r)%2]
			p, err := startProc(strings.TrimSpace(string(rie)), s.bootstrap, s.env, log)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			_, err = p.invoke(s.payload)
			p.stop()
			if err != nil {
				return fmt.Errorf("%s cold: %w", s.name, err)
			}
			colds[s.name] = append(colds[s.name], ms(p.firstRes))
		}
		cold.roundsRatios = append(cold.roundsRatios, colds["articles-api"][r]/colds["peer"][r])
	}
	cold.Kiosk, cold.Peer = median(colds["articles-api"]), median(colds["peer"])

	// Warm: one instance each, requests alternated, in rounds.
	procs := make([]*proc, len(sides))
	for i, s := range sides {
		if procs[i], err = startProc(strings.TrimSpace(string(rie)), s.bootstrap, s.env, log); err != nil {
			return err
		}
		defer procs[i].stop()
		for range 50 {
			if _, err := procs[i].invoke(s.payload); err != nil {
				return fmt.Errorf("%s warm-up: %w", s.name, err)
			}
		}
	}
	per := max(50, b.n/res.Rounds)
	lat := map[string][]float64{}
	cpus := map[string][]float64{}
	rieCPUs := map[string][]float64{}
	deadline := time.Now().Add(90 * time.Second)
	for range res.Rounds {
		round := map[string][]float64{}
		before := []time.Duration{procs[0].cpu(), procs[1].cpu()}
		rieBefore := []time.Duration{procs[0].emulatorCPU(), procs[1].emulatorCPU()}
		for i := 0; i < per && time.Now().Before(deadline); i++ {
			for j, s := range sides {
				d, err := procs[j].invoke(s.payload)
				if err != nil {
					return fmt.Errorf("%s warm: %w", s.name, err)
				}
				round[s.name] = append(round[s.name], ms(d))
			}
		}
		for j, s := range sides {
			n := float64(len(round[s.name]))
			cpus[s.name] = append(cpus[s.name], float64((procs[j].cpu()-before[j]).Microseconds())/n)
			rieCPUs[s.name] = append(rieCPUs[s.name], float64((procs[j].emulatorCPU()-rieBefore[j]).Microseconds())/n)
			lat[s.name] = append(lat[s.name], round[s.name]...)
		}
		p50.roundsRatios = append(p50.roundsRatios, median(round["articles-api"])/median(round["peer"]))
		p99.roundsRatios = append(p99.roundsRatios, percentile(round["articles-api"], 99)/percentile(round["peer"], 99))
		k := len(cpus["peer"]) - 1
		cpu.roundsRatios = append(cpu.roundsRatios, cpus["articles-api"][k]/cpus["peer"][k])
		rieCPU.roundsRatios = append(rieCPU.roundsRatios, rieCPUs["articles-api"][k]/rieCPUs["peer"][k])
	}
	p50.Kiosk, p50.Peer = median(lat["articles-api"]), median(lat["peer"])
	p99.Kiosk, p99.Peer = percentile(lat["articles-api"], 99), percentile(lat["peer"], 99)
	cpu.Kiosk, cpu.Peer = median(cpus["articles-api"]), median(cpus["peer"])
	rieCPU.Kiosk, rieCPU.Peer = median(rieCPUs["articles-api"]), median(rieCPUs["peer"])
	p50.Note = fmt.Sprintf("%d requests each, alternated", len(lat["peer"]))
	rss.Kiosk, rss.Peer = procs[0].peakRSS(), procs[1].peakRSS()
	rss.roundsRatios = []float64{rss.Kiosk / rss.Peer}

	// Throughput: 4 clients, each on its own instance (Lambda's concurrency),
	// 3 s per side per round, sides alternated.
	pools := make([][]*proc, len(sides))
	for i, s := range sides {
		pools[i] = []*proc{procs[i]}
		for range 3 {
			p, err := startProc(strings.TrimSpace(string(rie)), s.bootstrap, s.env, log)
			if err != nil {
				return err
			}
			defer p.stop()
			if _, err := p.invoke(s.payload); err != nil {
				return err
			}
			pools[i] = append(pools[i], p)
		}
	}
	rates := map[string][]float64{}
	for r := range 4 {
		for k := range sides {
			i := (k + r) % len(sides) // alternate which side goes first
			s := sides[i]
			var done atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			start := time.Now()
			for _, p := range pools[i] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						if _, err := p.invoke(s.payload); err != nil {
							failed.Store(err)
							return
						}
						done.Add(1)
					}
				}()
			}
			wg.Wait()
			cancel()
			if err, _ := failed.Load().(error); err != nil {
				return fmt.Errorf("%s throughput: %w", s.name, err)
			}
			rates[s.name] = append(rates[s.name], float64(done.Load())/time.Since(start).Seconds())
		}
		k := len(rates["peer"]) - 1
		tput.roundsRatios = append(tput.roundsRatios, rates["articles-api"][k]/rates["peer"][k])
	}
	tput.Kiosk, tput.Peer = median(rates["articles-api"]), median(rates["peer"])
	for i := range res.Figures {
		f := &res.Figures[i]
		f.Min, f.Max = f.roundsRatios[0], f.roundsRatios[0]
		for _, r := range f.roundsRatios {
			f.Min, f.Max = min(f.Min, r), max(f.Max, r)
		}
	}
	b.r.Peer = res
	return b.profileSides(sides, strings.TrimSpace(string(rie)), logf)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

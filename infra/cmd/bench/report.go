package main

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// Report is everything `make bench` measured.
type Report struct {
	Environment Environment
	Sizes       []Size
	Inits       []InitTrace
	Colds       []Cold
	Latencies   []Latency
	Calls       []Calls
	Throughput  []Throughput
	Peer        *Peer
	Profiles    []Profile
	Modules     *ModuleSizes
	Metrics     []MetricsCost
	Cost        Cost
	Took        string
}

// Environment is the machine and the functions' environment.
type Environment struct {
	GOOS, GOARCH, Go, CPU, Date string
	CPUs                        int
	MemGiB                      float64
}

// Size is one function's binary sizes in bytes.
type Size struct {
	Function         string
	Host, Arm64, Zip int64
}

// InitTrace sums GODEBUG=inittrace=1 over a binary's packages.
type InitTrace struct {
	Function      string
	Packages      int
	ClockMS       float64
	Bytes, Allocs int64
	Top           []string
}

// Cold is one function's cold start.
type Cold struct {
	Function, Request, Status string
	InitMS, FirstMS, WarmMS   float64
	OwnFirstMS, OwnWarmMS     float64 // the handler's own logged duration, cold and warm
	Ratio                     float64
	Calls                     int
}

// Latency is one route's warm latency through the gateway and bare.
type Latency struct {
	Route                     string
	N                         int
	P50, P90, P99             float64
	BareP50, BareP90, BareP99 float64
	Ratio                     float64
	DurationMS                float64 // the function's own median duration
	BodyBytes                 int
}

// Calls is one route's DynamoDB calls per request.
type Calls struct {
	Route      string
	Requests   int
	PerRequest float64
	Budget     string
	Met        bool
	DurationMS float64
}

// MetricsCost is the business metrics' (shared/platform/metrics) cost per
// invocation, from its benchmarks, against one log line in the same run.
type MetricsCost struct {
	What                   string
	NsPerOp, BytesPerOp    float64
	AllocsPerOp, VsLogLine float64
}

// Throughput is one rate.
type Throughput struct {
	What      string
	Count     int64
	Seconds   float64
	PerSecond float64
	Reproduce string
}

// Cost is the cost model's result.
type Cost struct {
	Lines []CostLine
}

// CostLine is one estimate.
type CostLine struct {
	What, Assumptions string
	USD               float64
}

const (
	budget = 10 << 20
	aim    = 8 << 20
)

func mib(n int64) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(n)/(1<<20))
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	e := r.Environment
	fmt.Fprintf(&b, "# Kiosk benchmark report\n\n")
	fmt.Fprintf(&b, "Run %s on %s/%s, %d CPUs (%s), %.0f GiB, %s; took %s. Reproduce everything with `make bench` "+
		"(`go run ./infra/cmd/bench`); each section says how to reproduce its figures alone.\n\n", e.Date, e.GOOS, e.GOARCH, e.CPUs, e.CPU, e.MemGiB, e.Go, r.Took)
	b.WriteString("Functions run as in Lambda: static `provided.al2023`-style bootstraps under the pinned Lambda Runtime Interface " +
		"Emulator, with only PATH, TZ, the region, credentials, the AWS endpoints and the topology's variables in their " +
		"environment (no `AWS_CA_BUNDLE`, no shared config files). Times are local wall-clock on this machine; compare the " +
		"ratios, which set each figure against a baseline measured in the same run.\n\n")

	b.WriteString("## 1. Binary size (MiB)\n\nBudget ≤ 10 MiB unzipped each, aim ≤ 8 for the linux/arm64 bootstrap the stack deploys " +
		"(the host's build is shown beside it: amd64 code is larger, hello world 0.4 MiB more). Reproduce: `make build` (host), `make dist` (arm64 + zip).\n\n")
	b.WriteString("| function | host | arm64 | arm64 zip | budget |\n|---|---:|---:|---:|---|\n")
	over, aimMissed, hostOver := 0, 0, 0
	for _, s := range r.Sizes {
		verdict := "ok"
		switch {
		case s.Function == "hello":
			verdict = "baseline"
		case s.Function == "peer":
			verdict = "peer baseline (config.LoadDefaultConfig links SSO, STS, IMDS)"
		case s.Host > budget || s.Arm64 > budget:
			verdict, over = "**over**", over+1
		case s.Arm64 > aim:
			verdict, aimMissed = fmt.Sprintf("ok; %.2f MiB over the 8 MiB aim", float64(s.Arm64-aim)/(1<<20)), aimMissed+1
		}
		if s.Function != "hello" && s.Function != "peer" && s.Host > aim {
			hostOver++
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.Function, mib(s.Host), mib(s.Arm64), mib(s.Zip), verdict)
	}
	fmt.Fprintf(&b, "\n%d functions over the 10 MiB budget; %d within it but above the 8 MiB aim on arm64, what deploys "+
		"(%d above 8 MiB as built for the host).\n\n", over, aimMissed, hostOver)

	r.modulesMarkdown(&b)
	r.peerMarkdown(&b)

	b.WriteString("## 3. Cold start\n\nExec of the runtime emulator and bootstrap → first response, under the local Lambda host, median of 3 " +
		"(each after recycling the function's instances). *init* answers a request that makes no AWS call (an unknown path, an event " +
		"its decoder refuses): runtime start-up plus the function's init. *first request* is the same for a real request (its first " +
		"route as the authorizer would pass it, its rule's sample event, or a scheduled run): init plus the first AWS calls " +
		"(connection set-up, credentials, endpoint resolution). *warm* is that request again on the warm instance. The ratio sets " +
		"*init* against the hello-world baseline built with the same flags (`infra/bench/hello`). Reproduce: `make bench`; one " +
		"function: `make invoke FN=<name> EVENT=<route or detail type>` after a restart of `make dev`.\n\n")
	b.WriteString("| function | init ms | × hello | first request ms | warm ms | handler's own ms, first / warm | DynamoDB calls | request |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range r.Colds {
		own := "—"
		if c.OwnFirstMS > 0 {
			own = fmt.Sprintf("%.1f / %.1f", c.OwnFirstMS, c.OwnWarmMS)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.2f | %.1f | %.1f | %s | %d | %s (%s) |\n", c.Function, c.InitMS, c.Ratio, c.FirstMS, c.WarmMS, own, c.Calls, c.Request, c.Status)
	}
	if len(r.Colds) > 0 && r.Colds[0].Function == "hello" {
		h := r.Colds[0]
		fmt.Fprintf(&b, "\nNoise: hello's *init* and *first request* are the same request measured twice, %.1f ms apart; differences "+
			"smaller than that between rows are not findings. rank-feeds ranks on any event, so its *init* includes a ranking run.\n", math.Abs(h.InitMS-h.FirstMS))
	}
	b.WriteString("\n")

	b.WriteString("## 4. Package init cost\n\n`GODEBUG=inittrace=1`, each bootstrap run outside Lambda (package initialisation completes before main " +
		"stops for want of the Runtime API). Reproduce: `GODEBUG=inittrace=1 dist/<fn>/bootstrap`.\n\n")
	b.WriteString("| function | packages | init clock ms | init KiB allocated | allocs | slowest packages (ms) |\n|---|---:|---:|---:|---:|---|\n")
	for _, it := range r.Inits {
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.0f | %d | %s |\n", it.Function, it.Packages, it.ClockMS, float64(it.Bytes)/1024, it.Allocs, strings.Join(it.Top, ", "))
	}
	b.WriteString("\n")

	b.WriteString("## 5. Warm latency through the local gateway\n\nSequential requests after 20 to warm up, through the local HTTP API " +
		"(routing, the authorizer for user routes with its cache, the runtime emulator, the function, the least-privilege DynamoDB " +
		"proxy, dynalite), against a bare `net/http` server in the benchmark process making the same DynamoDB calls with the same " +
		"domain stores on the same dynalite. Target: ≤ 1.3× at p50. Reproduce: `make bench`.\n\n")
	b.WriteString("| route | n | p50 ms | p90 ms | p99 ms | bare p50 | bare p90 | bare p99 | × bare at p50 | target | function's own p50 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n")
	for _, l := range r.Latencies {
		verdict := "met"
		if l.Ratio > 1.3 {
			verdict = fmt.Sprintf("missed (%.2f× > 1.3×)", l.Ratio)
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %.2f |\n", l.Route, l.N, l.P50, l.P90, l.P99, l.BareP50, l.BareP90, l.BareP99, l.Ratio, verdict, l.DurationMS)
	}
	b.WriteString("\nThe last column is the function's own median duration from its access log (API proxy, handler, its DynamoDB calls " +
		"through the least-privilege proxy): p50 minus it is what the local gateway, the runtime emulator and the loopback hops " +
		"add; the function's own time minus the bare p50 is what the API Gateway proxy adapter and the DynamoDB proxy add.\n\n")

	b.WriteString("## 6. DynamoDB calls per request\n\nFrom the functions' access logs (`dynamodb_calls`, counted by the SDK middleware) over the " +
		"requests of this run. Reproduce: `make bench`, or `curl` a route on `make dev` and read `/_local/logs?function=<fn>`.\n\n")
	b.WriteString("| route | requests | calls per request | budget | |\n|---|---:|---:|---|---|\n")
	for _, c := range r.Calls {
		met := ""
		if c.Budget != "" {
			met = map[bool]string{true: "met", false: "**missed**"}[c.Met]
		}
		per := "—"
		if c.Requests > 0 {
			per = fmt.Sprintf("%.2f", c.PerRequest)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", c.Route, c.Requests, per, c.Budget, met)
	}
	b.WriteString("\n(— : not exercised by the benchmark.)\n\n")

	b.WriteString("## 7. Throughput\n\n| what | count | seconds | per second | reproduce |\n|---|---:|---:|---:|---|\n")
	for _, t := range r.Throughput {
		count, secs := "—", "—"
		if t.Count > 0 {
			count, secs = fmt.Sprint(t.Count), fmt.Sprintf("%.2f", t.Seconds)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | `%s` |\n", t.What, count, secs, t.PerSecond, t.Reproduce)
	}
	b.WriteString("\n")

	b.WriteString("## 7b. Business metrics per invocation\n\n" +
		"`go test -run '^$' -bench . -benchmem ./shared/platform/metrics`: what every invocation pays for its EMF line, " +
		"against one access-log-like slog line in the same run (to io.Discard: the write to stdout is the same syscall for both).\n\n" +
		"| what | ns/op | B/op | allocs/op | × one log line |\n|---|---:|---:|---:|---:|\n")
	for _, m := range r.Metrics {
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %.2f |\n", m.What, m.NsPerOp, m.BytesPerOp, m.AllocsPerOp, m.VsLogLine)
	}
	b.WriteString("\n")

	b.WriteString("## 8. Cost model\n\n" + pricesNote + "\n\n| estimate | USD | from |\n|---|---:|---|\n")
	for _, c := range r.Cost.Lines {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.What, usd(c.USD), c.Assumptions)
	}
	b.WriteString("\n![chart](chart.svg)\n")
	return b.String()
}

func usd(x float64) string {
	if x < 1 {
		return fmt.Sprintf("%.4f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// Chart draws the cold-start ratios and the p50 latencies as SVG bars.
func (r *Report) Chart() string {
	type bar struct {
		label string
		v     float64
		ref   bool
	}
	var cold, lat []bar
	for _, c := range r.Colds {
		cold = append(cold, bar{c.Function, c.InitMS, c.Function == "hello"})
	}
	for _, l := range r.Latencies {
		lat = append(lat, bar{l.Route + " gateway", l.P50, false}, bar{l.Route + " bare", l.BareP50, true})
	}
	section := func(b *strings.Builder, y int, title string, bars []bar, unit string) int {
		fmt.Fprintf(b, `<text x="10" y="%d" font-size="15" font-weight="bold">%s</text>`, y, html.EscapeString(title))
		y += 10
		top := 0.0
		for _, x := range bars {
			top = math.Max(top, x.v)
		}
		for _, x := range bars {
			w := 0.0
			if top > 0 {
				w = 460 * x.v / top
			}
			colour := "#1f6feb"
			if x.ref {
				colour = "#8c959f"
			}
			fmt.Fprintf(b, `<text x="270" y="%d" font-size="12" text-anchor="end">%s</text>`, y+13, html.EscapeString(x.label))
			fmt.Fprintf(b, `<rect x="276" y="%d" width="%.1f" height="16" fill="%s"/>`, y+2, w, colour)
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="11">%.1f %s</text>`, 280+w, y+14, x.v, unit)
			y += 20
		}
		return y + 20
	}
	sort.SliceStable(cold, func(i, j int) bool { return cold[i].ref && !cold[j].ref })
	var b strings.Builder
	h := 60 + 20*(len(cold)+len(lat)) + 60
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="820" height="%d" font-family="sans-serif">`, h)
	y := section(&b, 24, "Cold start: exec → first response (ms; grey = hello-world baseline)", cold, "ms")
	section(&b, y, "Warm p50 latency (ms): through the local gateway vs a bare net/http server (grey)", lat, "ms")
	b.WriteString(`</svg>`)
	return b.String()
}

func (r *Report) peerMarkdown(b *strings.Builder) {
	if r.Peer == nil {
		return
	}
	b.WriteString("## 2. The read route against a peer-shaped baseline\n\n" +
		"articles-api answering GET /v1/articles/{id} against `infra/bench/peer`, the shape of AWS's serverless-go-demo " +
		"get-product (one GetItem through the plain SDK, attributevalue, encoding/json, the aws-lambda-go handler, " +
		"`config.LoadDefaultConfig` at init), built with the same flags and reading the same item. Both run under the pinned " +
		"runtime interface emulator started by the bench, straight on the same dynalite (no least-privilege proxy), requests " +
		"alternated between them in every round; the events go to the emulator, not through the local gateway. Ratios are " +
		"Kiosk / peer (below 1.00 is better for everything but throughput); *spread* is the lowest and highest ratio of the " +
		"rounds. Reproduce: `make bench` (`go run ./infra/cmd/bench -steps peer` for this section alone).\n\n")
	fmt.Fprintf(b, "| figure | articles-api | peer | Kiosk / peer | spread over %d rounds | ahead? | |\n|---|---:|---:|---:|---|---|---|\n", r.Peer.Rounds)
	for _, f := range r.Peer.Figures {
		ahead := f.Ratio() <= 1.0
		if !f.Lower {
			ahead = f.Ratio() >= 1.0
		}
		verdict := map[bool]string{true: "yes", false: "**no**"}[ahead]
		fmt.Fprintf(b, "| %s (%s) | %.2f | %.2f | %.2f | %.2f–%.2f | %s | %s |\n", f.Name, f.Unit, f.Kiosk, f.Peer, f.Ratio(), f.Min, f.Max, verdict, f.Note)
	}
	b.WriteString("\n")
	for _, p := range r.Profiles {
		fmt.Fprintf(b, "Where %s's warm CPU goes (its own CPU profile over %d requests, built with `-tags pprof`; `go tool pprof %s`): by module ", p.Function, p.Requests, p.File)
		var parts []string
		for _, m := range p.Modules {
			if m.Percent >= 1 {
				parts = append(parts, fmt.Sprintf("%s %.0f%%", m.Name, m.Percent))
			}
		}
		b.WriteString(strings.Join(parts, ", ") + "; top functions (flat) ")
		parts = parts[:0]
		for _, t := range p.Top[:min(8, len(p.Top))] {
			parts = append(parts, fmt.Sprintf("`%s` %.1f%%", t.Name, t.Percent))
		}
		b.WriteString(strings.Join(parts, ", ") + ".\n\n")
	}
}

func (r *Report) modulesMarkdown(b *strings.Builder) {
	m := r.Modules
	if m == nil {
		return
	}
	b.WriteString("### What each bootstrap links, by module (KiB)\n\nSymbol sizes (`go tool nm -size`: code, read-only data, " +
		"data) of the same builds before stripping, summed by the module their package belongs to (the standard library as " +
		"one); the line table a stripped binary keeps grows with the code. Modules under 64 KiB in every column are left out. " +
		"Reproduce: `go build -tags lambda.norpc,nethttpomithttp2 -trimpath -o /tmp/fn ./functions/<fn> && go tool nm -size -sort size /tmp/fn`.\n\n")
	b.WriteString("| module |")
	for _, f := range m.Functions {
		fmt.Fprintf(b, " %s |", f)
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(m.Functions)) + "\n")
	for _, row := range m.Rows {
		fmt.Fprintf(b, "| %s |", row.Module)
		for _, n := range row.KiB {
			if n == 0 {
				b.WriteString(" — |")
			} else {
				fmt.Fprintf(b, " %.0f |", n)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total** |")
	for _, t := range m.Totals {
		fmt.Fprintf(b, " %.0f |", t)
	}
	b.WriteString("\n\n")
}

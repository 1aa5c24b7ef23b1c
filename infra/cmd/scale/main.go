// Command scale is `make scale`: it starts the local cloud, grows each
// workload (interested readers of a trending article, articles in the
// ranking window, events in an hour) over the sizes that fit this machine,
// records per batch and per route the wall time, DynamoDB units, Lambda
// GB-seconds, peak memory and invocations, fits each curve's growth exponent
// on log–log axes, extrapolates to Gunosy's scale, and writes SCALE.md, the
// charts (docs/scale-*.svg) and build/scale/points.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/scale"
)

func main() {
	out := flag.String("out", "SCALE.md", "the report")
	charts := flag.String("charts", "docs", "folder for the charts")
	smoke := flag.Bool("smoke", false, "tiny sizes (a check of the harness, not a measurement)")
	from := flag.String("from", "", "write the report from a points.json of an earlier run instead of measuring")
	only := flag.String("only", "", "comma-separated workloads to measure (fanout, rank, events, ingest, sources, inbox, kpiday, announce, feed-events, learn); default all")
	flag.Parse()
	if *only != "" && *out == "SCALE.md" { // a part is not the committed snapshot
		*out, *charts = "build/scale/SCALE.md", "build/scale"
	}
	var err error
	if *from != "" {
		err = render(*from, *out, *charts)
	} else {
		err = run(*out, *charts, *smoke, *only)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(out, charts string, smoke bool, only string) error {
	started := time.Now()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	sizes := scale.Full
	if smoke {
		sizes = scale.Smoke
	}
	if only != "" {
		var err error
		if sizes, err = sizes.Only(strings.Split(only, ",")); err != nil {
			return err
		}
	}
	dir := filepath.Join(root, "build", "scale")
	if err := os.RemoveAll(filepath.Join(dir, "logs")); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "scale: building the functions…")
	if err := build(root, filepath.Join(dir, "dist")); err != nil {
		return err
	}
	ctx := context.Background()
	topo := scale.Topology()
	c, err := local.Start(ctx, local.Config{Root: root, Dist: filepath.Join(dir, "dist"), Topology: &topo, NoSamples: true,
		Console: io.Discard, LogDir: filepath.Join(dir, "logs"), TTLEvery: scale.TTLEvery})
	if err != nil {
		return err
	}
	defer c.Close()
	curves, err := scale.Run(ctx, scale.NewHarness(c, os.Stderr), sizes)
	if err != nil {
		return err
	}
	m := measurement{Environment: scale.EnvironmentNow(), Took: time.Since(started), Curves: curves}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "points.json"), b, 0o644); err != nil {
		return err
	}
	return write(m, out, charts)
}

// measurement is what a run measured, kept in build/scale/points.json.
type measurement struct {
	Environment scale.Environment `json:"environment"`
	Took        time.Duration     `json:"took"`
	Curves      []scale.Curve     `json:"curves"`
}

// render writes the report of an earlier run's points.
func render(from, out, charts string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var m measurement
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	return write(m, out, charts)
}

func write(m measurement, out, charts string) error {
	r := scale.NewReport(m.Curves, m.Environment, m.Took)
	for name, svg := range r.Charts() {
		if err := os.WriteFile(filepath.Join(charts, name), []byte(svg), 0o644); err != nil {
			return err
		}
	}
	rel, err := filepath.Rel(filepath.Dir(out), charts)
	if err != nil {
		rel = charts
	}
	if err := os.WriteFile(out, []byte(r.Markdown(filepath.ToSlash(rel))), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "scale: wrote %s (measured in %s)\n", out, m.Took.Round(time.Second))
	return nil
}

// build builds the functions the workloads run, for this machine.
func build(root, dist string) error {
	cmd := exec.Command("go", "run", "./infra/cmd/build", "-out", dist, "-only", strings.Join(scale.Functions, ","))
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
	return cmd.Run()
}

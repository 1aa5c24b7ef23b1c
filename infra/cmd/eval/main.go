// Command eval is make eval: Kiosk's ranking measured offline against
// baselines. Without -mind it simulates readers over a synthetic article
// stream for each seed (in parallel), writes each seed's log in MIND's format
// under build/eval/, and writes EVAL.md and docs/eval-chart.svg; with -mind
// it evaluates real MIND files and writes build/eval/MIND.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kiosk-news/kiosk/infra/eval"
	"github.com/kiosk-news/kiosk/shared/article/clustereval"
)

func main() {
	mind := flag.String("mind", "", "a MIND folder (behaviors.tsv, news.tsv), e.g. MINDsmall_dev; empty: the simulator")
	seeds := flag.String("seeds", "1,2,3", "simulator seeds, comma-separated")
	out := flag.String("out", "EVAL.md", "the synthetic report")
	chart := flag.String("chart", "docs/eval-chart.svg", "the synthetic report's chart")
	logs := flag.String("logs", "build/eval", "where the simulated logs (MIND format) and the MIND report go")
	flag.Parse()
	if err := run(*mind, *seeds, *out, *chart, *logs); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

func run(mind, seedList, out, chart, logs string) error {
	start := time.Now()
	if mind != "" {
		ds, err := eval.ReadMIND(mind)
		if err != nil {
			return err
		}
		res := eval.Evaluate(ds, eval.Rankers(ds, 1))
		rep := &eval.Report{Results: []*eval.Result{res}, Took: time.Since(start)}
		path := filepath.Join(logs, "MIND.md")
		if err := os.MkdirAll(logs, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(logs, "mind-chart.svg"), []byte(rep.Chart()), 0o644); err != nil {
			return err
		}
		md := rep.Markdown("mind-chart.svg")
		fmt.Print(md)
		fmt.Fprintf(os.Stderr, "eval: wrote %s in %s\n", path, time.Since(start).Round(time.Millisecond))
		return os.WriteFile(path, []byte(md), 0o644)
	}
	var seeds []uint64
	for _, s := range strings.Split(seedList, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("seeds: %q is not a number", s)
		}
		seeds = append(seeds, n)
	}
	results := make([]*eval.Result, len(seeds))
	errs := make([]error, len(seeds))
	var wg sync.WaitGroup
	for i, seed := range seeds {
		wg.Go(func() {
			t := time.Now()
			ds, err := eval.Simulate(eval.DefaultConfig(seed))
			if err != nil {
				errs[i] = err
				return
			}
			if err := eval.WriteMIND(filepath.Join(logs, fmt.Sprintf("synthetic-seed-%d", seed)), ds); err != nil {
				errs[i] = err
				return
			}
			results[i] = eval.Evaluate(ds, eval.Rankers(ds, seed))
			fmt.Fprintf(os.Stderr, "eval: seed %d in %s\n", seed, time.Since(t).Round(time.Millisecond))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	rep := &eval.Report{Results: results, Seeds: seeds, Config: eval.DefaultConfig(0), Took: time.Since(start)}
	clusters, err := clustereval.Measure()
	if err != nil {
		return fmt.Errorf("story clustering: %w", err)
	}
	rep.Clustering = clusters.Markdown()
	if err := os.MkdirAll(filepath.Dir(chart), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(chart, []byte(rep.Chart()), 0o644); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(out), chart)
	if err != nil {
		rel = chart
	}
	md := rep.Markdown(filepath.ToSlash(rel))
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	fmt.Fprintf(os.Stderr, "eval: wrote %s and %s in %s\n", out, chart, time.Since(start).Round(time.Millisecond))
	return nil
}

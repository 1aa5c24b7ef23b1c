package feedparse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/shared/article/feeddoc"
)

// peakEnv names the document a child process parses (an index of admitted,
// or of hostile with a "hostile-" prefix), the file its request is in.
const peakEnv = "FEEDPARSE_PEAK_REQUEST"

// TestParseFeedsPeakOnTheWorstAdmittedDocuments measures what parse-feed's
// memory size and timeout are set from (infra/topology; the README's
// parse-feed paragraph has the figures): for each of the worst documents the
// shape bounds admit, a fresh process with GOMAXPROCS 1 (as parse-feed runs)
// does what the function does with its invocation — the request's JSON in,
// Parse, the result's JSON out — three times, cold then warm (the last
// parse's garbage still on the heap), and reports its peak resident memory
// (VmHWM) after the cold parse and after the warm ones, and the time of the
// cold parse and of the slowest warm one. It fails only if a document is refused or the
// peak passes MaxPeakMiB; the times are logged, not asserted (the machine may
// be loaded). About 15 s.
func TestParseFeedsPeakOnTheWorstAdmittedDocuments(t *testing.T) {
	if name := os.Getenv(peakEnv); name != "" {
		t.Skip("a child's parse (TestParseFeedsPeakChild)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc: VmHWM is Linux's")
	}
	dir := t.TempDir()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	run := func(name string, doc string) (base, cold, warm float64, tc, tw time.Duration, code string) {
		t.Helper()
		payload, err := json.Marshal(feeddoc.NewRequest("https://e.x/feed", "application/rss+xml", []byte(doc), now))
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "request.json")
		if err := os.WriteFile(file, payload, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestParseFeedsPeakChild$", "-test.v")
		cmd.Env = append(os.Environ(), peakEnv+"="+file, "GOMAXPROCS=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		s := bufio.NewScanner(bytes.NewReader(out))
		for s.Scan() {
			if f, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "peak "); ok {
				var c, w int64
				if _, err := fmt.Sscan(f, &base, &cold, &warm, &c, &w, &code); err != nil {
					t.Fatalf("%s: %q: %v", name, f, err)
				}
				return base, cold, warm, time.Duration(c), time.Duration(w), code
			}
		}
		t.Fatalf("%s: no figures in\n%s", name, out)
		return
	}
	t.Logf("%-58s %9s %9s %9s %8s %8s", "document (≤ 4 MiB)", "base MiB", "cold MiB", "warm MiB", "cold", "warm")
	for _, c := range admitted {
		base, cold, warm, tc, tw, code := run(c.name, c.doc())
		t.Logf("%-58s %9.0f %9.0f %9.0f %8v %8v", c.name, base, cold, warm, tc.Round(time.Millisecond), tw.Round(time.Millisecond))
		if code == feeddoc.TooComplex {
			t.Errorf("%s was refused: the bounds admit it", c.name)
		}
		if max(cold, warm) > MaxPeakMiB {
			t.Errorf("%s: peak %.0f MiB, over %d: parse-feed's memory size is set from this", c.name, max(cold, warm), MaxPeakMiB)
		}
	}
	for _, c := range hostile[:1] {
		base, cold, warm, tc, tw, code := run(c.name, c.doc())
		t.Logf("%-58s %9.0f %9.0f %9.0f %8v %8v (refused: %s)", c.name, base, cold, warm, tc.Round(time.Millisecond), tw.Round(time.Millisecond), code)
	}
}

// MaxPeakMiB bounds parse-feed's peak resident memory on the worst admitted
// document, measured in a test process (whose runtime and test harness take
// a few MiB more than the bootstrap's): the function's memory size
// (infra/topology) is set with margin above it.
const MaxPeakMiB = 256

// TestParseFeedsPeakChild is the child process of
// TestParseFeedsPeakOnTheWorstAdmittedDocuments; alone it does nothing.
func TestParseFeedsPeakChild(t *testing.T) {
	file := os.Getenv(peakEnv)
	if file == "" {
		t.Skip("run by TestParseFeedsPeakOnTheWorstAdmittedDocuments")
	}
	payload, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	base := hwm(t)
	var took [2]time.Duration
	var peaks [2]float64
	code := "-"
	for run := range 3 {
		i := min(run, 1) // cold, then the worst of two warm
		start := time.Now()
		var req feeddoc.Request
		if err := json.Unmarshal(payload, &req); err != nil {
			t.Fatal(err)
		}
		res := Parse(req)
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
		took[i], peaks[i] = max(took[i], time.Since(start)), hwm(t)
		if res.Error != nil {
			code = res.Error.Code
		}
	}
	fmt.Printf("peak %.1f %.1f %.1f %d %d %s\n", base, peaks[0], peaks[1], took[0], took[1], code)
}

// hwm is the process's peak resident memory so far (VmHWM), in MiB.
func hwm(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

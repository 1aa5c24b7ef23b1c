package scale_test

import (
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/local"
	"github.com/kiosk-news/kiosk/infra/scale"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

// TestTheHarnessMeasuresEveryWorkload runs make scale's harness at tiny sizes
// on the real local cloud: every workload measures, a trend is one
// invocation whatever its readers and sampled readers see it within 60 s, a feed page stays one DynamoDB read, an
// inbox page one read with the trending list's reload amortized, and nothing
// fails.
func TestTheHarnessMeasuresEveryWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local cloud")
	}
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(t.TempDir(), "dist")
	build := exec.Command("go", "run", "./infra/cmd/build", "-out", dist, "-only", joined(scale.Functions))
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	topo := scale.Topology()
	var c *local.Cloud
	c, err = local.Start(context.Background(), local.Config{Root: root, Dist: dist, Topology: &topo, NoSamples: true,
		Console: io.Discard, LogDir: filepath.Join(t.TempDir(), "logs"), Backoff: 20 * time.Millisecond, TTLEvery: scale.TTLEvery})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var log io.Writer
	if testing.Verbose() {
		log = os.Stderr
	}
	curves, err := scale.Run(context.Background(), scale.NewHarness(c, log), scale.Smoke)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]scale.Curve{}
	for _, cv := range curves {
		byName[cv.Name] = cv
		if len(cv.Points) != 2 {
			t.Errorf("%s: %d points, want 2", cv.Name, len(cv.Points))
		}
		for _, p := range cv.Points {
			if p.Failed > 0 || p.Invocations == 0 || p.GBSeconds <= 0 || p.Calls == 0 || p.ReadUnits+p.WriteUnits <= 0 {
				t.Errorf("%s at %.0f: %+v", cv.Name, p.Size, p)
			}
			// The instances are warm when a run starts: their bootstraps'
			// memory is there to sample.
			if p.PeakMiB <= 0 || p.Instances == 0 || p.Concurrent < 1 {
				t.Errorf("%s at %.0f: no bootstrap's memory sampled: %+v", cv.Name, p.Size, p)
			}
			// A fan-out's invocations take turns, each with a core: none
			// waits for the CPU the others hold.
			if slices.Contains(scale.FanOut, cv.Function) && p.Concurrent > scale.Concurrency() {
				t.Errorf("%s at %.0f: %d invocations at once, want at most %d", cv.Name, p.Size, p.Concurrent, scale.Concurrency())
			}
		}
	}
	// The inbox is computed on read: a trend is one invocation and the same
	// few writes for 20 readers or 120.
	small, fan := byName["notify-trending fan-out"].Points[0], byName["notify-trending fan-out"].Points[1]
	if fan.Invocations != 1 || fan.BusEvents != 1 || fan.WriteUnits != small.WriteUnits || fan.WriteUnits > 2 {
		t.Errorf("a trend with 120 readers: %.0f invocations, %.0f bus events, %.0f WRU (%.0f at 20); want 1, 1, the same ≤ 2",
			fan.Invocations, fan.BusEvents, fan.WriteUnits, small.WriteUnits)
	}
	// The readers' side: every sampled reader (the first, the last, the
	// rest at random) saw the trend on an inbox page through the gateway,
	// within the 60 s, and no page failed or ran past its timeout.
	for _, p := range byName["notify-trending fan-out"].Points {
		s := p.Seen
		if s == nil || s.Readers != min(scale.Smoke.Sampled, int(p.Size)) || s.LastMS <= 0 || s.LastMS > 60000 || s.FirstMS > s.LastMS ||
			s.Pages < s.Readers || s.Failed > 0 || s.MaxInvokeMS >= 10000 || p.SeedMS <= 0 || p.DynaliteMiB <= 0 {
			t.Errorf("the readers' side of a trend with %.0f readers: %+v (seeded in %.0f ms, dynalite %.0f MiB); want %d readers who saw it "+
				"within 60 s, nothing failed", p.Size, s, p.SeedMS, p.DynaliteMiB, min(scale.Smoke.Sampled, int(p.Size)))
		}
	}
	// A feed page reads one copy of its head, whichever: one call; a
	// personal page reads the profile, then its streams' chunks.
	for route, want := range map[string]float64{"GET /v1/feed": 1, "GET /v1/feed/me": 2} {
		for _, p := range byName[route].Points {
			if p.Calls != want || p.ReadUnits < 0.5 {
				t.Errorf("%s at %.0f made %.2f DynamoDB calls of %.2f RRU (in all: %v), want %.0f of at least 0.5", route, p.Size, p.Calls, p.ReadUnits, p.Ops, want)
			}
		}
	}
	// An inbox page is one read of the reader's partition; the measured
	// requests include one reload of the trending list (one Query more),
	// which the figures amortize and Refresh names.
	for _, p := range byName["GET /v1/notifications"].Points {
		if p.Refresh == nil || p.Refresh.Calls != 1 || p.Refresh.ReadUnits < 0.5 || p.Requests != scale.Smoke.Requests+1 ||
			math.Abs(p.Calls-(1+1/float64(p.Requests))) > 1e-9 || p.ReadUnits < 0.5 {
			t.Errorf("GET /v1/notifications at %.0f: %.2f DynamoDB calls a request of %.2f RRU over %d requests, the reload %+v; "+
				"want 1 a page and one reload of 1 call amortized", p.Size, p.Calls, p.ReadUnits, p.Requests, p.Refresh)
		}
	}
	// feed-events: an invocation and a placement an article; learn-interests:
	// an invocation per 100 users, a write each (the relay's count is
	// checked by the harness: its checkpoint passes every article).
	for _, p := range byName["feed-events"].Points {
		if p.Invocations != p.Size || p.WriteUnits < p.Size {
			t.Errorf("feed-events over %.0f articles: %.0f invocations, %.0f WRU; want one and at least 1 WRU an article", p.Size, p.Invocations, p.WriteUnits)
		}
	}
	for _, p := range byName["learn-interests"].Points {
		if p.Invocations != math.Ceil(p.Size/100) || p.WriteUnits < p.Size {
			t.Errorf("learn-interests over %.0f users: %.0f invocations, %.0f WRU; want one per 100 users and a write each", p.Size, p.Invocations, p.WriteUnits)
		}
	}
	// A sources run fetches every source: each fetch is a recorded state (a
	// write unit) and each re-offered item is read back and found stored (a
	// GetItem, half a read unit at least), so a source costs both.
	for _, p := range byName["ingest-feeds over sources"].Points {
		if p.WriteUnits < p.Size || p.ReadUnits < p.Size/2 {
			t.Errorf("a run over %.0f sources wrote %.0f WRU and read %.1f RRU: not every source was fetched", p.Size, p.WriteUnits, p.ReadUnits)
		}
		// Each fetched document is parsed by parse-feed, whose invocations
		// (and GB-seconds) are the run's.
		if p.Invocations < p.Size+1 {
			t.Errorf("a run over %.0f sources counted %.0f invocations: parse-feed's are not counted with ingestion's", p.Size, p.Invocations)
		}
	}
	// Every stored event is at least one write unit; the KPI run reads them.
	for i, p := range byName["POST /v1/events"].Points {
		if p.WriteUnits < 1 || byName["aggregate-kpi"].Points[i].ReadUnits <= 0 {
			t.Errorf("events at %.0f: %.2f WRU an event, the KPI run %.2f RRU", p.Size, p.WriteUnits, byName["aggregate-kpi"].Points[i].ReadUnits)
		}
	}
}

func joined(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

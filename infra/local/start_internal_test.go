package local

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/dynamotest"
)

// TestAnInstanceWhosePortWasTakenStartsOnAnother: a port picked free can be
// taken before the emulator binds it — most likely as the local port of a
// connection some process opens meanwhile (the kernel hands those out from
// the same range; the tests open thousands) — and the emulator then exits
// without listening. The host starts the instance again on new ports
// instead of failing the invocation as a crash.
func TestAnInstanceWhosePortWasTakenStartsOnAnother(t *testing.T) {
	for _, taken := range []struct {
		name string
		pick int // which pick hands out the taken port
	}{{"its invoke port", 1}, {"its runtime API port", 2}} {
		t.Run(taken.name, func(t *testing.T) {
			// An outgoing connection's local port (the kernel hands free ports
			// to connections too, from the same range).
			server, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			conn, err := net.Dial("tcp", server.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			picks := 0
			pickPort = func() (int, error) {
				picks++
				if picks == taken.pick {
					return conn.LocalAddr().(*net.TCPAddr).Port, nil
				}
				return freePort()
			}
			defer func() { pickPort = freePort }()

			h := helloHost(t)
			res, err := h.Invoke(context.Background(), "hello", "test", []byte(`{}`))
			if err != nil || res.FunctionError != "" {
				t.Fatalf("the invocation failed: %v %+v", err, res)
			}
			if picks < 3 {
				t.Errorf("%d ports picked: the emulator was not started again", picks)
			}
		})
	}
}

// TestAnInstanceStartedAcrossASwapServesOnce: a swap (a rebuilt bootstrap in
// make dev, the virtual clock moved) while an instance starts may not be in
// its binary or environment, which were read before; the instance serves
// the call it was started for and is retired, so the next call starts one
// that has the swap. Were it stamped with the generation after its start,
// it would serve on with the old binary or the old time until idle.
func TestAnInstanceStartedAcrossASwapServesOnce(t *testing.T) {
	h := helloHost(t)
	// The swap comes while the first instance starts (its ports picked,
	// its process not yet running).
	swapped := false
	pickPort = func() (int, error) {
		if !swapped {
			swapped = true
			h.Swap("hello")
		}
		return freePort()
	}
	defer func() { pickPort = freePort }()
	for i, wantCold := range []bool{true, true, false} {
		res, err := h.Invoke(context.Background(), "hello", "test", []byte(`{}`))
		if err != nil || res.FunctionError != "" {
			t.Fatalf("call %d failed: %v %+v", i+1, err, res)
		}
		if res.Cold != wantCold {
			t.Errorf("call %d: cold %v, want %v (the instance started across the swap serves once)", i+1, res.Cold, wantCold)
		}
	}
}

// helloHost is a host of one function, "hello", whose bootstrap is the
// hello-world baseline, run under the pinned emulator.
func helloHost(t *testing.T) *Host {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a bootstrap and runs the emulator")
	}
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	rie, err := rieBinary(root)
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dist, "hello", "bootstrap"), "./infra/bench/hello")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cloud := topology.Cloud{Functions: []topology.Function{{Name: "hello", Timeout: 10 * time.Second, MemoryMB: 128}}}
	h := newHost(cloud, HostConfig{RIE: rie, Dist: dist, Env: func(topology.Function) []string { return os.Environ() }, MaxInstances: 2,
		IdleTimeout: time.Minute, Logs: &logSink{dir: t.TempDir(), out: io.Discard}})
	t.Cleanup(h.Close)
	return h
}

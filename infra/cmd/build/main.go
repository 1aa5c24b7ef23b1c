// Command build compiles every function in the topology into
// dist/<function>/bootstrap with one `go build` invocation — static
// (CGO_ENABLED=0), -tags lambda.norpc,nethttpomithttp2, -trimpath, -ldflags "-s -w" — and prints
// their sizes. With -arm64 it targets linux/arm64 (what deploys) and writes a
// deterministic dist/<function>.zip per function for the CDK stack.
package main

import (
	"debug/elf"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kiosk-news/kiosk/infra/dist"

	"github.com/kiosk-news/kiosk/infra/topology"
)

// Budget is the largest bootstrap the project accepts.
const Budget = 10 << 20

// OverBudget names the functions allowed a larger bootstrap, each with its
// cap and why. None is today: websub-callback, which links both the feed
// parsers and the EventBridge client, had 11 MiB until the SDK clients were
// held at their releases before schema-based serde (README: Builds).
var OverBudget = map[string]int64{}

func main() {
	arm64 := flag.Bool("arm64", false, "build for linux/arm64 and zip each function (what `make dist` deploys)")
	out := flag.String("out", "dist", "output folder")
	only := flag.String("only", "", "comma-separated functions to build (default: all)")
	flag.Parse()
	if err := run(*out, *arm64, *only); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

func run(out string, arm64 bool, only string) error {
	cloud := topology.Kiosk()
	if err := cloud.Validate(); err != nil {
		return err
	}
	if err := cloud.CheckFolders("."); err != nil {
		return err
	}
	if only != "" {
		var keep []topology.Function
		for _, name := range strings.Split(only, ",") {
			f, ok := cloud.Function(name)
			if !ok {
				return fmt.Errorf("no function %q in the topology", name)
			}
			keep = append(keep, f)
		}
		cloud.Functions = keep
	}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	if arm64 {
		goos, goarch = "linux", "arm64"
	}
	tmp, err := os.MkdirTemp("", "kiosk-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	args := []string{"build", "-tags", dist.Tags, "-trimpath", "-ldflags", "-s -w", "-o", tmp + string(os.PathSeparator)}
	for _, f := range cloud.Functions {
		args = append(args, "./functions/"+f.Name)
	}
	start := time.Now()
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}

	fmt.Printf("built %d functions for %s/%s in %.1fs\n", len(cloud.Functions), goos, goarch, time.Since(start).Seconds())
	fmt.Printf("%-24s %12s %12s\n", "function", "bootstrap", "zip")
	var over []string
	for _, f := range cloud.Functions {
		dir := filepath.Join(out, f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		bin := filepath.Join(dir, "bootstrap")
		if err := move(filepath.Join(tmp, f.Name), bin); err != nil {
			return err
		}
		if err := checkStatic(bin); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		st, err := os.Stat(bin)
		if err != nil {
			return err
		}
		zipSize := "-"
		if arm64 {
			n, err := dist.Zip(bin, filepath.Join(out, f.Name+".zip"))
			if err != nil {
				return err
			}
			zipSize = mib(n)
		}
		fmt.Printf("%-24s %12s %12s\n", f.Name, mib(st.Size()), zipSize)
		budget := int64(Budget)
		if b, ok := OverBudget[f.Name]; ok {
			budget = b
		}
		if st.Size() > budget {
			over = append(over, f.Name)
		}
	}
	if len(over) > 0 {
		return fmt.Errorf("over the %s budget: %s", mib(Budget), strings.Join(over, ", "))
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// move replaces to atomically, so a running instance keeps its binary and the
// next one gets the new one (make dev's live reload relies on it).
func move(from, to string) error {
	if err := os.Rename(from, to); err == nil {
		return nil
	}
	// Across file systems: copy beside the target, then rename over it.
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".tmp"
	o, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}

// checkStatic refuses an ELF binary that asks for a dynamic loader.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return nil // not ELF (a macOS host build): nothing to check
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("bootstrap is dynamically linked")
		}
	}
	return nil
}

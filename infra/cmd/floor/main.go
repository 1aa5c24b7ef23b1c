// Command floor prints each function's bootstrap against its floor: the size
// of infra/bench/floor built with the same flags and the tags of the chosen
// libraries the function links (read from `go list -deps`), so the gap is
// what Kiosk's own code and its further SDK operations add. With -arm64 it
// builds for linux/arm64, what deploys.
//
//	go run ./infra/cmd/floor [-arm64] [-only f1,f2]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/kiosk-news/kiosk/infra/dist"
	"github.com/kiosk-news/kiosk/infra/topology"
)

// libraries maps a package a function may link to the floor tag that links
// the same library in infra/bench/floor.
var libraries = []struct{ pkg, tag, name string }{
	{"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter", "floor_proxy", "api-proxy"},
	{"github.com/aws/aws-sdk-go-v2/service/eventbridge", "floor_eventbridge", "eventbridge"},
	{"github.com/aws/aws-sdk-go-v2/service/secretsmanager", "floor_secretsmanager", "secretsmanager"},
	{"github.com/aws/aws-sdk-go-v2/service/lambda", "floor_lambda", "lambda client"},
	{"github.com/aws/aws-sdk-go-v2/service/sqs", "floor_sqs", "sqs"},
	{"github.com/mmcdole/gofeed", "floor_gofeed", "gofeed"},
}

func main() {
	arm64 := flag.Bool("arm64", false, "build for linux/arm64")
	only := flag.String("only", "", "comma-separated functions (default: all)")
	flag.Parse()
	if err := run(*arm64, *only); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(arm64 bool, only string) error {
	goos, goarch := runtime.GOOS, runtime.GOARCH
	if arm64 {
		goos, goarch = "linux", "arm64"
	}
	var names []string
	for _, f := range topology.Kiosk().Functions {
		if only == "" || strings.Contains(","+only+",", ","+f.Name+",") {
			names = append(names, f.Name)
		}
	}
	tmp, err := os.MkdirTemp("", "kiosk-floor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	pkgs := make([]string, len(names))
	for i, n := range names {
		pkgs[i] = "./functions/" + n
	}
	if err := build(goos, goarch, dist.Tags, tmp+string(os.PathSeparator), append(pkgs, "./infra/bench/hello")...); err != nil {
		return err
	}
	hello, err := size(filepath.Join(tmp, "hello"))
	if err != nil {
		return err
	}
	fmt.Printf("%s/%s, MiB; hello world (infra/bench/hello, aws-lambda-go alone): %.2f\n\n", goos, goarch, mib(hello))
	fmt.Printf("| function | bootstrap | floor | gap | floor links |\n|---|---:|---:|---:|---|\n")
	floors := map[string]int64{}
	for _, n := range names {
		tags, links, err := tagsOf("./functions/" + n)
		if err != nil {
			return err
		}
		key := strings.Join(tags, ",")
		if _, ok := floors[key]; !ok {
			out := filepath.Join(tmp, "floor-"+strings.ReplaceAll(key, ",", "-"))
			if err := build(goos, goarch, strings.Join(append([]string{dist.Tags}, tags...), ","), out, "./infra/bench/floor"); err != nil {
				return err
			}
			if floors[key], err = size(out); err != nil {
				return err
			}
		}
		boot, err := size(filepath.Join(tmp, n))
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %s |\n", n, mib(boot), mib(floors[key]), mib(boot-floors[key]), links)
	}
	return nil
}

// tagsOf returns the floor tags of the chosen libraries a package links, and
// their names.
func tagsOf(pkg string) (tags []string, names string, err error) {
	out, err := exec.Command("go", "list", "-deps", "-tags", dist.Tags, pkg).Output()
	if err != nil {
		return nil, "", fmt.Errorf("go list %s: %w", pkg, err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	names = "aws-lambda-go, dynamo"
	if !deps["github.com/guregu/dynamo/v2"] {
		// A function that calls no AWS API (parse-feed).
		tags, names = append(tags, "floor_nodynamo"), "aws-lambda-go"
	}
	for _, l := range libraries {
		if deps[l.pkg] {
			tags = append(tags, l.tag)
			names += ", " + l.name
		}
	}
	sort.Strings(tags)
	return tags, names, nil
}

// build runs go build with the deployed bootstraps' flags (infra/cmd/build).
func build(goos, goarch, tags, out string, pkgs ...string) error {
	cmd := exec.Command("go", append([]string{"build", "-tags", tags, "-trimpath", "-ldflags", "-s -w", "-o", out}, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func size(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

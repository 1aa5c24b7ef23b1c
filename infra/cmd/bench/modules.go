package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kiosk-news/kiosk/infra/dist"
)

// ModuleSizes is what a few bootstraps link, by module, in KiB.
type ModuleSizes struct {
	Functions []string
	Rows      []ModuleRow
	Totals    []float64
}

// ModuleRow is one module's KiB in each function of ModuleSizes.
type ModuleRow struct {
	Module string
	KiB    []float64
}

// sizedFunctions are the bootstraps the module table shows: the baselines,
// the smallest and the read route, ingestion and the feed parser it invokes
// (the only function linking gofeed and x/text's encodings), and the largest.
var sizedFunctions = []string{"hello", "peer", "health-api", "articles-api", "ingest-feeds", "parse-feed", "admin-console", "admin-moderation", "admin-ops"}

func pkgDir(fn string) string {
	if fn == "hello" || fn == "peer" {
		return "./infra/bench/" + fn
	}
	return "./functions/" + fn
}

// moduleSizes builds the sized functions without -s -w (the symbols are what
// is measured; the code is the same) and sums `go tool nm -size` by module.
func (b *bench) moduleSizes() error {
	dir := filepath.Join(b.out, "unstripped")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var pkgs []string
	for _, f := range sizedFunctions {
		pkgs = append(pkgs, pkgDir(f))
	}
	if err := goCmd([]string{"CGO_ENABLED=0"}, append([]string{"build", "-tags", dist.Tags, "-trimpath", "-o", dir + string(os.PathSeparator)}, pkgs...)...); err != nil {
		return err
	}
	module, err := moduleMap(pkgs)
	if err != nil {
		return err
	}
	ms := &ModuleSizes{Functions: sizedFunctions}
	byModule := map[string][]float64{}
	for i, f := range sizedFunctions {
		sums, err := symbolSizes(filepath.Join(dir, filepath.Base(pkgDir(f))), module)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		total := 0.0
		for m, n := range sums {
			if byModule[m] == nil {
				byModule[m] = make([]float64, len(sizedFunctions))
			}
			byModule[m][i] = n / 1024
			total += n / 1024
		}
		ms.Totals = append(ms.Totals, total)
	}
	for m, kib := range byModule {
		big := false
		for _, n := range kib {
			big = big || n >= 64
		}
		if big {
			ms.Rows = append(ms.Rows, ModuleRow{Module: m, KiB: kib})
		}
	}
	sort.Slice(ms.Rows, func(i, j int) bool { return maxOf(ms.Rows[i].KiB) > maxOf(ms.Rows[j].KiB) })
	b.r.Modules = ms
	return nil
}

// moduleMap maps every package the given ones link to its module.
func moduleMap(pkgs []string) (map[string]string, error) {
	out, err := exec.Command("go", append([]string{"list", "-tags", dist.Tags, "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}"}, pkgs...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	module := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if p, m, ok := strings.Cut(l, " "); ok && m != "" {
			module[p] = m
		}
	}
	return module, nil
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// symbolSizes sums a binary's symbol sizes (not BSS) by module: "std" for
// the standard library, "runtime metadata" for what names no package.
func symbolSizes(bin string, module map[string]string) (map[string]float64, error) {
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		return nil, err
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[2] == "B" || f[2] == "b" || f[2] == "U" {
			continue
		}
		n, err := strconv.ParseFloat(f[1], 64)
		if err != nil || n > 4<<20 { // the FIPS DRBG's 32 MiB buffer is reported as data but lives in BSS
			continue
		}
		sums[moduleOf(symbolPackage(strings.Join(f[3:], " ")), module)] += n
	}
	return sums, sc.Err()
}

// symbolPackage is the import path a symbol's name starts with.
func symbolPackage(name string) string {
	for _, p := range []string{"type:", "go:itab.", "*"} {
		name = strings.TrimPrefix(name, p)
	}
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "type:") {
		return ""
	}
	end := len(name)
	if i := strings.IndexAny(name, "([{"); i >= 0 {
		end = i
	}
	slash := strings.LastIndexByte(name[:end], '/')
	dot := strings.IndexByte(name[slash+1:end], '.')
	if dot < 0 {
		return name[:end]
	}
	return name[:slash+1+dot]
}

func moduleOf(pkg string, module map[string]string) string {
	switch {
	case pkg == "":
		return "runtime metadata (func data, type links)"
	case pkg == "main":
		return "github.com/kiosk-news/kiosk"
	case module[pkg] != "":
		return module[pkg]
	case !strings.Contains(strings.Split(pkg, "/")[0], ".") || strings.HasPrefix(pkg, "vendor/"):
		return "std"
	}
	return "other"
}

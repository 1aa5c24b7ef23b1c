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
	"syscall"
	"time"

	"github.com/kiosk-news/kiosk/infra/dist"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// Profile is where a warm bootstrap's CPU goes on the read route: its own
// CPU profile (-tags pprof, contract.CPUProfileEnv), by module and by
// function.
type Profile struct {
	Function string
	Requests int
	File     string
	Modules  []Share // flat CPU by module, largest first
	Top      []Share // flat CPU by function, largest first
}

// Share is a part of the profile's samples.
type Share struct {
	Name    string
	Percent float64
}

// profileSides profiles articles-api and the peer on the read route: each
// built with -tags pprof, started with CPUProfileEnv set, sent the same warm
// requests (alternated), then stopped with SIGTERM, which writes the profile.
func (b *bench) profileSides(sides []peerSide, rie string, log *os.File) error {
	dir, err := filepath.Abs(filepath.Join(b.out, "pprof"))
	if err != nil {
		return err
	}
	var pkgs []string
	for _, s := range sides {
		pkgs = append(pkgs, pkgDir(s.name))
	}
	for _, s := range sides {
		if err := goCmd([]string{"CGO_ENABLED=0"}, "build", "-tags", dist.Tags+",pprof", "-trimpath", "-o", filepath.Join(dir, s.name, "bootstrap"), pkgDir(s.name)); err != nil {
			return err
		}
	}
	module, err := moduleMap(pkgs)
	if err != nil {
		return err
	}
	procs := make([]*proc, len(sides))
	files := make([]string, len(sides))
	for i, s := range sides {
		files[i] = filepath.Join(dir, s.name+".pprof")
		env := append(append([]string(nil), s.env...), contract.CPUProfileEnv+"="+files[i])
		if procs[i], err = startProc(rie, filepath.Join(dir, s.name, "bootstrap"), env, log); err != nil {
			return err
		}
		defer procs[i].stop()
	}
	// Enough requests for a few hundred samples each (100 a second of CPU).
	const n = 6000
	done := 0
	deadline := time.Now().Add(45 * time.Second)
	for ; done < n && time.Now().Before(deadline); done++ {
		for i, s := range sides {
			if _, err := procs[i].invoke(s.payload); err != nil {
				return fmt.Errorf("%s profiled: %w", s.name, err)
			}
		}
	}
	for i, s := range sides {
		_ = syscall.Kill(procs[i].bootPID, syscall.SIGTERM)
		if err := waitFile(files[i], 10*time.Second); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		p, err := readProfile(filepath.Join(dir, s.name, "bootstrap"), files[i], module)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		p.Function, p.Requests = s.name, done
		p.File = filepath.Join(b.out, "pprof", s.name+".pprof")
		b.r.Profiles = append(b.r.Profiles, p)
	}
	return nil
}

// waitFile waits for the profile the bootstrap writes as it exits.
func waitFile(path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			time.Sleep(200 * time.Millisecond) // written and closed before exit; let it finish
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no profile at %s", path)
}

// readProfile sums a profile's flat samples by module and lists its top
// functions, from `go tool pprof -top`.
func readProfile(bin, file string, module map[string]string) (Profile, error) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0", bin, file).Output()
	if err != nil {
		return Profile{}, fmt.Errorf("go tool pprof: %w", err)
	}
	var p Profile
	mods := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasSuffix(f[1], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		if err != nil {
			continue
		}
		name := strings.Join(f[5:], " ")
		name = strings.TrimSuffix(name, " (inline)")
		mods[moduleOf(symbolPackage(name), module)] += pct
		if len(p.Top) < 12 {
			p.Top = append(p.Top, Share{name, pct})
		}
	}
	for m, pct := range mods {
		p.Modules = append(p.Modules, Share{m, pct})
	}
	sort.Slice(p.Modules, func(i, j int) bool { return p.Modules[i].Percent > p.Modules[j].Percent })
	return p, nil
}

package local

import (
	"context"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Affected returns the functions whose binaries depend on any of the changed
// package folders (relative to root), from go list.
func Affected(root string, functions []string, changedDirs []string) ([]string, error) {
	args := []string{"list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}"}
	for _, f := range functions {
		args = append(args, "./functions/"+f)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	mod := exec.Command("go", "list", "-m")
	mod.Dir = root
	modOut, err := mod.Output()
	if err != nil {
		return nil, err
	}
	module := strings.TrimSpace(string(modOut))
	changed := map[string]bool{}
	for _, d := range changedDirs {
		changed[module+"/"+filepath.ToSlash(filepath.Clean(d))] = true
	}
	var hit []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkgs := strings.Fields(line)
		if len(pkgs) == 0 {
			continue
		}
		for _, p := range pkgs {
			if changed[p] {
				hit = append(hit, strings.TrimPrefix(pkgs[0], module+"/functions/"))
				break
			}
		}
	}
	sort.Strings(hit)
	return hit, nil
}

// watch polls the sources every second and, when Go files under functions/,
// shared/ or events/ change, rebuilds only the affected functions and swaps
// their instances. Changes under infra/ need a restart (the topology is read
// at start) and are said so.
func (c *Cloud) watch(ctx context.Context) {
	last := c.snapshot()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := c.snapshot()
		var dirs []string
		seen := map[string]bool{}
		infra := false
		for path, stamp := range now {
			if last[path] != stamp {
				d := filepath.Dir(path)
				if strings.HasPrefix(path, "infra/") {
					infra = true
				} else if !seen[d] {
					seen[d] = true
					dirs = append(dirs, d)
				}
			}
		}
		for path := range last {
			if _, ok := now[path]; !ok && !seen[filepath.Dir(path)] {
				seen[filepath.Dir(path)] = true
				dirs = append(dirs, filepath.Dir(path))
			}
		}
		last = now
		if infra {
			c.logs.console("infra/ changed: restart make dev to apply topology or local-cloud changes")
		}
		if len(dirs) > 0 {
			if _, err := c.Rebuild(dirs); err != nil {
				c.logs.console("live reload: %v", err)
			}
		}
	}
}

// Rebuild rebuilds the functions that depend on the changed package folders
// and swaps their instances; in-flight calls finish on the old binary.
func (c *Cloud) Rebuild(dirs []string) ([]string, error) {
	start := time.Now()
	var names []string
	for _, f := range c.Topology.Functions {
		names = append(names, f.Name)
	}
	affected, err := Affected(c.cfg.Root, names, dirs)
	if err != nil || len(affected) == 0 {
		return nil, err
	}
	cmd := exec.Command("go", "run", "./infra/cmd/build", "-out", c.cfg.Dist, "-only", strings.Join(affected, ","))
	cmd.Dir = c.cfg.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build failed, the old binaries keep serving:\n%s", strings.TrimSpace(string(out)))
	}
	for _, fn := range affected {
		c.host.Swap(fn)
	}
	c.logs.console("live reload: rebuilt %s in %.1fs; new calls start fresh instances", strings.Join(affected, ", "), time.Since(start).Seconds())
	return affected, nil
}

// snapshot maps each Go file under the watched folders to its size and time.
func (c *Cloud) snapshot() map[string]string {
	out := map[string]string{}
	for _, top := range []string{"functions", "shared", "events", "infra"} {
		_ = filepath.WalkDir(filepath.Join(c.cfg.Root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(c.cfg.Root, p)
			out[rel] = fmt.Sprintf("%d/%d", info.Size(), info.ModTime().UnixNano())
			return nil
		})
	}
	return out
}

package local

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Footprint is the local cloud's memory at one moment: this process's Go heap
// (the gateway, the bus, the function host, the DynamoDB and AWS proxies all
// run in it), its goroutines, and the resident memory of dynalite and of the
// function instances (each the emulator and its bootstrap). Resident sizes
// are read from /proc, so they are 0 where there is none.
type Footprint struct {
	HeapMiB      float64 `json:"heap_mib"` // after a GC: what is live
	Goroutines   int     `json:"goroutines"`
	DynaliteMiB  float64 `json:"dynalite_mib"`
	FunctionsMiB float64 `json:"functions_mib"`
	Instances    int     `json:"instances"`
	// Queued are invocations waiting for a free instance, by function: the
	// backlog of a function that cannot keep up.
	Queued map[string]int `json:"queued,omitempty"`
}

// Footprint measures the cloud's memory now (it runs a GC first).
func (c *Cloud) Footprint() Footprint {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	f := Footprint{HeapMiB: float64(m.HeapAlloc) / (1 << 20), Goroutines: runtime.NumGoroutine()}
	ps := procs()
	if c.dynalite != nil {
		f.DynaliteMiB = treeRSS(ps, c.dynalite.Pid())
	}
	for _, pid := range c.host.pids() {
		f.Instances++
		f.FunctionsMiB += treeRSS(ps, pid)
	}
	f.Queued = c.host.queued()
	return f
}

// pids lists the process (group) ids of every running instance.
func (h *Host) pids() []int {
	h.mu.Lock()
	pools := make([]*pool, 0, len(h.pools))
	for _, p := range h.pools {
		pools = append(pools, p)
	}
	h.mu.Unlock()
	var out []int
	for _, p := range pools {
		p.mu.Lock()
		for i := range p.all {
			if i.cmd.Process != nil {
				out = append(out, i.cmd.Process.Pid)
			}
		}
		p.mu.Unlock()
	}
	return out
}

// queued counts the invocations waiting for an instance, per function.
func (h *Host) queued() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for name, p := range h.pools {
		if n := int(p.waiting.Load()); n > 0 {
			out[name] = n
		}
	}
	return out
}

type proc struct {
	ppid, pgrp int
	rssMiB     float64
}

// procs reads every process's parent, group and resident memory from /proc.
func procs() map[int]proc {
	out := map[int]proc{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		fields := strings.Fields(string(rest))
		if len(fields) < 3 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		pgrp, _ := strconv.Atoi(fields[2])
		status, err := os.ReadFile(filepath.Join(d, "status"))
		if err != nil {
			continue
		}
		p := proc{ppid: ppid, pgrp: pgrp}
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				p.rssMiB = float64(kb) / 1024
			}
		}
		out[pid] = p
	}
	return out
}

// treeRSS is the resident memory (MiB) of root and every process under it:
// an instance is the emulator and the bootstrap it starts, which leads a
// process group of its own.
func treeRSS(ps map[int]proc, root int) float64 {
	children := map[int][]int{}
	for pid, p := range ps {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	total := 0.0
	todo := []int{root}
	for len(todo) > 0 {
		pid := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		total += ps[pid].rssMiB
		todo = append(todo, children[pid]...)
	}
	return total
}

// InstanceRSS is the resident memory (MiB) of each running instance of fn's
// bootstrap, without the runtime interface emulator that starts it (read
// from /proc, so 0 where there is none): the nearest local figure to what the
// function uses of its configured memory.
func (c *Cloud) InstanceRSS(fn string) []float64 {
	ps := procs()
	var out []float64
	for _, i := range c.host.Instances(fn) {
		out = append(out, treeRSS(ps, i.PID)-ps[i.PID].rssMiB)
	}
	return out
}

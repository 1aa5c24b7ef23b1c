// Package procs sets GOMAXPROCS to the vCPUs a Lambda function's memory size
// buys (one for every Kiosk function). Both inits call it — boot (every
// function that calls AWS) and pure (parse-feed) — so no function runs with a
// P per CPU the instance shows; it links nothing but the runtime.
package procs

import (
	"runtime"
	"strconv"
)

// vCPUMB is the memory size at which Lambda gives a function one full vCPU;
// it allocates CPU in proportion to memory, below and above.
const vCPUMB = 1769

// Set sets GOMAXPROCS to the vCPUs the function's memory size buys
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, which Lambda and the local cloud set):
// one for every Kiosk function (≤ 1,769 MB, at most one vCPU). Go would run
// a P per CPU the instance shows (two in Lambda), whatever the share it may
// use, and between a request's waits the idle P's thread spins looking for
// work and wakes through futexes: CPU the instance pays for, out of a share
// that small. An explicit GOMAXPROCS in the environment wins, and a process
// that is not a Lambda (no memory size) is left alone.
func Set(lookup func(string) string) {
	if lookup("GOMAXPROCS") != "" {
		return
	}
	mb, err := strconv.Atoi(lookup("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return
	}
	runtime.GOMAXPROCS(min(For(mb), runtime.NumCPU()))
}

// For is the vCPUs of a memory size, rounded up.
func For(mb int) int { return (mb + vCPUMB - 1) / vCPUMB }

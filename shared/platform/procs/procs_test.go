package procs

import (
	"runtime"
	"testing"
)

// TestAFunctionRunsAPPerVCPUItsMemoryBuys: a 256 MB function gets a seventh of
// a vCPU; a second P only spins between the request's waits (make bench's
// peer step: bootstrap CPU per warm request ≈ 0.8× with one). An explicit
// GOMAXPROCS is left alone, and so is a process that is not a Lambda.
func TestAFunctionRunsAPPerVCPUItsMemoryBuys(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: GOMAXPROCS is 1 whatever Set does")
	}
	for _, c := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 1},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}, 1},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1770"}, 2},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "GOMAXPROCS": "2"}, 2},
		{map[string]string{}, 2},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, 2},
	} {
		runtime.GOMAXPROCS(2)
		Set(func(k string) string { return c.env[k] })
		if got := runtime.GOMAXPROCS(0); got != c.want {
			t.Errorf("%v: GOMAXPROCS %d, want %d", c.env, got, c.want)
		}
	}
	if For(10240) != 6 {
		t.Errorf("10,240 MB: %d vCPUs, want Lambda's 6", For(10240))
	}
}

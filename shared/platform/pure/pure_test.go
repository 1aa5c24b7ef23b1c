package pure

import (
	"runtime"
	"testing"
)

// TestAPureFunctionRunsAPPerVCPUItsMemoryBuys: parse-feed starts through
// pure, not boot, and gets the same GOMAXPROCS a boot function gets (one at
// its memory size), not a P per CPU the instance shows.
func TestAPureFunctionRunsAPPerVCPUItsMemoryBuys(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: GOMAXPROCS is 1 whatever pure does")
	}
	runtime.GOMAXPROCS(2)
	setup(func(k string) string {
		return map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "KIOSK_FUNCTION": "parse-feed"}[k]
	})
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("a 512 MB pure function runs GOMAXPROCS %d, want 1", got)
	}
}

package boot

import (
	"runtime"
	"testing"
)

// TestInitSetsGOMAXPROCSFromTheMemorySize: as a function starts, Init reads
// Lambda's environment and runs a P per vCPU its memory buys (procs.Set,
// whose own test covers the rule).
func TestInitSetsGOMAXPROCSFromTheMemorySize(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: GOMAXPROCS is 1 whatever boot does")
	}
	t.Setenv("AWS_REGION", "us-east-1")
	runtime.GOMAXPROCS(2)
	if _, err := FromEnv(func(k string) string {
		return map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "KIOSK_FUNCTION": "articles-api"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("a 256 MB function runs GOMAXPROCS %d, want 1", got)
	}
}

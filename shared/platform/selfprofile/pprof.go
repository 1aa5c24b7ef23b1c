//go:build pprof

package selfprofile

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// The hot path is measured where it runs: in the bootstrap, under the
// runtime emulator, on its real requests.
func init() {
	path := os.Getenv(contract.CPUProfileEnv)
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() {
		<-stop
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(0)
	}()
}

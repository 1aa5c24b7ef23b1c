// Package logs sets up the process's structured logger: slog JSON on stdout, one
// object per line, each carrying the function's name. CloudWatch (JSON log
// format) and the local cloud read the same lines.
package logs

import (
	"log/slog"
	"os"
	"sync"

	"github.com/kiosk-news/kiosk/shared/kiosk"
)

var once sync.Once

// Setup installs the JSON logger as slog's default and returns it.
func Setup() *slog.Logger {
	once.Do(func() {
		h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo})
		slog.SetDefault(slog.New(h).With("function", os.Getenv(kiosk.FunctionEnv)))
	})
	return slog.Default()
}

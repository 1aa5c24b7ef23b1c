// Package logs sets up the process's structured logger: slog JSON on stdout, one
// object per line, each carrying the function's name and, when logged with an
// invocation's context, its trace id. CloudWatch (JSON log
// format) and the local cloud read the same lines.
package logs

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

var once sync.Once

// Setup installs the JSON logger, naming the function on every line, as
// slog's default and returns it; boot.Init calls it once.
func Setup(fn string) *slog.Logger {
	once.Do(func() {
		function = fn
		h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo})
		slog.SetDefault(slog.New(traced{h}).With("function", fn))
	})
	return slog.Default()
}

// TraceHeader is the invocation's X-Ray trace header (Root=…;Parent=…), as
// Lambda hands it to the runtime; "" outside an invocation.
func TraceHeader(ctx context.Context) string {
	if h, _ := ctx.Value("x-amzn-trace-id").(string); h != "" { // the key aws-lambda-go uses
		return h
	}
	// A runtime API that does not pass Lambda-Runtime-Trace-Id (the runtime
	// interface emulator) gets the same header through the client context.
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.ClientContext.Custom["x-amzn-trace-id"]
	}
	return ""
}

// TraceID is the trace's root id: the correlation id of everything one request
// or schedule caused, in every log line and event it leads to.
func TraceID(ctx context.Context) string {
	// Every access line asks: cut, no split, so it allocates nothing.
	for rest := TraceHeader(ctx); rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ";")
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
			return v
		}
	}
	return ""
}

// traced adds the trace id to every line logged with a context.
type traced struct{ slog.Handler }

func (t traced) Handle(ctx context.Context, r slog.Record) error {
	if id := TraceID(ctx); id != "" {
		r.AddAttrs(slog.String("trace", id))
	}
	return t.Handler.Handle(ctx, r)
}

func (t traced) WithAttrs(a []slog.Attr) slog.Handler { return traced{t.Handler.WithAttrs(a)} }
func (t traced) WithGroup(n string) slog.Handler      { return traced{t.Handler.WithGroup(n)} }

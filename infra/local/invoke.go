package local

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// InvokeReport is what one direct invocation did.
type InvokeReport struct {
	Function   string          `json:"function"`
	Status     string          `json:"status"`
	Error      string          `json:"error,omitempty"`
	Cold       bool            `json:"cold"`
	InitMS     float64         `json:"init_ms,omitempty"`
	DurationMS float64         `json:"duration_ms"`
	Response   json.RawMessage `json:"response"`
	Logs       []string        `json:"logs"`
}

// InvokeDirect runs a function once with payload, as `make invoke` does, and
// collects the log lines it wrote meanwhile.
func (c *Cloud) InvokeDirect(ctx context.Context, fn string, payload []byte) (InvokeReport, error) {
	if _, ok := c.Topology.Function(fn); !ok {
		return InvokeReport{}, fmt.Errorf("no function %q in the topology", fn)
	}
	logFile := filepath.Join(c.LogDir, fn+".log")
	var offset int64
	if st, err := os.Stat(logFile); err == nil {
		offset = st.Size()
	}
	res, err := c.host.Invoke(ctx, fn, "invoke", payload)
	rep := InvokeReport{Function: fn, Status: "ok", Cold: res.Cold, DurationMS: ms(res.Duration), Response: orNull(res.Payload)}
	if res.Cold {
		rep.InitMS = ms(res.Init)
	}
	switch {
	case err != nil:
		rep.Status, rep.Error = "failed", err.Error()
	case res.FunctionError != "":
		rep.Status, rep.Error = "error", res.FunctionError+": "+res.ErrorMessage
	}
	rep.Logs = readLines(logFile, offset, 1000) // the host records an invocation once its lines have landed
	return rep, nil
}

func readLines(path string, offset int64, max int) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{}
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return []string{}
	}
	out := []string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() && len(out) < max {
		out = append(out, sc.Text())
	}
	return out
}

// Logs returns the last lines of a function's log (or every function's)
// containing the given text.
func (c *Cloud) Logs(fn, contains string, limit int) []string {
	names := []string{fn}
	if fn == "" {
		names = nil
		for _, f := range c.Topology.Functions {
			names = append(names, f.Name)
		}
	}
	var out []string
	for _, n := range names {
		for _, l := range readLines(filepath.Join(c.LogDir, n+".log"), 0, 1<<20) {
			if contains == "" || strings.Contains(l, contains) {
				if fn == "" {
					l = n + " | " + l
				}
				out = append(out, l)
			}
		}
	}
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// SampleEvent builds an event to invoke a function with: "scheduled" for a
// scheduled event, a route key ("GET /v1/articles/{id}") for the API Gateway
// request of that route (path parameters filled with "sample"), or a detail
// type of the catalogue for its sample bus event.
func SampleEvent(root, spec string) ([]byte, error) {
	if spec == "scheduled" {
		return ScheduledEvent("sample", 0, time.Now()), nil
	}
	if method, path, ok := strings.Cut(spec, " "); ok {
		var params map[string]string
		concrete := path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				if params == nil {
					params = map[string]string{}
				}
				params[strings.Trim(seg, "{}+")] = "sample"
				concrete = strings.Replace(concrete, seg, "sample", 1)
			}
		}
		r := httptest.NewRequest(method, "http://127.0.0.1:3000"+concrete, nil)
		r.Header.Set("User-Agent", "make-event")
		r.RemoteAddr = "127.0.0.1:50000"
		return json.MarshalIndent(buildRequest(r, spec, params, nil, requestID(), time.Now()), "", "  ")
	}
	b, err := os.ReadFile(filepath.Join(root, "events", "samples", spec+".json"))
	if err != nil {
		return nil, fmt.Errorf("%q is not a file, \"scheduled\", a route key or a catalogue detail type", spec)
	}
	return b, nil
}

// TraceNode is one invocation of a trace with what it caused.
type TraceNode struct {
	Invocation
	Caused []*TraceNode `json:"caused"`
}

// TraceTree returns the invocations of a trace as trees: each invocation under
// the one whose PutEvents caused it.
func (c *Cloud) TraceTree(root string) []*TraceNode {
	nodes := map[string]*TraceNode{}
	var order []*TraceNode
	for _, inv := range c.host.Invocations() {
		if inv.Trace == root {
			n := &TraceNode{Invocation: inv, Caused: []*TraceNode{}}
			nodes[inv.ID] = n
			order = append(order, n)
		}
	}
	var roots []*TraceNode
	for _, n := range order {
		if p, ok := nodes[n.Parent]; ok && n.Parent != n.ID {
			p.Caused = append(p.Caused, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}
